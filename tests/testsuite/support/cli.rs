//! Running the real `terrane` binary, as an operator would, against an
//! emulator, on a private copy of a stack.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::Emulator;

/// A copy of a stack in a temporary directory, with its own state file.
pub struct Workspace {
    dir: tempfile::TempDir,
    pub stack: PathBuf,
    pub state: PathBuf,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Stdout and stderr, for assertion messages.
    pub fn log(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Copies a stack directory with its subdirectories (local modules).
pub fn copy_tree(source: &Path, target: &Path) {
    std::fs::create_dir_all(target).expect("create stack copy");
    for entry in std::fs::read_dir(source).expect("read stack") {
        let entry = entry.expect("dir entry");
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &target.join(entry.file_name()));
        } else {
            std::fs::copy(&path, target.join(entry.file_name())).expect("copy stack file");
        }
    }
}

impl Workspace {
    /// Copies `stacks/<name>` (relative to the repository), with its
    /// subdirectories, into a fresh temporary directory.
    pub fn copy_of(stack: &str) -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = repo_path(stack);
        let name = source.file_name().expect("stack dir name");
        let target = dir.path().join(name);
        copy_tree(&source, &target);
        Workspace {
            state: dir.path().join("state.json"),
            stack: target,
            dir,
        }
    }

    /// A workspace of one `main.tf` (the CI fixture's stack, its file
    /// replaced), for a test that writes its own configuration.
    pub fn with_main(main_tf: &str) -> Workspace {
        let ws = Workspace::copy_of("tests/fixtures/ci/stack");
        ws.write("main.tf", main_tf);
        ws
    }

    /// Applies (`--auto-approve`) and insists that it succeeded.
    pub fn apply_ok(&self, emulator: &Emulator) -> Run {
        let apply = self.run(emulator, "apply", &["--auto-approve"]);
        assert_eq!(apply.code, 0, "{}", apply.log());
        apply
    }

    /// Destroys (`--auto-approve`) and insists that it succeeded.
    pub fn destroy_ok(&self, emulator: &Emulator) -> Run {
        let destroy = self.run(emulator, "destroy", &["--auto-approve"]);
        assert_eq!(destroy.code, 0, "{}", destroy.log());
        destroy
    }

    /// Plans with `--detailed-exitcode` and insists there is nothing to do;
    /// `why` says what that shows.
    pub fn assert_plan_clean(&self, emulator: &Emulator, why: &str) {
        let plan = self.run(emulator, "plan", &["--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "{why}:\n{}", plan.log());
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces `from` by `to` in one of the stack's files; `from` must occur.
    pub fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.stack.join(file);
        let text = std::fs::read_to_string(&path).expect("read stack file");
        assert!(text.contains(from), "{from:?} is not in {file}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write stack file");
    }

    pub fn write(&self, file: &str, text: &str) {
        std::fs::write(self.stack.join(file), text).expect("write stack file");
    }

    pub fn remove(&self, file: &str) {
        std::fs::remove_file(self.stack.join(file)).expect("remove stack file");
    }

    /// Runs `terrane <command> <stack> --state <state> <extra...>`.
    pub fn run(&self, emulator: &Emulator, command: &str, extra: &[&str]) -> Run {
        terrane(emulator, self.root(), &self.args_for(command, extra))
    }

    /// [`Workspace::run`] with AWS reached at `endpoint` (a proxy in front
    /// of the emulator) instead of the emulator itself.
    pub fn run_via(
        &self,
        emulator: &Emulator,
        endpoint: &str,
        command: &str,
        extra: &[&str],
    ) -> Run {
        let args = self.args_for(command, extra);
        terrane_with(
            emulator,
            self.root(),
            &args,
            &[("AWS_ENDPOINT_URL", endpoint)],
        )
    }

    /// Forgets `address` (`state rm`) and imports it again by `id`, the
    /// way an operator brings an existing object under management.
    pub fn forget_and_import(&self, emulator: &Emulator, address: &str, id: &str) {
        let (stack, state) = (
            self.stack.display().to_string(),
            self.state.display().to_string(),
        );
        let rm = terrane(
            emulator,
            self.root(),
            &[
                "state".into(),
                "rm".into(),
                stack.clone(),
                address.into(),
                "--state".into(),
                state.clone(),
            ],
        );
        assert_eq!(rm.code, 0, "{}", rm.log());
        let import = terrane(
            emulator,
            self.root(),
            &[
                "import".into(),
                stack,
                address.into(),
                id.into(),
                "--state".into(),
                state,
            ],
        );
        assert_eq!(import.code, 0, "{}", import.log());
    }

    /// A string attribute of `address` as the state file holds it.
    pub fn state_attribute(&self, address: &str, key: &str) -> String {
        self.state_value(address, key)
            .as_str()
            .expect("a string")
            .to_string()
    }

    /// An attribute of `address` as the state file holds it.
    pub fn state_value(&self, address: &str, key: &str) -> serde_json::Value {
        let text = std::fs::read_to_string(&self.state).expect("state");
        let state: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let resource = state["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("{address} is in state"));
        resource["attributes"][key].clone()
    }

    /// The arguments [`Workspace::run`] passes: `<command> <stack> --state
    /// <state> <extra...>`.
    pub fn args_for(&self, command: &str, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = vec![
            command.into(),
            self.stack.display().to_string(),
            "--state".into(),
            self.state.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }
}

/// Runs the binary with the emulator's environment in `cwd`.
pub fn terrane(emulator: &Emulator, cwd: &Path, args: &[String]) -> Run {
    terrane_with(emulator, cwd, args, &[])
}

/// [`terrane`] with some of the environment overridden.
pub fn terrane_with(emulator: &Emulator, cwd: &Path, args: &[String], env: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args(args)
        .current_dir(cwd)
        .envs(emulator.env())
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .env_remove("TF_VAR_name")
        .output()
        .expect("run terrane");
    Run::from(output)
}
