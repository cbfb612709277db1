//! The dependency graph of a stack's blocks, built from their references.
//!
//! Nodes are variables, locals, resources (managed and data) and outputs; an
//! edge runs from what is referenced to what refers to it. The graph checks
//! that every reference names something declared and that there are no
//! cycles, and gives the order in which blocks are evaluated. Pure: no I/O.

use std::collections::{BTreeSet, HashMap};

use hcl_edit::structure::{Body, Structure};
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::diag::{Diagnostic, Diagnostics, FileId};
use crate::lang::load::did_you_mean;
use crate::lang::references::{Reference, Subject, references};
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
pub fn body_exprs(file: FileId, body: &Body) -> Vec<Expr> {
    let mut out = Vec::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => out.push(Expr {
                file,
                expr: attr.value.clone(),
            }),
            Structure::Block(block) => out.extend(body_exprs(file, &block.body)),
        }
    }
    out
}

/// The expressions a node's value depends on.
fn node_exprs(config: &Config, node: Node) -> Vec<Expr> {
    match node {
        Node::Variable(i) => config.variables[i].default.iter().cloned().collect(),
        Node::Local(i) => vec![config.locals[i].value.clone()],
        Node::Output(i) => vec![config.outputs[i].value.clone()],
        Node::Resource(i) => {
            let r = &config.resources[i];
            let mut exprs: Vec<Expr> = r.count.iter().chain(&r.for_each).cloned().collect();
            exprs.extend(r.depends_on.iter().cloned());
            exprs.extend(body_exprs(r.file, &r.body));
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
    let nodes = (0..config.variables.len())
        .map(Node::Variable)
        .chain((0..config.locals.len()).map(Node::Local))
        .chain((0..config.resources.len()).map(Node::Resource))
        .chain((0..config.outputs.len()).map(Node::Output));
    for node in nodes {
        index.insert(node, dag.add_node(node));
    }
    let resolver = Resolver::new(config);

    for (&node, &to) in &index {
        for expr in node_exprs(config, node) {
            let (refs, ref_diags) = references(&expr);
            diags.0.extend(ref_diags);
            for reference in refs {
                match resolver.resolve(node, &reference) {
                    Ok(Some(target)) => {
                        dag.update_edge(index[&target], to, ());
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
            report_cycles(config, &dag, &mut diags);
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

fn report_cycles(config: &Config, dag: &DiGraph<Node, ()>, diags: &mut Diagnostics) {
    for component in tarjan_scc(dag) {
        let self_loop = component.len() == 1 && dag.contains_edge(component[0], component[0]);
        if component.len() < 2 && !self_loop {
            continue;
        }
        // tarjan_scc yields members in reverse order; present them in
        // dependency order and close the loop.
        let mut names: Vec<String> = component
            .iter()
            .rev()
            .map(|&i| node_name(config, dag[i]))
            .collect();
        let first = names[0].clone();
        names.push(first);
        let span = match dag[*component.last().expect("non-empty")] {
            Node::Resource(i) => Some(config.resources[i].span.clone()),
            Node::Local(i) => Some(config.locals[i].span.clone()),
            Node::Output(i) => Some(config.outputs[i].span.clone()),
            Node::Variable(i) => Some(config.variables[i].span.clone()),
        };
        diags.push(
            Diagnostic::error(format!("Dependency cycle: {}", names.join(" → ")))
                .with_span(span)
                .with_hint("break the cycle by removing one of these references"),
        );
    }
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
                diags.push(
                    Diagnostic::error("Invalid `depends_on` entry")
                        .with_span(entry.span())
                        .with_hint("list resources, e.g. depends_on = [aws_internet_gateway.main]"),
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
                None => Err(undeclared(
                    "input variable",
                    &format!("var.{name}"),
                    name,
                    self.variables.keys().copied().collect(),
                    span,
                )
                .with_hint(format!("declare it with `variable \"{name}\" {{}}`"))),
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
            Subject::Path => Ok(None),
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
