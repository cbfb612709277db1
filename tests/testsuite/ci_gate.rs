//! What a CI job gets from `terrane plan`: `--summary-md FILE`, a Markdown
//! summary for the pull request comment, checked by parsing it with a
//! CommonMark renderer with GitHub's table extension (pulldown-cmark): the
//! counts first, replacements and deletions called out above the table of
//! every change, then drift, then the policy findings.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::support::Emulator;
use crate::support::cli::Workspace;

/// The parts of a Markdown document a reviewer sees: headings' text, each
/// table as rows of cell texts (header first), each blockquote's text, and
/// the text before the first heading after the title.
#[derive(Debug, Default)]
struct Rendered {
    headings: Vec<String>,
    tables: Vec<Vec<Vec<String>>>,
    quotes: Vec<String>,
    /// Every block in order, by kind: "heading", "table", "quote", "p".
    order: Vec<&'static str>,
    paragraphs: Vec<String>,
}

fn render(markdown: &str) -> Rendered {
    let mut out = Rendered::default();
    let mut text = String::new();
    let (mut in_heading, mut quote_depth) = (false, 0);
    let mut row: Vec<String> = Vec::new();
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                text.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                out.headings.push(text.clone());
                out.order.push("heading");
            }
            Event::Start(Tag::Table(_)) => {
                out.tables.push(Vec::new());
                out.order.push("table");
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => row.clear(),
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                out.tables.last_mut().unwrap().push(row.clone());
            }
            Event::Start(Tag::TableCell) => text.clear(),
            Event::End(TagEnd::TableCell) => row.push(text.trim().to_string()),
            Event::Start(Tag::BlockQuote(_)) => {
                if quote_depth == 0 {
                    text.clear();
                    out.order.push("quote");
                }
                quote_depth += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                quote_depth -= 1;
                if quote_depth == 0 {
                    out.quotes.push(text.clone());
                }
            }
            Event::Start(Tag::Paragraph) if quote_depth == 0 && !in_heading => text.clear(),
            Event::End(TagEnd::Paragraph) if quote_depth == 0 => {
                out.paragraphs.push(text.clone());
                out.order.push("p");
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push('\n'),
            _ => {}
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pull_request_summary_calls_out_what_reviewers_must_not_miss() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/summary");
    let applied = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.log());

    // Drift: the VPC's Name tag changed by hand.
    let ec2 = emulator.ec2();
    let vpc = crate::support::checks::vpc_tagged(&ec2, "Name", "summary")
        .await
        .expect("the vpc");
    ec2.create_tags()
        .resources(&vpc)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Name")
                .value("renamed-by-hand")
                .build(),
        )
        .send()
        .await
        .expect("tag");
    // A replacement (a subnet's range), a deletion (the gateway) and an
    // update (the VPC's tags).
    ws.edit("main.tf", "10.88.1.0/24", "10.88.2.0/24");
    ws.edit(
        "main.tf",
        "resource \"aws_internet_gateway\" \"main\" {\n  vpc_id = aws_vpc.main.id\n}\n",
        "",
    );
    ws.edit(
        "main.tf",
        "Name = \"summary\"",
        "Name = \"summary\"\n    Team = \"edge\"",
    );

    let summary = ws.root().join("summary.md");
    let plan = ws.run(
        &emulator,
        "plan",
        &[
            "--summary-md",
            summary.to_str().unwrap(),
            "--detailed-exitcode",
        ],
    );
    assert_eq!(plan.code, 2, "{}", plan.log());
    let markdown = std::fs::read_to_string(&summary).expect("the summary was written");
    let doc = render(&markdown);

    // Counts first, as the title's next paragraph.
    assert_eq!(doc.order[0], "heading", "{markdown}");
    assert!(doc.headings[0].starts_with("terrane plan: "), "{markdown}");
    assert_eq!(doc.order[1], "p", "{markdown}");
    assert_eq!(
        doc.paragraphs[0], "1 to add, 1 to change, 2 to destroy (1 of them replaced)",
        "{markdown}"
    );

    // Then the replacement and the deletion, before any table.
    let first_quote = doc
        .order
        .iter()
        .position(|k| *k == "quote")
        .expect("a callout");
    let first_table = doc
        .order
        .iter()
        .position(|k| *k == "table")
        .expect("a table");
    assert!(first_quote < first_table, "{markdown}");
    let callout = &doc.quotes[0];
    assert!(
        callout.contains("aws_subnet.a replaced (forced by cidr_block)"),
        "{callout}"
    );
    assert!(
        callout.contains("aws_internet_gateway.main destroyed"),
        "{callout}"
    );
    assert!(
        !callout.contains("aws_vpc.main"),
        "an update is no risk: {callout}"
    );

    // The tables parse as tables, each row as wide as its header.
    assert_eq!(
        doc.headings[1..],
        ["Changes", "Drift", "Policy"],
        "{markdown}"
    );
    for table in &doc.tables {
        let width = table[0].len();
        assert!(table.iter().all(|row| row.len() == width), "{table:?}");
    }
    let changes = &doc.tables[0];
    assert_eq!(changes[0], ["", "Action", "Resource", "Attributes"]);
    let rows: Vec<(&str, &str)> = changes[1..]
        .iter()
        .map(|r| (r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("destroy", "aws_internet_gateway.main"),
            ("replace (destroy first)", "aws_subnet.a"),
            ("update", "aws_vpc.main"),
        ],
        "{markdown}"
    );
    let drift = &doc.tables[1];
    assert_eq!(drift[1][0], "aws_vpc.main", "{markdown}");
    assert_eq!(drift[1][1], "changed", "{markdown}");
    let policy = &doc.tables[2];
    assert_eq!(
        policy[0],
        ["Severity", "Rule", "Resource", "Finding", "Fix"]
    );
    assert!(
        policy[1..]
            .iter()
            .any(|r| r[0] == "warning" && r[1] == "TRN001" && r[2] == "aws_security_group.bastion"),
        "{markdown}"
    );

    // A clean plan says so.
    let applied = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.log());
    let clean = ws.run(
        &emulator,
        "plan",
        &["--summary-md", summary.to_str().unwrap()],
    );
    assert_eq!(clean.code, 0, "{}", clean.log());
    let doc = render(&std::fs::read_to_string(&summary).unwrap());
    assert!(doc.paragraphs[0].starts_with("No changes."), "{doc:?}");
    assert_eq!(doc.headings[1..], ["Policy"], "{doc:?}");
}

#[test]
fn types_lists_every_supported_type_with_its_arguments() {
    let run = |args: &[&str]| {
        crate::support::cli::Run::from(
            std::process::Command::new(env!("CARGO_BIN_EXE_terrane"))
                .args(args)
                .env("NO_COLOR", "1")
                .output()
                .expect("terrane runs"),
        )
    };
    let listed = run(&["types", "--json"]);
    assert_eq!(listed.code, 0, "{}", listed.log());
    let docs: serde_json::Value = serde_json::from_str(&listed.stdout).expect("json");
    let names: Vec<&str> = docs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    // The README's type list is checked against the registry elsewhere;
    // every type it names is listed here too.
    let readme = std::fs::read_to_string(crate::support::cli::repo_path("README.md")).unwrap();
    for name in [
        "aws_vpc",
        "aws_eks_node_group",
        "aws_wafv2_web_acl",
        "random_id",
    ] {
        assert!(names.contains(&name), "{name}: {names:?}");
        assert!(readme.contains(name), "{name} is in the README");
    }
    assert!(
        names.contains(&"aws_availability_zones"),
        "data sources too"
    );
    let template = docs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "aws_launch_template")
        .unwrap();
    let tokens = template["arguments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "metadata_options.http_tokens")
        .expect("nested arguments are listed");
    assert_eq!(tokens["presence"], "optional, computed");
    assert_eq!(template["service"], "EC2", "each type names its service");

    let one = run(&["types", "aws_subnet"]);
    assert_eq!(one.code, 0, "{}", one.log());
    assert!(
        one.stdout.starts_with("resource aws_subnet\n"),
        "{}",
        one.log()
    );
    assert!(
        one.stdout
            .lines()
            .any(|l| l.contains("vpc_id") && l.contains("required, forces replacement")),
        "{}",
        one.log()
    );
    let missing = run(&["types", "aws_ecs_cluster"]);
    assert_eq!(missing.code, 1, "{}", missing.log());
    assert!(
        missing
            .stderr
            .contains("Terraform's AWS provider has it, terrane does not yet"),
        "{}",
        missing.log()
    );
}

/// The terrane command lines of a job's `run` steps, in order.
fn terrane_lines(workflow: &yaml_rust2::Yaml, job: &str) -> Vec<String> {
    let steps = workflow["jobs"][job]["steps"]
        .as_vec()
        .unwrap_or_else(|| panic!("job {job} has steps"));
    steps
        .iter()
        .filter_map(|step| step["run"].as_str())
        .flat_map(|script| {
            script
                .lines()
                .map(str::trim)
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|line| line.starts_with("terrane "))
        .collect()
}

#[test]
fn the_documented_github_workflow_runs_as_written() {
    let text = std::fs::read_to_string(crate::support::cli::repo_path(
        "docs/examples/github-actions.yml",
    ))
    .expect("the example workflow");
    let workflow = yaml_rust2::YamlLoader::load_from_str(&text)
        .expect("the workflow is valid YAML")
        .remove(0);
    assert_eq!(workflow["env"]["STACK"].as_str(), Some("stacks/production"));
    assert_eq!(workflow["env"]["TF_IN_AUTOMATION"].as_str(), Some("1"));
    let plan_job = terrane_lines(&workflow, "plan");
    let apply_job = terrane_lines(&workflow, "apply");
    let commands: Vec<&str> = plan_job
        .iter()
        .chain(&apply_job)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(commands, ["fmt", "validate", "plan", "show", "apply"]);
    let plan_line = &plan_job[2];
    for flag in [
        "--out plan.bin",
        "--summary-md summary.md",
        "--detailed-exitcode",
    ] {
        assert!(plan_line.contains(flag), "{plan_line}");
    }
    assert!(
        text.contains("--body-file summary.md"),
        "the summary is posted"
    );

    // Each line, as written, with the real binary against the emulator:
    // the pull request's job, then the merge's, on one checkout.
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("stacks/production");
    let stack = ws
        .stack
        .strip_prefix(ws.root())
        .unwrap()
        .display()
        .to_string();
    let mut env: Vec<(&str, &str)> = vec![("TF_IN_AUTOMATION", "1")];
    env.push(("STACK", &stack));
    for line in plan_job.iter().chain(&apply_job) {
        let line = line.replace("\"$STACK\"", &stack);
        let args = shlex::split(&line).expect("a shell line");
        let run = crate::support::cli::terrane_with(&emulator, ws.root(), &args[1..], &env);
        let expected = if args[1] == "plan" { 2 } else { 0 };
        assert_eq!(run.code, expected, "{line}: {}", run.log());
    }
    let summary = std::fs::read_to_string(ws.root().join("summary.md")).expect("summary.md");
    assert!(summary.contains("to add"), "{summary}");
    let again = crate::support::cli::terrane(
        &emulator,
        ws.root(),
        &["plan".into(), stack.clone(), "--detailed-exitcode".into()],
    );
    assert_eq!(
        again.code,
        0,
        "the saved plan was carried out: {}",
        again.log()
    );
}
