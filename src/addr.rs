//! Resource instance addresses: `aws_subnet.public[0]`,
//! `aws_subnet.az["a"]`, and inside modules
//! `module.network.aws_subnet.public[0]` or `module.app["blue"].aws_lb.main`.

use std::fmt;

/// Which instance of a resource block or module call: none for a single
/// one, an index with `count`, a key with `for_each`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    None,
    Index(usize),
    Key(String),
}

impl fmt::Display for InstanceKey {
    /// `""`, `[0]` or `["key"]`, as written after a name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Index(i) => write!(f, "[{i}]"),
            InstanceKey::Key(k) => write!(f, "[{}]", serde_json::Value::String(k.clone())),
        }
    }
}

/// The module instance a block belongs to: the calls from the root module
/// down, each with its instance key. Empty for the root module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModulePath(pub Vec<(String, InstanceKey)>);

impl ModulePath {
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn child(&self, call: &str, key: InstanceKey) -> ModulePath {
        let mut steps = self.0.clone();
        steps.push((call.to_string(), key));
        ModulePath(steps)
    }

    /// `module.a.module.b` without instance keys: the module's place in the
    /// configuration, shared by all its instances.
    pub fn static_path(&self) -> String {
        self.0
            .iter()
            .map(|(name, _)| format!("module.{name}"))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// Whether `self` is `other` or inside it.
    pub fn starts_with(&self, other: &ModulePath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// Whether `self` is the module `pattern` names or inside it, where a
    /// step of the pattern without a key stands for every instance of that
    /// call (`module.web` covers `module.web["blue"]`).
    pub fn is_within(&self, pattern: &ModulePath) -> bool {
        pattern.0.len() <= self.0.len()
            && pattern
                .0
                .iter()
                .zip(&self.0)
                .all(|((name, key), (n, k))| name == n && (*key == InstanceKey::None || key == k))
    }

    /// Parses `module.a`, `module.a[0].module.b["x"]`; `None` for anything
    /// else. The empty string is the root module.
    pub fn parse(text: &str) -> Option<ModulePath> {
        let mut rest = text;
        let mut steps = Vec::new();
        while !rest.is_empty() {
            let (step, after) = split_module_step(rest)?;
            steps.push(step);
            rest = match after.strip_prefix('.') {
                Some(after) if !after.is_empty() => after,
                Some(_) => return None,
                None if after.is_empty() => after,
                None => return None,
            };
        }
        Some(ModulePath(steps))
    }
}

impl fmt::Display for ModulePath {
    /// `module.a[0].module.b`, empty for the root module.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, key)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "module.{name}{key}")?;
        }
        Ok(())
    }
}

/// Reads one `module.<name>[key]` step from the start of `text`.
fn split_module_step(text: &str) -> Option<((String, InstanceKey), &str)> {
    let rest = text.strip_prefix("module.")?;
    let name_end = rest.find(['.', '[']).unwrap_or(rest.len());
    let name = &rest[..name_end];
    if name.is_empty() {
        return None;
    }
    let (key, after) = split_key(&rest[name_end..])?;
    Some(((name.to_string(), key), after))
}

/// Reads an optional `[0]` / `["key"]` from the start of `text`.
fn split_key(text: &str) -> Option<(InstanceKey, &str)> {
    let Some(inner) = text.strip_prefix('[') else {
        return Some((InstanceKey::None, text));
    };
    if let Some(quoted) = inner.strip_prefix('"') {
        // The JSON string ends at the first unescaped quote.
        let mut escaped = false;
        for (i, c) in quoted.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    let key: String =
                        serde_json::from_str(&format!("\"{}\"", &quoted[..i])).ok()?;
                    let after = quoted[i + 1..].strip_prefix(']')?;
                    return Some((InstanceKey::Key(key), after));
                }
                _ => escaped = false,
            }
        }
        None
    } else {
        let close = inner.find(']')?;
        let index = inner[..close].parse().ok()?;
        Some((InstanceKey::Index(index), &inner[close + 1..]))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceAddr {
    pub module: ModulePath,
    pub type_name: String,
    pub name: String,
    pub key: InstanceKey,
}

impl InstanceAddr {
    pub fn new(type_name: &str, name: &str, key: InstanceKey) -> InstanceAddr {
        InstanceAddr {
            module: ModulePath::default(),
            type_name: type_name.to_string(),
            name: name.to_string(),
            key,
        }
    }

    pub fn in_module(mut self, module: ModulePath) -> InstanceAddr {
        self.module = module;
        self
    }

    /// The resource block's address without the instance key (module
    /// instance keys included).
    pub fn resource(&self) -> String {
        if self.module.is_root() {
            format!("{}.{}", self.type_name, self.name)
        } else {
            format!("{}.{}.{}", self.module, self.type_name, self.name)
        }
    }

    /// Parses `type.name`, `type.name[0]` or `type.name["key"]`, after any
    /// number of `module.<name>[key].` steps.
    pub fn parse(text: &str) -> Option<InstanceAddr> {
        let mut rest = text;
        let mut steps = Vec::new();
        while rest.starts_with("module.") {
            let (step, after) = split_module_step(rest)?;
            steps.push(step);
            rest = after.strip_prefix('.')?;
        }
        let base_end = rest.find('[').unwrap_or(rest.len());
        let (key, after) = split_key(&rest[base_end..])?;
        if !after.is_empty() {
            return None;
        }
        // A data source's type keeps its `data.` prefix, as its address does.
        let (mode, base) = match rest[..base_end].strip_prefix("data.") {
            Some(base) => ("data.", base),
            None => ("", &rest[..base_end]),
        };
        let (type_name, name) = base.split_once('.')?;
        if type_name.is_empty() || name.is_empty() || name.contains('.') {
            return None;
        }
        let type_name = format!("{mode}{type_name}");
        Some(InstanceAddr::new(&type_name, name, key).in_module(ModulePath(steps)))
    }
}

/// What an address as a person writes it names: one instance
/// (`aws_subnet.public[1]`), every instance of a resource
/// (`aws_subnet.public`), or everything inside a module (`module.web`
/// covers every instance, `module.web["blue"]` one). `None` when the text is
/// not an address.
#[derive(Clone, Debug, PartialEq)]
pub enum AddressPattern {
    Instance(InstanceAddr),
    Resource(InstanceAddr),
    Module(ModulePath),
}

impl AddressPattern {
    pub fn parse(text: &str) -> Option<AddressPattern> {
        if let Some(module) = ModulePath::parse(text).filter(|m| !m.is_root()) {
            return Some(AddressPattern::Module(module));
        }
        let addr = InstanceAddr::parse(text)?;
        Some(if addr.key == InstanceKey::None {
            AddressPattern::Resource(addr)
        } else {
            AddressPattern::Instance(addr)
        })
    }

    /// Whether the pattern names this instance. A resource pattern names
    /// its instances in every instance of a module step written without a
    /// key.
    pub fn matches(&self, instance: &InstanceAddr) -> bool {
        match self {
            AddressPattern::Instance(wanted) => wanted == instance,
            AddressPattern::Module(module) => instance.module.is_within(module),
            AddressPattern::Resource(wanted) => {
                wanted == instance
                    || (instance.type_name == wanted.type_name
                        && instance.name == wanted.name
                        && instance.module.0.len() == wanted.module.0.len()
                        && instance.module.is_within(&wanted.module))
            }
        }
    }
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource(), self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for text in [
            "aws_vpc.main",
            "aws_subnet.public[2]",
            "aws_subnet.az[\"us-east-1a\"]",
            "module.network.aws_vpc.main",
            "module.app[\"blue\"].module.lb[0].aws_lb.main[\"a]b\"]",
        ] {
            assert_eq!(InstanceAddr::parse(text).unwrap().to_string(), text);
        }
        for bad in [
            "aws_vpc",
            "aws_vpc.main[x]",
            "module.network",
            "module..aws_vpc.main",
            "aws_vpc.main[0]x",
        ] {
            assert!(InstanceAddr::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn module_paths() {
        let path = ModulePath::parse("module.app[\"blue\"].module.lb").unwrap();
        assert_eq!(path.to_string(), "module.app[\"blue\"].module.lb");
        assert_eq!(path.static_path(), "module.app.module.lb");
        let addr = InstanceAddr::parse("module.app[\"blue\"].module.lb.aws_lb.x").unwrap();
        assert!(addr.module.starts_with(&path));
        assert_eq!(ModulePath::parse(""), Some(ModulePath::default()));
        assert!(ModulePath::parse("module.a.").is_none());
        assert!(ModulePath::parse("aws_vpc.main").is_none());
    }
}
