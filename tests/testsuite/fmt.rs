//! `terrane fmt` against `terraform fmt` (on files, as a pipeline runs it:
//! Terraform adds no final newline there, unlike `fmt -`): every stack file in the
//! repository (the stacks and the test corpus, broken stacks included when
//! they parse), as written and in three mangled variants (indentation
//! stripped, spaces around `=` and commas squeezed, spaces pushed inside
//! brackets), must come out byte-identical to what Terraform writes. Then
//! the command's own behaviour: `--check`, `--diff`, `--recursive`, a file
//! that does not parse.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::cli::{Run, repo_path};
use crate::terraform_compat::terraform_available;

fn terrane(cwd: &Path, args: &[&str]) -> Run {
    Run::from(
        Command::new(env!("CARGO_BIN_EXE_terrane"))
            .args(args)
            .current_dir(cwd)
            .env("NO_COLOR", "1")
            .output()
            .expect("terrane runs"),
    )
}

fn stack_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            stack_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "tf" || e == "tfvars") {
            out.push(path);
        }
    }
}

/// The three mangled layouts of a file.
fn variants(text: &str) -> [String; 3] {
    let stripped = text
        .lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n");
    let squeezed = text
        .replace(" = ", "=")
        .replace("  =", "=")
        .replace(", ", " ,");
    let widened = text
        .replace('[', "[ ")
        .replace('(', "( ")
        .replace("\n  ", "\n     ");
    [stripped, squeezed, widened]
}

#[test]
fn every_stack_file_comes_out_as_terraform_fmt_writes_it() {
    if !terraform_available() {
        eprintln!("skipped: terraform is not installed, so fmt was not compared with it");
        return;
    }
    let mut files = Vec::new();
    stack_files(&repo_path("stacks"), &mut files);
    stack_files(&repo_path("tests/fixtures"), &mut files);
    files.sort();
    // Every input twice, in one directory per tool, so each tool runs once.
    let work = tempfile::tempdir().unwrap();
    let (theirs, ours) = (work.path().join("terraform"), work.path().join("terrane"));
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::create_dir_all(&ours).unwrap();
    let mut cases = Vec::new();
    for path in &files {
        let original = std::fs::read_to_string(path).unwrap();
        let extension = path.extension().unwrap().to_string_lossy().into_owned();
        let mut inputs = vec![original.clone()];
        inputs.extend(variants(&original));
        for (n, input) in inputs.iter().enumerate() {
            let name = format!("case{:04}.{extension}", cases.len());
            std::fs::write(theirs.join(&name), input).unwrap();
            std::fs::write(ours.join(&name), input).unwrap();
            cases.push((name, format!("{} (variant {n})", path.display())));
        }
    }
    let terraform = Command::new("terraform")
        .args(["fmt", "-no-color", "."])
        .current_dir(&theirs)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .expect("terraform runs");
    // Inputs Terraform cannot parse (from the broken corpus) are left out.
    let refused = String::from_utf8_lossy(&terraform.stderr).into_owned();
    let _ = terrane(&ours, &["fmt", "."]);
    let (mut compared, mut failures) = (0, Vec::new());
    for (name, origin) in &cases {
        if refused.contains(&format!("on {name} line")) {
            continue;
        }
        let expected = std::fs::read_to_string(theirs.join(name)).unwrap();
        let got = std::fs::read_to_string(ours.join(name)).unwrap();
        compared += 1;
        if got != expected {
            failures.push(format!(
                "{origin}:\n--- terraform\n{expected}\n--- terrane\n{got}"
            ));
        }
    }
    assert!(compared > 150, "only {compared} comparisons: {refused}");
    eprintln!("compared {compared} inputs with terraform fmt");
    assert!(
        failures.is_empty(),
        "{} of {compared} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn check_diff_recursive_and_a_file_that_does_not_parse() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    std::fs::create_dir_all(root.join("modules/net")).unwrap();
    std::fs::create_dir_all(root.join(".terraform/modules/x")).unwrap();
    let messy = "resource \"aws_vpc\" \"main\" {\ncidr_block=\"10.0.0.0/16\"\n}\n";
    let tidy = "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n";
    std::fs::write(root.join("main.tf"), messy).unwrap();
    std::fs::write(root.join("ok.tf"), tidy).unwrap();
    std::fs::write(root.join("modules/net/main.tf"), messy).unwrap();
    std::fs::write(root.join(".terraform/modules/x/main.tf"), messy).unwrap();

    // --check changes nothing and exits 3, naming what needs formatting.
    let check = terrane(root, &["fmt", "--check", "--diff"]);
    assert_eq!(check.code, 3, "{}", check.log());
    assert!(
        check.stdout.starts_with("main.tf\n") || check.stdout.starts_with("./main.tf\n"),
        "{}",
        check.log()
    );
    assert!(
        check
            .stdout
            .contains("-cidr_block=\"10.0.0.0/16\"\n+  cidr_block = \"10.0.0.0/16\""),
        "{}",
        check.log()
    );
    assert!(!check.stdout.contains("ok.tf"), "{}", check.log());
    assert_eq!(
        std::fs::read_to_string(root.join("main.tf")).unwrap(),
        messy
    );

    // Without --recursive only the directory itself; with it, the modules,
    // never the installed ones under .terraform.
    let run = terrane(root, &["fmt"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(std::fs::read_to_string(root.join("main.tf")).unwrap(), tidy);
    assert_eq!(
        std::fs::read_to_string(root.join("modules/net/main.tf")).unwrap(),
        messy
    );
    let run = terrane(root, &["fmt", "--recursive"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(run.stdout.contains("modules/net/main.tf"), "{}", run.log());
    assert_eq!(
        std::fs::read_to_string(root.join("modules/net/main.tf")).unwrap(),
        tidy
    );
    assert_eq!(
        std::fs::read_to_string(root.join(".terraform/modules/x/main.tf")).unwrap(),
        messy
    );
    assert_eq!(terrane(root, &["fmt", "--check", "--recursive"]).code, 0);

    // The repository's own stacks are canonical.
    let stacks = terrane(
        &repo_path("."),
        &["fmt", "--check", "--recursive", "stacks"],
    );
    assert_eq!(stacks.code, 0, "{}", stacks.log());

    // A file that does not parse is an error at its line; nothing written.
    std::fs::write(
        root.join("bad.tf"),
        "resource \"aws_vpc\" \"x\" {\n  cidr_block = \n",
    )
    .unwrap();
    let bad = terrane(root, &["fmt"]);
    assert_eq!(bad.code, 1, "{}", bad.log());
    assert!(bad.stderr.contains("bad.tf:"), "{}", bad.log());
    assert!(!bad.stderr.contains("panicked"), "{}", bad.log());
}
