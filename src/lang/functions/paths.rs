//! Filesystem paths: `abspath`, `basename`, `dirname`, `pathexpand` and
//! `fileset`, with the lexical rules of Go's `path/filepath` that
//! Terraform's versions follow (on Unix-like systems).

use globset::GlobBuilder;

use super::{Args, FnError};
use crate::value::{Elements, ListKind, Value};

/// Go's `filepath.Clean`: the shortest equivalent path, by lexical rules
/// alone.
fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Base`: the last element, trailing slashes ignored.
fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Go's `filepath.Dir`: all but the last element, cleaned.
fn dir(path: &str) -> String {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    clean(&path[..cut])
}

pub(super) fn basename(args: &Args<'_>) -> Result<Value, FnError> {
    Ok(Value::String(base(&args.string(0)?)))
}

pub(super) fn dirname(args: &Args<'_>) -> Result<Value, FnError> {
    Ok(Value::String(dir(&args.string(0)?)))
}

/// `abspath(path)`: relative paths are taken from the stack directory,
/// which is where Terraform runs (`terraform -chdir=DIR`).
pub(super) fn abspath(args: &Args<'_>) -> Result<Value, FnError> {
    let path = args.string(0)?;
    let full = if path.starts_with('/') {
        path
    } else {
        let base = std::path::absolute(args.ctx.stack_dir)
            .map_err(|e| FnError::call(format!("cannot find the working directory: {e}")))?;
        format!("{}/{path}", base.display())
    };
    Ok(Value::String(clean(&full)))
}

/// `pathexpand(path)`: a leading `~` becomes the home directory.
pub(super) fn pathexpand(args: &Args<'_>) -> Result<Value, FnError> {
    let path = args.string(0)?;
    let Some(rest) = path.strip_prefix('~') else {
        return Ok(Value::String(path));
    };
    if !rest.is_empty() && !rest.starts_with('/') {
        return Err(FnError::call("cannot expand user-specific home dir"));
    }
    let home = args
        .ctx
        .files
        .home_dir()
        .ok_or_else(|| FnError::call("cannot find the home directory"))?;
    Ok(Value::String(format!("{}{rest}", home.display())))
}

/// `fileset(path, pattern)`: the regular files under `path` whose paths,
/// relative to it, match the glob (`*`, `**`, `?`, `[...]`, `{a,b}`), in
/// order. A directory that does not exist has none.
pub(super) fn fileset(args: &Args<'_>) -> Result<Value, FnError> {
    let written = args.string(0)?;
    let pattern = args.string(1)?;
    let glob = GlobBuilder::new(&clean(&pattern))
        .literal_separator(true)
        .build()
        .map_err(|e| FnError::call(format!("failed to glob pattern ({pattern}): {}", e.kind())))?
        .compile_matcher();
    let root = args.ctx.stack_dir.join(&written);
    let files = match args.ctx.files.list_files(&root) {
        Ok(files) => files,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(FnError::call(format!(
                "failed to glob pattern ({pattern}): {e}"
            )));
        }
    };
    let mut matched: Vec<String> = files
        .iter()
        .filter_map(|relative| relative.to_str())
        .filter(|relative| glob.is_match(relative))
        .map(str::to_string)
        .collect();
    matched.sort();
    let matched = matched.into_iter().map(Value::String).collect();
    let mut set = Elements::new(matched, ListKind::Set);
    set.element = Some("string".into());
    Ok(Value::List(set))
}

#[cfg(test)]
mod tests {
    use super::{base, clean, dir};

    #[test]
    fn paths_follow_go_filepath() {
        assert_eq!(clean("a//b/../c/."), "a/c");
        assert_eq!(clean("/../x"), "/x");
        assert_eq!(clean("../../x"), "../../x");
        assert_eq!(clean(""), ".");
        assert_eq!(base("foo/bar/"), "bar");
        assert_eq!(base("///"), "/");
        assert_eq!(dir("foo"), ".");
        assert_eq!(dir("/foo"), "/");
        assert_eq!(dir("a//b/../c"), "a");
    }
}
