//! The action graph: the steps a plan needs and the order they must keep.
//!
//! Creates and updates wait for the creates and updates of what they depend
//! on; deletes wait for the deletes and updates of what depends on them; a
//! replacement deletes before it creates.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::plan::{Action, Plan};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    pub fn progressive(self) -> &'static str {
        match self {
            Op::Create => "Creating",
            Op::Update => "Modifying",
            Op::Delete => "Destroying",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Op::Create => "Creation",
            Op::Update => "Modifications",
            Op::Delete => "Destruction",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Index into `plan.resource_changes`.
    pub change: usize,
    pub op: Op,
}

/// Steps as nodes; an edge runs from a step to one that must wait for it.
pub fn build(plan: &Plan) -> DiGraph<Step, ()> {
    let mut graph = DiGraph::new();
    // Steps per resource block address, by operation.
    let mut by_resource: HashMap<(String, Op), Vec<NodeIndex>> = HashMap::new();
    let mut steps_of_change: Vec<Vec<NodeIndex>> = Vec::new();
    for (index, change) in plan.resource_changes.iter().enumerate() {
        let ops: &[Op] = match change.action {
            Action::NoOp => &[],
            Action::Create => &[Op::Create],
            Action::Update => &[Op::Update],
            Action::Delete => &[Op::Delete],
            Action::DeleteThenCreate => &[Op::Delete, Op::Create],
            Action::CreateThenDelete => &[Op::Create, Op::Delete],
        };
        let nodes: Vec<NodeIndex> = ops
            .iter()
            .map(|&op| {
                let node = graph.add_node(Step { change: index, op });
                by_resource
                    .entry((change.addr.resource(), op))
                    .or_default()
                    .push(node);
                node
            })
            .collect();
        // A replacement's two steps run in the order its action names.
        if let [first, second] = nodes[..] {
            graph.add_edge(first, second, ());
        }
        steps_of_change.push(nodes);
    }

    let steps_for = |address: &str, op: Op| {
        by_resource
            .get(&(address.to_string(), op))
            .cloned()
            .unwrap_or_default()
    };
    for (index, change) in plan.resource_changes.iter().enumerate() {
        for &node in &steps_of_change[index] {
            let op = graph[node].op;
            for dependency in &change.dependencies {
                match op {
                    Op::Create | Op::Update => {
                        for before in steps_for(dependency, Op::Create)
                            .into_iter()
                            .chain(steps_for(dependency, Op::Update))
                        {
                            graph.update_edge(before, node, ());
                        }
                    }
                    Op::Delete => {}
                }
                // This instance lets go of its dependency before the
                // dependency is deleted. An update can only do so when the
                // dependency is deleted outright: when it is replaced, the
                // update must wait for the new object instead. Under
                // create_before_destroy the new object comes first, so
                // everything that moves to it does so before the old one is
                // deleted.
                for after in steps_for(dependency, Op::Delete) {
                    let action = plan.resource_changes[graph[after].change].action;
                    let lets_go = match op {
                        Op::Delete => true,
                        Op::Update => matches!(action, Action::Delete | Action::CreateThenDelete),
                        Op::Create => action == Action::CreateThenDelete,
                    };
                    if lets_go {
                        graph.update_edge(node, after, ());
                    }
                }
            }
        }
    }
    graph
}
