//! Editing state by address, without I/O: finding the instances an
//! address names and moving instances, resources and whole modules to new
//! addresses (`state mv`, `state rm` and `moved` blocks use these).

use crate::addr::{AddressPattern, InstanceAddr, InstanceKey, ModulePath};
use crate::diag::Diagnostic;

use super::State;

/// Why an edit was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct EditError {
    pub message: String,
    pub hint: Option<String>,
    /// Nothing in state is at the source address (a `moved` block whose
    /// move has already been made is skipped for this).
    pub no_match: bool,
}

impl EditError {
    fn new(message: String) -> EditError {
        EditError {
            message,
            hint: None,
            no_match: false,
        }
    }

    fn no_match(message: String) -> EditError {
        EditError {
            no_match: true,
            ..EditError::new(message)
        }
    }

    pub fn into_diagnostic(self) -> Diagnostic {
        let diag = Diagnostic::error(self.message);
        match self.hint {
            Some(hint) => diag.with_hint(hint),
            None => diag,
        }
    }
}

/// Moves what `source` names to `destination`: one instance, a whole
/// resource with its instances (keys kept), or everything inside a module
/// instance (`module.a` to `module.b["x"]`). Dependencies follow.
pub fn move_address(
    state: &mut State,
    source: &str,
    destination: &str,
) -> Result<Vec<(String, String)>, EditError> {
    if let (Some(from), Some(to)) = (ModulePath::parse(source), ModulePath::parse(destination))
        && !from.is_root()
        && !to.is_root()
    {
        return move_module(state, &from, &to);
    }
    let from = parse_address(source)?;
    let to = parse_address(destination)?;
    move_instances(state, &from, &to)
}

/// Instances named by an address: the instance itself, every instance of
/// a resource when the address has no key, or every instance inside a
/// module (`module.web` names all of its instances' resources,
/// `module.web["blue"]` one instance's).
pub fn matching(state: &State, address: &str) -> Vec<String> {
    if state.resource(address).is_some() {
        return vec![address.to_string()];
    }
    let Some(pattern) = AddressPattern::parse(address) else {
        return Vec::new();
    };
    state
        .resources
        .iter()
        .filter(|r| InstanceAddr::parse(&r.address).is_some_and(|a| pattern.matches(&a)))
        .map(|r| r.address.clone())
        .collect()
}

/// Where `path` goes when the module `from` moves to `to`, if it is inside
/// `from`. When neither names an instance key (`module.a` to `module.b`),
/// every instance moves, keeping its key; otherwise exactly the instance
/// named (`module.a` to `module.a["x"]` moves the instance without a key).
fn rebase(path: &ModulePath, from: &ModulePath, to: &ModulePath) -> Option<ModulePath> {
    let n = from.0.len();
    if n == 0 || path.0.len() < n {
        return None;
    }
    let last_unkeyed = |p: &ModulePath| p.0.last().is_some_and(|(_, k)| *k == InstanceKey::None);
    let keeps_keys = last_unkeyed(from) && last_unkeyed(to);
    let mut steps = to.0.clone();
    if keeps_keys {
        if path.0[..n - 1] != from.0[..n - 1] || path.0[n - 1].0 != from.0[n - 1].0 {
            return None;
        }
        if let Some(last) = steps.last_mut() {
            last.1 = path.0[n - 1].1.clone();
        }
    } else if path.0[..n] != from.0[..] {
        return None;
    }
    steps.extend(path.0[n..].iter().cloned());
    Some(ModulePath(steps))
}

fn parse_address(text: &str) -> Result<InstanceAddr, EditError> {
    InstanceAddr::parse(text).ok_or_else(|| EditError {
        message: format!("{text:?} is not a resource address"),
        hint: Some("addresses look like aws_vpc.main, aws_subnet.public[0], aws_subnet.az[\"us-east-1a\"] or module.network.aws_vpc.main".into()),
        no_match: false,
    })
}

/// Moves every instance inside one module instance to another module
/// address (`module.a` to `module.b`, or into `module.b["x"]`).
pub fn move_module(
    state: &mut State,
    from: &ModulePath,
    to: &ModulePath,
) -> Result<Vec<(String, String)>, EditError> {
    let moves: Vec<(String, String)> = state
        .resources
        .iter()
        .filter_map(|r| InstanceAddr::parse(&r.address))
        .filter_map(|addr| {
            let new = addr.clone().in_module(rebase(&addr.module, from, to)?);
            Some((addr.to_string(), new.to_string()))
        })
        .collect();
    if moves.is_empty() {
        return Err(EditError::no_match(format!(
            "No instance in {from} in state"
        )));
    }
    apply_moves(state, &moves)?;
    let moved = |address: &str| -> Option<String> {
        let addr = InstanceAddr::parse(address)?;
        let module = rebase(&addr.module, from, to)?;
        Some(addr.in_module(module).to_string())
    };
    for resource in &mut state.resources {
        for dependency in &mut resource.dependencies {
            if let Some(new) = moved(dependency) {
                *dependency = new;
            }
        }
        resource.dependencies.sort();
        resource.dependencies.dedup();
    }
    Ok(moves)
}

fn move_instances(
    state: &mut State,
    from: &InstanceAddr,
    to: &InstanceAddr,
) -> Result<Vec<(String, String)>, EditError> {
    let refuse = |summary: String| Err(EditError::new(summary));
    if from.type_name != to.type_name {
        return refuse(format!(
            "Cannot move {from} to {to}: an instance keeps its resource type"
        ));
    }
    let source = from.to_string();
    let moves: Vec<(String, String)> = if state.resource(&source).is_some() {
        vec![(source.clone(), to.to_string())]
    } else if from.key == InstanceKey::None && to.key == InstanceKey::None {
        // The whole resource: every instance keeps its key.
        matching(state, &source)
            .into_iter()
            .filter_map(|address| InstanceAddr::parse(&address))
            // Only this module instance's; the others would collide.
            .filter(|old| old.module == from.module)
            .map(|old| {
                let new = InstanceAddr::new(&to.type_name, &to.name, old.key.clone())
                    .in_module(to.module.clone());
                (old.to_string(), new.to_string())
            })
            .collect()
    } else {
        Vec::new()
    };
    if moves.is_empty() {
        return Err(EditError::no_match(format!(
            "No instance {source} in state"
        )));
    }
    apply_moves(state, &moves)?;
    // Dependencies name resources. Others that depended on the old resource
    // now depend on the new one too, and only on it once nothing is left at
    // the old address.
    let (old_resource, new_resource) = (from.resource(), to.resource());
    if old_resource != new_resource {
        let old_remains = !matching(state, &old_resource).is_empty();
        for resource in &mut state.resources {
            if !resource.dependencies.contains(&old_resource) {
                continue;
            }
            if !old_remains {
                resource.dependencies.retain(|d| *d != old_resource);
            }
            if !resource.dependencies.contains(&new_resource) {
                resource.dependencies.push(new_resource.clone());
            }
            resource.dependencies.sort();
        }
    }
    Ok(moves)
}

/// Renames instances, refusing to overwrite one that exists; pending
/// creates follow their instance. Dependencies on a module's resources
/// follow them too.
fn apply_moves(state: &mut State, moves: &[(String, String)]) -> Result<(), EditError> {
    let mut targets = std::collections::BTreeSet::new();
    for (_, new) in moves {
        if !targets.insert(new) {
            return Err(EditError::new(format!(
                "Two instances would move to {new}; move them one by one"
            )));
        }
    }
    for (_, new) in moves {
        if state.resource(new).is_some() {
            return Err(EditError::new(format!(
                "{new} already exists in state; remove it first or choose another address"
            )));
        }
    }
    for (old, new) in moves {
        if let Some(mut resource) = state.remove(old) {
            resource.address = new.clone();
            state.upsert(resource);
        }
        for pending in state.pending.iter_mut().filter(|p| p.address == *old) {
            pending.address = new.clone();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ResourceState;
    use crate::value::Attrs;

    fn instance(address: &str, deps: &[&str]) -> ResourceState {
        let addr = InstanceAddr::parse(address).unwrap();
        ResourceState {
            address: address.into(),
            type_name: addr.type_name,
            id: format!("id-{address}"),
            attributes: Attrs::new(),
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
            provider: "aws".into(),
            sensitive_attributes: Vec::new(),
        }
    }

    fn state(resources: Vec<ResourceState>) -> State {
        let mut state = State::new();
        for r in resources {
            state.upsert(r);
        }
        state
    }

    fn addresses(state: &State) -> Vec<&str> {
        state.resources.iter().map(|r| r.address.as_str()).collect()
    }

    fn mv(state: &mut State, from: &str, to: &str) -> Result<Vec<(String, String)>, EditError> {
        move_instances(
            state,
            &InstanceAddr::parse(from).unwrap(),
            &InstanceAddr::parse(to).unwrap(),
        )
    }

    #[test]
    fn moves_an_instance_into_count_and_for_each_and_updates_dependents() {
        let mut s = state(vec![
            instance("aws_subnet.a", &["aws_vpc.main"]),
            instance("aws_route_table_association.x", &["aws_subnet.a"]),
        ]);
        mv(&mut s, "aws_subnet.a", "aws_subnet.public[0]").unwrap();
        assert_eq!(
            addresses(&s),
            ["aws_route_table_association.x", "aws_subnet.public[0]"]
        );
        assert_eq!(s.resources[0].dependencies, ["aws_subnet.public"]);
        mv(
            &mut s,
            "aws_subnet.public[0]",
            "aws_subnet.az[\"us-east-1a\"]",
        )
        .unwrap();
        assert_eq!(
            s.resource("aws_subnet.az[\"us-east-1a\"]").unwrap().id,
            "id-aws_subnet.a"
        );
    }

    #[test]
    fn moves_a_whole_resource_keeping_keys() {
        let mut s = state(vec![
            instance("aws_subnet.a[0]", &[]),
            instance("aws_subnet.a[1]", &[]),
        ]);
        let moved = mv(&mut s, "aws_subnet.a", "aws_subnet.b").unwrap();
        assert_eq!(moved.len(), 2);
        assert_eq!(addresses(&s), ["aws_subnet.b[0]", "aws_subnet.b[1]"]);
    }

    #[test]
    fn refuses_moves_onto_existing_instances_across_types_or_from_nothing() {
        let mut s = state(vec![
            instance("aws_subnet.a", &[]),
            instance("aws_subnet.b", &[]),
        ]);
        let before = s.clone();
        assert!(mv(&mut s, "aws_subnet.a", "aws_subnet.b").is_err());
        assert!(mv(&mut s, "aws_subnet.a", "aws_vpc.a").is_err());
        assert!(mv(&mut s, "aws_subnet.c", "aws_subnet.d").is_err());
        assert_eq!(s, before);
    }

    #[test]
    fn matching_finds_instances_or_whole_resources() {
        let s = state(vec![
            instance("aws_subnet.a[0]", &[]),
            instance("aws_subnet.a[1]", &[]),
            instance("aws_subnet.ab", &[]),
        ]);
        assert_eq!(matching(&s, "aws_subnet.a").len(), 2);
        assert_eq!(matching(&s, "aws_subnet.a[1]"), ["aws_subnet.a[1]"]);
        assert!(matching(&s, "aws_subnet.a[2]").is_empty());
    }

    #[test]
    fn matching_and_moving_whole_modules() {
        let mut s = state(vec![
            instance("aws_vpc.root", &["module.net.aws_vpc.this"]),
            instance("module.net.aws_vpc.this", &[]),
            instance("module.net.aws_subnet.a[0]", &["module.net.aws_vpc.this"]),
            instance("module.web[\"blue\"].aws_security_group.this", &[]),
            instance("module.web[\"green\"].aws_security_group.this", &[]),
        ]);
        assert_eq!(matching(&s, "module.web").len(), 2);
        assert_eq!(matching(&s, "module.web[\"blue\"]").len(), 1);
        assert_eq!(matching(&s, "module.net.aws_subnet.a").len(), 1);
        assert!(matching(&s, "module.ne").is_empty());

        let moved = move_module(
            &mut s,
            &ModulePath::parse("module.net").unwrap(),
            &ModulePath::parse("module.network[\"primary\"]").unwrap(),
        )
        .unwrap();
        assert_eq!(moved.len(), 2);
        assert!(
            s.resource("module.network[\"primary\"].aws_vpc.this")
                .is_some()
        );
        // What depended on the module's resources follows them.
        assert_eq!(
            s.resource("aws_vpc.root").unwrap().dependencies,
            ["module.network[\"primary\"].aws_vpc.this"]
        );
        // A resource moves into a module, keeping its keys.
        mv(&mut s, "aws_vpc.root", "module.core.aws_vpc.root").unwrap();
        assert!(s.resource("module.core.aws_vpc.root").is_some());
    }

    #[test]
    fn moves_across_keyed_module_instances() {
        let mut s = state(vec![
            instance("module.a[0].aws_vpc.x", &[]),
            instance("module.a[1].aws_vpc.x", &[]),
            instance("module.b.aws_vpc.y", &[]),
        ]);
        // module.a to module.c: every instance, keeping its key.
        move_address(&mut s, "module.a", "module.c").unwrap();
        assert_eq!(
            addresses(&s),
            [
                "module.b.aws_vpc.y",
                "module.c[0].aws_vpc.x",
                "module.c[1].aws_vpc.x"
            ]
        );
        // module.b to module.b["k"]: exactly the instance without a key,
        // and nothing the second time.
        move_address(&mut s, "module.b", "module.b[\"k\"]").unwrap();
        assert!(s.resource("module.b[\"k\"].aws_vpc.y").is_some());
        let again = move_address(&mut s, "module.b", "module.b[\"k\"]").unwrap_err();
        assert!(again.no_match);
        // A resource address in a keyed module names every instance.
        assert_eq!(matching(&s, "module.c.aws_vpc.x").len(), 2);
        // aws_x.a to aws_x.a[0] (adding count) happens once.
        let mut t = state(vec![instance("aws_subnet.a", &[])]);
        move_address(&mut t, "aws_subnet.a", "aws_subnet.a[0]").unwrap();
        assert!(
            move_address(&mut t, "aws_subnet.a", "aws_subnet.a[0]")
                .unwrap_err()
                .no_match
        );
    }
}
