//! Resource instance addresses: `aws_subnet.public[0]`, `aws_subnet.az["a"]`.

use std::fmt;

/// Which instance of a resource block: none for a single resource, an index
/// with `count`, a key with `for_each`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    None,
    Index(usize),
    Key(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceAddr {
    pub type_name: String,
    pub name: String,
    pub key: InstanceKey,
}

impl InstanceAddr {
    pub fn new(type_name: &str, name: &str, key: InstanceKey) -> InstanceAddr {
        InstanceAddr {
            type_name: type_name.to_string(),
            name: name.to_string(),
            key,
        }
    }

    /// The resource block's address without the instance key.
    pub fn resource(&self) -> String {
        format!("{}.{}", self.type_name, self.name)
    }

    /// Parses `type.name`, `type.name[0]` or `type.name["key"]`.
    pub fn parse(text: &str) -> Option<InstanceAddr> {
        let (base, key) = match text.find('[') {
            Some(open) => {
                let inner = text[open..].strip_prefix('[')?.strip_suffix(']')?;
                let key = if let Some(quoted) = inner.strip_prefix('"') {
                    InstanceKey::Key(serde_json::from_str(&format!("\"{quoted}")).ok()?)
                } else {
                    InstanceKey::Index(inner.parse().ok()?)
                };
                (&text[..open], key)
            }
            None => (text, InstanceKey::None),
        };
        let (type_name, name) = base.split_once('.')?;
        if type_name.is_empty() || name.is_empty() || name.contains('.') {
            return None;
        }
        Some(InstanceAddr::new(type_name, name, key))
    }
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.type_name, self.name)?;
        match &self.key {
            InstanceKey::None => Ok(()),
            InstanceKey::Index(i) => write!(f, "[{i}]"),
            InstanceKey::Key(k) => write!(f, "[{}]", serde_json::Value::String(k.clone())),
        }
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
        ] {
            assert_eq!(InstanceAddr::parse(text).unwrap().to_string(), text);
        }
        assert!(InstanceAddr::parse("aws_vpc").is_none());
        assert!(InstanceAddr::parse("aws_vpc.main[x]").is_none());
    }
}
