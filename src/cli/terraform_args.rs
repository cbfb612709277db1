//! Terraform's command-line conventions, so that a pipeline switches from
//! `terraform` to `terrane` by changing the binary's name: single-dash long
//! flags (`-var`, `-auto-approve`, `-out=plan.bin`), the global
//! `-chdir=DIR` before the command, and the `TF_CLI_ARGS` and
//! `TF_CLI_ARGS_<command>` environment variables, whose arguments go right
//! after the command name, before those on the command line (as Terraform
//! documents).

use std::collections::BTreeSet;
use std::path::PathBuf;

/// The arguments rewritten into terrane's GNU spellings, and the directory
/// `-chdir` names.
#[derive(Debug, PartialEq)]
pub struct Normalised {
    pub args: Vec<String>,
    pub chdir: Option<PathBuf>,
}

/// Rewrites `args` (the program name first). `long_flags` are every long
/// flag name the command line knows; `env` reads the environment.
pub fn normalise(
    args: Vec<String>,
    long_flags: &BTreeSet<String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Normalised, String> {
    let mut args = args.into_iter();
    let mut out: Vec<String> = args.next().into_iter().collect();
    let mut chdir = None;
    let mut rest: Vec<String> = args.collect();

    // Global options before the command.
    while let Some(first) = rest.first() {
        let Some(dir) = first
            .strip_prefix("-chdir=")
            .or_else(|| first.strip_prefix("--chdir="))
        else {
            break;
        };
        chdir = Some(PathBuf::from(dir));
        rest.remove(0);
    }

    // Arguments from the environment, after the command name.
    if let Some(at) = rest.iter().position(|a| !a.starts_with('-')) {
        let command = rest[at].clone();
        let mut inserted = Vec::new();
        for name in ["TF_CLI_ARGS".to_string(), format!("TF_CLI_ARGS_{command}")] {
            if let Some(value) = env(&name).filter(|v| !v.trim().is_empty()) {
                inserted.extend(
                    shlex::split(&value).ok_or_else(|| {
                        format!("{name} is not a valid list of arguments: {value}")
                    })?,
                );
            }
        }
        rest.splice(at + 1..at + 1, inserted);
    }

    let mut after_separator = false;
    for arg in rest {
        if arg == "--" {
            after_separator = true;
        }
        out.push(if after_separator {
            arg
        } else {
            gnu_spelling(arg, long_flags)
        });
    }
    Ok(Normalised { args: out, chdir })
}

/// `-name` or `-name=value` as `--name...` when `name` is a long flag.
fn gnu_spelling(arg: String, long_flags: &BTreeSet<String>) -> String {
    let Some(body) = arg.strip_prefix('-').filter(|b| !b.starts_with('-')) else {
        return arg;
    };
    let name = body.split('=').next().unwrap_or(body);
    if name.len() > 1 && long_flags.contains(name) {
        format!("-{arg}")
    } else {
        arg
    }
}

/// Every long flag of `command` and its subcommands, at any depth.
pub fn long_flags(command: &clap::Command) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = command
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_string))
        .collect();
    for sub in command.get_subcommands() {
        names.extend(long_flags(sub));
    }
    names.extend(["help".to_string(), "version".to_string()]);
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> BTreeSet<String> {
        [
            "var",
            "var-file",
            "out",
            "auto-approve",
            "lock",
            "json",
            "state",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn run(args: &[&str], env: &[(&str, &str)]) -> Normalised {
        let args = args.iter().map(|s| s.to_string()).collect();
        normalise(args, &flags(), |name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
        .expect("normalises")
    }

    #[test]
    fn terraform_spellings_become_gnu_ones() {
        let n = run(
            &[
                "terrane",
                "-chdir=stack",
                "plan",
                "-var",
                "a=1",
                "-out=p.bin",
                "-lock=false",
                "-x",
                "--json",
                "-",
            ],
            &[],
        );
        assert_eq!(n.chdir, Some(PathBuf::from("stack")));
        assert_eq!(
            n.args,
            [
                "terrane",
                "plan",
                "--var",
                "a=1",
                "--out=p.bin",
                "--lock=false",
                "-x",
                "--json",
                "-"
            ]
        );
    }

    #[test]
    fn environment_arguments_follow_the_command() {
        let n = run(
            &["terrane", "apply", "-var", "a=1"],
            &[
                ("TF_CLI_ARGS", "-lock=false"),
                ("TF_CLI_ARGS_apply", "-auto-approve -var 'b=two words'"),
                ("TF_CLI_ARGS_plan", "-json"),
            ],
        );
        assert_eq!(
            n.args,
            [
                "terrane",
                "apply",
                "--lock=false",
                "--auto-approve",
                "--var",
                "b=two words",
                "--var",
                "a=1"
            ]
        );
    }
}
