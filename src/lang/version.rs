//! Version constraints as Terraform writes them (`>= 1.5`, `~> 5.0`,
//! `>= 1.2, < 2.0`, `!= 1.3.1`): parsing and matching a version.

use std::cmp::Ordering;

/// A version: up to three numbers (missing ones are 0); a pre-release
/// suffix (`1.6.0-beta1`) is ignored.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub [u64; 3]);

impl Version {
    pub fn parse(text: &str) -> Option<(Version, usize)> {
        let text = text.trim().trim_start_matches('v');
        let core = text.split(['-', '+']).next()?;
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let mut numbers = [0; 3];
        for (i, part) in parts.iter().enumerate() {
            numbers[i] = part.parse().ok()?;
        }
        Some((Version(numbers), parts.len()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// `~>`: this version or newer, changing only the last number written.
    Pessimistic,
}

/// A list of conditions, all of which a version must meet.
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint(Vec<(Op, Version, usize)>);

impl Constraint {
    pub fn parse(text: &str) -> Option<Constraint> {
        let mut conditions = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(prefix, op)| part.strip_prefix(prefix).map(|rest| (*op, rest)))
            .unwrap_or((Op::Eq, part));
            let (version, written) = Version::parse(rest)?;
            conditions.push((op, version, written));
        }
        Some(Constraint(conditions))
    }

    pub fn matches(&self, version: &Version) -> bool {
        self.0.iter().all(|(op, bound, written)| {
            let order = version.cmp(bound);
            match op {
                Op::Eq => order == Ordering::Equal,
                Op::Ne => order != Ordering::Equal,
                Op::Gt => order == Ordering::Greater,
                Op::Ge => order != Ordering::Less,
                Op::Lt => order == Ordering::Less,
                Op::Le => order != Ordering::Greater,
                Op::Pessimistic => {
                    // `~> 1.2` allows 1.x from 1.2; `~> 1.2.3` allows 1.2.x from 1.2.3.
                    let fixed = written.saturating_sub(1).max(1);
                    order != Ordering::Less && version.0[..fixed] == bound.0[..fixed]
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(constraint: &str, version: &str) -> bool {
        Constraint::parse(constraint)
            .unwrap()
            .matches(&Version::parse(version).unwrap().0)
    }

    #[test]
    fn terraform_constraints() {
        assert!(allows(">= 1.5", "1.11.0"));
        assert!(!allows("< 1.0", "1.11.0"));
        assert!(allows("~> 1.5", "1.11.0"));
        assert!(!allows("~> 1.5.0", "1.11.0"));
        assert!(allows("~> 1.5.0", "1.5.7"));
        assert!(!allows("~> 0.12", "1.11.0"));
        assert!(allows(">= 1.2, < 2.0", "1.11.0"));
        assert!(!allows(">= 1.2, != 1.11.0", "1.11.0"));
        assert!(allows("1.11.0", "1.11"));
        assert!(allows("~> 5.0", "5.100.0"));
        assert!(Constraint::parse(">= one").is_none());
    }
}
