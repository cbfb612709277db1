//! Tests of the built-in functions: results, unknown propagation, errors
//! (summary, and the argument the diagnostic points at), and a sweep that
//! calls every function with ill-typed arguments to show none panics.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::diag::FileId;
use crate::lang::eval::Clock;
use crate::lang::eval::tests::{STACK_DIR, TestFiles, check_errors, check_values, test_scope};

#[test]
fn numbers() {
    check_values(&[
        ("abs(-3)", "3"),
        (r#"abs("-2.5")"#, "2.5"),
        ("ceil(1.2)", "2"),
        ("ceil(-1.2)", "-1"),
        ("floor(-1.5)", "-2"),
        ("floor(7)", "7"),
        ("signum(-5)", "-1"),
        ("signum(0)", "0"),
        ("signum(3)", "1"),
        ("pow(2, 10)", "1024"),
        ("pow(4, 0.5)", "2"),
        ("min(3, 1, 2)", "1"),
        ("max(3, 1, 2)", "3"),
        (r#"max("7", 3)"#, "7"),
        ("max(-1)", "-1"),
        ("sum([1, 2, 3.5])", "6.5"),
        (r#"sum(["1", 2])"#, "3"),
        ("range(3)", "[0, 1, 2]"),
        ("range(1, 4)", "[1, 2, 3]"),
        ("range(0, 10, 3)", "[0, 3, 6, 9]"),
        ("range(5, 0, -2)", "[5, 3, 1]"),
        ("range(-3)", "[0, -1, -2]"),
        ("range(3, 1)", "[3, 2]"),
        ("range(0)", "[]"),
        ("range(1, 1)", "[]"),
        ("range(0, 1, 0.25)", "[0, 0.25, 0.5, 0.75]"),
    ]);
    check_errors(&[
        (
            r#"abs("x")"#,
            "Invalid function argument",
            r#""x""#,
            r#"number required, got string "x""#,
        ),
        ("abs([])", "Invalid function argument", "[]", "got list"),
        (
            "min()",
            "Error in function call",
            "min()",
            "at least one number",
        ),
        (
            r#"max(1, "two")"#,
            "Invalid function argument",
            r#""two""#,
            "\"numbers\" parameter",
        ),
        ("sum([])", "Invalid function argument", "[]", "empty list"),
        (
            r#"sum(["a"])"#,
            "Invalid function argument",
            r#"["a"]"#,
            "element 0",
        ),
        (
            "pow(-8, 0.5)",
            "Error in function call",
            "pow(-8, 0.5)",
            "not a number",
        ),
        (
            "range()",
            "Error in function call",
            "range()",
            "one, two, or three",
        ),
        (
            "range(1, 2, 3, 4)",
            "Error in function call",
            "range(1, 2, 3, 4)",
            "one, two, or three",
        ),
        (
            "range(1, 2, 0)",
            "Error in function call",
            "range(1, 2, 0)",
            "more than 1024 values",
        ),
        (
            "range(5, 0, 1)",
            "Invalid function argument",
            "0",
            "end must be greater than start",
        ),
        (
            "range(0, 5, -1)",
            "Invalid function argument",
            "5",
            "end must be less than start",
        ),
        (
            "range(2000)",
            "Error in function call",
            "range(2000)",
            "more than 1024 values",
        ),
    ]);
}

#[test]
fn strings() {
    check_values(&[
        (r#"lower("ABC")"#, r#""abc""#),
        (r#"upper("abc")"#, r#""ABC""#),
        ("upper(5)", r#""5""#),
        (
            r#"title("hello world-foo bar_baz o'neil")"#,
            r#""Hello World-Foo Bar_baz O'Neil""#,
        ),
        (r#"strrev("abc")"#, r#""cba""#),
        (r#"strrev("héllo")"#, r#""olléh""#),
        (r#"trimspace("  a b \n")"#, r#""a b""#),
        (r#"trim("?!hello?!", "!?")"#, r#""hello""#),
        (r#"trimprefix("helloworld", "hello")"#, r#""world""#),
        (r#"trimprefix("hellohello", "hello")"#, r#""hello""#),
        (r#"trimprefix("x", "y")"#, r#""x""#),
        (r#"trimsuffix("helloworld", "world")"#, r#""hello""#),
        (r#"chomp("hello\n\n")"#, r#""hello""#),
        (r#"chomp("a\r\n")"#, r#""a""#),
        (r#"chomp("a\nb")"#, r#""a\nb""#),
        (r#"indent(2, "a\nb\n")"#, r#""a\n  b\n  ""#),
        (r#"startswith("hello", "he")"#, "true"),
        (r#"startswith("hello", "x")"#, "false"),
        (r#"endswith("hello", "lo")"#, "true"),
        (r#"strcontains("hello", "ell")"#, "true"),
        (r#"substr("hello world", 1, 4)"#, r#""ello""#),
        (r#"substr("hello", -3, -1)"#, r#""llo""#),
        (r#"substr("hello", 0, 100)"#, r#""hello""#),
        (r#"substr("hello", 10, 2)"#, r#""""#),
        (r#"substr("hello", -10, 2)"#, r#""he""#),
        (r#"substr("héllo", 1, 2)"#, r#""él""#),
        (r#"replace("1 + 2 + 3", "+", "-")"#, r#""1 - 2 - 3""#),
        (r#"replace("aaa", "a", "")"#, r#""""#),
        (r#"replace("a/b", "/", "_")"#, r#""a_b""#),
        (r#"split(",", "a,b,c")"#, r#"["a", "b", "c"]"#),
        (r#"split(",", "")"#, r#"[""]"#),
        (r#"split(", ", "a, b")"#, r#"["a", "b"]"#),
        (r#"split("", "ab")"#, r#"["a", "b"]"#),
        (r#"join(", ", ["a", "b"])"#, r#""a, b""#),
        (r#"join("-", ["a"], ["b", "c"])"#, r#""a-b-c""#),
        (r#"join(",", [])"#, r#""""#),
        (r#"join(",", [1, true])"#, r#""1,true""#),
    ]);
    check_errors(&[
        (
            "upper([1])",
            "Invalid function argument",
            "[1]",
            r#"Invalid value for "str" parameter: string required, got list"#,
        ),
        (
            r#"substr("abc", "x", 1)"#,
            "Invalid function argument",
            r#""x""#,
            "\"offset\"",
        ),
        (
            r#"substr("abc", 0, 1.5)"#,
            "Invalid function argument",
            "1.5",
            "whole number",
        ),
        (
            r#"replace("abc", "/(/", "x")"#,
            "Invalid function argument",
            r#""/(/""#,
            "invalid regular expression",
        ),
        (
            r#"split(",", [1])"#,
            "Invalid function argument",
            "[1]",
            "\"str\"",
        ),
        (
            r#"join(",", ["a", null])"#,
            "Invalid function argument",
            r#"["a", null]"#,
            "element 1 is null",
        ),
        (
            r#"join(",", ["a"], [[1]])"#,
            "Invalid function argument",
            "[[1]]",
            "element 0 is a list",
        ),
        (
            r#"join(",", "a")"#,
            "Invalid function argument",
            r#""a""#,
            "list required",
        ),
        (
            r#"join(",")"#,
            "Error in function call",
            r#"join(",")"#,
            "at least one list",
        ),
        (
            r#"indent(-1, "x")"#,
            "Invalid function argument",
            "-1",
            "between 0 and",
        ),
        (
            r#"trim("x")"#,
            "Not enough function arguments",
            r#"trim("x")"#,
            "\"cutset\"",
        ),
    ]);
}

#[test]
fn format_verbs() {
    check_values(&[
        (r#"format("Hello, %s!", "Ander")"#, r#""Hello, Ander!""#),
        (r#"format("%d items", 3)"#, r#""3 items""#),
        (r#"format("%d", "42")"#, r#""42""#),
        (r#"format("%5d|", 42)"#, r#""   42|""#),
        (r#"format("%-5d|", 42)"#, r#""42   |""#),
        (r#"format("%05d", -42)"#, r#""-0042""#),
        (r#"format("%+d %+d", 5, -5)"#, r#""+5 -5""#),
        (r#"format("% d", 5)"#, r#"" 5""#),
        (r#"format("%.2f", 3.14159)"#, r#""3.14""#),
        (r#"format("%f", 1)"#, r#""1.000000""#),
        (r#"format("%8.3f|", 3.14159)"#, r#""   3.142|""#),
        (r#"format("%x %X %#x", 255, 255, 255)"#, r#""ff FF 0xff""#),
        (r#"format("%o %#o %b", 8, 8, 5)"#, r#""10 010 101""#),
        (r#"format("%e", 1500)"#, r#""1.500000e+03""#),
        (r#"format("%E", 0.00015)"#, r#""1.500000E-04""#),
        (r#"format("%.2e", 123456)"#, r#""1.23e+05""#),
        (
            r#"format("%g %g %g", 1500, 3.25, 0.5)"#,
            r#""1500 3.25 0.5""#,
        ),
        (
            r#"format("%g %g", 1234567, 0.00001)"#,
            r#""1.234567e+06 1e-05""#,
        ),
        (r#"format("%.3g %.3g", 3.14159, 1000)"#, r#""3.14 1e+03""#),
        (r#"format("%G", 1e-7)"#, r#""1E-07""#),
        (r#"format("%t", true)"#, r#""true""#),
        (r#"format("%q", "a\"b\n")"#, r#""\"a\\\"b\\n\"""#),
        (r#"format("%v", [1, "a"])"#, r#""[1,\"a\"]""#),
        (r#"format("%v %v %v", 1.5, true, "s")"#, r#""1.5 true s""#),
        (r#"format("%v", {a = 1})"#, r#""{\"a\":1}""#),
        (r#"format("%#v", "x")"#, r#""\"x\"""#),
        (r#"format("%s", 5)"#, r#""5""#),
        (r#"format("%.2s", "hello")"#, r#""he""#),
        (
            r#"format("%10s|%-4s|", "hi", "hi")"#,
            r#""        hi|hi  |""#,
        ),
        (r#"format("%[2]s %[1]s", "a", "b")"#, r#""b a""#),
        (r#"format("%[2]s %s", "a", "b", "c")"#, r#""b c""#),
        (r#"format("100%%")"#, r#""100%""#),
        (r#"format("%s-%s", "a", "b")"#, r#""a-b""#),
        (r#"format("%d", 1e20)"#, r#""100000000000000000000""#),
        (
            r#"formatlist("%s-%d", ["a", "b"], [1, 2])"#,
            r#"["a-1", "b-2"]"#,
        ),
        (r#"formatlist("x=%s", ["a", "b"])"#, r#"["x=a", "x=b"]"#),
        (
            r#"formatlist("%s:%s", "k", ["a", "b"])"#,
            r#"["k:a", "k:b"]"#,
        ),
        (r#"formatlist("%s", [])"#, "[]"),
        (r#"formatlist("%s", "only")"#, r#"["only"]"#),
    ]);
    check_errors(&[
        (
            r#"format("%d", "x")"#,
            "Error in function call",
            r#"format("%d", "x")"#,
            r#"unsupported value for "%d" at 0: number required"#,
        ),
        (
            r#"format("%s %s", "a")"#,
            "Error in function call",
            r#"format("%s %s", "a")"#,
            "not enough arguments for \"%s\" at 3: need index 2 but have 1 total",
        ),
        (
            r#"format("%s", "a", "b")"#,
            "Error in function call",
            r#"format("%s", "a", "b")"#,
            "too many arguments; only 1 used",
        ),
        (
            r#"format("hi", 1)"#,
            "Error in function call",
            r#"format("hi", 1)"#,
            "no verbs",
        ),
        (
            r#"format("%d", 1.5)"#,
            "Error in function call",
            r#"format("%d", 1.5)"#,
            "an integer is required",
        ),
        (
            r#"format("%s", null)"#,
            "Error in function call",
            r#"format("%s", null)"#,
            "null value cannot be formatted",
        ),
        (
            r#"format("%s", [1])"#,
            "Error in function call",
            r#"format("%s", [1])"#,
            "string required",
        ),
        (
            r#"format("%t", 1)"#,
            "Error in function call",
            r#"format("%t", 1)"#,
            "bool required",
        ),
        (
            r#"format("%y", 1)"#,
            "Error in function call",
            r#"format("%y", 1)"#,
            "unrecognized format character 'y'",
        ),
        (
            r#"format("%", 1)"#,
            "Error in function call",
            r#"format("%", 1)"#,
            "unterminated",
        ),
        (
            r#"format("%[0]s", 1)"#,
            "Error in function call",
            r#"format("%[0]s", 1)"#,
            "argument index",
        ),
        (
            r#"format("%9999999d", 1)"#,
            "Error in function call",
            r#"format("%9999999d", 1)"#,
            "too large",
        ),
        (
            r#"format(null)"#,
            "Invalid function argument",
            "null",
            "must not be null",
        ),
        (
            r#"formatlist("%s %s", ["a"], ["b", "c"])"#,
            "Invalid function argument",
            r#"["b", "c"]"#,
            "inconsistent",
        ),
        (
            r#"formatlist("%d", ["x"])"#,
            "Invalid function argument",
            r#""%d""#,
            "error on format iteration 0",
        ),
    ]);
}

#[test]
fn collections() {
    check_values(&[
        ("length([1, 2])", "2"),
        ("length({a = 1})", "1"),
        (r#"length("héllo")"#, "5"),
        ("length([])", "0"),
        ("element([\"a\", \"b\", \"c\"], 1)", r#""b""#),
        // element() wraps around.
        ("element([\"a\", \"b\", \"c\"], 5)", r#""c""#),
        ("element([\"a\"], \"0\")", r#""a""#),
        ("slice([\"a\", \"b\", \"c\", \"d\"], 1, 3)", r#"["b", "c"]"#),
        ("slice([1], 0, 0)", "[]"),
        ("slice([1, 2], 0, 2)", "[1, 2]"),
        (r#"lookup({a = "x"}, "a")"#, r#""x""#),
        (r#"lookup({a = "x"}, "b", "dflt")"#, r#""dflt""#),
        (r#"lookup({a = "x"}, "b", null)"#, "null"),
        (r#"lookup({"5" = "five"}, 5)"#, r#""five""#),
        ("keys({b = 1, a = 2})", r#"["a", "b"]"#),
        ("keys({})", "[]"),
        ("values({b = 1, a = 2})", "[2, 1]"),
        (r#"contains(["a", "b"], "b")"#, "true"),
        (r#"contains([1, 2], "1")"#, "false"),
        ("contains([[1]], [1])", "true"),
        ("contains([null], null)", "true"),
        (r#"index(["a", "b", "b"], "b")"#, "1"),
        (
            "merge({a = 1, b = 2}, {b = 3}, null, {c = 4})",
            "{a = 1, b = 3, c = 4}",
        ),
        ("merge()", "{}"),
        ("concat([1], [2, 3], [])", "[1, 2, 3]"),
        (r#"coalesce(null, "", "a", "b")"#, r#""a""#),
        ("coalesce(null, 1)", "1"),
        (r#"coalescelist([], ["a"], ["b"])"#, r#"["a"]"#),
        ("coalescelist(null, [1])", "[1]"),
        (r#"compact(["a", "", null, "b"])"#, r#"["a", "b"]"#),
        (r#"compact([1, ""])"#, r#"["1"]"#),
        ("distinct([1, 2, 1, 3, 2])", "[1, 2, 3]"),
        (r#"distinct(["b", "a", "b"])"#, r#"["b", "a"]"#),
        ("flatten([[1, [2]], 3, []])", "[1, 2, 3]"),
        ("flatten([])", "[]"),
        ("flatten([[{a = 1}]])", "[{a = 1}]"),
        ("reverse([1, 2, 3])", "[3, 2, 1]"),
        (r#"sort(["b", "a", "c"])"#, r#"["a", "b", "c"]"#),
        // Terraform sorts strings; numbers are converted first.
        ("sort([10, 9, 2])", r#"["10", "2", "9"]"#),
        (r#"zipmap(["a", "b"], [1, 2])"#, "{a = 1, b = 2}"),
        ("zipmap([], [])", "{}"),
        ("one([])", "null"),
        (r#"one(["x"])"#, r#""x""#),
        (r#"alltrue([true, "true"])"#, "true"),
        ("alltrue([])", "true"),
        ("alltrue([true, false])", "false"),
        ("alltrue([null])", "false"),
        ("anytrue([false, true])", "true"),
        ("anytrue([])", "false"),
        ("anytrue([false, null])", "false"),
        ("length(var.servers[*].id)", "2"),
    ]);
    check_errors(&[
        (
            "element([], 0)",
            "Error in function call",
            "element([], 0)",
            "empty list",
        ),
        (
            "element([1], -1)",
            "Invalid function argument",
            "-1",
            "negative index",
        ),
        (
            r#"element("x", 0)"#,
            "Invalid function argument",
            r#""x""#,
            "\"list\" parameter: list required",
        ),
        (
            r#"element([1], "a")"#,
            "Invalid function argument",
            r#""a""#,
            "\"index\" parameter: number required",
        ),
        (
            "element([1], 1.5)",
            "Invalid function argument",
            "1.5",
            "whole number",
        ),
        (
            "slice([1, 2], -1, 1)",
            "Invalid function argument",
            "-1",
            "greater than or equal to 0",
        ),
        (
            "slice([1, 2], 0, 3)",
            "Invalid function argument",
            "3",
            "must not be greater than the length of the list",
        ),
        (
            "slice([7, 8, 9], 2, 1)",
            "Invalid function argument",
            "2",
            "less than or equal",
        ),
        (
            r#"lookup({a = 1}, "b")"#,
            "Invalid function argument",
            "{a = 1}",
            r#"the given object has no attribute "b""#,
        ),
        (
            r#"lookup([1], "a")"#,
            "Invalid function argument",
            "[1]",
            "map required",
        ),
        (
            "keys([1])",
            "Invalid function argument",
            "[1]",
            "map required",
        ),
        (
            r#"values("x")"#,
            "Invalid function argument",
            r#""x""#,
            "map required",
        ),
        (
            "length(5)",
            "Invalid function argument",
            "5",
            "string, a list or a map",
        ),
        (
            r#"contains("abc", "a")"#,
            "Invalid function argument",
            r#""abc""#,
            "list required",
        ),
        (
            r#"index(["a"], "z")"#,
            "Error in function call",
            r#"index(["a"], "z")"#,
            "item not found",
        ),
        (
            "merge({a = 1}, [1])",
            "Invalid function argument",
            "[1]",
            "maps or objects",
        ),
        (
            r#"concat([1], "x")"#,
            "Invalid function argument",
            r#""x""#,
            "list required",
        ),
        (
            "concat([1], null)",
            "Invalid function argument",
            "null",
            "must not be null",
        ),
        (
            r#"coalesce(null, "")"#,
            "Error in function call",
            r#"coalesce(null, "")"#,
            "no non-null",
        ),
        (
            r#"coalescelist([], "x")"#,
            "Invalid function argument",
            r#""x""#,
            "list required",
        ),
        (
            "coalescelist([], [])",
            "Error in function call",
            "coalescelist([], [])",
            "no non-null",
        ),
        (
            "compact([[1]])",
            "Invalid function argument",
            "[[1]]",
            "compact needs strings",
        ),
        (
            r#"distinct("x")"#,
            "Invalid function argument",
            r#""x""#,
            "list required",
        ),
        (
            r#"flatten("x")"#,
            "Invalid function argument",
            r#""x""#,
            "list required",
        ),
        (
            "sort([[1]])",
            "Invalid function argument",
            "[[1]]",
            "sort needs strings",
        ),
        (
            r#"zipmap(["a"], [1, 2])"#,
            "Error in function call",
            r#"zipmap(["a"], [1, 2])"#,
            "number of keys (1) does not match number of values (2)",
        ),
        (
            "zipmap([[1]], [1])",
            "Invalid function argument",
            "[[1]]",
            "keys must be strings",
        ),
        (
            "one([1, 2])",
            "Invalid function argument",
            "[1, 2]",
            "zero or one elements",
        ),
        (
            "alltrue([1])",
            "Invalid function argument",
            "[1]",
            "bool is required",
        ),
        (
            "reverse({})",
            "Invalid function argument",
            "{}",
            "list required",
        ),
    ]);
}

#[test]
fn conversions() {
    check_values(&[
        ("tostring(5)", r#""5""#),
        ("tostring(1.25)", r#""1.25""#),
        ("tostring(true)", r#""true""#),
        (r#"tostring("a")"#, r#""a""#),
        ("tostring(null)", "null"),
        (r#"tonumber("42")"#, "42"),
        (r#"tonumber("-1.5e2")"#, "-150"),
        ("tonumber(1.5)", "1.5"),
        ("tonumber(null)", "null"),
        (r#"tobool("true")"#, "true"),
        ("tobool(false)", "false"),
        ("tobool(null)", "null"),
        (r#"tolist(["a", 1, true])"#, r#"["a", "1", "true"]"#),
        ("tolist([1, 2])", "[1, 2]"),
        ("tolist([[1], {}])", "[[1], {}]"),
        ("tolist(null)", "null"),
        (r#"toset(["b", "a", "b"])"#, r#"["a", "b"]"#),
        ("toset([])", "[]"),
        (r#"toset(["a", 1])"#, r#"["1", "a"]"#),
        (r#"tomap({a = 1, b = "x"})"#, r#"{a = "1", b = "x"}"#),
        ("tomap({a = 1, b = 2})", "{a = 1, b = 2}"),
        ("tomap({})", "{}"),
    ]);
    check_errors(&[
        (
            "tostring([1])",
            "Invalid function argument",
            "[1]",
            "cannot convert tuple to string",
        ),
        (
            r#"tonumber("abc")"#,
            "Invalid function argument",
            r#""abc""#,
            "decimal representation",
        ),
        (
            "tonumber(true)",
            "Invalid function argument",
            "true",
            "cannot convert bool to number",
        ),
        (
            r#"tobool("yes")"#,
            "Invalid function argument",
            r#""yes""#,
            r#"only the strings "true" or "false""#,
        ),
        (
            "tobool(1)",
            "Invalid function argument",
            "1",
            "cannot convert number to bool",
        ),
        (
            "tolist({a = 1})",
            "Invalid function argument",
            "{a = 1}",
            "cannot convert object to list of any single type",
        ),
        (
            r#"tolist("a")"#,
            "Invalid function argument",
            r#""a""#,
            "cannot convert string to list",
        ),
        (
            "tolist([1, [2]])",
            "Invalid function argument",
            "[1, [2]]",
            "same type",
        ),
        (
            "toset([1, true])",
            "Invalid function argument",
            "[1, true]",
            "numbers and bools",
        ),
        (
            "tomap([1])",
            "Invalid function argument",
            "[1]",
            "cannot convert tuple to map of any single type",
        ),
    ]);
}

#[test]
fn encodings() {
    check_values(&[
        (
            r#"jsonencode({a = [1, "x", true, null], b = 1.5})"#,
            r#""{\"a\":[1,\"x\",true,null],\"b\":1.5}""#,
        ),
        // Terraform (Go) escapes HTML-sensitive characters.
        (r#"jsonencode("<a&b>")"#, r#""\"\\u003ca\\u0026b\\u003e\"""#),
        ("jsonencode(null)", r#""null""#),
        ("jsonencode(10)", r#""10""#),
        (r#"jsonencode("line\n")"#, r#""\"line\\n\"""#),
        (
            r#"jsondecode("{\"a\": [1, 2.5, \"x\", null, true]}")"#,
            r#"{a = [1, 2.5, "x", null, true]}"#,
        ),
        (r#"jsondecode("\"s\"")"#, r#""s""#),
        ("jsondecode(jsonencode(var.servers)) == var.servers", "true"),
        (
            r#"base64encode("Hello, world!")"#,
            r#""SGVsbG8sIHdvcmxkIQ==""#,
        ),
        (r#"base64encode("")"#, r#""""#),
        (r#"base64encode("a")"#, r#""YQ==""#),
        (r#"base64encode("ab")"#, r#""YWI=""#),
        (r#"base64encode("abc")"#, r#""YWJj""#),
        (
            r#"base64decode("SGVsbG8sIHdvcmxkIQ==")"#,
            r#""Hello, world!""#,
        ),
        (r#"base64decode("YWI=\n")"#, r#""ab""#),
        (
            r#"base64decode(base64encode("héllo ✓ <&>"))"#,
            r#""héllo ✓ <&>""#,
        ),
    ]);
    check_errors(&[
        (
            r#"jsondecode("{bad")"#,
            "Error in function call",
            r#"jsondecode("{bad")"#,
            "invalid character 'b'",
        ),
        (
            r#"base64decode("!!!!")"#,
            "Error in function call",
            r#"base64decode("!!!!")"#,
            "failed to decode base64",
        ),
        (
            r#"base64decode("YQ=")"#,
            "Error in function call",
            r#"base64decode("YQ=")"#,
            "failed to decode base64",
        ),
        (
            r#"base64decode("YQ==YQ==")"#,
            "Error in function call",
            r#"base64decode("YQ==YQ==")"#,
            "failed to decode base64",
        ),
        (
            r#"base64decode("/w==")"#,
            "Error in function call",
            r#"base64decode("/w==")"#,
            "not valid UTF-8",
        ),
    ]);
}

#[test]
fn networking() {
    check_values(&[
        (r#"cidrsubnet("10.0.0.0/16", 8, 2)"#, r#""10.0.2.0/24""#),
        (r#"cidrsubnet("10.1.2.0/24", 4, 15)"#, r#""10.1.2.240/28""#),
        (r#"cidrsubnet("172.16.0.0/12", 4, 2)"#, r#""172.18.0.0/16""#),
        // Host bits in the prefix are ignored.
        (r#"cidrsubnet("10.0.0.5/16", 8, 1)"#, r#""10.0.1.0/24""#),
        (r#"cidrsubnet("10.0.0.0/8", 0, 0)"#, r#""10.0.0.0/8""#),
        ("cidrsubnet(var.cidr, 4, 15)", r#""10.0.240.0/20""#),
        (
            r#"cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)"#,
            r#""fd00:fd12:3456:7800:a200::/72""#,
        ),
        (
            r#"[for i in range(3) : cidrsubnet("10.0.0.0/16", 8, i)]"#,
            r#"["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]"#,
        ),
        (r#"cidrhost("10.12.112.0/20", 16)"#, r#""10.12.112.16""#),
        (r#"cidrhost("10.12.112.0/20", 268)"#, r#""10.12.113.12""#),
        (
            r#"cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)"#,
            r#""fd00:fd12:3456:7890::22""#,
        ),
        (r#"cidrhost("10.0.0.0/24", -1)"#, r#""10.0.0.255""#),
        (r#"cidrhost("10.0.0.0/24", -2)"#, r#""10.0.0.254""#),
        (r#"cidrhost("10.0.0.0/24", -256)"#, r#""10.0.0.0""#),
        (r#"cidrnetmask("172.16.0.0/12")"#, r#""255.240.0.0""#),
        (r#"cidrnetmask("10.0.0.0/32")"#, r#""255.255.255.255""#),
        (r#"cidrnetmask("0.0.0.0/0")"#, r#""0.0.0.0""#),
        (
            r#"cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)"#,
            r#"["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]"#,
        ),
        (
            r#"cidrsubnets("fd00:fd12:3456:7890::/56", 16, 16, 16, 32)"#,
            r#"["fd00:fd12:3456:7800::/72", "fd00:fd12:3456:7800:100::/72", "fd00:fd12:3456:7800:200::/72", "fd00:fd12:3456:7800:300::/88"]"#,
        ),
        (
            r#"cidrsubnets("10.0.0.0/24", 1, 1)"#,
            r#"["10.0.0.0/25", "10.0.0.128/25"]"#,
        ),
        (r#"cidrsubnets("10.0.0.0/8")"#, "[]"),
    ]);
    check_errors(&[
        (
            r#"cidrsubnet("bad", 8, 1)"#,
            "Error in function call",
            r#"cidrsubnet("bad", 8, 1)"#,
            "invalid CIDR expression",
        ),
        (
            r#"cidrsubnet("10.0.0.0", 8, 1)"#,
            "Error in function call",
            r#"cidrsubnet("10.0.0.0", 8, 1)"#,
            "invalid CIDR address",
        ),
        (
            r#"cidrsubnet("10.0.0.0/24", 10, 1)"#,
            "Invalid function argument",
            "10",
            "insufficient address space to extend prefix of 24 by 10",
        ),
        (
            r#"cidrsubnet("10.0.0.0/16", 8, 256)"#,
            "Error in function call",
            r#"cidrsubnet("10.0.0.0/16", 8, 256)"#,
            "prefix extension of 8 does not accommodate a subnet numbered 256",
        ),
        (
            r#"cidrsubnet("10.0.0.0/16", 8, -1)"#,
            "Error in function call",
            r#"cidrsubnet("10.0.0.0/16", 8, -1)"#,
            "does not accommodate",
        ),
        (
            r#"cidrsubnet("10.0.0.0/16", -4, 0)"#,
            "Invalid function argument",
            "-4",
            "must not be negative",
        ),
        (
            r#"cidrsubnet("::/0", 33, 1)"#,
            "Invalid function argument",
            "33",
            "more than 32 bits",
        ),
        (
            r#"cidrsubnet("10.0.0.0/16", 1.5, 0)"#,
            "Invalid function argument",
            "1.5",
            "whole number",
        ),
        (
            r#"cidrsubnet("10.0.0.0/16", "x", 0)"#,
            "Invalid function argument",
            r#""x""#,
            "\"newbits\" parameter: number required",
        ),
        (
            r#"cidrsubnet("10.0.0.0/16", 8)"#,
            "Not enough function arguments",
            r#"cidrsubnet("10.0.0.0/16", 8)"#,
            "\"netnum\"",
        ),
        (
            r#"cidrhost("10.0.0.0/24", 256)"#,
            "Error in function call",
            r#"cidrhost("10.0.0.0/24", 256)"#,
            "prefix of 24 does not accommodate a host numbered 256",
        ),
        (
            r#"cidrhost("10.0.0.0/24", -257)"#,
            "Error in function call",
            r#"cidrhost("10.0.0.0/24", -257)"#,
            "does not accommodate a host numbered -257",
        ),
        (
            r#"cidrnetmask("fd00::/64")"#,
            "Error in function call",
            r#"cidrnetmask("fd00::/64")"#,
            "IPv6",
        ),
        (
            r#"cidrsubnets("10.0.0.0/24", 4, 0)"#,
            "Invalid function argument",
            "0",
            "at least one bit",
        ),
        (
            r#"cidrsubnets("10.0.0.0/30", 4)"#,
            "Invalid function argument",
            "4",
            "too long for an IPv4 address",
        ),
        (
            r#"cidrsubnets("10.0.0.0/24", 1, 2, 2, 3)"#,
            "Invalid function argument",
            "3",
            "after 10.0.0.192/26",
        ),
    ]);
}

#[test]
fn files() {
    check_values(&[
        (r#"file("hello.txt")"#, r#""Hello, world!\n""#),
        (r#"file("/stack/hello.txt")"#, r#""Hello, world!\n""#),
        (r#"fileexists("hello.txt")"#, "true"),
        (r#"fileexists("nope.txt")"#, "false"),
        (
            r#"templatefile("user_data.sh.tftpl", { ports = [80, 443], name = var.name })"#,
            r##""#!/bin/sh\nopen 80\nopen 443\necho web\n""##,
        ),
        (
            r#"templatefile("json.tftpl", { name = "x" })"#,
            r#""{\"name\":\"x\"}""#,
        ),
        (r#"templatefile("hello.txt", {})"#, r#""Hello, world!\n""#),
    ]);
    check_errors(&[
        (
            r#"file("missing.txt")"#,
            "Invalid function argument",
            r#""missing.txt""#,
            r#"no file exists at "missing.txt""#,
        ),
        (
            r#"file("binary.bin")"#,
            "Error in function call",
            r#"file("binary.bin")"#,
            "not valid UTF-8",
        ),
        (
            r#"file(["x"])"#,
            "Invalid function argument",
            r#"["x"]"#,
            "string required",
        ),
        // The template sees only its variables, not the stack's names.
        (
            r#"templatefile("bad.tftpl", { name = 1 })"#,
            "Invalid function argument",
            r#""bad.tftpl""#,
            "at 2:4: Unknown reference: There is no variable or object named \"nope\" here",
        ),
        (
            r#"templatefile("unclosed.tftpl", {})"#,
            "Invalid function argument",
            r#""unclosed.tftpl""#,
            "failed to parse template",
        ),
        (
            r#"templatefile("recursive.tftpl", {})"#,
            "Invalid function argument",
            r#""recursive.tftpl""#,
            "cannot be called from a template",
        ),
        (
            r#"templatefile("hello.txt", "x")"#,
            "Invalid function argument",
            r#""x""#,
            "map required",
        ),
        (
            r#"templatefile("user_data.sh.tftpl", {})"#,
            "Invalid function argument",
            r#""user_data.sh.tftpl""#,
            "Unknown reference",
        ),
    ]);
}

#[test]
fn try_and_can() {
    check_values(&[
        (r#"try(var.missing, "fallback")"#, r#""fallback""#),
        (r#"try(var.name, "x")"#, r#""web""#),
        ("try(var.nums[10], var.nums[0])", "1"),
        ("try(nope, var.missing, 3)", "3"),
        (r#"try(tonumber("x"), 0)"#, "0"),
        // A value that is not wholly known might still fail later.
        (r#"try(unknown, "x")"#, "unknown"),
        (r#"try(partial, "x")"#, "unknown"),
        ("can(var.missing)", "false"),
        ("can(var.name)", "true"),
        (r#"can(cidrsubnet("bad", 1, 1))"#, "false"),
        ("can(unknown)", "unknown"),
        (r#"can(regex_is_not_a_function("x"))"#, "false"),
    ]);
    check_errors(&[
        (
            "try(var.missing, nope)",
            "Error in function call",
            "try(var.missing, nope)",
            "no expression succeeded",
        ),
        (
            "try(var.missing, nope)",
            "Error in function call",
            "try(var.missing, nope)",
            "Unknown reference",
        ),
        (
            "try()",
            "Not enough function arguments",
            "try()",
            "at least one",
        ),
        (
            "can()",
            "Not enough function arguments",
            "can()",
            "expression",
        ),
        ("can(1, 2)", "Too many function arguments", "2", "only 1"),
    ]);
}

/// Marks follow values through expressions as in Terraform: a function,
/// operator, template or condition touching a sensitive value gives a
/// sensitive result; a collection holding one keeps the mark on its element.
#[test]
fn sensitive_values() {
    check_values(&[
        (r#"sensitive("pw")"#, r#"sensitive("pw")"#),
        (r#"issensitive(sensitive("pw"))"#, "true"),
        (r#"issensitive("pw")"#, "false"),
        ("issensitive(unknown)", "unknown"),
        (r#"nonsensitive(sensitive("pw"))"#, r#""pw""#),
        (r#""${sensitive("pw")}-x""#, r#"sensitive("pw-x")"#),
        (r#"upper(sensitive("pw"))"#, r#"sensitive("PW")"#),
        (
            r#"jsonencode({a = sensitive("pw")})"#,
            r#"sensitive("{\"a\":\"pw\"}")"#,
        ),
        (r#"{a = sensitive("pw"), b = 1}.b"#, "1"),
        (r#"{a = sensitive("pw"), b = 1}.a"#, r#"sensitive("pw")"#),
        (r#"sensitive({a = "pw"}).a"#, r#"sensitive("pw")"#),
        (r#"sensitive(["a", "b"])[1]"#, r#"sensitive("b")"#),
        ("sensitive(1) + 1", "sensitive(2)"),
        (r#"sensitive(true) ? "a" : "b""#, r#"sensitive("a")"#),
        ("[for x in sensitive([1]) : x]", "sensitive([1])"),
        ("[for x in [sensitive(1), 2] : x]", "[sensitive(1), 2]"),
        ("length(sensitive([1, 2]))", "sensitive(2)"),
        (r#"tostring(sensitive(5))"#, r#"sensitive("5")"#),
    ]);
    check_errors(&[
        // The value is not quoted in the error.
        (
            r#"sensitive("hunter2") + 1"#,
            "Invalid operand",
            r#"sensitive("hunter2")"#,
            "details are hidden",
        ),
        (
            r#"tonumber(sensitive("hunter2"))"#,
            "Invalid function argument",
            r#"sensitive("hunter2")"#,
            "details are hidden",
        ),
    ]);
}

#[test]
fn unknown_arguments() {
    check_values(&[
        // Answers that do not depend on the unknown parts stay known.
        ("length(partial)", "2"),
        ("length(pending)", "2"),
        ("element(partial, 0)", r#""known""#),
        ("element(partial, 1)", "unknown"),
        ("slice(partial, 0, 1)", r#"["known"]"#),
        ("reverse(partial)", r#"[unknown, "known"]"#),
        (r#"lookup(pending, "known")"#, r#""k""#),
        (r#"lookup(pending, "later", "x")"#, "unknown"),
        ("keys(pending)", r#"["known", "later"]"#),
        ("values(pending)", r#"["k", unknown]"#),
        ("merge({a = unknown}, {b = 1})", "{a = unknown, b = 1}"),
        ("concat(partial, [1])", r#"["known", unknown, 1]"#),
        (r#"coalesce("a", unknown)"#, r#""a""#),
        (r#"zipmap(["a"], [unknown])"#, "{a = unknown}"),
        ("one([unknown])", "unknown"),
        ("tolist(partial)", r#"["known", unknown]"#),
        ("tomap(pending)", r#"{known = "k", later = unknown}"#),
        // Answers that do depend on them are unknown.
        ("length(unknown)", "unknown"),
        ("element(var.names, unknown)", "unknown"),
        ("merge(unknown, {a = 1})", "unknown"),
        ("concat(unknown, [1])", "unknown"),
        (r#"coalesce(unknown, "a")"#, "unknown"),
        ("coalescelist([], unknown)", "unknown"),
        ("flatten([[1], unknown])", "unknown"),
        ("flatten(partial)", "unknown"),
        ("sort(partial)", "unknown"),
        ("toset(partial)", "unknown"),
        ("distinct(partial)", "unknown"),
        (r#"contains(partial, "x")"#, "unknown"),
        ("zipmap(partial, [1, 2])", "unknown"),
        (r#"join(",", partial)"#, "unknown"),
        ("jsonencode(pending)", "unknown"),
        (r#"format("%s-%s", "a", unknown)"#, "unknown"),
        (r#"formatlist("%s", partial)"#, "unknown"),
        ("alltrue([true, unknown])", "unknown"),
        (r#"cidrsubnet(unknown, 8, 1)"#, "unknown"),
        (r#"cidrsubnet("10.0.0.0/16", unknown, 1)"#, "unknown"),
        ("file(unknown)", "unknown"),
        (r#"templatefile("hello.txt", { a = unknown })"#, "unknown"),
        ("upper(unknown)", "unknown"),
        ("tostring(unknown)", "unknown"),
        ("range(unknown)", "unknown"),
        ("sum(partial)", "unknown"),
    ]);
}

/// The functions added to match Terraform's list. Their exact answers are
/// checked against Terraform itself by the differential test
/// (tests/testsuite/functions_differential.rs); these cover the engine's
/// side: argument positions, unknowns, files and limits.
#[test]
fn terraform_parity_functions() {
    check_values(&[
        ("log(8, 2)", "3"),
        (r#"parseint("-ff", 16)"#, "-255"),
        (r#"regex("(\\d+)-(\\d+)", "10-20")"#, r#"["10", "20"]"#),
        (r#"regexall("[a-z]+", "a1bb")"#, r#"["a", "bb"]"#),
        (r#"urlencode("a b/c")"#, r#""a+b%2Fc""#),
        (r#"textencodebase64("Hi", "UTF-16LE")"#, r#""SABpAA==""#),
        (r#"textdecodebase64("SABpAA==", "UTF-16LE")"#, r#""Hi""#),
        (r#"csvdecode("a,b\n1,2")"#, r#"[{a = "1", b = "2"}]"#),
        (r#"yamldecode("a: [1, yes]")"#, r#"{a = [1, true]}"#),
        (r#"yamlencode({a = [1]})"#, r#""\"a\":\n- 1\n""#),
        (r#"length(base64gzip("hello")) > 0"#, "true"),
        ("setproduct([1, 2], [3])", "[[1, 3], [2, 3]]"),
        ("setunion([3, 1], [10])", "[1, 3, 10]"),
        ("setintersection([1, 2], [2, 3])", "[2]"),
        ("setsubtract([1, 2], [2])", "[1]"),
        ("chunklist([1, 2, 3], 2)", "[[1, 2], [3]]"),
        (r#"matchkeys(["a", "b"], [1, 2], [2])"#, r#"["b"]"#),
        (
            r#"transpose({a = ["x"], b = ["x"]})"#,
            r#"{x = ["a", "b"]}"#,
        ),
        (r#"md5("")"#, r#""d41d8cd98f00b204e9800998ecf8427e""#),
        (
            r#"sha1("")"#,
            r#""da39a3ee5e6b4b0d3255bfef95601890afd80709""#,
        ),
        (r#"substr(sha256(""), 0, 8)"#, r#""e3b0c442""#),
        (r#"substr(sha512(""), 0, 8)"#, r#""cf83e135""#),
        (
            r#"base64sha256("")"#,
            r#""47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=""#,
        ),
        (r#"substr(base64sha512(""), 0, 8)"#, r#""z4PhNX7v""#),
        (r#"filebase64("hello.txt")"#, r#""SGVsbG8sIHdvcmxkIQo=""#),
        (
            r#"filemd5("hello.txt")"#,
            r#""746308829575e17c3331bbcb00c0898b""#,
        ),
        (r#"length(filesha1("hello.txt"))"#, "40"),
        (r#"length(filesha256("hello.txt"))"#, "64"),
        (r#"length(filesha512("hello.txt"))"#, "128"),
        (r#"length(filebase64sha256("hello.txt"))"#, "44"),
        (r#"length(filebase64sha512("hello.txt"))"#, "88"),
        (
            r#"fileset(".", "conf/**/*.yaml")"#,
            r#"["conf/app.yaml", "conf/deep/db.yaml"]"#,
        ),
        (r#"fileset(".", "conf/*.yaml")"#, r#"["conf/app.yaml"]"#),
        (r#"abspath("conf/../x")"#, r#""/stack/x""#),
        (r#"basename("a/b.txt")"#, r#""b.txt""#),
        (r#"dirname("a/b.txt")"#, r#""a""#),
        (r#"pathexpand("~/x")"#, r#""/home/op/x""#),
        (
            r#"uuidv5("dns", "www.terraform.io")"#,
            r#""a5008fae-b28c-5ba5-96cd-82b4c53552d6""#,
        ),
        (
            r#"formatdate("DD MMM YYYY", "2018-01-02T23:12:01Z")"#,
            r#""02 Jan 2018""#,
        ),
        (
            r#"timeadd("2017-11-22T00:00:00Z", "-1h30m")"#,
            r#""2017-11-21T22:30:00Z""#,
        ),
        (
            r#"timecmp("2017-11-22T01:00:00+01:00", "2017-11-22T00:00:00Z")"#,
            "0",
        ),
        (
            "templatestring(var.template, {name = \"x\"})",
            r#""Hi, x!""#,
        ),
        // Unknown while validating or planning: they differ on every call.
        ("uuid()", "unknown"),
        (r#"bcrypt("pw")"#, "unknown"),
        ("timestamp()", "unknown"),
        ("plantimestamp()", "unknown"),
        ("templatestring(unknown, {})", "unknown"),
    ]);
    check_errors(&[
        (
            r#"regex("(\\d)(?P<x>a)", "1a")"#,
            "Invalid function argument",
            r#""(\\d)(?P<x>a)""#,
            "cannot mix both named and unnamed capture groups",
        ),
        (
            r#"parseint("12", 2)"#,
            "Invalid function argument",
            r#""12""#,
            "cannot parse \"12\" as a base 2 integer",
        ),
        (
            r#"timeadd("2017-11-22T00:00:00Z", "1d")"#,
            "Error in function call",
            r#"timeadd("2017-11-22T00:00:00Z", "1d")"#,
            "unknown unit \"d\" in duration \"1d\"",
        ),
        (
            r#"formatdate("x", "2018-01-02T23:12:01Z")"#,
            "Invalid function argument",
            r#""x""#,
            "invalid date format verb \"x\"",
        ),
        (
            r#"rsadecrypt("bad", "key")"#,
            "Invalid function argument",
            r#""bad""#,
            "cipher text must be base64-encoded",
        ),
        (
            r#"templatestring("${1}", {})"#,
            "Invalid template expression",
            r#""${1}""#,
            "reference to a string value",
        ),
        (
            "setproduct(range(1000), range(1000), range(2))",
            "Error in function call",
            "setproduct(range(1000), range(1000), range(2))",
            "2000000 elements, more than the limit of 1000000",
        ),
    ]);
}

/// `timestamp()`, `uuid()` and `bcrypt()` have values when the clock says
/// this is an apply (or the console); `plantimestamp()` is the plan's time.
#[test]
fn clock_functions() {
    use crate::lang::eval::tests::run_at;
    let applying = Clock {
        plan: Some(1_500_000_000),
        now: Some(1_700_000_000),
    };
    let value = |src: &str| run_at(src, applying).expect("evaluates");
    assert_eq!(value("timestamp()"), Value::string("2023-11-14T22:13:20Z"));
    assert_eq!(
        value("plantimestamp()"),
        Value::string("2017-07-14T02:40:00Z")
    );
    assert_eq!(value("length(uuid())"), Value::float(36.0));
    assert_ne!(value("uuid()"), value("uuid()"));
    assert_eq!(
        value(r#"substr(bcrypt("pw", 4), 0, 7)"#),
        Value::string("$2a$04$")
    );
    let planning = Clock {
        plan: Some(1_500_000_000),
        now: None,
    };
    assert_eq!(
        run_at("timestamp()", planning).expect("evaluates"),
        Value::Unknown
    );
    assert_eq!(
        run_at("plantimestamp()", planning).expect("evaluates"),
        Value::string("2017-07-14T02:40:00Z")
    );
}

/// Every function returns unknown when all its arguments are unknown.
#[test]
fn every_function_propagates_unknown() {
    let mut failures = Vec::new();
    // Functions without parameters have nothing to be unknown; those that
    // are unknown while planning are tested below.
    for function in FUNCTIONS
        .iter()
        .filter(|f| !f.params.is_empty() || f.variadic.is_some())
    {
        let count = function.required.max(1);
        let src = format!("{}({})", function.name, vec!["unknown"; count].join(", "));
        match eval_expr(&src) {
            Ok(Value::Unknown) => {}
            other => failures.push(format!("{src}: {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every function is listed once, and every one has a test case above.
#[test]
fn every_function_is_tested() {
    let names = function_names();
    let mut sorted = names.clone();
    sorted.dedup();
    assert_eq!(names.len(), sorted.len(), "duplicate function names");
    let this_file = include_str!("tests.rs");
    let untested: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| !this_file.contains(&format!("{name}(")))
        .collect();
    assert!(
        untested.is_empty(),
        "functions without a test: {untested:?}"
    );
}

fn eval_expr(src: &str) -> Result<Value, Diagnostic> {
    crate::lang::eval::tests::run(src)
}

/// Calls every function with every combination of up to three ill-assorted
/// arguments: each call must return a value or a diagnostic, never panic,
/// and every diagnostic must point into the call.
#[test]
fn no_function_panics_on_wrong_types() {
    let samples = [
        "null",
        "unknown",
        "-1",
        "1.5",
        "1e300",
        r#""""#,
        r#""10.0.0.0/8""#,
        r#""%d""#,
        "true",
        "[]",
        r#"[1, "a", [2]]"#,
        "{a = 1}",
        "partial",
    ];
    let scope = test_scope();
    let files = TestFiles(BTreeMap::new());
    let ctx = EvalContext {
        file: FileId(3),
        scope: &scope,
        files: &files,
        stack_dir: Path::new(STACK_DIR),
        clock: Default::default(),
    };
    let mut calls = 0;
    for name in function_names() {
        // One argument more than a function takes covers "too many".
        let most = match FUNCTIONS.iter().find(|f| f.name == name) {
            Some(f) if f.variadic.is_none() => (f.params.len() + 1).min(3),
            _ => 3,
        };
        let mut arg_lists: Vec<Vec<&str>> = vec![vec![]];
        for _ in 0..most {
            let longer: Vec<Vec<&str>> = arg_lists
                .iter()
                .filter(|args| args.len() == arg_lists.last().map_or(0, Vec::len))
                .flat_map(|args| {
                    samples
                        .iter()
                        .map(move |s| [args.as_slice(), &[*s]].concat())
                })
                .collect();
            arg_lists.extend(longer);
        }
        for args in arg_lists {
            let src = format!("{name}({})", args.join(", "));
            let expr = hcl_edit::parser::parse_expr(&src).expect("sweep call parses");
            if let Err(diag) = eval(&expr, &ctx) {
                let span = diag
                    .span
                    .clone()
                    .unwrap_or_else(|| panic!("{src}: diagnostic without span: {diag:?}"));
                assert!(
                    span.range.end <= src.len(),
                    "{src}: span {:?} is outside the call",
                    span.range
                );
                assert!(
                    !diag.summary.is_empty() && !diag.summary.ends_with('.'),
                    "{src}: summary {:?}",
                    diag.summary
                );
            }
            calls += 1;
        }
    }
    assert!(calls > 10_000, "the sweep made {calls} calls");
}
