//! The action graph: the steps a plan needs and the order they must keep.
//!
//! Creates and updates wait for the creates and updates of what they depend
//! on; deletes wait for the deletes and updates of what depends on them; a
//! replacement deletes before it creates. A data source read during apply
//! waits like a create, and what uses it waits for the read.

use std::collections::{HashMap, HashSet};

use petgraph::graph::{DiGraph, NodeIndex};

use crate::plan::{Action, Plan};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Create,
    Update,
    Delete,
    /// A data source read during apply, once what it depends on is applied.
    Read,
}

impl Op {
    pub fn progressive(self) -> &'static str {
        match self {
            Op::Create => "Creating",
            Op::Update => "Modifying",
            Op::Delete => "Destroying",
            Op::Read => "Reading",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Op::Create => "Creation",
            Op::Update => "Modifications",
            Op::Delete => "Destruction",
            Op::Read => "Read",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Index into `plan.resource_changes`.
    pub change: usize,
    pub op: Op,
}

/// The step graph. A node is a step, or a join (`None`) that stands for
/// "all steps of one group are done": a subnet waits for every create of
/// `aws_vpc.v` through one join, so n dependents of m instances cost n + m
/// edges, not n × m.
pub type StepGraph = DiGraph<Option<Step>, ()>;

/// For each node, how many steps its longest chain of dependents holds,
/// its own step included (a join counts none). The apply starts the steps
/// with the longest chains first, so that the chain likeliest to bound its
/// time does not wait for a parallelism slot behind steps with time to
/// spare. Chains are counted in steps, not time.
pub fn chain_lengths(graph: &StepGraph) -> Vec<usize> {
    let mut lengths = vec![0; graph.node_count()];
    // The graph has no cycles (the plan orders its steps); if it had one,
    // every length would stay 0 and steps would start in plan order.
    let Ok(order) = petgraph::algo::toposort(graph, None) else {
        return lengths;
    };
    for node in order.into_iter().rev() {
        let after = graph
            .neighbors_directed(node, petgraph::Direction::Outgoing)
            .map(|next| lengths[next.index()])
            .max()
            .unwrap_or(0);
        lengths[node.index()] = after + usize::from(graph[node].is_some());
    }
    lengths
}

/// Which deletes of a resource a dependent lets go of first, by the action
/// they belong to (the ordering rule below depends on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum DeleteKind {
    /// The object is deleted outright.
    Delete,
    /// The old object of a replacement that deletes first.
    DeleteThenCreate,
    /// The old object of a create_before_destroy replacement.
    CreateThenDelete,
}

/// Steps as nodes; an edge runs from a step to one that must wait for it.
pub fn build(plan: &Plan) -> StepGraph {
    let mut graph = StepGraph::new();
    // Steps per resource block address, by operation.
    let mut by_resource: HashMap<(String, Op), Vec<NodeIndex>> = HashMap::new();
    let mut deletes: HashMap<(String, DeleteKind), Vec<NodeIndex>> = HashMap::new();
    let mut steps_of_change: Vec<Vec<NodeIndex>> = Vec::new();
    for (index, change) in plan.resource_changes.iter().enumerate() {
        let ops: &[Op] = match change.action {
            Action::NoOp => &[],
            Action::Create => &[Op::Create],
            Action::Update => &[Op::Update],
            Action::Delete => &[Op::Delete],
            Action::DeleteThenCreate => &[Op::Delete, Op::Create],
            Action::CreateThenDelete => &[Op::Create, Op::Delete],
            Action::Read => &[Op::Read],
        };
        let nodes: Vec<NodeIndex> = ops
            .iter()
            .map(|&op| {
                let node = graph.add_node(Some(Step { change: index, op }));
                match op {
                    Op::Delete => {
                        let kind = match change.action {
                            Action::CreateThenDelete => DeleteKind::CreateThenDelete,
                            Action::DeleteThenCreate => DeleteKind::DeleteThenCreate,
                            _ => DeleteKind::Delete,
                        };
                        deletes
                            .entry((change.addr.resource(), kind))
                            .or_default()
                            .push(node);
                    }
                    // Creates, updates and reads are waited for together.
                    Op::Create | Op::Update | Op::Read => by_resource
                        .entry((change.addr.resource(), Op::Create))
                        .or_default()
                        .push(node),
                }
                node
            })
            .collect();
        // A replacement's two steps run in the order its action names.
        if let [first, second] = nodes[..] {
            graph.add_edge(first, second, ());
        }
        steps_of_change.push(nodes);
    }

    // One join per group that something waits for, made when first needed:
    // after the creates and updates of a resource, or before its deletes.
    let mut joins: HashMap<(String, Option<DeleteKind>), NodeIndex> = HashMap::new();
    let mut edges: HashSet<(NodeIndex, NodeIndex)> = HashSet::new();
    let mut join_after = |graph: &mut StepGraph, address: &str| {
        let steps = by_resource.get(&(address.to_string(), Op::Create))?;
        Some(
            *joins.entry((address.to_string(), None)).or_insert_with(|| {
                let join = graph.add_node(None);
                for &step in steps {
                    graph.add_edge(step, join, ());
                }
                join
            }),
        )
    };
    let mut joins_before: HashMap<(String, DeleteKind), NodeIndex> = HashMap::new();
    let mut join_before = |graph: &mut StepGraph, address: &str, kind: DeleteKind| {
        let steps = deletes.get(&(address.to_string(), kind))?;
        Some(
            *joins_before
                .entry((address.to_string(), kind))
                .or_insert_with(|| {
                    let join = graph.add_node(None);
                    for &step in steps {
                        graph.add_edge(join, step, ());
                    }
                    join
                }),
        )
    };
    for (index, change) in plan.resource_changes.iter().enumerate() {
        for &node in &steps_of_change[index] {
            let op = graph[node].expect("a step").op;
            for dependency in &change.dependencies {
                if matches!(op, Op::Create | Op::Update | Op::Read)
                    && let Some(join) = join_after(&mut graph, dependency)
                    && edges.insert((join, node))
                {
                    graph.add_edge(join, node, ());
                }
                // This instance lets go of its dependency before the
                // dependency is deleted. An update can only do so when the
                // dependency is deleted outright: when it is replaced, the
                // update must wait for the new object instead. Under
                // create_before_destroy the new object comes first, so
                // everything that moves to it does so before the old one is
                // deleted.
                let lets_go_of: &[DeleteKind] = match op {
                    Op::Delete => &[
                        DeleteKind::Delete,
                        DeleteKind::DeleteThenCreate,
                        DeleteKind::CreateThenDelete,
                    ],
                    Op::Update => &[DeleteKind::Delete, DeleteKind::CreateThenDelete],
                    Op::Create => &[DeleteKind::CreateThenDelete],
                    Op::Read => &[],
                };
                for &kind in lets_go_of {
                    if let Some(join) = join_before(&mut graph, dependency, kind)
                        && edges.insert((node, join))
                    {
                        graph.add_edge(node, join, ());
                    }
                }
            }
        }
    }
    graph
}

#[cfg(test)]
mod tests {
    use petgraph::algo::has_path_connecting;

    use super::*;
    use crate::addr::InstanceAddr;
    use crate::plan::ResourceChange;
    use crate::state::ResourceState;

    fn change(address: &str, action: Action, dependencies: &[&str]) -> ResourceChange {
        let prior = ResourceState {
            address: address.into(),
            type_name: address.split('.').next().unwrap().into(),
            id: String::new(),
            attributes: Default::default(),
            dependencies: dependencies.iter().map(|d| d.to_string()).collect(),
            provider: "aws".into(),
            sensitive_attributes: Vec::new(),
        };
        ResourceChange {
            action,
            ..ResourceChange::deletion(&prior, InstanceAddr::parse(address).unwrap())
        }
    }

    fn node(graph: &StepGraph, plan: &Plan, address: &str, op: Op) -> NodeIndex {
        graph
            .node_indices()
            .find(|&n| {
                graph[n].is_some_and(|s| {
                    s.op == op && plan.resource_changes[s.change].address == address
                })
            })
            .unwrap_or_else(|| panic!("no {op:?} step of {address}"))
    }

    /// A step's chain length counts the steps that wait on it, through
    /// joins, along the longest chain: the VPC heads vpc → subnet → route
    /// table, the lone security group only itself.
    #[test]
    fn chain_lengths_count_the_longest_chain_of_steps() {
        let plan = Plan {
            resource_changes: vec![
                change("aws_security_group.alone", Action::Create, &[]),
                change("aws_vpc.v", Action::Create, &[]),
                change("aws_subnet.a", Action::Create, &["aws_vpc.v"]),
                change("aws_subnet.b", Action::Create, &["aws_vpc.v"]),
                change("aws_route_table.r", Action::Create, &["aws_subnet.b"]),
            ],
            ..Plan::default()
        };
        let graph = build(&plan);
        let lengths = chain_lengths(&graph);
        let length = |address: &str| lengths[node(&graph, &plan, address, Op::Create).index()];
        assert_eq!(length("aws_vpc.v"), 3);
        assert_eq!(length("aws_subnet.a"), 1);
        assert_eq!(length("aws_subnet.b"), 2);
        assert_eq!(length("aws_security_group.alone"), 1);
    }

    /// Every subnet waits for every VPC of the block it names, through one
    /// join: m + n edges instead of m × n.
    #[test]
    fn dependents_wait_for_every_instance_through_one_join() {
        let mut changes: Vec<ResourceChange> = (0..30)
            .map(|i| change(&format!("aws_vpc.v[{i}]"), Action::Create, &[]))
            .collect();
        changes.extend((0..120).map(|i| {
            change(
                &format!("aws_subnet.s[{i}]"),
                Action::Create,
                &["aws_vpc.v"],
            )
        }));
        let plan = Plan {
            resource_changes: changes,
            ..Plan::default()
        };
        let graph = build(&plan);
        for i in [0, 17, 29] {
            for j in [0, 64, 119] {
                let vpc = node(&graph, &plan, &format!("aws_vpc.v[{i}]"), Op::Create);
                let subnet = node(&graph, &plan, &format!("aws_subnet.s[{j}]"), Op::Create);
                assert!(has_path_connecting(&graph, vpc, subnet, None));
                assert!(!has_path_connecting(&graph, subnet, vpc, None));
            }
        }
        assert_eq!(graph.edge_count(), 30 + 120);
        assert_eq!(graph.node_weights().flatten().count(), 150);
    }

    /// A data source read during apply waits for what it reads to be
    /// made, and what uses it waits for the read; it takes no part in
    /// deletes.
    #[test]
    fn a_read_runs_between_what_it_reads_and_what_uses_it() {
        let plan = Plan {
            resource_changes: vec![
                change("aws_iam_role.r", Action::Create, &[]),
                change("data.aws_iam_role.r", Action::Read, &["aws_iam_role.r"]),
                change(
                    "aws_iam_instance_profile.p",
                    Action::Create,
                    &["aws_iam_role.r", "data.aws_iam_role.r"],
                ),
                change("aws_vpc.old", Action::Delete, &[]),
            ],
            ..Plan::default()
        };
        let graph = build(&plan);
        let role = node(&graph, &plan, "aws_iam_role.r", Op::Create);
        let read = node(&graph, &plan, "data.aws_iam_role.r", Op::Read);
        let profile = node(&graph, &plan, "aws_iam_instance_profile.p", Op::Create);
        let old = node(&graph, &plan, "aws_vpc.old", Op::Delete);
        assert!(has_path_connecting(&graph, role, read, None));
        assert!(has_path_connecting(&graph, read, profile, None));
        assert!(!has_path_connecting(&graph, read, role, None));
        assert!(!has_path_connecting(&graph, read, old, None));
        assert!(!has_path_connecting(&graph, old, read, None));
    }

    /// Deletes run dependents first; an update lets go of a dependency
    /// deleted outright, and waits for the new object of one replaced
    /// create-first, before its old object goes.
    #[test]
    fn deletes_and_replacements_keep_their_order() {
        let plan = Plan {
            resource_changes: vec![
                change("aws_lb.old", Action::Delete, &[]),
                change("aws_lb.new", Action::CreateThenDelete, &[]),
                change("aws_lb.gone", Action::DeleteThenCreate, &[]),
                change("aws_subnet.s", Action::Delete, &["aws_vpc.v"]),
                change("aws_vpc.v", Action::Delete, &[]),
                change(
                    "aws_route53_record.a",
                    Action::Update,
                    &["aws_lb.old", "aws_lb.new", "aws_lb.gone"],
                ),
            ],
            ..Plan::default()
        };
        let graph = build(&plan);
        let path = |from, to| has_path_connecting(&graph, from, to, None);
        let subnet = node(&graph, &plan, "aws_subnet.s", Op::Delete);
        let vpc = node(&graph, &plan, "aws_vpc.v", Op::Delete);
        assert!(path(subnet, vpc) && !path(vpc, subnet));

        let record = node(&graph, &plan, "aws_route53_record.a", Op::Update);
        // Deleted outright: the record lets go first.
        assert!(path(record, node(&graph, &plan, "aws_lb.old", Op::Delete)));
        // Replaced create-first: the record moves to the new object, then
        // the old one goes.
        assert!(path(node(&graph, &plan, "aws_lb.new", Op::Create), record));
        assert!(path(record, node(&graph, &plan, "aws_lb.new", Op::Delete)));
        // Replaced delete-first: the record waits for the new object and
        // does not hold up the old one's delete.
        let gone_delete = node(&graph, &plan, "aws_lb.gone", Op::Delete);
        assert!(path(node(&graph, &plan, "aws_lb.gone", Op::Create), record));
        assert!(!path(record, gone_delete));
        assert!(petgraph::algo::toposort(&graph, None).is_ok());
    }
}
