//! Limits that protect the machine from a bad stack, and stacks with only
//! outputs, through the real binary: a `count` typo or `file("/dev/zero")`
//! is a clear error at its line, refused before memory is spent (the
//! child's peak memory is measured), and outputs alone plan and apply as
//! in Terraform.

use std::path::Path;
use std::process::Command;

use crate::support::Emulator;
use crate::support::cli::Workspace;

/// Runs `terrane ARGS` in `dir` and returns (exit code, stderr, peak
/// resident memory in MiB) of that child alone.
fn run_measured(dir: &Path, args: &[&str]) -> (i32, String, u64) {
    let stderr_path = dir.join("stderr.txt");
    let child = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("run terrane");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, filled in by wait4 for this child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, whose pid we hold; the Child handle
    // is forgotten below so it is not waited for twice.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    std::mem::forget(child);
    assert_eq!(waited, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    // ru_maxrss is in KiB on Linux.
    (code, stderr, usage.ru_maxrss as u64 / 1024)
}

fn stack_with(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), text).expect("write stack");
    dir
}

#[test]
fn a_huge_count_is_refused_at_its_line_before_memory_is_spent() {
    let dir = stack_with(
        "resource \"aws_vpc\" \"v\" {\n  count      = 100000000\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    );
    let (code, stderr, peak_mib) = run_measured(dir.path(), &["validate", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("Too many instances")
            && stderr.contains("main.tf:2:16")
            && stderr.contains("100000000 instances")
            && stderr.contains("the limit is 100000"),
        "{stderr}"
    );
    assert!(peak_mib < 200, "validate peaked at {peak_mib} MiB");

    // The same for for_each, and through a module call's count.
    let dir = stack_with(
        "resource \"aws_vpc\" \"v\" {\n  for_each   = toset(flatten([for i in range(1000) : [for j in range(200) : \"${i}-${j}\"]]))\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    );
    let (code, stderr, _) = run_measured(dir.path(), &["validate", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("200000 instances"), "{stderr}");
    let dir = stack_with("module \"m\" {\n  source = \"./m\"\n  count  = 500000\n}\n");
    std::fs::create_dir(dir.path().join("m")).unwrap();
    std::fs::write(
        dir.path().join("m/main.tf"),
        "output \"x\" {\n  value = 1\n}\n",
    )
    .unwrap();
    let (code, stderr, peak_mib) = run_measured(dir.path(), &["validate", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("500000 instances"), "{stderr}");
    assert!(peak_mib < 200, "validate peaked at {peak_mib} MiB");

    // The flag sets the limit, either way.
    let dir = stack_with(
        "resource \"aws_vpc\" \"v\" {\n  count      = 11\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    );
    let (code, stderr, _) = run_measured(dir.path(), &["validate", ".", "--max-instances", "10"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("the limit is 10"), "{stderr}");
    let (code, stderr, _) = run_measured(dir.path(), &["validate", ".", "--max-instances", "11"]);
    assert_eq!(code, 0, "{stderr}");
}

/// An expression that would build a huge value is refused where it
/// starts, before the memory is spent.
#[test]
fn expressions_that_would_build_huge_values_are_refused() {
    let cases = [
        (
            "locals {\n  p = setproduct(range(1000), range(1000), range(1000))\n}\noutput \"n\" {\n  value = length(local.p)\n}\n",
            "main.tf:2:7",
            "more than the limit of 1000000",
        ),
        (
            "locals {\n  n = [for a in range(1024) : [for b in range(1024) : [for c in range(1024) : c]]]\n}\noutput \"n\" {\n  value = length(local.n)\n}\n",
            "Too many iterations",
            "more than 1000000 times",
        ),
        (
            "locals {\n  a = join(\"\", [for i in range(1024) : \"0123456789abcdef0123456789abcdef\"])\n  b = join(\"\", [for i in range(1024) : local.a])\n}\noutput \"n\" {\n  value = length(local.b)\n}\n",
            "main.tf:3:7",
            "longer than 16 MiB",
        ),
        (
            "locals {\n  a = join(\"\", [for i in range(1024) : \"0123456789abcdef0123456789abcdef\"])\n  b = \"%{for i in range(1024)}${local.a}%{endfor}\"\n}\noutput \"n\" {\n  value = length(local.b)\n}\n",
            "Template result too long",
            "longer than 16 MiB",
        ),
    ];
    for (stack, location, message) in cases {
        let dir = stack_with(stack);
        let (code, stderr, peak_mib) = run_measured(dir.path(), &["validate", "."]);
        assert_eq!(code, 1, "{stack}\n{stderr}");
        assert!(
            stderr.contains(location) && stderr.contains(message),
            "{stack}\n{stderr}"
        );
        assert!(
            peak_mib < 200,
            "validate of {stack} peaked at {peak_mib} MiB"
        );
    }

    // Counts multiply through modules: the limit holds for a block across
    // every instance of its module.
    let dir = stack_with("module \"m\" {\n  source = \"./m\"\n  count  = 40\n}\n");
    std::fs::create_dir(dir.path().join("m")).unwrap();
    std::fs::write(
        dir.path().join("m/main.tf"),
        "resource \"aws_vpc\" \"v\" {\n  count      = 40\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    )
    .unwrap();
    let (code, stderr, _) = run_measured(dir.path(), &["validate", ".", "--max-instances", "1000"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("Too many instances")
            && stderr.contains("module.m.aws_vpc.v would have more than 1000 instances"),
        "{stderr}"
    );
    let (code, stderr, _) = run_measured(dir.path(), &["validate", ".", "--max-instances", "1600"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn file_functions_read_regular_files_only() {
    let dir = stack_with("output \"z\" {\n  value = file(\"/dev/zero\")\n}\n");
    let (code, stderr, peak_mib) = run_measured(dir.path(), &["validate", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("main.tf:2:16") && stderr.contains("not a regular file"),
        "{stderr}"
    );
    assert!(peak_mib < 200, "validate peaked at {peak_mib} MiB");

    // A file over the size limit (sparse: no disk is spent on it).
    let dir = stack_with("output \"big\" {\n  value = length(file(\"big.bin\"))\n}\n");
    let big = std::fs::File::create(dir.path().join("big.bin")).unwrap();
    big.set_len(64 * 1024 * 1024).unwrap();
    let (code, stderr, peak_mib) = run_measured(dir.path(), &["validate", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("larger than 16 MiB"), "{stderr}");
    assert!(peak_mib < 200, "validate peaked at {peak_mib} MiB");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_of_only_outputs_plans_and_applies_them() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/valid/plan_contract");
    ws.write(
        "main.tf",
        "variable \"name\" {\n  default = \"shop\"\n}\n\noutput \"greeting\" {\n  value = \"hello ${var.name}\"\n}\n",
    );
    let plan = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.log());
    assert!(
        plan.stdout.contains("Changes to Outputs:")
            && plan.stdout.contains("+ greeting = \"hello shop\""),
        "{}",
        plan.log()
    );
    let applied = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.log());
    let output = ws.run(&emulator, "output", &["--json"]);
    assert!(output.stdout.contains("\"hello shop\""), "{}", output.log());
    let clean = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.log());

    // A changed value is a change again.
    let changed = ws.run(
        &emulator,
        "plan",
        &["--detailed-exitcode", "--var", "name=web"],
    );
    assert_eq!(changed.code, 2, "{}", changed.log());
}
