//! Keeping the values that are not managed resources current while an
//! apply runs: locals, module variables and outputs, and data sources
//! computed offline. A step's arguments see them as the steps before it
//! left them.
//!
//! Before each step the scheduler refreshes only the values that step
//! depends on, and of those only the ones stale since they were last
//! evaluated: a finished step makes stale what depends on its resource.
//! Re-evaluating every value before every step was quadratic: a local over
//! all instances of a resource (`aws_subnet.s[*].id`) was rebuilt once per
//! step. It also tells when what a resource block depends on changed, so
//! that its instances (a `for_each` over many) are made again only then.
//! This module calls no AWS and never prints.

use std::collections::HashMap;

use petgraph::Direction;
use petgraph::graph::NodeIndex;

use crate::graph::{Graph, Node};
use crate::lang::block_eval::BlockEvaluator;
use crate::lang::{Config, Mode};

/// Which values are stale, by the graph's nodes.
pub(super) struct Freshness {
    node_at: HashMap<Node, NodeIndex>,
    /// By node index: its place in the graph's evaluation order.
    rank: Vec<usize>,
    /// By node index. Stale values are closed downwards: what depends on a
    /// stale value (through anything but a managed resource) is stale too.
    /// A managed resource is stale when something it depends on changed
    /// since a step of it last asked (`refresh_for`).
    stale: Vec<bool>,
    /// By resource block, once asked: the values it depends on, through
    /// anything but a managed resource, in evaluation order.
    needs: HashMap<usize, Vec<NodeIndex>>,
    /// How many values were evaluated, for tests to count.
    evaluated: usize,
}

impl Freshness {
    /// Every value stale: none has been evaluated yet.
    pub(super) fn new(graph: &Graph) -> Freshness {
        let node_at: HashMap<Node, NodeIndex> = graph
            .dag
            .node_indices()
            .map(|index| (graph.dag[index], index))
            .collect();
        let mut rank = vec![0; graph.dag.node_count()];
        for (position, node) in graph.order.iter().enumerate() {
            rank[node_at[node].index()] = position;
        }
        Freshness {
            stale: vec![true; graph.dag.node_count()],
            node_at,
            rank,
            needs: HashMap::new(),
            evaluated: 0,
        }
    }

    /// The instances of resource block `resource` changed: what depends on
    /// it is stale.
    pub(super) fn changed(&mut self, graph: &Graph, config: &Config, resource: usize) {
        let mut pending = vec![self.node_at[&Node::Resource(resource)]];
        while let Some(at) = pending.pop() {
            for dependent in graph.dag.neighbors_directed(at, Direction::Outgoing) {
                // Already stale: so is everything after it.
                if self.stale[dependent.index()] {
                    continue;
                }
                self.stale[dependent.index()] = true;
                // A managed resource's value is its steps', not evaluated.
                if !is_managed(config, graph.dag[dependent]) {
                    pending.push(dependent);
                }
            }
        }
    }

    /// Evaluates again what resource block `resource` depends on and is
    /// stale, so that its arguments see the values known now. Says whether
    /// anything it depends on changed since the last time (or this is the
    /// first): if not, its `count` / `for_each` are as they were.
    pub(super) fn refresh_for(
        &mut self,
        graph: &Graph,
        evaluator: &mut BlockEvaluator<'_>,
        resource: usize,
    ) -> bool {
        let config = evaluator.config();
        let needs = match self.needs.remove(&resource) {
            Some(needs) => needs,
            None => self.values_needed(graph, config, resource),
        };
        for &node in &needs {
            self.refresh(graph, evaluator, node);
        }
        self.needs.insert(resource, needs);
        let at = self.node_at[&Node::Resource(resource)];
        std::mem::replace(&mut self.stale[at.index()], false)
    }

    /// Evaluates again every value that is stale (for the outputs at the
    /// end of the run).
    pub(super) fn refresh_all(&mut self, graph: &Graph, evaluator: &mut BlockEvaluator<'_>) {
        let config = evaluator.config();
        for node in &graph.order {
            if !is_managed(config, *node) {
                self.refresh(graph, evaluator, self.node_at[node]);
            }
        }
    }

    /// How many values were evaluated so far.
    #[cfg(test)]
    fn evaluated(&self) -> usize {
        self.evaluated
    }

    /// One value, if stale (a data source: if not known yet). An error
    /// concerns a value the step may not even use; the step's own
    /// evaluation reports what matters to it.
    fn refresh(&mut self, graph: &Graph, evaluator: &mut BlockEvaluator<'_>, at: NodeIndex) {
        let config = evaluator.config();
        match graph.dag[at] {
            // Data sources AWS must read (`None`) are read by steps.
            Node::Resource(i)
                if config.resources[i].mode == Mode::Data
                    && !evaluator.instances_known(i)
                    && crate::plan::eval_offline_data(evaluator, i).is_some() =>
            {
                self.evaluated += 1;
                self.changed(graph, config, i);
            }
            Node::Resource(_) => {}
            node if self.stale[at.index()] => {
                self.evaluated += 1;
                let _ = crate::plan::eval_value(evaluator, node);
            }
            _ => {}
        }
        self.stale[at.index()] = false;
    }

    /// The values `resource` depends on, through anything but a managed
    /// resource, in evaluation order.
    fn values_needed(&self, graph: &Graph, config: &Config, resource: usize) -> Vec<NodeIndex> {
        let start = self.node_at[&Node::Resource(resource)];
        let mut found = Vec::new();
        let mut seen = vec![false; graph.dag.node_count()];
        let mut pending = vec![start];
        while let Some(at) = pending.pop() {
            for dependency in graph.dag.neighbors_directed(at, Direction::Incoming) {
                if seen[dependency.index()] || is_managed(config, graph.dag[dependency]) {
                    continue;
                }
                seen[dependency.index()] = true;
                found.push(dependency);
                pending.push(dependency);
            }
        }
        found.sort_by_key(|at| self.rank[at.index()]);
        found
    }
}

/// A managed resource's values come from the apply's steps, not from
/// evaluation.
fn is_managed(config: &Config, node: Node) -> bool {
    matches!(node, Node::Resource(i) if config.resources[i].mode != Mode::Data)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::addr::InstanceKey;
    use crate::lang::block_eval::testing::{NoFiles, config_of, resource_index};
    use crate::value::Value;

    /// A step evaluates only the values it depends on, each once until
    /// what it depends on changes, and then sees the new value.
    #[test]
    fn a_step_evaluates_only_what_it_needs_and_only_when_stale() {
        let text = r#"
resource "terraform_data" "a" {
  count = 3
  input = count.index
}
locals {
  all   = terraform_data.a[*].output
  other = "unrelated"
}
resource "terraform_data" "b" {
  count = 3
  input = local.all[count.index]
}
resource "terraform_data" "c" {
  input = "plain"
}
resource "terraform_data" "d" {
  input = length(local.all)
}
output "all" {
  value = local.all
}
"#;
        let config = config_of(text);
        let (graph, diags) = crate::graph::build(&config);
        assert!(!diags.has_errors(), "{diags:?}");
        let mut evaluator = BlockEvaluator::new(&config, &NoFiles, BTreeMap::new());
        let index_of = |name: &str| resource_index(&config, name);
        let (a, b, c, d) = (index_of("a"), index_of("b"), index_of("c"), index_of("d"));
        let set_a = |evaluator: &mut BlockEvaluator<'_>, i: usize, output: &str| {
            let value =
                Value::Map(BTreeMap::from([("output".to_string(), Value::string(output))]).into());
            evaluator.set_instance(a, InstanceKey::Index(i), value);
        };
        for i in 0..3 {
            set_a(&mut evaluator, i, &format!("first-{i}"));
        }
        let local_all = |evaluator: &BlockEvaluator<'_>| -> Vec<String> {
            let roots = evaluator.root_values();
            let all = roots["local"].get("all").as_list().expect("a list");
            all.iter()
                .map(|v| v.as_str().expect("strings").to_string())
                .collect()
        };

        let mut freshness = Freshness::new(&graph);
        assert!(
            freshness.refresh_for(&graph, &mut evaluator, c),
            "first ask"
        );
        assert_eq!(freshness.evaluated(), 0, "c needs no value");
        assert!(
            freshness.refresh_for(&graph, &mut evaluator, b),
            "first ask"
        );
        assert_eq!(freshness.evaluated(), 1, "b needs local.all alone");
        assert!(!freshness.refresh_for(&graph, &mut evaluator, b));
        assert_eq!(freshness.evaluated(), 1, "nothing changed since");
        assert_eq!(local_all(&evaluator), ["first-0", "first-1", "first-2"]);

        set_a(&mut evaluator, 1, "second-1");
        freshness.changed(&graph, &config, a);
        assert!(!freshness.refresh_for(&graph, &mut evaluator, c), "not c's");
        assert_eq!(freshness.evaluated(), 1, "c still needs nothing");
        assert!(
            freshness.refresh_for(&graph, &mut evaluator, b),
            "b's input"
        );
        assert_eq!(freshness.evaluated(), 2, "local.all again, once");
        assert!(!freshness.refresh_for(&graph, &mut evaluator, b));
        // d reads the same local, already evaluated again for b: no
        // evaluation, but what d depends on did change since d first asked.
        assert!(
            freshness.refresh_for(&graph, &mut evaluator, d),
            "first ask"
        );
        set_a(&mut evaluator, 2, "third-2");
        freshness.changed(&graph, &config, a);
        assert!(freshness.refresh_for(&graph, &mut evaluator, b));
        assert_eq!(freshness.evaluated(), 3);
        assert!(freshness.refresh_for(&graph, &mut evaluator, d), "d's too");
        assert_eq!(freshness.evaluated(), 3, "local.all is current");
        assert_eq!(local_all(&evaluator), ["first-0", "second-1", "third-2"]);

        // At the end, what is stale and no step needed: the output, and the
        // local no step asked for.
        freshness.refresh_all(&graph, &mut evaluator);
        assert_eq!(freshness.evaluated(), 5);
        freshness.refresh_all(&graph, &mut evaluator);
        assert_eq!(freshness.evaluated(), 5, "nothing stale is left");
    }
}
