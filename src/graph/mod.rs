//! The dependency graph of a stack's blocks, built from their references.
//!
//! Nodes are variables, locals, resources (managed and data), outputs and
//! module calls; an edge runs from what is referenced to what refers to it.
//! References resolve within the module instance that writes them: a
//! module's variables take their values from its call's arguments, written
//! in the caller, and `module.<name>.<output>` reaches into a called
//! module's outputs. Everything in a module instance also waits for its
//! call (its `depends_on`, `count` and `for_each`). The graph checks
//! that every reference names something declared and that there are no
//! cycles, and gives the order in which blocks are evaluated. Pure: no I/O.

use std::collections::{BTreeSet, HashMap, HashSet};

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
    /// A `module` block (one copy per instance of the module holding it).
    Call(usize),
    /// A `check` block.
    Check(usize),
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

/// An expression a node depends on, and where its references resolve.
struct Site {
    expr: Expr,
    /// Names enclosing `dynamic` blocks bind around it (their iterators).
    bound: Vec<String>,
    /// The module instance whose names it sees.
    module: usize,
    /// Whether `count.index` / `each` are available.
    count: bool,
    for_each: bool,
    /// A variable's default: may not refer to anything.
    constant: bool,
    /// A `depends_on` entry: a module named there stands for every
    /// resource in it, not just its outputs.
    depends_on: bool,
}

impl Site {
    fn new(expr: Expr, module: usize) -> Site {
        Site {
            expr,
            bound: Vec::new(),
            module,
            count: false,
            for_each: false,
            constant: false,
            depends_on: false,
        }
    }
}

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
fn node_sites(config: &Config, node: Node) -> Vec<Site> {
    match node {
        Node::Variable(i) => {
            let variable = &config.variables[i];
            let instance = &config.modules[variable.module];
            // A module's variable takes its call's argument, written in the caller.
            if let Some(call) = instance.call.map(|c| &config.calls[c])
                && let Some((_, input)) = call.inputs.iter().find(|(n, _)| n == &variable.name)
            {
                return vec![Site {
                    count: call.count.is_some(),
                    for_each: call.for_each.is_some(),
                    ..Site::new(input.clone(), call.module)
                }];
            }
            variable
                .default
                .iter()
                .map(|d| Site {
                    constant: true,
                    ..Site::new(d.clone(), variable.module)
                })
                .collect()
        }
        Node::Local(i) => {
            let local = &config.locals[i];
            vec![Site::new(local.value.clone(), local.module)]
        }
        Node::Output(i) => {
            let output = &config.outputs[i];
            vec![Site::new(output.value.clone(), output.module)]
        }
        Node::Check(i) => {
            let check = &config.checks[i];
            check
                .assertions
                .iter()
                .flat_map(|a| [a.condition.clone(), a.error_message.clone()])
                .map(|e| Site::new(e, check.module))
                .collect()
        }
        Node::Call(i) => {
            let call = &config.calls[i];
            let mut sites: Vec<Site> = call
                .count
                .iter()
                .chain(&call.for_each)
                .map(|e| Site::new(e.clone(), call.module))
                .collect();
            sites.extend(call.depends_on.iter().map(|e| Site {
                depends_on: true,
                ..Site::new(e.clone(), call.module)
            }));
            sites
        }
        Node::Resource(i) => {
            let r = &config.resources[i];
            let site = |expr: Expr, bound: Vec<String>| Site {
                bound,
                count: r.count.is_some(),
                for_each: r.for_each.is_some(),
                ..Site::new(expr, r.module)
            };
            let mut sites: Vec<Site> = r
                .count
                .iter()
                .chain(&r.for_each)
                .map(|e| site(e.clone(), Vec::new()))
                .collect();
            sites.extend(r.depends_on.iter().map(|e| Site {
                depends_on: true,
                ..site(e.clone(), Vec::new())
            }));
            sites.extend(
                r.lifecycle
                    .preconditions
                    .iter()
                    .flat_map(|p| [p.condition.clone(), p.error_message.clone()])
                    .map(|e| site(e, Vec::new())),
            );
            // A postcondition's `self` is the instance itself.
            sites.extend(
                r.lifecycle
                    .postconditions
                    .iter()
                    .flat_map(|p| [p.condition.clone(), p.error_message.clone()])
                    .map(|e| site(e, vec!["self".to_string()])),
            );
            sites.extend(
                r.lifecycle
                    .replace_triggered_by
                    .iter()
                    .map(|e| site(e.clone(), Vec::new())),
            );
            sites.extend(
                body_exprs(r.file, &r.body, &[])
                    .into_iter()
                    .map(|(e, bound)| site(e, bound)),
            );
            sites
        }
    }
}

/// The module instance a node belongs to.
fn node_module(config: &Config, node: Node) -> usize {
    match node {
        Node::Variable(i) => config.variables[i].module,
        Node::Local(i) => config.locals[i].module,
        Node::Resource(i) => config.resources[i].module,
        Node::Output(i) => config.outputs[i].module,
        Node::Call(i) => config.calls[i].module,
        Node::Check(i) => config.checks[i].module,
    }
}

fn node_name(config: &Config, node: Node) -> String {
    let local = match node {
        Node::Variable(i) => format!("var.{}", config.variables[i].name),
        Node::Local(i) => format!("local.{}", config.locals[i].name),
        Node::Resource(i) => return config.resources[i].address(),
        Node::Output(i) => format!("output.{}", config.outputs[i].name),
        Node::Call(i) => format!("module.{}", config.calls[i].name),
        Node::Check(i) => format!("check.{}", config.checks[i].name),
    };
    let module = &config.modules[node_module(config, node)].path;
    if module.is_root() {
        local
    } else {
        format!("{module}.{local}")
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
        .chain((0..config.calls.len()).map(Node::Call))
        .chain((0..config.checks.len()).map(Node::Check))
        .collect();
    for &node in &nodes {
        index.insert(node, dag.add_node(node));
    }
    let resolver = Resolver::new(config);
    // Where each edge's first reference is written, to point cycle reports at.
    let mut reference_spans: HashMap<(NodeIndex, NodeIndex), Span> = HashMap::new();
    // Edges already added. petgraph's `update_edge` walks the source's
    // outgoing edges to find a duplicate, which is quadratic for a node
    // many depend on (a module call with thousands of instances).
    let mut edges: HashSet<(NodeIndex, NodeIndex)> = HashSet::new();
    let mut add_edge = |dag: &mut DiGraph<Node, ()>, from: NodeIndex, to: NodeIndex| {
        if edges.insert((from, to)) {
            dag.add_edge(from, to, ());
        }
    };

    for &node in &nodes {
        let to = index[&node];
        // Everything in a module instance waits for the call that made it.
        if let Some(call) = config.modules[node_module(config, node)].call {
            add_edge(&mut dag, index[&Node::Call(call)], to);
        }
        for site in node_sites(config, node) {
            let (refs, ref_diags) = references_within(&site.expr, &site.bound);
            diags.0.extend(ref_diags);
            for reference in refs {
                match resolver.resolve(&site, &reference) {
                    Ok(targets) => {
                        for target in targets {
                            if target == node {
                                diags.push(
                                    Diagnostic::error("Self-referential block")
                                        .with_span(Some(reference.span.clone()))
                                        .with_detail(format!(
                                            "{} may not refer to itself.",
                                            node_name(config, node)
                                        )),
                                );
                                continue;
                            }
                            let from = index[&target];
                            add_edge(&mut dag, from, to);
                            reference_spans
                                .entry((from, to))
                                .or_insert(reference.span.clone());
                        }
                    }
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
        .map(|i| resource_dependencies(config, &dag, index[&Node::Resource(i)]))
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
/// variables but stopping at the first managed resource on each path. A
/// data source is a dependency and is looked through too: one computed
/// during apply (a policy document naming a new bucket's ARN) must wait for
/// what it reads, and so must whatever uses it.
fn resource_dependencies(
    config: &Config,
    dag: &DiGraph<Node, ()>,
    start: NodeIndex,
) -> BTreeSet<usize> {
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
                    if config.resources[i].mode == Mode::Data {
                        stack.push(source);
                    }
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
        Node::Call(i) => config.calls[i].span.clone(),
        Node::Check(i) => config.checks[i].span.clone(),
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

/// `depends_on` entries must be plain references to resources or modules.
fn check_depends_on(config: &Config, diags: &mut Diagnostics) {
    let entries = config
        .resources
        .iter()
        .flat_map(|r| &r.depends_on)
        .chain(config.calls.iter().flat_map(|c| &c.depends_on));
    for entry in entries {
        let (refs, _) = references(entry);
        let is_resource = matches!(
            refs.as_slice(),
            [Reference {
                subject: Subject::Resource { .. } | Subject::Module { .. },
                ..
            }]
        );
        if !is_resource {
            let hint = match &entry.expr {
                // A quoted address: the reference is right, the quotes are not.
                Expression::String(address) => {
                    format!("write the reference without quotes: {}", address.value())
                }
                _ => "list resources or modules, e.g. depends_on = [aws_internet_gateway.main]"
                    .into(),
            };
            diags.push(
                Diagnostic::error("Invalid `depends_on` entry")
                    .with_span(entry.span())
                    .with_hint(hint),
            );
        }
    }
}

/// Resolves references to nodes, reporting undeclared names. Names are
/// looked up in the module instance the reference is written in.
struct Resolver<'a> {
    config: &'a Config,
    variables: HashMap<(usize, &'a str), usize>,
    locals: HashMap<(usize, &'a str), usize>,
    resources: HashMap<(usize, Mode, &'a str, &'a str), usize>,
    calls: HashMap<(usize, &'a str), usize>,
    outputs: HashMap<(usize, &'a str), usize>,
    /// Each module instance's outputs, resources and child instances, by
    /// instance index: `module.<name>` and `depends_on = [module.<name>]`
    /// look them up instead of scanning every output or resource.
    outputs_of: Vec<Vec<usize>>,
    resources_of: Vec<Vec<usize>>,
    children_of: Vec<Vec<usize>>,
}

impl<'a> Resolver<'a> {
    fn new(config: &'a Config) -> Resolver<'a> {
        fn table<'c, T>(
            items: &'c [T],
            key: impl Fn(&'c T) -> (usize, &'c str),
        ) -> HashMap<(usize, &'c str), usize> {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| (key(item), i))
                .collect()
        }
        fn by_module(count: usize, modules: impl Iterator<Item = usize>) -> Vec<Vec<usize>> {
            let mut of = vec![Vec::new(); count];
            for (i, module) in modules.enumerate() {
                of[module].push(i);
            }
            of
        }
        let modules = config.modules.len();
        let mut children_of = vec![Vec::new(); modules];
        for (i, instance) in config.modules.iter().enumerate() {
            if let Some(call) = instance.call {
                children_of[config.calls[call].module].push(i);
            }
        }
        Resolver {
            config,
            outputs_of: by_module(modules, config.outputs.iter().map(|o| o.module)),
            resources_of: by_module(modules, config.resources.iter().map(|r| r.module)),
            children_of,
            variables: table(&config.variables, |v| (v.module, v.name.as_str())),
            locals: table(&config.locals, |l| (l.module, l.name.as_str())),
            calls: table(&config.calls, |c| (c.module, c.name.as_str())),
            outputs: table(&config.outputs, |o| (o.module, o.name.as_str())),
            resources: config
                .resources
                .iter()
                .enumerate()
                .map(|(i, r)| ((r.module, r.mode, r.type_name.as_str(), r.name.as_str()), i))
                .collect(),
        }
    }

    fn names<'t>(table: &'t HashMap<(usize, &'a str), usize>, module: usize) -> Vec<&'a str> {
        table
            .keys()
            .filter(|(m, _)| *m == module)
            .map(|(_, name)| *name)
            .collect()
    }

    fn resolve(&self, site: &Site, reference: &Reference) -> Result<Vec<Node>, Diagnostic> {
        let span = Some(reference.span.clone());
        if site.constant {
            return Err(Diagnostic::error("Variables may not refer to other values")
                .with_span(span)
                .with_hint("a variable's default must be a constant; use a local value instead"));
        }
        let module = site.module;
        match &reference.subject {
            Subject::Variable(name) => match self.variables.get(&(module, name.as_str())) {
                Some(&i) => Ok(vec![Node::Variable(i)]),
                None => {
                    let diag = undeclared(
                        "input variable",
                        &format!("var.{name}"),
                        name,
                        Self::names(&self.variables, module),
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
            Subject::Local(name) => match self.locals.get(&(module, name.as_str())) {
                Some(&i) => Ok(vec![Node::Local(i)]),
                None => Err(undeclared(
                    "local value",
                    &format!("local.{name}"),
                    name,
                    Self::names(&self.locals, module),
                    span,
                )),
            },
            Subject::Resource {
                mode,
                type_name,
                name,
            } => match self
                .resources
                .get(&(module, *mode, type_name.as_str(), name.as_str()))
            {
                Some(&i) => Ok(vec![Node::Resource(i)]),
                None => {
                    let candidates: Vec<&str> = self
                        .resources
                        .keys()
                        .filter(|(m, md, t, _)| *m == module && md == mode && t == type_name)
                        .map(|(_, _, _, n)| *n)
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
            Subject::Module { name, output } => {
                let mut targets = self.module_outputs(module, name, output, span)?;
                if site.depends_on {
                    targets.extend(self.module_resources(module, name));
                }
                Ok(targets)
            }
            Subject::CountIndex | Subject::Each => {
                self.check_repetition(site, &reference.subject, span)
            }
            Subject::Path | Subject::Workspace => Ok(Vec::new()),
        }
    }

    /// `module.<name>[.<output>]`: the call, and the named output (or all
    /// outputs) of each of its instances.
    fn module_outputs(
        &self,
        module: usize,
        name: &str,
        output: &Option<String>,
        span: Option<Span>,
    ) -> Result<Vec<Node>, Diagnostic> {
        let Some(&call) = self.calls.get(&(module, name)) else {
            return Err(undeclared(
                "module call",
                &format!("module.{name}"),
                name,
                Self::names(&self.calls, module),
                span,
            ));
        };
        let mut targets = vec![Node::Call(call)];
        for &instance in self.config.calls[call].instances.iter().flatten() {
            let before = targets.len();
            match output {
                Some(output) => targets.extend(
                    self.outputs
                        .get(&(instance, output.as_str()))
                        .map(|&i| Node::Output(i)),
                ),
                None => targets.extend(self.outputs_of[instance].iter().map(|&i| Node::Output(i))),
            }
            if let Some(output) = output
                && targets.len() == before
            {
                let declared = Self::names(&self.outputs, instance);
                return Err(undeclared(
                    "module output",
                    &format!("module.{name}.{output}"),
                    output,
                    declared,
                    span,
                )
                .with_detail(format!(
                    "the module {:?} declares no output {output:?}",
                    self.config.calls[call].source
                )));
            }
        }
        Ok(targets)
    }

    /// Every resource inside the instances of the call `name` (nested
    /// modules included), for `depends_on = [module.<name>]`.
    fn module_resources(&self, module: usize, name: &str) -> Vec<Node> {
        let Some(&call) = self.calls.get(&(module, name)) else {
            return Vec::new();
        };
        let mut instances: Vec<usize> = self.config.calls[call]
            .instances
            .iter()
            .flatten()
            .copied()
            .collect();
        let mut resources = Vec::new();
        while let Some(instance) = instances.pop() {
            resources.extend_from_slice(&self.resources_of[instance]);
            instances.extend_from_slice(&self.children_of[instance]);
        }
        resources.sort_unstable();
        resources.into_iter().map(Node::Resource).collect()
    }

    /// `count.index` only inside blocks with `count`; `each` only with `for_each`.
    fn check_repetition(
        &self,
        site: &Site,
        subject: &Subject,
        span: Option<Span>,
    ) -> Result<Vec<Node>, Diagnostic> {
        let (word, needs, allowed) = match subject {
            Subject::CountIndex => ("count.index", "count", site.count),
            _ => ("each", "for_each", site.for_each),
        };
        if allowed {
            Ok(Vec::new())
        } else {
            Err(
                Diagnostic::error(format!("`{word}` used outside a resource with `{needs}`"))
                    .with_span(span)
                    .with_hint(format!(
                        "`{word}` is only available in resources and modules that set `{needs}`"
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
    span: Option<Span>,
) -> Diagnostic {
    let diag =
        Diagnostic::error(format!("Reference to undeclared {what} {written}")).with_span(span);
    match did_you_mean(name, &candidates) {
        Some(close) => diag.with_hint(format!("did you mean {close:?}?")),
        None => diag,
    }
}
