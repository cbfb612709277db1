//! The dependency graph of a stack's blocks, built from their references.
//!
//! Nodes are variables, locals, resources (managed and data) and outputs; an
//! edge runs from what is referenced to what refers to it. The graph checks
//! that every reference names something declared and that there are no
//! cycles, and gives the order in which blocks are evaluated. Pure: no I/O.

use std::collections::{BTreeSet, HashMap};

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Body, Structure};
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::diag::did_you_mean;
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::lang::body::Dynamic;
use crate::lang::references::{Reference, Subject, references, references_within};
use crate::lang::{Config, Expr, Mode};

/// A block of the configuration, by its index in the `Config` vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    Variable(usize),
    Local(usize),
    Resource(usize),
    Output(usize),
}

pub struct Graph {
    pub dag: DiGraph<Node, ()>,
    /// Every node, dependencies before dependents.
    pub order: Vec<Node>,
    /// For each resource (by index), the resources it depends on directly or
    /// through locals, as indices. Recorded in state to order deletions.
    pub resource_deps: Vec<BTreeSet<usize>>,
}

impl Graph {
    /// The graph in Graphviz DOT: resources and their dependencies.
    pub fn to_dot(&self, config: &Config) -> String {
        let mut out = String::from("digraph terrane {\n  rankdir = \"RL\";\n");
        for resource in &config.resources {
            out.push_str(&format!("  \"{}\";\n", resource.address()));
        }
        for (index, deps) in self.resource_deps.iter().enumerate() {
            for dep in deps {
                out.push_str(&format!(
                    "  \"{}\" -> \"{}\";\n",
                    config.resources[index].address(),
                    config.resources[*dep].address()
                ));
            }
        }
        out.push_str("}\n");
        out
    }
}

/// Every expression in a body, nested blocks included.
/// Every expression in a body, each with the names that enclosing `dynamic`
/// blocks bind around it (their iterators).
fn body_exprs(file: FileId, body: &Body, bound: &[String]) -> Vec<(Expr, Vec<String>)> {
    let mut out = Vec::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => out.push((
                Expr {
                    file,
                    expr: attr.value.clone(),
                },
                bound.to_vec(),
            )),
            Structure::Block(block) if block.ident.as_str() == "dynamic" => {
                let Some(dynamic) = Dynamic::read(block) else {
                    continue; // reported by the loader
                };
                if let Some(for_each) = dynamic.for_each {
                    out.push((
                        Expr {
                            file,
                            expr: for_each.value.clone(),
                        },
                        bound.to_vec(),
                    ));
                }
                if let Some(content) = dynamic.content {
                    let mut inner = bound.to_vec();
                    inner.push(dynamic.iterator.clone());
                    out.extend(body_exprs(file, &content.body, &inner));
                }
            }
            Structure::Block(block) => out.extend(body_exprs(file, &block.body, bound)),
        }
    }
    out
}

/// The expressions a node's value depends on.
/// Each comes with the names bound around it (see `body_exprs`).
fn node_exprs(config: &Config, node: Node) -> Vec<(Expr, Vec<String>)> {
    let unscoped = |exprs: Vec<Expr>| exprs.into_iter().map(|e| (e, Vec::new())).collect();
    match node {
        Node::Variable(i) => unscoped(config.variables[i].default.iter().cloned().collect()),
        Node::Local(i) => unscoped(vec![config.locals[i].value.clone()]),
        Node::Output(i) => unscoped(vec![config.outputs[i].value.clone()]),
        Node::Resource(i) => {
            let r = &config.resources[i];
            let mut exprs: Vec<(Expr, Vec<String>)> = unscoped(
                r.count
                    .iter()
                    .chain(&r.for_each)
                    .chain(&r.depends_on)
                    .cloned()
                    .collect(),
            );
            exprs.extend(body_exprs(r.file, &r.body, &[]));
            exprs
        }
    }
}

fn node_name(config: &Config, node: Node) -> String {
    match node {
        Node::Variable(i) => format!("var.{}", config.variables[i].name),
        Node::Local(i) => format!("local.{}", config.locals[i].name),
        Node::Resource(i) => config.resources[i].address(),
        Node::Output(i) => format!("output.{}", config.outputs[i].name),
    }
}

pub fn build(config: &Config) -> (Graph, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut dag = DiGraph::new();
    let mut index: HashMap<Node, NodeIndex> = HashMap::new();
    // Declaration order, so that diagnostics come out in a stable order.
    let nodes: Vec<Node> = (0..config.variables.len())
        .map(Node::Variable)
        .chain((0..config.locals.len()).map(Node::Local))
        .chain((0..config.resources.len()).map(Node::Resource))
        .chain((0..config.outputs.len()).map(Node::Output))
        .collect();
    for &node in &nodes {
        index.insert(node, dag.add_node(node));
    }
    let resolver = Resolver::new(config);
    // Where each edge's first reference is written, to point cycle reports at.
    let mut reference_spans: HashMap<(NodeIndex, NodeIndex), Span> = HashMap::new();

    for &node in &nodes {
        let to = index[&node];
        for (expr, bound) in node_exprs(config, node) {
            let (refs, ref_diags) = references_within(&expr, &bound);
            diags.0.extend(ref_diags);
            for reference in refs {
                match resolver.resolve(node, &reference) {
                    Ok(Some(target)) if target == node => {
                        diags.push(
                            Diagnostic::error("Self-referential block")
                                .with_span(Some(reference.span))
                                .with_detail(format!(
                                    "{} may not refer to itself.",
                                    node_name(config, node)
                                )),
                        );
                    }
                    Ok(Some(target)) => {
                        let from = index[&target];
                        dag.update_edge(from, to, ());
                        reference_spans.entry((from, to)).or_insert(reference.span);
                    }
                    Ok(None) => {}
                    Err(diag) => diags.push(diag),
                }
            }
        }
    }
    check_depends_on(config, &mut diags);

    let order = match toposort(&dag, None) {
        Ok(sorted) => sorted.into_iter().map(|i| dag[i]).collect(),
        Err(_) => {
            report_cycles(config, &dag, &reference_spans, &mut diags);
            Vec::new()
        }
    };
    let resource_deps = (0..config.resources.len())
        .map(|i| resource_dependencies(&dag, index[&Node::Resource(i)]))
        .collect();
    (
        Graph {
            dag,
            order,
            resource_deps,
        },
        diags,
    )
}

/// Resources reachable backwards from `start`, looking through locals and
/// variables but stopping at the first resource on each path.
fn resource_dependencies(dag: &DiGraph<Node, ()>, start: NodeIndex) -> BTreeSet<usize> {
    let mut found = BTreeSet::new();
    let mut stack: Vec<NodeIndex> = vec![start];
    let mut seen = BTreeSet::new();
    while let Some(at) = stack.pop() {
        for edge in dag.edges_directed(at, petgraph::Direction::Incoming) {
            let source = edge.source();
            if !seen.insert(source) {
                continue;
            }
            match dag[source] {
                Node::Resource(i) if source != start => {
                    found.insert(i);
                }
                Node::Resource(_) => {}
                _ => stack.push(source),
            }
        }
    }
    found
}

/// Reports each cycle once, as a path of references from the member declared
/// first back to itself, pointing at the reference that starts it.
fn report_cycles(
    config: &Config,
    dag: &DiGraph<Node, ()>,
    reference_spans: &HashMap<(NodeIndex, NodeIndex), Span>,
    diags: &mut Diagnostics,
) {
    let mut cycles: Vec<(Span, Diagnostic)> = Vec::new();
    for component in tarjan_scc(dag) {
        // Self-references never become edges, so every cycle has two members.
        if component.len() < 2 {
            continue;
        }
        let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
        let start = *component
            .iter()
            .min_by_key(|&&i| source_order(config, dag[i]))
            .expect("a component has members");
        let path = shortest_cycle(config, dag, &members, start);
        let mut names: Vec<String> = path.iter().map(|&i| node_name(config, dag[i])).collect();
        names.push(node_name(config, dag[start]));
        // The first step: `start` refers to `path[1]`, an edge path[1] -> start.
        let span = path
            .get(1)
            .and_then(|&next| reference_spans.get(&(next, start)))
            .cloned()
            .unwrap_or_else(|| declared_at(config, dag[start]));
        let mut diag = Diagnostic::error(format!("Dependency cycle: {}", names.join(" → ")))
            .with_span(Some(span.clone()))
            .with_hint(
                "each refers to the next; remove one of these references to break the cycle",
            );
        let others: Vec<String> = members
            .iter()
            .filter(|i| !path.contains(i))
            .map(|&i| node_name(config, dag[i]))
            .collect();
        if !others.is_empty() {
            diag = diag.with_detail(format!("Also in the cycle: {}", others.join(", ")));
        }
        cycles.push((span, diag));
    }
    cycles.sort_by_key(|(span, _)| (span.file, span.range.start));
    diags.0.extend(cycles.into_iter().map(|(_, diag)| diag));
}

/// Where a node is declared: its block header or local name.
fn declared_at(config: &Config, node: Node) -> Span {
    match node {
        Node::Resource(i) => config.resources[i].span.clone(),
        Node::Local(i) => config.locals[i].span.clone(),
        Node::Output(i) => config.outputs[i].span.clone(),
        Node::Variable(i) => config.variables[i].span.clone(),
    }
}

/// Sorts nodes as they are written in the stack's files.
fn source_order(config: &Config, node: Node) -> (FileId, usize) {
    let span = declared_at(config, node);
    (span.file, span.range.start)
}

/// The shortest path of references from `start` back to itself within one
/// strongly connected component, without the closing `start`.
fn shortest_cycle(
    config: &Config,
    dag: &DiGraph<Node, ()>,
    members: &BTreeSet<NodeIndex>,
    start: NodeIndex,
) -> Vec<NodeIndex> {
    // Breadth-first along "refers to", i.e. against the edges.
    let mut came_from: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(at) = queue.pop_front() {
        let mut referenced: Vec<NodeIndex> = dag
            .edges_directed(at, petgraph::Direction::Incoming)
            .map(|edge| edge.source())
            .filter(|source| members.contains(source))
            .collect();
        referenced.sort_by_key(|&i| source_order(config, dag[i]));
        for next in referenced {
            if next == start {
                let mut path = vec![at];
                while let Some(&previous) = came_from.get(path.last().expect("non-empty")) {
                    path.push(previous);
                }
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = came_from.entry(next) {
                slot.insert(at);
                queue.push_back(next);
            }
        }
    }
    // Unreachable for a strongly connected component; fall back to its members.
    members.iter().copied().collect()
}

/// `depends_on` entries must be plain references to resources.
fn check_depends_on(config: &Config, diags: &mut Diagnostics) {
    for resource in &config.resources {
        for entry in &resource.depends_on {
            let (refs, _) = references(entry);
            let is_resource = matches!(
                refs.as_slice(),
                [Reference {
                    subject: Subject::Resource { .. },
                    ..
                }]
            );
            if !is_resource {
                let hint = match &entry.expr {
                    // A quoted address: the reference is right, the quotes are not.
                    Expression::String(address) => {
                        format!("write the reference without quotes: {}", address.value())
                    }
                    _ => "list resources, e.g. depends_on = [aws_internet_gateway.main]".into(),
                };
                diags.push(
                    Diagnostic::error("Invalid `depends_on` entry")
                        .with_span(entry.span())
                        .with_hint(hint),
                );
            }
        }
    }
}

/// Resolves references to nodes, reporting undeclared names.
struct Resolver<'a> {
    config: &'a Config,
    variables: HashMap<&'a str, usize>,
    locals: HashMap<&'a str, usize>,
    resources: HashMap<(Mode, &'a str, &'a str), usize>,
}

impl<'a> Resolver<'a> {
    fn new(config: &'a Config) -> Resolver<'a> {
        Resolver {
            config,
            variables: config
                .variables
                .iter()
                .enumerate()
                .map(|(i, v)| (v.name.as_str(), i))
                .collect(),
            locals: config
                .locals
                .iter()
                .enumerate()
                .map(|(i, l)| (l.name.as_str(), i))
                .collect(),
            resources: config
                .resources
                .iter()
                .enumerate()
                .map(|(i, r)| ((r.mode, r.type_name.as_str(), r.name.as_str()), i))
                .collect(),
        }
    }

    fn resolve(&self, from: Node, reference: &Reference) -> Result<Option<Node>, Diagnostic> {
        let span = Some(reference.span.clone());
        if let Node::Variable(_) = from {
            return Err(Diagnostic::error("Variables may not refer to other values")
                .with_span(span)
                .with_hint("a variable's default must be a constant; use a local value instead"));
        }
        match &reference.subject {
            Subject::Variable(name) => match self.variables.get(name.as_str()) {
                Some(&i) => Ok(Some(Node::Variable(i))),
                None => {
                    let diag = undeclared(
                        "input variable",
                        &format!("var.{name}"),
                        name,
                        self.variables.keys().copied().collect(),
                        span,
                    );
                    // A likely misspelling says more than how to declare it.
                    Err(match diag.hint {
                        Some(_) => diag,
                        None => {
                            diag.with_hint(format!("declare it with `variable \"{name}\" {{}}`"))
                        }
                    })
                }
            },
            Subject::Local(name) => match self.locals.get(name.as_str()) {
                Some(&i) => Ok(Some(Node::Local(i))),
                None => Err(undeclared(
                    "local value",
                    &format!("local.{name}"),
                    name,
                    self.locals.keys().copied().collect(),
                    span,
                )),
            },
            Subject::Resource {
                mode,
                type_name,
                name,
            } => match self
                .resources
                .get(&(*mode, type_name.as_str(), name.as_str()))
            {
                Some(&i) => Ok(Some(Node::Resource(i))),
                None => {
                    let candidates: Vec<&str> = self
                        .resources
                        .keys()
                        .filter(|(m, t, _)| m == mode && t == type_name)
                        .map(|(_, _, n)| *n)
                        .collect();
                    Err(undeclared(
                        if *mode == Mode::Data {
                            "data source"
                        } else {
                            "resource"
                        },
                        &reference.subject.display(),
                        name,
                        candidates,
                        span,
                    ))
                }
            },
            Subject::CountIndex | Subject::Each => {
                self.check_repetition(from, &reference.subject, span)
            }
            Subject::Path | Subject::Workspace => Ok(None),
        }
    }

    /// `count.index` only inside resources with `count`; `each` only with `for_each`.
    fn check_repetition(
        &self,
        from: Node,
        subject: &Subject,
        span: Option<crate::diag::Span>,
    ) -> Result<Option<Node>, Diagnostic> {
        let (word, needs) = match subject {
            Subject::CountIndex => ("count.index", "count"),
            _ => ("each", "for_each"),
        };
        let allowed = match from {
            Node::Resource(i) => {
                let r = &self.config.resources[i];
                if needs == "count" {
                    r.count.is_some()
                } else {
                    r.for_each.is_some()
                }
            }
            _ => false,
        };
        if allowed {
            Ok(None)
        } else {
            Err(
                Diagnostic::error(format!("`{word}` used outside a resource with `{needs}`"))
                    .with_span(span)
                    .with_hint(format!(
                        "`{word}` is only available in resources that set `{needs}`"
                    )),
            )
        }
    }
}

fn undeclared(
    what: &str,
    written: &str,
    name: &str,
    candidates: Vec<&str>,
    span: Option<crate::diag::Span>,
) -> Diagnostic {
    let diag =
        Diagnostic::error(format!("Reference to undeclared {what} {written}")).with_span(span);
    match did_you_mean(name, &candidates) {
        Some(close) => diag.with_hint(format!("did you mean {close:?}?")),
        None => diag,
    }
}
