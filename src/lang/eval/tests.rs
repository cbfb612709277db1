//! Tests of expression evaluation: literals, templates, references,
//! traversals, operators, conditionals and `for` expressions, including how
//! unknown values flow through each. Also holds the helpers (`check_values`,
//! `check_errors`) that the function tests share.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;

/// Files served to `file()` and friends, keyed by full path.
pub(crate) struct TestFiles(pub BTreeMap<PathBuf, String>);

impl FileReader for TestFiles {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        if path.ends_with("binary.bin") {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ));
        }
        self.0.get(path).cloned().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory")
        })
    }

    fn list_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        Ok(self
            .0
            .keys()
            .filter_map(|path| path.strip_prefix(dir).ok())
            .map(Path::to_path_buf)
            .collect())
    }

    fn home_dir(&self) -> Option<PathBuf> {
        Some(PathBuf::from("/home/op"))
    }
}

pub(crate) const STACK_DIR: &str = "/stack";

/// The stack files the tests can read, relative to [`STACK_DIR`].
fn test_files() -> TestFiles {
    let files = [
        ("hello.txt", "Hello, world!\n"),
        (
            "user_data.sh.tftpl",
            "#!/bin/sh\n%{ for p in ports ~}\nopen ${p}\n%{ endfor ~}\necho ${name}\n",
        ),
        ("bad.tftpl", "line one\n${ nope }\n"),
        ("unclosed.tftpl", "${ name\n"),
        (
            "recursive.tftpl",
            "${templatefile(\"recursive.tftpl\", {})}",
        ),
        ("json.tftpl", "${jsonencode({ name = name })}"),
        ("conf/app.yaml", "port: 80\n"),
        ("conf/deep/db.yaml", "port: 5432\n"),
    ];
    TestFiles(
        files
            .into_iter()
            .map(|(name, text)| (Path::new(STACK_DIR).join(name), text.to_string()))
            .collect(),
    )
}

/// The names every test expression can refer to. Values are written in HCL
/// (literals only) and the unknown ones added by hand.
pub(crate) fn test_scope() -> BTreeMap<String, Value> {
    let literal = r#"{
        var = {
            name = "web"
            nums = [1, 2, 3]
            names = ["a", "b", "c"]
            tags = { Name = "web", Env = "prod" }
            empty = []
            nothing = null
            flag = true
            str_num = "5"
            cidr = "10.0.0.0/16"
            servers = [
                { id = "i-1", tags = { Name = "a" }, ips = ["10.0.0.1"] },
                { id = "i-2", tags = { Name = "b" }, ips = ["10.0.0.2", "10.0.0.3"] },
            ]
            single = { id = "i-9" }
            nested = [[1, 2], [3]]
            template = "Hi, $${name}!"
        }
        aws_instance = { web = { id = "i-1", arn = "arn:aws:ec2:i-1" } }
        each = { key = "k", value = "v" }
        path = { module = "/stack" }
    }"#;
    let expr = hcl_edit::parser::parse_expr(literal).expect("test scope parses");
    let empty = BTreeMap::new();
    let files = test_files();
    let ctx = EvalContext {
        file: FileId(0),
        scope: &empty,
        files: &files,
        stack_dir: Path::new(STACK_DIR),
        clock: Default::default(),
    };
    let Ok(Value::Map(mut scope)) = eval(&expr, &ctx) else {
        panic!("test scope evaluates to an object");
    };
    scope.insert("unknown".into(), Value::Unknown);
    scope.insert(
        "partial".into(),
        Value::List(vec!["known".into(), Value::Unknown].into()),
    );
    scope.insert(
        "pending".into(),
        Value::Map(
            [
                ("known".to_string(), Value::from("k")),
                ("later".to_string(), Value::Unknown),
            ]
            .into(),
        ),
    );
    scope.into_attrs()
}

/// Evaluates `src` against [`test_scope`] and the test files, as while
/// validating (no plan time, impure functions unknown).
pub(crate) fn run(src: &str) -> Result<Value, Diagnostic> {
    run_at(src, Clock::default())
}

/// Evaluates `src` with `clock` for `timestamp()` and friends.
pub(crate) fn run_at(src: &str, clock: Clock) -> Result<Value, Diagnostic> {
    run_in(src, &test_scope(), clock)
}

/// Evaluates `src` against `scope` and the test files.
fn run_in(src: &str, scope: &BTreeMap<String, Value>, clock: Clock) -> Result<Value, Diagnostic> {
    let expr = hcl_edit::parser::parse_expr(src)
        .unwrap_or_else(|err| panic!("{src:?} does not parse: {err}"));
    let files = test_files();
    let ctx = EvalContext {
        file: FileId(7),
        scope,
        files: &files,
        stack_dir: Path::new(STACK_DIR),
        clock,
    };
    eval(&expr, &ctx)
}

/// The source text a diagnostic points at.
pub(crate) fn span_text<'s>(src: &'s str, diag: &Diagnostic) -> &'s str {
    match &diag.span {
        Some(span) => {
            assert_eq!(
                span.file,
                FileId(7),
                "diagnostic for {src:?} is located in the expression's file"
            );
            &src[span.range.clone()]
        }
        None => "<no span>",
    }
}

/// Checks `(expression, expected)` pairs, where `expected` is an expression
/// too (usually a literal; `unknown` stands for an unknown value). Reports
/// every mismatch at once.
pub(crate) fn check_values(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (src, expected_src) in cases {
        let expected = run(expected_src)
            .unwrap_or_else(|d| panic!("expected value {expected_src:?} fails: {d:?}"));
        match run(src) {
            Ok(actual) if actual == expected => {}
            Ok(actual) => failures.push(format!(
                "{src}\n    expected {expected:?}\n    got      {actual:?}"
            )),
            Err(diag) => failures.push(format!(
                "{src}\n    expected {expected:?}\n    got error {}: {}",
                diag.summary,
                diag.detail.unwrap_or_default()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Checks `(expression, summary, span text, words in the detail)` cases:
/// the evaluation fails with that summary, the diagnostic points at exactly
/// that text, and its detail (plus hint) contains the given fragment.
pub(crate) fn check_errors(cases: &[(&str, &str, &str, &str)]) {
    let mut failures = Vec::new();
    for (src, summary, span, fragment) in cases {
        match run(src) {
            Ok(value) => failures.push(format!(
                "{src}\n    expected error {summary:?}, got {value:?}"
            )),
            Err(diag) => {
                let text = span_text(src, &diag);
                let detail = format!(
                    "{} {}",
                    diag.detail.clone().unwrap_or_default(),
                    diag.hint.clone().unwrap_or_default()
                );
                if diag.summary != *summary || text != *span || !detail.contains(fragment) {
                    failures.push(format!(
                        "{src}\n    expected {summary:?} at {span:?} mentioning {fragment:?}\n    got      {:?} at {text:?}: {detail}",
                        diag.summary
                    ));
                }
                assert!(
                    !diag.summary.ends_with('.'),
                    "summary {:?} has no trailing period",
                    diag.summary
                );
                assert!(
                    !diag.summary.contains('\n'),
                    "summary {:?} is one line",
                    diag.summary
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn literals() {
    let cases: Vec<(&str, Value)> = vec![
        ("null", Value::Null),
        ("true", Value::Bool(true)),
        ("false", Value::Bool(false)),
        ("42", Value::float(42.0)),
        ("1.5", Value::float(1.5)),
        ("1e3", Value::float(1000.0)),
        (r#""hi""#, Value::from("hi")),
        (r#""a\nb\t\"q\" \u00e9""#, Value::from("a\nb\t\"q\" é")),
        (
            r#""$${not} %%{interpolated}""#,
            Value::from("${not} %{interpolated}"),
        ),
        ("[]", Value::List(vec![].into())),
        (
            r#"[1, "a", true, null]"#,
            Value::List(vec![1.into(), "a".into(), true.into(), Value::Null].into()),
        ),
        ("{}", Value::Map(Attrs::new().into())),
        ("(((7)))", Value::float(7.0)),
    ];
    for (src, expected) in cases {
        assert_eq!(run(src).unwrap(), expected, "{src}");
    }
}

#[test]
fn objects() {
    check_values(&[
        (
            r#"{a = 1, "b-c" = 2, d: 3}"#,
            r#"{"a" = 1, "b-c" = 2, "d" = 3}"#,
        ),
        ("{(var.name) = 1}", r#"{web = 1}"#),
        (r#"{"${var.name}-x" = 1}"#, r#"{"web-x" = 1}"#),
        ("{(1) = true}", r#"{"1" = true}"#),
        (
            "{a = {b = [1, {c = null}]}}",
            r#"{"a" = {"b" = [1, {"c" = null}]}}"#,
        ),
        // A bare name as a key is literal, not a reference.
        ("{var = 1}", r#"{"var" = 1}"#),
        ("{a = unknown}", r#"{"a" = unknown}"#),
        ("{(unknown) = 1}", "unknown"),
    ]);
    check_errors(&[
        (
            "{(var.nothing) = 1}",
            "Invalid object key",
            "(var.nothing)",
            "must not be null",
        ),
        (
            "{(var.nums) = 1}",
            "Invalid object key",
            "(var.nums)",
            "got list",
        ),
        ("{a = 1, b = nope}", "Unknown reference", "nope", "nope"),
    ]);
}

#[test]
fn templates() {
    check_values(&[
        (r#""hello ${var.name}""#, r#""hello web""#),
        (
            r#""n=${1 + 2}, f=${1.5}, b=${true}""#,
            r#""n=3, f=1.5, b=true""#,
        ),
        // A lone interpolation yields the value itself, unconverted.
        (r#""${var.nums}""#, "[1, 2, 3]"),
        (r#""${42}""#, "42"),
        (r#""%{if var.flag}yes%{else}no%{endif}""#, r#""yes""#),
        (r#""%{if !var.flag}yes%{else}no%{endif}""#, r#""no""#),
        (r#""[%{if false}yes%{endif}]""#, r#""[]""#),
        (r#""%{if "true"}ok%{endif}""#, r#""ok""#),
        (r#""%{for n in var.names}${n},%{endfor}""#, r#""a,b,c,""#),
        (
            r#""%{for i, n in var.names}${i}=${n} %{endfor}""#,
            r#""0=a 1=b 2=c ""#,
        ),
        (
            r#""%{for k, v in var.tags}${k}:${v};%{endfor}""#,
            r#""Env:prod;Name:web;""#,
        ),
        (r#""%{for n in var.empty}x%{endfor}""#, r#""""#),
        (
            r#""%{for n in var.nums}%{if n > 1}${n}%{endif}%{endfor}""#,
            r#""23""#,
        ),
        // Strip markers remove the whitespace on their side, newlines included.
        (r#""a   ${~ "b" ~}   c""#, r#""abc""#),
        (r#""a  ${"b" ~}  c""#, r#""a  bc""#),
        (
            "\"x \n %{~ if true ~} \n y \n %{~ endif ~} \n z\"",
            r#""xyz""#,
        ),
        (
            "\"%{ if false ~}  a  %{~ else ~}  b  %{~ endif }\"",
            r#""b""#,
        ),
        // Iteration variables shadow outer names only inside the directive.
        (
            r#""%{for var in [1, 2]}${var}%{endfor}${var.name}""#,
            r#""12web""#,
        ),
    ]);
}

#[test]
fn heredocs() {
    check_values(&[
        ("<<EOT\nline1\nline2\nEOT", r#""line1\nline2\n""#),
        ("<<EOT\n  keep ${var.name}\nEOT", r#""  keep web\n""#),
        (
            "<<-EOT\n    hello\n      ${var.name}\n    EOT",
            r#""hello\n  web\n""#,
        ),
        (
            "<<EOT\n%{ for n in var.names ~}\n- ${n}\n%{ endfor ~}\nEOT",
            r#""- a\n- b\n- c\n""#,
        ),
        ("<<EOT\n${jsonencode({a = 1})}\nEOT", r#""{\"a\":1}\n""#),
        ("<<EOT\nx ${unknown}\nEOT", "unknown"),
    ]);
}

#[test]
fn templates_with_unknowns() {
    check_values(&[
        (r#""x-${unknown}""#, "unknown"),
        (r#""${unknown}""#, "unknown"),
        (r#""%{if unknown}a%{endif}""#, "unknown"),
        (r#""%{for x in unknown}a%{endfor}""#, "unknown"),
        (r#""%{for x in partial}${x}%{endfor}""#, "unknown"),
        (r#""%{for x in partial}a%{endfor}""#, r#""aa""#),
    ]);
}

#[test]
fn template_errors() {
    check_errors(&[
        (
            r#""x${var.nothing}""#,
            "Invalid template interpolation value",
            "var.nothing",
            "null",
        ),
        (
            r#""x${var.nums}""#,
            "Invalid template interpolation value",
            "var.nums",
            "got list",
        ),
        (
            r#""%{if 1}a%{endif}""#,
            "Incorrect condition type",
            "1",
            "bool",
        ),
        (
            r#""%{if var.nothing}a%{endif}""#,
            "Null condition",
            "var.nothing",
            "null",
        ),
        (
            r#""%{for x in 5}a%{endfor}""#,
            "Iteration over non-iterable value",
            "5",
            "number",
        ),
        (
            r#""%{for x in var.nums}${x.y}%{endfor}""#,
            "Unsupported attribute",
            "y",
            "primitive",
        ),
    ]);
}

#[test]
fn references_and_indices() {
    check_values(&[
        ("var.name", r#""web""#),
        ("aws_instance.web.id", r#""i-1""#),
        ("each.key", r#""k""#),
        ("path.module", r#""/stack""#),
        ("var.nums[1]", "2"),
        (r#"var.nums["1"]"#, "2"),
        ("var.nums[1.0]", "2"),
        ("var.nums.0", "1"),
        ("var.nested[0][1]", "2"),
        ("var.nested.1.0", "3"),
        (r#"var.tags["Name"]"#, r#""web""#),
        ("var.tags.Env", r#""prod""#),
        (r#"{"1" = "one"}[1]"#, r#""one""#),
        ("var.servers[1].tags.Name", r#""b""#),
        ("[10, 20, 30][2]", "30"),
        ("{a = {b = 5}}.a.b", "5"),
        ("(var.tags).Name", r#""web""#),
        // Unknowns: traversing them gives unknown; known parts stay known.
        ("unknown.foo", "unknown"),
        ("unknown[0]", "unknown"),
        ("unknown.a.b[3]", "unknown"),
        ("var.nums[unknown]", "unknown"),
        ("partial[0]", r#""known""#),
        ("partial[1]", "unknown"),
        ("pending.known", r#""k""#),
        ("pending.later", "unknown"),
    ]);
}

#[test]
fn reference_errors() {
    check_errors(&[
        ("nope", "Unknown reference", "nope", "\"nope\""),
        (
            "varr.name",
            "Unknown reference",
            "varr",
            "did you mean \"var\"",
        ),
        (
            "var.missing",
            "Unsupported attribute",
            "missing",
            "\"missing\"",
        ),
        (
            "var.tags.Nmae",
            "Unsupported attribute",
            "Nmae",
            "did you mean \"Name\"",
        ),
        (
            "var.tags.zzz",
            "Unsupported attribute",
            "zzz",
            "available: \"Env\", \"Name\"",
        ),
        ("var.nums[3]", "Invalid index", "3", "3 elements"),
        ("var.nums[-1]", "Invalid index", "-1", "out of range"),
        ("var.nums[0.5]", "Invalid index", "0.5", "whole number"),
        (r#"var.nums["x"]"#, "Invalid index", r#""x""#, "number"),
        (
            "var.nums[var.nothing]",
            "Invalid index",
            "var.nothing",
            "null",
        ),
        ("var.nums[true]", "Invalid index", "true", "got bool"),
        ("var.empty[0]", "Invalid index", "0", "0 elements"),
        ("var.nums.7", "Invalid index", ".7", "out of range"),
        (
            r#"var.tags["nope"]"#,
            "Invalid index",
            r#""nope""#,
            "\"nope\"",
        ),
        (
            "var.tags[var.nums]",
            "Invalid index",
            "var.nums",
            "got list",
        ),
        (
            "var.name[0]",
            "Invalid index",
            "0",
            "string value does not have any indices",
        ),
        (
            "var.nothing.x",
            "Attempt to get attribute from null value",
            "x",
            "null",
        ),
        ("var.nothing[0]", "Attempt to index null value", "0", "null"),
        ("var.servers.id", "Unsupported attribute", "id", "[*].id"),
        ("var.name.x", "Unsupported attribute", "x", "primitive"),
        ("var.nums[nope]", "Unknown reference", "nope", "nope"),
    ]);
}

#[test]
fn splats() {
    check_values(&[
        ("var.servers[*].id", r#"["i-1", "i-2"]"#),
        ("var.servers.*.id", r#"["i-1", "i-2"]"#),
        ("var.servers[*].tags.Name", r#"["a", "b"]"#),
        ("var.servers.*.tags.Name", r#"["a", "b"]"#),
        // A full splat applies every later operator to each element…
        ("var.servers[*].ips[0]", r#"["10.0.0.1", "10.0.0.2"]"#),
        // …an attribute splat only the attribute accesses.
        ("var.servers.*.ips[1]", r#"["10.0.0.2", "10.0.0.3"]"#),
        ("var.nested[*][0]", "[1, 3]"),
        ("var.nums[*]", "[1, 2, 3]"),
        ("[[1, 2], [3, 4]][*][*]", "[[1, 2], [3, 4]]"),
        (
            "[{a = [{b = 1}, {b = 2}]}, {a = [{b = 3}]}][*].a[*].b",
            "[[1, 2], [3]]",
        ),
        // A single value splats as a one-element list, null as an empty one.
        ("var.single[*].id", r#"["i-9"]"#),
        ("var.single.*.id", r#"["i-9"]"#),
        ("var.nothing[*]", "[]"),
        ("var.nothing[*].id", "[]"),
        ("var.empty[*].id", "[]"),
        ("unknown[*].id", "unknown"),
        ("[{a = unknown}, {a = 1}][*].a", "[unknown, 1]"),
        ("[unknown, {a = 1}][*].a", "[unknown, 1]"),
    ]);
    check_errors(&[
        (
            "var.servers[*].missing",
            "Unsupported attribute",
            "missing",
            "\"missing\"",
        ),
        (
            "var.servers[*].ips[5]",
            "Invalid index",
            "5",
            "out of range",
        ),
    ]);
}

#[test]
fn arithmetic_and_comparison() {
    check_values(&[
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 / 4", "2.5"),
        ("10 - 2 - 3", "5"),
        ("7 % 3", "1"),
        ("-7 % 3", "-1"),
        // Terraform's modulo by zero is the left operand.
        ("5 % (2 - 2)", "5"),
        ("-var.nums[0]", "-1"),
        ("- - 2", "2"),
        ("!true", "false"),
        ("!!var.flag", "true"),
        (r#""5" + 1"#, "6"),
        ("var.str_num * 2", "10"),
        (r#""1.5" * "2""#, "3"),
        // 512-bit numbers, as Terraform's: 0.1 + 0.2 is not above 0.3.
        ("0.1 + 0.2 > 0.3", "false"),
        ("0.1 + 0.2 == 0.3", "true"),
        ("1 / 0 > 1e300", "true"),
        ("-1 / 0 < -1e300", "true"),
        ("tostring(-1 / 0)", r#""-Inf""#),
        ("1 < 2", "true"),
        ("2 <= 2", "true"),
        ("3 > 4", "false"),
        ("3 >= 4", "false"),
        (r#""10" > 9"#, "true"),
        ("1 == 1.0", "true"),
        (r#"1 == "1""#, "false"),
        (r#""a" != "b""#, "true"),
        ("[1, 2] == [1, 2]", "true"),
        ("[1, 2] == [2, 1]", "false"),
        ("{a = 1} == {a = 1}", "true"),
        ("{a = 1} == {a = 2}", "false"),
        ("{a = 1} == {b = 1}", "false"),
        ("null == null", "true"),
        ("var.nothing == null", "true"),
        ("var.name == null", "false"),
        ("[] == {}", "false"),
        ("true && false", "false"),
        ("true || false", "true"),
        (r#""true" && true"#, "true"),
        ("1 < 2 && 2 < 3 || false", "true"),
    ]);
}

#[test]
fn operators_with_unknowns() {
    check_values(&[
        ("unknown + 1", "unknown"),
        ("1 * unknown", "unknown"),
        ("-unknown", "unknown"),
        ("!unknown", "unknown"),
        ("unknown < 1", "unknown"),
        ("unknown == 1", "unknown"),
        ("unknown != null", "unknown"),
        ("[1, unknown] == [1, 2]", "unknown"),
        // Known parts can decide equality on their own.
        ("[1, unknown] == [1, 2, 3]", "false"),
        ("[2, unknown] == [1, 2]", "false"),
        ("{a = unknown} == {b = 1}", "false"),
        ("false && unknown", "false"),
        ("true || unknown", "true"),
        ("unknown && false", "false"),
        ("unknown || true", "true"),
        ("unknown && true", "unknown"),
        ("true && unknown", "unknown"),
        ("partial[0] == \"known\"", "true"),
        // Short-circuiting skips the right operand, errors and all.
        ("false && nope", "false"),
        ("true || 1 / 0 == 1", "true"),
    ]);
}

#[test]
fn operator_errors() {
    check_errors(&[
        (
            r#"1 + "a""#,
            "Invalid operand",
            r#""a""#,
            "right operand: a number is required. the right operand is string \"a\"",
        ),
        ("true + 1", "Invalid operand", "true", "left operand"),
        (
            "[] - 1",
            "Invalid operand",
            "[]",
            "the left operand is list",
        ),
        (
            "var.nothing + 1",
            "Invalid operand",
            "var.nothing",
            "the left operand is null",
        ),
        (r#"-"x""#, "Invalid operand", r#""x""#, "number"),
        ("!1", "Invalid operand", "1", "bool"),
        (
            "0 / 0",
            "Operation failed",
            "0 / 0",
            "can't divide zero by zero",
        ),
        (
            "1 / 0 - 1 / 0",
            "Operation failed",
            "1 / 0 - 1 / 0",
            "subtract infinity from itself",
        ),
        (
            "0 * (1 / 0)",
            "Operation failed",
            "0 * (1 / 0)",
            "can't multiply zero by infinity",
        ),
        (
            "5 % (1 / 0)",
            "Operation failed",
            "5 % (1 / 0)",
            "modulo with zero and infinity",
        ),
        ("1 && true", "Invalid operand", "1", "bool"),
        ("true && 1", "Invalid operand", "1", "right operand"),
        (r#"1 < "b""#, "Invalid operand", r#""b""#, "number"),
        (
            "unknown + {}",
            "Invalid operand",
            "{}",
            "the right operand is map",
        ),
    ]);
}

#[test]
fn conditionals() {
    check_values(&[
        ("true ? 1 : 2", "1"),
        ("false ? 1 : 2", "2"),
        (r#""false" ? "a" : "b""#, r#""b""#),
        ("var.flag ? var.name : null", r#""web""#),
        // Only the chosen branch is evaluated.
        (
            r#"var.nothing == null ? "none" : var.nothing.id"#,
            r#""none""#,
        ),
        ("true ? 1 : nope", "1"),
        ("unknown ? 1 : 2", "unknown"),
        ("true ? unknown : 2", "unknown"),
        ("false ? unknown : 2", "2"),
        ("1 > 0 ? (2 > 1 ? \"a\" : \"b\") : \"c\"", r#""a""#),
    ]);
    check_errors(&[
        ("1 ? 2 : 3", "Incorrect condition type", "1", "bool"),
        (
            "var.nothing ? 1 : 2",
            "Null condition",
            "var.nothing",
            "null",
        ),
        (
            "true ? var.missing : 2",
            "Unsupported attribute",
            "missing",
            "missing",
        ),
    ]);
}

#[test]
fn for_expressions() {
    check_values(&[
        ("[for n in var.nums : n * 2]", "[2, 4, 6]"),
        (
            r#"[for i, n in var.names : "${i}${n}"]"#,
            r#"["0a", "1b", "2c"]"#,
        ),
        ("[for n in var.nums : n if n > 1]", "[2, 3]"),
        ("[for i, n in var.nums : n if i != 1]", "[1, 3]"),
        (
            "{for n in var.names : n => upper(n)}",
            r#"{a = "A", b = "B", c = "C"}"#,
        ),
        (
            "{for k, v in var.tags : v => k}",
            r#"{web = "Name", prod = "Env"}"#,
        ),
        ("[for k, v in var.tags : k]", r#"["Env", "Name"]"#),
        ("[for v in var.tags : v]", r#"["prod", "web"]"#),
        (
            "{for s in var.servers : s.tags.Name => s.id}",
            r#"{a = "i-1", b = "i-2"}"#,
        ),
        (
            "{for i, n in var.names : i => n}",
            r#"{"0" = "a", "1" = "b", "2" = "c"}"#,
        ),
        (
            r#"{for n in [1, 2, 3, 4] : (n % 2 == 0 ? "even" : "odd") => n...}"#,
            "{even = [2, 4], odd = [1, 3]}",
        ),
        (
            "{for s in [\"a\", \"b\", \"a\"] : s => s...}",
            r#"{a = ["a", "a"], b = ["b"]}"#,
        ),
        ("[for n in [] : n]", "[]"),
        ("{for n in [] : n => n}", "{}"),
        // Iteration variables shadow outer names, and only inside the `for`.
        ("[for var in [1, 2] : var]", "[1, 2]"),
        (
            r#"[for n in var.nums : "${var.name}-${n}"]"#,
            r#"["web-1", "web-2", "web-3"]"#,
        ),
        (
            "[for a in [1, 2] : [for b in [10, 20] : a + b]]",
            "[[11, 21], [12, 22]]",
        ),
        ("[for n in [1] : [for n in [2] : n]]", "[[2]]"),
        ("[for n in [1, 2] : n][1]", "2"),
    ]);
}

#[test]
fn for_expressions_with_unknowns() {
    check_values(&[
        ("[for n in unknown : n]", "unknown"),
        ("{for k, v in unknown : k => v}", "unknown"),
        (r#"[for n in partial : n]"#, r#"["known", unknown]"#),
        (
            "[for n in var.nums : unknown]",
            "[unknown, unknown, unknown]",
        ),
        ("[for n in var.nums : n if unknown]", "unknown"),
        ("{for n in var.names : unknown => n}", "unknown"),
        (
            "{for n in var.names : n => unknown}",
            "{a = unknown, b = unknown, c = unknown}",
        ),
        ("length([for n in partial : n])", "2"),
    ]);
}

#[test]
fn for_expression_errors() {
    check_errors(&[
        (
            r#"{for item in ["a", "a"] : upper(item) => 1}"#,
            "Duplicate object key",
            "upper(item)",
            "\"A\"",
        ),
        (
            "[for n in var.nothing : n]",
            "Iteration over null value",
            "var.nothing",
            "null",
        ),
        (
            "[for n in 5 : n]",
            "Iteration over non-iterable value",
            "5",
            "number",
        ),
        (
            "[for n in [1] : n if n + 1]",
            "Incorrect condition type",
            "n + 1",
            "bool",
        ),
        (
            "[for n in [1] : n if null]",
            "Null condition",
            "null",
            "null",
        ),
        (
            "{for n in [1] : null => n}",
            "Invalid object key",
            "null",
            "null",
        ),
        (
            "{for n in [1] : [n] => n}",
            "Invalid object key",
            "[n]",
            "got list",
        ),
        (
            "[for k, k in [1] : k]",
            "Invalid 'for' expression",
            "k",
            "different names",
        ),
        (
            "[for n in [0, 1] : 0 / n]",
            "Operation failed",
            "0 / n",
            "divide zero by zero",
        ),
        (
            "[for n in [1] : m]",
            "Unknown reference",
            "m",
            "did you mean \"n\"",
        ),
    ]);
}

#[test]
fn function_dispatch() {
    check_values(&[
        ("length([1, 2])", "2"),
        ("core::length([1, 2])", "2"),
        ("max(var.nums...)", "3"),
        ("max(0, var.nums...)", "3"),
        ("concat(var.nested...)", "[1, 2, 3]"),
        ("max(unknown...)", "unknown"),
    ]);
    check_errors(&[
        ("nope(1)", "Call to unknown function", "nope", "\"nope\""),
        (
            "lenght([])",
            "Call to unknown function",
            "lenght",
            "did you mean \"length\"",
        ),
        (
            "provider::aws::arn_parse(\"x\")",
            "Call to unknown function",
            "arn_parse",
            "provider::aws::arn_parse",
        ),
        (
            "max(var.name...)",
            "Invalid expanding argument value",
            "var.name",
            "got string",
        ),
        (
            "length()",
            "Not enough function arguments",
            "length()",
            "Missing value for \"value\"",
        ),
        (
            "length([], [1])",
            "Too many function arguments",
            "[1]",
            "expects only 1",
        ),
        (
            "lookup({})",
            "Not enough function arguments",
            "lookup({})",
            "at least 2",
        ),
        (
            "upper(null)",
            "Invalid function argument",
            "null",
            "must not be null",
        ),
        ("upper(nope)", "Unknown reference", "nope", "nope"),
        (
            "length(var.name, var.nums...)",
            "Too many function arguments",
            "var.nums",
            "expects only 1",
        ),
    ]);
}

/// A branch with elements not known yet (a resource to be created) or
/// null unifies with an empty one: an unknown may be of any type.
#[test]
fn conditionals_with_unknown_or_null_elements_are_not_refused() {
    for src in [
        "true ? [unknown] : []",
        "false ? [] : [unknown, 1]",
        "true ? { Name = unknown } : {}",
        "true ? [null] : [1, 2]",
        "true ? [1, unknown] : [[1], 2]",
    ] {
        assert!(run(src).is_ok(), "{src}: {:?}", run(src));
    }
    let refused = run("true ? [1, [1]] : []").unwrap_err();
    assert_eq!(refused.summary, "Inconsistent conditional result types");
}

#[test]
fn sets_with_unknown_elements_compare_and_count_as_unknown() {
    use crate::provider::schema::Type;
    let strings = Type::set_of(Type::String);
    let pending = strings
        .convert(Value::from(vec![Value::Unknown, "a".into()]))
        .unwrap();
    let known = strings.convert(Value::from(vec!["a", "b"])).unwrap();
    // The unknown may be "b", or "a" (one element then): neither how many
    // elements there are nor which pair up is known.
    assert_eq!(equal_values(&pending, &known), None);
    assert_eq!(equal_values(&known, &known), Some(true));

    let scope = BTreeMap::from([("pending".to_string(), pending)]);
    let length = run_in("length(pending)", &scope, Clock::default());
    assert_eq!(length.unwrap(), Value::Unknown);
}

#[test]
fn deep_equality() {
    let list = |items: Vec<Value>| Value::List(items.into());
    assert_eq!(deep_equal(&1.into(), &1.into()), Some(true));
    assert_eq!(deep_equal(&Value::Null, &Value::Null), Some(true));
    assert_eq!(deep_equal(&Value::Null, &"".into()), Some(false));
    assert_eq!(
        deep_equal(&list(vec![Value::Unknown]), &list(vec![1.into()])),
        None
    );
    assert_eq!(
        deep_equal(
            &list(vec![Value::Unknown, 2.into()]),
            &list(vec![1.into(), 3.into()])
        ),
        Some(false)
    );
}

#[test]
fn numeric_strings() {
    for (text, expected) in [
        ("5", Some(5.0)),
        ("-1.5", Some(-1.5)),
        ("1e3", Some(1000.0)),
        ("+2", Some(2.0)),
        // Go's big.ParseFloat, which Terraform converts strings with, takes these.
        ("inf", Some(f64::INFINITY)),
        ("-Inf", Some(f64::NEG_INFINITY)),
    ] {
        let number = to_number(&Value::string(text)).map(|n| n.to_f64());
        assert_eq!(number, expected, "{text}");
    }
    for text in [
        "", " 5", "5 ", "NaN", "infinity", "0x10", "1_000", "abc", "-", ".",
    ] {
        assert_eq!(to_number(&Value::string(text)), None, "{text:?}");
    }
}

#[test]
fn chained_scope_shadows_and_lists_names() {
    let outer: BTreeMap<String, Value> = [
        ("a".to_string(), Value::from(1)),
        ("b".to_string(), Value::from(2)),
    ]
    .into();
    let inner = ChainedScope {
        bindings: [("a".to_string(), Value::from("shadow"))].into(),
        parent: Some(&outer),
    };
    assert_eq!(inner.lookup("a"), Some(&Value::from("shadow")));
    assert_eq!(inner.lookup("b"), Some(&Value::from(2)));
    assert_eq!(inner.lookup("c"), None);
    let mut names = inner.names();
    names.sort_unstable();
    assert_eq!(names, ["a", "a", "b"]);
    let isolated = ChainedScope {
        bindings: BTreeMap::new(),
        parent: None,
    };
    assert_eq!(isolated.lookup("a"), None);
}

#[test]
fn object_values_are_checked_even_under_unknown_keys() {
    check_errors(&[("{(unknown) = nope}", "Unknown reference", "nope", "nope")]);
}
