//! Terraform's built-in functions (`length`, `cidrsubnet`, `format`, …).
//!
//! [`call`] evaluates a call's arguments, checks their number, rejects nulls
//! and short-circuits unknowns according to each function's declaration in
//! [`FUNCTIONS`], then runs the implementation. Implementations are pure
//! functions of their argument values; they report problems as a
//! [`FnError`] naming the argument at fault, which becomes a diagnostic
//! pointing at that argument. `try` and `can` are special: they evaluate
//! their argument expressions themselves. The only I/O is `file()` and
//! friends, through the caller's [`FileReader`](super::eval::FileReader).

mod crypto;
mod dates;
mod go_deflate;
mod paths;
mod sets;
mod text;
mod yaml;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, FuncCall};
use ipnet::IpNet;
use unicode_segmentation::UnicodeSegmentation;

use super::eval::{ChainedScope, EvalContext, equal_values, eval, render, to_bool, to_number};
use crate::diag::Diagnostic;
use crate::diag::did_you_mean;
use crate::number::Number;
use crate::value::{Attrs, Elements, Fields, ListKind, MapKind, Value};
use crypto::Algorithm::{Md5, Sha1, Sha256, Sha512};
use crypto::Encoding::{Base64, Hex};
use crypto::{hash_file, hash_string};
pub(crate) use dates::rfc3339_utc;

/// What a function does when an argument is (or contains) an unknown value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unknowns {
    /// The result is unknown if any argument contains an unknown anywhere.
    Deep,
    /// The result is unknown if an argument is itself unknown; unknowns
    /// nested in collections reach the implementation, whose answer may not
    /// depend on them (`length([x])` is 1 whatever `x` is).
    Shallow,
    /// The implementation handles every unknown itself.
    Own,
}

/// A built-in function's declaration.
pub(crate) struct Function {
    pub name: &'static str,
    /// Parameter names, for arity checks and messages.
    params: &'static [&'static str],
    /// How many of `params` must be given; the rest are optional.
    required: usize,
    /// The parameter that takes any number of further arguments.
    variadic: Option<&'static str>,
    /// Null arguments reach the implementation instead of being rejected.
    allow_null: bool,
    unknowns: Unknowns,
    /// The kind of list the function returns, as Terraform types it.
    returns: Returns,
    imp: fn(&Args<'_>) -> Result<Value, FnError>,
}

/// Which kind a function's list result is (see [`ListKind`]).
#[derive(Clone, Copy)]
enum Returns {
    /// What the implementation built: a tuple, unless it says otherwise.
    AsBuilt,
    /// A list (`split`, `sort`, `range` ...), of the elements named.
    List(ElementOf),
    /// A list when the first argument is a list or set, else a tuple
    /// (`reverse`, `slice`).
    AsFirst,
}

/// The element type of a function's list result, which names an empty one.
#[derive(Clone, Copy)]
enum ElementOf {
    /// Always this type (`split`'s are strings).
    Always(&'static str),
    /// The first argument's element type (`distinct`, `sort`).
    First,
    /// Not tracked.
    Untracked,
}

impl Function {
    const fn new(
        name: &'static str,
        params: &'static [&'static str],
        imp: fn(&Args<'_>) -> Result<Value, FnError>,
    ) -> Function {
        Function {
            name,
            params,
            required: params.len(),
            variadic: None,
            allow_null: false,
            unknowns: Unknowns::Deep,
            returns: Returns::AsBuilt,
            imp,
        }
    }
    const fn variadic(mut self, name: &'static str) -> Function {
        self.variadic = Some(name);
        self
    }
    const fn optional(mut self, count: usize) -> Function {
        self.required = self.params.len() - count;
        self
    }
    const fn allow_null(mut self) -> Function {
        self.allow_null = true;
        self
    }
    const fn shallow(mut self) -> Function {
        self.unknowns = Unknowns::Shallow;
        self
    }
    const fn own_unknowns(mut self) -> Function {
        self.unknowns = Unknowns::Own;
        self
    }
    const fn returns(mut self, returns: Returns) -> Function {
        self.returns = returns;
        self
    }

    fn param_name(&self, index: usize) -> &'static str {
        self.params
            .get(index)
            .copied()
            .or(self.variadic)
            .unwrap_or("argument")
    }
}

/// Every built-in function, by name. `try` and `can` are handled in [`call`].
pub(crate) static FUNCTIONS: &[Function] = &[
    // Numbers.
    Function::new("abs", &["num"], |a| Ok(Value::Number(a.number(0)?.abs()))),
    Function::new("ceil", &["num"], |a| Ok(Value::Number(a.number(0)?.ceil()))),
    Function::new("floor", &["num"], |a| {
        Ok(Value::Number(a.number(0)?.floor()))
    }),
    Function::new("signum", &["num"], |a| {
        let n = a.number(0)?;
        Ok(Value::from(match n.compare(&Number::zero()) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        }))
    }),
    Function::new("pow", &["num", "power"], |a| {
        machine_float(a.float(0)?.powf(a.float(1)?))
    }),
    Function::new("min", &[], |a| extreme(a, std::cmp::Ordering::Less)).variadic("numbers"),
    Function::new("max", &[], |a| extreme(a, std::cmp::Ordering::Greater)).variadic("numbers"),
    Function::new("sum", &["list"], sum),
    Function::new("range", &[], range)
        .variadic("params")
        .returns(Returns::List(ElementOf::Always("number"))),
    // Strings.
    Function::new("lower", &["str"], |a| {
        Ok(Value::String(a.string(0)?.to_lowercase()))
    }),
    Function::new("upper", &["str"], |a| {
        Ok(Value::String(a.string(0)?.to_uppercase()))
    }),
    Function::new("title", &["str"], |a| {
        Ok(Value::String(title(&a.string(0)?)))
    }),
    Function::new("strrev", &["str"], |a| {
        Ok(Value::String(a.string(0)?.graphemes(true).rev().collect()))
    }),
    Function::new("trimspace", &["str"], |a| {
        Ok(Value::String(a.string(0)?.trim().to_string()))
    }),
    Function::new("trim", &["str", "cutset"], trim),
    Function::new("trimprefix", &["str", "prefix"], |a| {
        let (s, prefix) = (a.string(0)?, a.string(1)?);
        Ok(Value::String(
            s.strip_prefix(prefix.as_str()).unwrap_or(&s).to_string(),
        ))
    }),
    Function::new("trimsuffix", &["str", "suffix"], |a| {
        let (s, suffix) = (a.string(0)?, a.string(1)?);
        Ok(Value::String(
            s.strip_suffix(suffix.as_str()).unwrap_or(&s).to_string(),
        ))
    }),
    Function::new("chomp", &["str"], |a| {
        Ok(Value::String(
            a.string(0)?.trim_end_matches(['\n', '\r']).to_string(),
        ))
    }),
    Function::new("indent", &["spaces", "str"], indent),
    Function::new("startswith", &["str", "prefix"], |a| {
        Ok(Value::Bool(a.string(0)?.starts_with(&a.string(1)?)))
    }),
    Function::new("endswith", &["str", "suffix"], |a| {
        Ok(Value::Bool(a.string(0)?.ends_with(&a.string(1)?)))
    }),
    Function::new("strcontains", &["str", "substr"], |a| {
        Ok(Value::Bool(a.string(0)?.contains(&a.string(1)?)))
    }),
    Function::new("substr", &["str", "offset", "length"], substr),
    Function::new("replace", &["str", "substr", "replace"], replace),
    Function::new("split", &["separator", "str"], split)
        .returns(Returns::List(ElementOf::Always("string"))),
    Function::new("join", &["separator"], join).variadic("lists"),
    Function::new("format", &["format"], format)
        .variadic("args")
        .allow_null(),
    Function::new("formatlist", &["format"], formatlist)
        .variadic("args")
        .returns(Returns::List(ElementOf::Always("string")))
        .allow_null(),
    // Collections.
    Function::new("length", &["value"], length).shallow(),
    Function::new("element", &["list", "index"], element).shallow(),
    Function::new("slice", &["list", "start_index", "end_index"], slice)
        .shallow()
        .returns(Returns::AsFirst),
    Function::new("lookup", &["inputMap", "key", "default"], lookup)
        .optional(1)
        .shallow()
        .allow_null(),
    Function::new("keys", &["inputMap"], |a| {
        let map = a.map(0)?;
        let keys = map.keys().map(|k| Value::String(k.clone())).collect();
        Ok(Value::List(list_of_map(map, keys, Some("string".into()))))
    })
    .shallow(),
    Function::new("values", &["mapping"], |a| {
        let map = a.map(0)?;
        let values = map.values().cloned().collect();
        Ok(Value::List(list_of_map(map, values, map.element.clone())))
    })
    .shallow(),
    Function::new("contains", &["list", "value"], |a| {
        Ok(Value::Bool(
            a.list(0)?
                .iter()
                .any(|v| equal_values(v, a.get(1)) == Some(true)),
        ))
    })
    .allow_null(),
    Function::new("index", &["list", "value"], index).allow_null(),
    Function::new("merge", &[], merge)
        .variadic("maps")
        .shallow()
        .allow_null(),
    Function::new("concat", &[], concat)
        .variadic("seqs")
        .shallow(),
    Function::new("coalesce", &[], coalesce)
        .variadic("vals")
        .own_unknowns()
        .allow_null(),
    Function::new("coalescelist", &[], coalescelist)
        .variadic("vals")
        .own_unknowns()
        .allow_null(),
    Function::new("compact", &["list"], compact)
        .returns(Returns::List(ElementOf::Always("string"))),
    Function::new("distinct", &["list"], distinct).returns(Returns::List(ElementOf::First)),
    Function::new("flatten", &["list"], flatten).shallow(),
    Function::new("reverse", &["list"], |a| {
        Ok(Value::List(a.list(0)?.iter().rev().cloned().collect()))
    })
    .shallow()
    .returns(Returns::AsFirst),
    Function::new("sort", &["list"], sort).returns(Returns::List(ElementOf::Always("string"))),
    Function::new("zipmap", &["keys", "values"], zipmap).shallow(),
    Function::new("one", &["list"], one).shallow(),
    Function::new("alltrue", &["list"], |a| all_or_any(a, true)),
    Function::new("anytrue", &["list"], |a| all_or_any(a, false)),
    // Type conversions.
    Function::new("tostring", &["v"], tostring).allow_null(),
    Function::new("tonumber", &["v"], tonumber).allow_null(),
    Function::new("tobool", &["v"], tobool).allow_null(),
    Function::new("tolist", &["v"], tolist)
        .allow_null()
        .shallow(),
    Function::new("toset", &["v"], toset).allow_null(),
    Function::new("tomap", &["v"], tomap).allow_null().shallow(),
    // Encoding.
    Function::new("jsonencode", &["val"], jsonencode).allow_null(),
    Function::new("jsondecode", &["str"], jsondecode),
    Function::new("base64encode", &["str"], |a| {
        Ok(Value::String(base64_encode(a.string(0)?.as_bytes())))
    }),
    Function::new("base64decode", &["str"], base64decode),
    // Networking.
    Function::new("cidrsubnet", &["prefix", "newbits", "netnum"], cidrsubnet),
    Function::new("cidrsubnets", &["prefix"], cidrsubnets)
        .variadic("newbits")
        .returns(Returns::List(ElementOf::Always("string"))),
    Function::new("cidrhost", &["prefix", "hostnum"], cidrhost),
    Function::new("cidrnetmask", &["prefix"], cidrnetmask),
    Function::new("log", &["num", "base"], text::log),
    Function::new("parseint", &["number", "base"], text::parseint).allow_null(),
    Function::new("regex", &["pattern", "string"], text::regex),
    Function::new("regexall", &["pattern", "string"], text::regexall)
        .returns(Returns::List(ElementOf::Untracked)),
    Function::new("urlencode", &["str"], text::urlencode),
    Function::new(
        "textencodebase64",
        &["string", "encoding"],
        text::textencodebase64,
    ),
    Function::new(
        "textdecodebase64",
        &["source", "encoding"],
        text::textdecodebase64,
    ),
    Function::new("csvdecode", &["str"], text::csvdecode),
    Function::new("yamlencode", &["value"], yaml::yamlencode).allow_null(),
    Function::new("yamldecode", &["src"], yaml::yamldecode),
    Function::new("base64gzip", &["str"], crypto::base64gzip),
    // Sets and whole collections.
    Function::new("setproduct", &[], sets::setproduct).variadic("sets"),
    Function::new("setunion", &["first_set"], sets::setunion).variadic("other_sets"),
    Function::new("setintersection", &["first_set"], sets::setintersection).variadic("other_sets"),
    Function::new("setsubtract", &["a", "b"], sets::setsubtract),
    Function::new("chunklist", &["list", "size"], sets::chunklist)
        .returns(Returns::List(ElementOf::Untracked)),
    Function::new(
        "matchkeys",
        &["values", "keys", "searchset"],
        sets::matchkeys,
    )
    .returns(Returns::List(ElementOf::First)),
    Function::new("transpose", &["values"], sets::transpose),
    // Hashes, UUIDs and secrets.
    Function::new("md5", &["str"], |a| hash_string(a, Md5, Hex)),
    Function::new("sha1", &["str"], |a| hash_string(a, Sha1, Hex)),
    Function::new("sha256", &["str"], |a| hash_string(a, Sha256, Hex)),
    Function::new("sha512", &["str"], |a| hash_string(a, Sha512, Hex)),
    Function::new("base64sha256", &["str"], |a| hash_string(a, Sha256, Base64)),
    Function::new("base64sha512", &["str"], |a| hash_string(a, Sha512, Base64)),
    Function::new("uuid", &[], crypto::uuid),
    Function::new("uuidv5", &["namespace", "name"], crypto::uuidv5),
    Function::new("bcrypt", &["str", "cost"], crypto::bcrypt).optional(1),
    Function::new(
        "rsadecrypt",
        &["ciphertext", "privatekey"],
        crypto::rsadecrypt,
    ),
    // Time.
    Function::new("timestamp", &[], dates::timestamp),
    Function::new("plantimestamp", &[], dates::plantimestamp),
    Function::new("formatdate", &["format", "time"], dates::formatdate),
    Function::new("timeadd", &["timestamp", "duration"], dates::timeadd),
    Function::new("timecmp", &["timestamp_a", "timestamp_b"], dates::timecmp),
    // Files and paths.
    Function::new("file", &["path"], file),
    Function::new("fileexists", &["path"], fileexists),
    Function::new("templatefile", &["path", "vars"], templatefile),
    Function::new("filebase64", &["path"], crypto::filebase64),
    Function::new("filemd5", &["path"], |a| hash_file(a, Md5, Hex)),
    Function::new("filesha1", &["path"], |a| hash_file(a, Sha1, Hex)),
    Function::new("filesha256", &["path"], |a| hash_file(a, Sha256, Hex)),
    Function::new("filesha512", &["path"], |a| hash_file(a, Sha512, Hex)),
    Function::new("filebase64sha256", &["path"], |a| {
        hash_file(a, Sha256, Base64)
    }),
    Function::new("filebase64sha512", &["path"], |a| {
        hash_file(a, Sha512, Base64)
    }),
    Function::new("fileset", &["path", "pattern"], paths::fileset),
    Function::new("abspath", &["path"], paths::abspath),
    Function::new("basename", &["path"], paths::basename),
    Function::new("dirname", &["path"], paths::dirname),
    Function::new("pathexpand", &["path"], paths::pathexpand),
];

/// The most elements a function may build (`setproduct`, `flatten`, ...):
/// a typo must not exhaust the machine's memory.
pub const MAX_ELEMENTS: usize = 1_000_000;

/// The longest string a function or template may build, the same as the
/// largest file the file functions read.
pub const MAX_STRING_BYTES: usize = 16 * 1024 * 1024;

fn too_long() -> FnError {
    FnError::call(format!(
        "the result would be longer than {} MiB, the most a string may hold",
        MAX_STRING_BYTES / (1024 * 1024)
    ))
}

/// Names of every function, including `try` and `can`.
pub fn function_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
    names.extend([
        "can",
        "try",
        "sensitive",
        "nonsensitive",
        "issensitive",
        "templatestring",
    ]);
    names.sort_unstable();
    names
}

/// A function's complaint, located at one of its arguments or at the call.
#[derive(Debug)]
pub(crate) struct FnError {
    /// The index of the argument at fault; `None` blames the whole call.
    arg: Option<usize>,
    message: String,
    hint: Option<String>,
}

impl FnError {
    fn arg(index: usize, message: impl Into<String>) -> FnError {
        FnError {
            arg: Some(index),
            message: message.into(),
            hint: None,
        }
    }

    fn call(message: impl Into<String>) -> FnError {
        FnError {
            arg: None,
            message: message.into(),
            hint: None,
        }
    }

    fn with_hint(mut self, hint: impl Into<String>) -> FnError {
        self.hint = Some(hint.into());
        self
    }
}

/// A call's evaluated arguments, with typed accessors that convert the way
/// Terraform converts arguments to parameter types.
pub(crate) struct Args<'a> {
    pub(super) values: Vec<Value>,
    ctx: EvalContext<'a>,
}

impl Args<'_> {
    fn len(&self) -> usize {
        self.values.len()
    }

    fn get(&self, i: usize) -> &Value {
        static NULL: Value = Value::Null;
        self.values.get(i).unwrap_or(&NULL)
    }

    fn wrong_type(&self, i: usize, wanted: &str) -> FnError {
        let got = match self.get(i) {
            Value::Null => return FnError::arg(i, "argument must not be null"),
            Value::String(s) => format!("string {s:?}"),
            other => other.type_name().to_string(),
        };
        FnError::arg(i, format!("{wanted} required, got {got}"))
    }

    fn string(&self, i: usize) -> Result<String, FnError> {
        self.get(i)
            .to_string_lossless()
            .ok_or_else(|| self.wrong_type(i, "string"))
    }

    fn number(&self, i: usize) -> Result<Number, FnError> {
        to_number(self.get(i)).ok_or_else(|| self.wrong_type(i, "number"))
    }

    /// A number as a machine float, for the functions Terraform computes
    /// in them (`pow`, `log`): one beyond a float's range is an error there.
    fn float(&self, i: usize) -> Result<f64, FnError> {
        let n = self.number(i)?;
        let float = n.to_f64();
        // Only a finite number that rounds to infinity (infinities pass).
        if float.is_infinite()
            && !n.is_infinite()
            && let Some(max) = Number::from_f64(f64::MAX)
        {
            let bound = max.text('f', Some(6));
            return Err(FnError::call(format!(
                "value must be between -{bound} and {bound} inclusive"
            )));
        }
        Ok(float)
    }

    fn integer(&self, i: usize) -> Result<i64, FnError> {
        let n = self.number(i)?;
        match n.to_i64() {
            Some(whole) if whole.unsigned_abs() <= 9_000_000_000_000_000 => Ok(whole),
            _ => Err(FnError::arg(
                i,
                format!("a whole number is required, got {n}"),
            )),
        }
    }

    fn list(&self, i: usize) -> Result<&[Value], FnError> {
        self.get(i)
            .as_list()
            .ok_or_else(|| self.wrong_type(i, "list"))
    }

    fn map(&self, i: usize) -> Result<&Fields, FnError> {
        match self.get(i) {
            Value::Map(map) => Ok(map),
            _ => Err(self.wrong_type(i, "map")),
        }
    }
}

/// Evaluates a function call.
pub(crate) fn call(call: &FuncCall, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    let name = call.name.name.as_str();
    let name_span = call.name.name.span();
    let namespace: Vec<&str> = call.name.namespace.iter().map(|n| n.as_str()).collect();
    if !namespace.is_empty() && namespace != ["core"] {
        let full = format!("{}::{name}", namespace.join("::"));
        return Err(ctx
            .error("Call to unknown function", name_span)
            .with_detail(format!("There is no function named {full:?}."))
            .with_hint("provider-defined functions are not supported; only Terraform's built-in functions are"));
    }
    match name {
        "try" => return call_try(call, ctx),
        "can" => return call_can(call, ctx),
        "sensitive" | "nonsensitive" | "issensitive" => return call_marking(name, call, ctx),
        "templatestring" => return call_templatestring(call, ctx),
        _ => {}
    }
    let Some(function) = FUNCTIONS.iter().find(|f| f.name == name) else {
        let diag = ctx
            .error("Call to unknown function", name_span)
            .with_detail(format!("There is no function named {name:?}."));
        return Err(match did_you_mean(name, &function_names()) {
            Some(close) => diag.with_hint(format!("did you mean {close:?}?")),
            None => diag,
        });
    };

    let exprs: Vec<&Expression> = call.args.iter().collect();
    let mut values = Vec::new();
    // The expression each value came from, for diagnostic spans.
    let mut origins: Vec<usize> = Vec::new();
    let mut expansion_unknown = false;
    // Functions see plain values; a sensitive argument marks the result.
    let mut sensitive = false;
    for (i, expr) in exprs.iter().enumerate() {
        let (value, marked) = eval(expr, ctx)?.unmark_deep();
        sensitive |= marked;
        let expands = call.args.expand_final() && i + 1 == exprs.len();
        if !expands {
            values.push(value);
            origins.push(i);
            continue;
        }
        match value {
            Value::List(items) => {
                origins.extend(std::iter::repeat_n(i, items.len()));
                values.extend(items);
            }
            Value::Unknown => expansion_unknown = true,
            other => {
                return Err(ctx
                    .error("Invalid expanding argument value", expr.span())
                    .with_detail(format!(
                        "The expanding argument (indicated by ...) must be a list, got {}.",
                        other.type_name()
                    )));
            }
        }
    }
    let span_of = |index: usize| {
        origins
            .get(index)
            .and_then(|&origin| exprs.get(origin))
            .and_then(|expr| expr.span())
            .or_else(|| call.span())
    };
    if expansion_unknown {
        // How many arguments there are is not known yet.
        return Ok(Value::Unknown);
    }

    check_arity(function, call, &exprs, values.len(), ctx)?;
    if !function.allow_null
        && let Some(i) = values.iter().position(Value::is_null)
    {
        return Err(ctx
            .error("Invalid function argument", span_of(i))
            .with_detail(format!(
                "Invalid value for {:?} parameter: argument must not be null.",
                function.param_name(i)
            )));
    }
    let unknown = match function.unknowns {
        Unknowns::Deep => values.iter().any(|v| !v.is_wholly_known()),
        Unknowns::Shallow => values.iter().any(|v| matches!(v, Value::Unknown)),
        Unknowns::Own => false,
    };
    if unknown {
        return Ok(Value::Unknown);
    }

    let (first_kind, first_element) = match values.first() {
        Some(Value::List(items)) => (Some(items.kind), items.element.clone()),
        _ => (None, None),
    };
    let args = Args { values, ctx: *ctx };
    let result = (function.imp)(&args).and_then(|value| match value {
        Value::String(s) if s.len() > MAX_STRING_BYTES => Err(too_long()),
        Value::List(mut items) => {
            match (function.returns, first_kind) {
                (Returns::AsBuilt, _) => {}
                (Returns::List(element), _) => {
                    items.kind = ListKind::List;
                    items.element = match element {
                        ElementOf::Always(name) => Some(name.into()),
                        ElementOf::First => first_element,
                        ElementOf::Untracked => None,
                    };
                }
                (Returns::AsFirst, Some(ListKind::List | ListKind::Set)) => {
                    items.kind = ListKind::List;
                    items.element = first_element;
                }
                (Returns::AsFirst, _) => items.kind = ListKind::Tuple,
            }
            Ok(Value::List(items).mark_if(sensitive))
        }
        other => Ok(other.mark_if(sensitive)),
    });
    let hide = |diag: Diagnostic| {
        if sensitive {
            super::eval::hide_sensitive_detail(diag)
        } else {
            diag
        }
    };
    result.map_err(|err| {
        let diag = match err.arg {
            Some(i) => ctx
                .error("Invalid function argument", span_of(i))
                .with_detail(format!(
                    "Invalid value for {:?} parameter: {}.",
                    function.param_name(i),
                    err.message
                )),
            None => ctx
                .error("Error in function call", call.span())
                .with_detail(format!(
                    "Call to function {name:?} failed: {}.",
                    err.message
                )),
        };
        hide(match err.hint {
            Some(hint) => diag.with_hint(hint),
            None => diag,
        })
    })
}

/// `sensitive(v)`, `nonsensitive(v)` and `issensitive(v)`: the functions that
/// see marks rather than having them taken off their arguments.
fn call_marking(name: &str, call: &FuncCall, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    let exprs: Vec<&Expression> = call.args.iter().collect();
    let [expr] = exprs.as_slice() else {
        return Err(ctx
            .error("Invalid number of function arguments", call.span())
            .with_detail(format!("Function {name:?} expects 1 argument(s).")));
    };
    let value = eval(expr, ctx)?;
    match name {
        "sensitive" => Ok(value.mark()),
        "issensitive" => Ok(match value {
            Value::Unknown => Value::Unknown,
            other => Value::Bool(other.is_marked()),
        }),
        // A value that is not sensitive passes through: Terraform 1.11
        // no longer calls that an error.
        _ => match value {
            Value::Sensitive(inner) => Ok(*inner),
            other => Ok(other),
        },
    }
}

fn check_arity(
    function: &Function,
    call: &FuncCall,
    exprs: &[&Expression],
    given: usize,
    ctx: &EvalContext<'_>,
) -> Result<(), Diagnostic> {
    let name = function.name;
    if given < function.required {
        let missing = function.params[given];
        let at_least = if function.variadic.is_some() || function.required < function.params.len() {
            "at least "
        } else {
            ""
        };
        return Err(ctx
            .error("Not enough function arguments", call.span())
            .with_detail(format!(
                "Function {name:?} expects {at_least}{} argument(s). Missing value for {missing:?}.",
                function.required
            )));
    }
    if function.variadic.is_none() && given > function.params.len() {
        let extra = exprs.get(function.params.len()).and_then(|e| e.span());
        return Err(ctx
            .error("Too many function arguments", extra.or_else(|| call.span()))
            .with_detail(format!(
                "Function {name:?} expects only {} argument(s).",
                function.params.len()
            )));
    }
    Ok(())
}

/// `try(a, b, ...)`: the first argument that evaluates without error.
fn call_try(call: &FuncCall, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    if call.args.is_empty() {
        return Err(ctx
            .error("Not enough function arguments", call.span())
            .with_detail("Function \"try\" expects at least one argument."));
    }
    let mut failures = Vec::new();
    for expr in call.args.iter() {
        match eval(expr, ctx) {
            // A partly unknown value might still fail once it is known.
            Ok(value) if !value.is_wholly_known() => return Ok(Value::Unknown),
            Ok(value) => return Ok(value),
            Err(diag) => failures.push(match diag.detail {
                Some(detail) => format!("- {}: {detail}", diag.summary),
                None => format!("- {}", diag.summary),
            }),
        }
    }
    Err(ctx
        .error("Error in function call", call.span())
        .with_detail(format!(
            "Call to function \"try\" failed: no expression succeeded:\n{}",
            failures.join("\n")
        )))
}

/// `can(expr)`: whether the expression evaluates without error.
fn call_can(call: &FuncCall, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    let exprs: Vec<&Expression> = call.args.iter().collect();
    match exprs.as_slice() {
        [expr] => Ok(match eval(expr, ctx) {
            Ok(value) if !value.is_wholly_known() => Value::Unknown,
            Ok(_) => Value::Bool(true),
            Err(_) => Value::Bool(false),
        }),
        [] => Err(ctx
            .error("Not enough function arguments", call.span())
            .with_detail(
                "Function \"can\" expects 1 argument(s). Missing value for \"expression\".",
            )),
        [_, extra, ..] => Err(ctx
            .error("Too many function arguments", extra.span())
            .with_detail("Function \"can\" expects only 1 argument(s).")),
    }
}

// ---------------------------------------------------------------------------
// Numbers.

/// A result computed in machine floats, as Terraform computes `pow` and
/// `log` (53 bits of precision).
pub(super) fn machine_float(f: f64) -> Result<Value, FnError> {
    Number::from_f64(f).map(Value::Number).ok_or_else(|| {
        // Terraform fails here with an internal error on Go's NaN.
        FnError::call("the result is not a number")
    })
}

/// `min` (`keep` is `Less`) or `max` (`Greater`): the first argument that
/// no later one beats, as it was given.
fn extreme(args: &Args<'_>, keep: std::cmp::Ordering) -> Result<Value, FnError> {
    if args.len() == 0 {
        return Err(FnError::call("must pass at least one number"));
    }
    let mut result = args.number(0)?;
    for i in 1..args.len() {
        let candidate = args.number(i)?;
        if candidate.compare(&result) == keep {
            result = candidate;
        }
    }
    Ok(Value::Number(result))
}

fn sum(args: &Args<'_>) -> Result<Value, FnError> {
    let items = args.list(0)?;
    if items.is_empty() {
        return Err(FnError::arg(0, "cannot sum an empty list"));
    }
    let mut total: Option<Number> = None;
    for (i, item) in items.iter().enumerate() {
        let n = to_number(item).ok_or_else(|| {
            FnError::arg(
                0,
                format!("element {i} is {}, but sum needs numbers", item.type_name()),
            )
        })?;
        total = Some(match total {
            None => n,
            Some(sum) => sum
                .add(&n)
                .map_err(|_| FnError::call("can't compute sum of opposing infinities"))?,
        });
    }
    Ok(total.map_or(Value::Null, Value::Number))
}

fn range(args: &Args<'_>) -> Result<Value, FnError> {
    /// Terraform's limit, which keeps a typo from building a huge list.
    const MAX_VALUES: usize = 1024;
    let unit = |down: bool| Number::from_i64(if down { -1 } else { 1 });
    let (start, end, step) = match args.len() {
        1 => {
            let end = args.number(0)?;
            let down = end.compare(&Number::zero()).is_lt();
            (Number::zero(), end, unit(down))
        }
        2 => {
            let (start, end) = (args.number(0)?, args.number(1)?);
            let down = end.compare(&start).is_lt();
            (start, end, unit(down))
        }
        3 => (args.number(0)?, args.number(1)?, args.number(2)?),
        _ => return Err(FnError::call("must have one, two, or three arguments")),
    };
    // A zero step is not refused as such: as in Terraform, it counts as
    // going up, and so either ends at once or runs into the 1,024 limit.
    let limit_arg = if args.len() == 1 { 0 } else { 1 };
    // -0 counts as going up.
    let down = step.compare(&Number::zero()).is_lt();
    if down && end.compare(&start).is_gt() {
        return Err(FnError::arg(
            limit_arg,
            "end must be less than start when step is negative",
        ));
    }
    if !down && end.compare(&start).is_lt() {
        return Err(FnError::arg(
            limit_arg,
            "end must be greater than start when step is positive",
        ));
    }
    // Each value is the previous plus the step, as Terraform adds them.
    let mut values = Vec::new();
    let mut next = start;
    while if down {
        next.compare(&end).is_gt()
    } else {
        next.compare(&end).is_lt()
    } {
        if values.len() >= MAX_VALUES {
            return Err(FnError::call(
                "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step",
            ));
        }
        let following = next
            .add(&step)
            .map_err(|_| FnError::call("can't compute sum of opposing infinities"))?;
        values.push(Value::Number(std::mem::replace(&mut next, following)));
    }
    Ok(Value::List(values.into()))
}

// ---------------------------------------------------------------------------
// Strings.

/// Upper-cases the first letter of each word, like Go's `strings.Title`
/// (which Terraform uses): words are separated by spaces and ASCII
/// punctuation.
fn title(s: &str) -> String {
    let is_separator = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            c.is_whitespace()
        }
    };
    let mut out = String::with_capacity(s.len());
    let mut previous_separates = true;
    for c in s.chars() {
        if previous_separates {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        previous_separates = is_separator(c);
    }
    out
}

fn trim(args: &Args<'_>) -> Result<Value, FnError> {
    let (s, cutset) = (args.string(0)?, args.string(1)?);
    Ok(Value::String(
        s.trim_matches(|c| cutset.contains(c)).to_string(),
    ))
}

fn indent(args: &Args<'_>) -> Result<Value, FnError> {
    let spaces = args.integer(0)?;
    if spaces < 0 || spaces as usize > MAX_PADDING {
        return Err(FnError::arg(
            0,
            format!("must be between 0 and {MAX_PADDING}"),
        ));
    }
    let padding = " ".repeat(spaces as usize);
    Ok(Value::String(
        args.string(1)?.replace('\n', &format!("\n{padding}")),
    ))
}

/// `substr(str, offset, length)`, counting characters as people see them
/// (grapheme clusters, as Terraform does): a negative offset counts from
/// the end, and a negative length takes the rest.
fn substr(args: &Args<'_>) -> Result<Value, FnError> {
    let text = args.string(0)?;
    let chars: Vec<&str> = text.graphemes(true).collect();
    let (offset, length) = (args.integer(1)?, args.integer(2)?);
    let total = chars.len() as i64;
    let start = if offset < 0 {
        (total + offset).max(0)
    } else {
        offset.min(total)
    };
    let end = if length < 0 {
        total
    } else {
        (start + length).min(total)
    };
    Ok(Value::String(chars[start as usize..end as usize].concat()))
}

fn replace(args: &Args<'_>) -> Result<Value, FnError> {
    let (s, search, replacement) = (args.string(0)?, args.string(1)?, args.string(2)?);
    // `/.../` is a regular expression; `$1` and `${name}` in the
    // replacement name its groups, as in Go's `Regexp.ReplaceAllString`.
    if let Some(pattern) = search
        .strip_prefix('/')
        .and_then(|rest| rest.strip_suffix('/'))
        .filter(|_| search.len() > 1)
    {
        let re = regex::Regex::new(pattern)
            .map_err(|e| FnError::arg(1, format!("invalid regular expression {pattern:?}: {e}")))?;
        return Ok(Value::String(
            re.replace_all(&s, replacement.as_str()).into_owned(),
        ));
    }
    if !search.is_empty() && replacement.len() > search.len() {
        let growth = (replacement.len() - search.len()).saturating_mul(s.matches(&search).count());
        if s.len().saturating_add(growth) > MAX_STRING_BYTES {
            return Err(too_long());
        }
    }
    Ok(Value::String(s.replace(&search, &replacement)))
}

fn split(args: &Args<'_>) -> Result<Value, FnError> {
    let (separator, s) = (args.string(0)?, args.string(1)?);
    let parts: Vec<Value> = if separator.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(separator.as_str()).map(Value::from).collect()
    };
    Ok(Value::List(parts.into()))
}

fn join(args: &Args<'_>) -> Result<Value, FnError> {
    let separator = args.string(0)?;
    if args.len() < 2 {
        return Err(FnError::call("at least one list is required"));
    }
    let mut parts = Vec::new();
    let mut length = 0usize;
    for i in 1..args.len() {
        for (n, item) in args.list(i)?.iter().enumerate() {
            match item.to_string_lossless() {
                Some(s) => {
                    // Checked before the string is built: repeating a large
                    // string through `for` must not exhaust memory.
                    length = length.saturating_add(s.len() + separator.len());
                    if length > MAX_STRING_BYTES {
                        return Err(too_long());
                    }
                    parts.push(s);
                }
                None if item.is_null() => {
                    return Err(FnError::arg(
                        i,
                        format!("element {n} is null; cannot concatenate null values"),
                    ));
                }
                None => {
                    return Err(FnError::arg(
                        i,
                        format!(
                            "element {n} is a {}, but join needs strings",
                            item.type_name()
                        ),
                    ));
                }
            }
        }
    }
    Ok(Value::String(parts.join(&separator)))
}

fn format(args: &Args<'_>) -> Result<Value, FnError> {
    let spec = args.string(0)?;
    format_values(&spec, &args.values[1..])
        .map(Value::String)
        .map_err(FnError::call)
}

/// `formatlist(spec, args...)`: list arguments are iterated in step, other
/// arguments are repeated for every element.
fn formatlist(args: &Args<'_>) -> Result<Value, FnError> {
    let spec = args.string(0)?;
    let rest = &args.values[1..];
    let mut length: Option<(usize, usize)> = None;
    for (i, arg) in rest.iter().enumerate() {
        if let Value::List(items) = arg {
            match length {
                Some((len, _)) if len != items.len() => {
                    return Err(FnError::arg(
                        i + 1,
                        format!(
                            "argument {} has length {}, which is inconsistent with previous argument of length {len}",
                            i + 1,
                            items.len()
                        ),
                    ));
                }
                Some(_) => {}
                None => length = Some((items.len(), i)),
            }
        }
    }
    let count = length.map_or(1, |(len, _)| len);
    let mut results = Vec::with_capacity(count);
    for n in 0..count {
        let row: Vec<Value> = rest
            .iter()
            .map(|arg| match arg {
                Value::List(items) => items[n].clone(),
                other => other.clone(),
            })
            .collect();
        let line = format_values(&spec, &row).map_err(|message| {
            FnError::arg(0, format!("error on format iteration {n}: {message}"))
        })?;
        results.push(Value::String(line));
    }
    Ok(Value::List(results.into()))
}

/// One `%` verb of a format string.
#[derive(Default)]
struct Verb {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    precision: Option<usize>,
    verb: char,
    /// The verb as written, for messages.
    raw: String,
    offset: usize,
}

/// Terraform's `format`: Go-style verbs `%v %#v %t %s %q %d %b %o %x %X
/// %e %E %f %g %G`, flags `- + # 0` and space, width, precision, `%[n]`
/// argument indices and `%%`.
fn format_values(spec: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut next_arg = 0;
    let mut used_any = false;
    let mut max_used = 0;
    let mut chars = spec.char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if let Some((_, '%')) = chars.peek() {
            chars.next();
            out.push('%');
            continue;
        }
        let mut verb = Verb {
            offset,
            ..Verb::default()
        };
        while let Some(&(_, flag)) = chars.peek() {
            match flag {
                '-' => verb.minus = true,
                '+' => verb.plus = true,
                '#' => verb.sharp = true,
                ' ' => verb.space = true,
                '0' => verb.zero = true,
                _ => break,
            }
            chars.next();
        }
        if let Some((_, '[')) = chars.peek() {
            chars.next();
            let digits = take_digits(&mut chars);
            match (digits, chars.next()) {
                (Some(n), Some((_, ']'))) if n >= 1 => next_arg = n - 1,
                _ => return Err(format!("invalid argument index at offset {offset}")),
            }
        }
        verb.width = take_digits(&mut chars);
        if let Some((_, '.')) = chars.peek() {
            chars.next();
            verb.precision = Some(take_digits(&mut chars).unwrap_or(0));
        }
        if verb
            .width
            .max(verb.precision)
            .is_some_and(|n| n > MAX_PADDING)
        {
            return Err(format!(
                "width or precision at offset {offset} is too large"
            ));
        }
        let Some((end, v)) = chars.next() else {
            return Err(format!("unterminated format verb at offset {offset}"));
        };
        verb.verb = v;
        verb.raw = spec[offset..end + v.len_utf8()].to_string();
        let Some(arg) = args.get(next_arg) else {
            return Err(format!(
                "not enough arguments for {:?} at {offset}: need index {} but have {} total",
                verb.raw,
                next_arg + 1,
                args.len()
            ));
        };
        out.push_str(&format_verb(&verb, arg)?);
        used_any = true;
        next_arg += 1;
        max_used = max_used.max(next_arg);
    }
    if max_used < args.len() {
        return Err(if used_any {
            format!("too many arguments; only {max_used} used by format string")
        } else {
            "too many arguments; no verbs in format string".to_string()
        });
    }
    Ok(out)
}

/// The largest width, precision or indent accepted, as Go's `fmt` limits
/// them, so that a typo cannot allocate gigabytes.
const MAX_PADDING: usize = 1_000_000;

fn take_digits(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> Option<usize> {
    let mut digits = String::new();
    while let Some(&(_, c)) = chars.peek() {
        if !c.is_ascii_digit() {
            break;
        }
        digits.push(c);
        chars.next();
    }
    digits.parse().ok()
}

fn format_verb(verb: &Verb, arg: &Value) -> Result<String, String> {
    let unsupported = |why: &str| {
        format!(
            "unsupported value for {:?} at {}: {why}",
            verb.raw, verb.offset
        )
    };
    if arg.is_null() {
        return Err(unsupported("null value cannot be formatted"));
    }
    let numeric = matches!(
        verb.verb,
        'd' | 'b' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G'
    );
    let body = match verb.verb {
        // JSON as Terraform's jsonencode writes it (Go's escapes; no
        // infinities).
        'v' if verb.sharp || matches!(arg, Value::List(_) | Value::Map(_)) => {
            let mut json = String::new();
            write_json(arg, &mut json).map_err(|err| unsupported(&err.message))?;
            json
        }
        'v' => match arg {
            Value::Number(n) => n.text('g', None),
            other => other.to_string_lossless().unwrap_or_default(),
        },
        't' => match to_bool(arg) {
            Some(b) => b.to_string(),
            None => return Err(unsupported("bool required")),
        },
        's' | 'q' => {
            let Some(mut s) = arg.to_string_lossless() else {
                return Err(unsupported("string required"));
            };
            if let Some(precision) = verb.precision {
                s = s.chars().take(precision).collect();
            }
            if verb.verb == 'q' {
                // Quoted as JSON, as Terraform quotes (`<` is `\u003c`).
                let mut quoted = String::new();
                crate::value::write_go_json_string(&s, &mut quoted);
                quoted
            } else {
                s
            }
        }
        _ if numeric => {
            let Some(n) = to_number(arg) else {
                return Err(unsupported("number required"));
            };
            format_number_verb(verb, n).map_err(|why| unsupported(&why))?
        }
        other => {
            return Err(format!(
                "unrecognized format character {other:?} at offset {}",
                verb.offset
            ));
        }
    };
    // Terraform writes a bool without any padding.
    if verb.verb == 't' {
        return Ok(body);
    }
    Ok(pad(verb, body, numeric))
}

/// A number by a numeric verb, as Go's `fmt` prints a `big.Float` (or, for
/// the integer verbs, a `big.Int`), which is what Terraform hands it.
fn format_number_verb(verb: &Verb, n: Number) -> Result<String, String> {
    let integer_verb = matches!(verb.verb, 'd' | 'b' | 'o' | 'x' | 'X');
    let sign = if n.is_negative() && !(n.is_zero() && integer_verb) {
        "-"
    } else if n.is_infinite() && !integer_verb {
        // Go writes +Inf with its sign, or a space for the space flag.
        if verb.space { " " } else { "+" }
    } else if verb.plus {
        "+"
    } else if verb.space {
        " "
    } else {
        ""
    };
    let magnitude = n.abs();
    let digits = match verb.verb {
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let Some((whole, false)) = magnitude.truncate() else {
                return Err("an integer is required".into());
            };
            let whole = whole.magnitude();
            let digits = |radix: u32| whole.to_str_radix(radix);
            match (verb.verb, verb.sharp) {
                ('d', _) => digits(10),
                ('b', _) => digits(2),
                ('o', true) => format!("0{}", digits(8)),
                ('o', false) => digits(8),
                ('x', true) => format!("0x{}", digits(16)),
                ('x', false) => digits(16),
                ('X', true) => format!("0X{}", digits(16).to_uppercase()),
                _ => digits(16).to_uppercase(),
            }
        }
        'f' | 'F' => magnitude.text('f', Some(verb.precision.unwrap_or(6))),
        'e' | 'E' => magnitude.text(verb.verb, Some(verb.precision.unwrap_or(6))),
        _ => magnitude.text(verb.verb, verb.precision),
    };
    // An infinity prints its own sign.
    let digits = digits.strip_prefix('+').unwrap_or(&digits).to_string();
    Ok(format!("{sign}{digits}"))
}

/// Quotes a string the way Go's `%q` does.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let code = c as u32;
                if code < 0x100 {
                    out.push_str(&format!("\\x{code:02x}"));
                } else {
                    out.push_str(&format!("\\u{code:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Pads to the verb's width: spaces on the left, on the right with `-`, or
/// zeros after the sign with `0` for numbers.
fn pad(verb: &Verb, body: String, numeric: bool) -> String {
    let Some(width) = verb.width else { return body };
    let len = body.chars().count();
    if len >= width {
        return body;
    }
    let fill = width - len;
    if verb.minus {
        format!("{body}{}", " ".repeat(fill))
    } else if verb.zero && !numeric {
        // Terraform pads strings with zeros too.
        format!("{}{body}", "0".repeat(fill))
    } else if verb.zero && !body.ends_with("Inf") {
        let sign_len = usize::from(body.starts_with(['-', '+', ' ']));
        format!(
            "{}{}{}",
            &body[..sign_len],
            "0".repeat(fill),
            &body[sign_len..]
        )
    } else {
        format!("{}{body}", " ".repeat(fill))
    }
}

// ---------------------------------------------------------------------------
// Collections.

fn length(args: &Args<'_>) -> Result<Value, FnError> {
    let len = match args.get(0) {
        // Unknown elements of a set may be equal to others: how many
        // there will be is not known yet.
        Value::List(items)
            if items.kind == ListKind::Set && !items.iter().all(Value::is_wholly_known) =>
        {
            return Ok(Value::Unknown);
        }
        Value::List(items) => items.len(),
        Value::Map(map) => map.len(),
        // Characters as people see them: "👍🏽" is one.
        Value::String(s) => s.graphemes(true).count(),
        other => {
            return Err(FnError::arg(
                0,
                format!(
                    "argument must be a string, a list or a map, got {}",
                    other.type_name()
                ),
            ));
        }
    };
    Ok(Value::from(len))
}

fn element(args: &Args<'_>) -> Result<Value, FnError> {
    let items = args.list(0)?;
    let index = args.integer(1)?;
    if items.is_empty() {
        return Err(FnError::call(
            "cannot use element function with an empty list",
        ));
    }
    if index < 0 {
        return Err(FnError::arg(
            1,
            "cannot use element function with a negative index",
        ));
    }
    // element() wraps around: index 3 of a 2-element list is element 1.
    Ok(items[index as usize % items.len()].clone())
}

fn slice(args: &Args<'_>) -> Result<Value, FnError> {
    let items = args.list(0)?;
    let (start, end) = (args.integer(1)?, args.integer(2)?);
    if start < 0 {
        return Err(FnError::arg(
            1,
            "from index must be greater than or equal to 0",
        ));
    }
    if end > items.len() as i64 {
        return Err(FnError::arg(
            2,
            "end index must not be greater than the length of the list",
        ));
    }
    if start > end {
        return Err(FnError::arg(
            1,
            "from index must be less than or equal to index",
        ));
    }
    Ok(Value::List(
        items[start as usize..end as usize].to_vec().into(),
    ))
}

fn lookup(args: &Args<'_>) -> Result<Value, FnError> {
    let map = args.map(0)?;
    let key = args.string(1)?;
    match map.get(&key) {
        Some(value) => Ok(value.clone()),
        None if args.len() > 2 => Ok(args.get(2).clone()),
        None => Err(
            FnError::arg(0, format!("the given object has no attribute {key:?}"))
                .with_hint("pass a default as the third argument"),
        ),
    }
}

fn index(args: &Args<'_>) -> Result<Value, FnError> {
    let items = args.list(0)?;
    match items
        .iter()
        .position(|item| equal_values(item, args.get(1)) == Some(true))
    {
        Some(i) => Ok(Value::from(i)),
        None => Err(FnError::call("item not found")),
    }
}

/// What `keys` and `values` return: a list of a map's, a tuple of an
/// object's.
fn list_of_map(map: &Fields, items: Vec<Value>, element: Option<std::sync::Arc<str>>) -> Elements {
    let mut list = Elements::from(items);
    if map.kind == MapKind::Map {
        list.kind = ListKind::List;
        list.element = element;
    }
    list
}

fn merge(args: &Args<'_>) -> Result<Value, FnError> {
    let mut merged = Fields::default();
    // Maps of one type merge to a map of it; anything else (an object, a
    // null, maps of different types) to an object.
    let element = |arg: &Value| match arg {
        Value::Map(map) if map.kind == MapKind::Map => Some(map_element_type_name(map)),
        _ => None,
    };
    if let Some(first) = args.values.first().and_then(element)
        && args
            .values
            .iter()
            .all(|arg| element(arg).as_ref() == Some(&first))
    {
        merged.kind = MapKind::Map;
        merged.element = Some(first.into());
    }
    for (i, arg) in args.values.iter().enumerate() {
        match arg {
            Value::Null => {}
            Value::Map(map) => merged.extend(map.iter().map(|(k, v)| (k.clone(), v.clone()))),
            other => {
                return Err(FnError::arg(
                    i,
                    format!(
                        "arguments must be maps or objects, got {}",
                        other.type_name()
                    ),
                ));
            }
        }
    }
    Ok(Value::Map(merged))
}

fn concat(args: &Args<'_>) -> Result<Value, FnError> {
    if args.len() == 0 {
        return Err(FnError::call("at least one argument is required"));
    }
    let mut all = Vec::new();
    for i in 0..args.len() {
        all.extend_from_slice(args.list(i)?);
    }
    // Lists concatenate to a list; with a tuple among them, to a tuple.
    let all_lists = args
        .values
        .iter()
        .all(|v| matches!(v, Value::List(items) if items.kind == ListKind::List));
    let mut list = Elements::new(all, ListKind::Tuple);
    if all_lists {
        list.kind = ListKind::List;
        if let Value::List(first) = &args.values[0] {
            list.element = first.element.clone();
        }
    }
    Ok(Value::List(list))
}

/// The first argument that is neither null nor an empty string.
fn coalesce(args: &Args<'_>) -> Result<Value, FnError> {
    // The arguments share one type, as in Terraform: with a string among
    // them, `coalesce(1, "x")` is "1".
    let values = unify_primitives(args.values.clone()).map_err(FnError::call)?;
    for value in values {
        match value {
            // An unknown value may turn out to be the answer.
            Value::Unknown => return Ok(Value::Unknown),
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            other => return Ok(other),
        }
    }
    Err(FnError::call("no non-null, non-empty-string arguments"))
}

/// The first argument that is a non-empty list.
fn coalescelist(args: &Args<'_>) -> Result<Value, FnError> {
    for (i, value) in args.values.iter().enumerate() {
        match value {
            Value::Unknown => return Ok(Value::Unknown),
            Value::Null => {}
            Value::List(items) if items.is_empty() => {}
            Value::List(_) => return Ok(value.clone()),
            _ => return Err(args.wrong_type(i, "list")),
        }
    }
    Err(FnError::call("no non-null arguments"))
}

fn compact(args: &Args<'_>) -> Result<Value, FnError> {
    let mut kept = Vec::new();
    for (n, item) in args.list(0)?.iter().enumerate() {
        match item {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            other => match other.to_string_lossless() {
                Some(s) => kept.push(Value::String(s)),
                None => {
                    return Err(FnError::arg(
                        0,
                        format!(
                            "element {n} is a {}, but compact needs strings",
                            other.type_name()
                        ),
                    ));
                }
            },
        }
    }
    Ok(Value::List(kept.into()))
}

fn distinct(args: &Args<'_>) -> Result<Value, FnError> {
    let mut seen: Vec<Value> = Vec::new();
    for item in args.list(0)? {
        if !seen.contains(item) {
            seen.push(item.clone());
        }
    }
    Ok(Value::List(seen.into()))
}

fn flatten(args: &Args<'_>) -> Result<Value, FnError> {
    /// Appends the leaves of `items`; false when an unknown element hides
    /// whether it is a list to flatten.
    fn flatten_into(items: &[Value], out: &mut Vec<Value>) -> bool {
        for item in items {
            match item {
                Value::Unknown => return false,
                Value::List(inner) => {
                    if !flatten_into(inner, out) {
                        return false;
                    }
                }
                other => out.push(other.clone()),
            }
        }
        true
    }
    let mut out = Vec::new();
    Ok(if flatten_into(args.list(0)?, &mut out) {
        Value::List(out.into())
    } else {
        Value::Unknown
    })
}

/// `sort` sorts strings lexicographically; numbers are sorted as strings, as
/// in Terraform.
fn sort(args: &Args<'_>) -> Result<Value, FnError> {
    let mut strings = Vec::new();
    for (n, item) in args.list(0)?.iter().enumerate() {
        match item.to_string_lossless() {
            Some(s) => strings.push(s),
            None => {
                return Err(FnError::arg(
                    0,
                    format!(
                        "element {n} is {}, but sort needs strings",
                        item.type_name()
                    ),
                ));
            }
        }
    }
    strings.sort();
    Ok(Value::List(
        strings.into_iter().map(Value::String).collect(),
    ))
}

fn zipmap(args: &Args<'_>) -> Result<Value, FnError> {
    let (keys, values) = (args.list(0)?, args.list(1)?);
    if matches!(args.get(1), Value::List(list) if list.kind == ListKind::Set) {
        return Err(FnError::call(
            "values argument must be a list or tuple value",
        ));
    }
    if !keys.iter().all(Value::is_wholly_known) {
        return Ok(Value::Unknown);
    }
    if keys.len() != values.len() {
        return Err(FnError::call(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            values.len()
        )));
    }
    let mut map = Attrs::new();
    for (n, (key, value)) in keys.iter().zip(values).enumerate() {
        let Some(key) = key.to_string_lossless() else {
            return Err(FnError::arg(
                0,
                format!(
                    "element {n} is {}, but keys must be strings",
                    key.type_name()
                ),
            ));
        };
        map.insert(key, value.clone());
    }
    // Values from a list or set make a map of their type; from a tuple, an
    // object.
    let mut map = Fields::from(map);
    if let Value::List(list) = args.get(1)
        && list.kind != ListKind::Tuple
    {
        map.kind = MapKind::Map;
        map.element = list.element.clone();
    }
    Ok(Value::Map(map))
}

fn one(args: &Args<'_>) -> Result<Value, FnError> {
    match args.list(0)? {
        [] => Ok(Value::Null),
        [only] => Ok(only.clone()),
        _ => Err(FnError::arg(
            0,
            "must be a list, set, or tuple value with either zero or one elements",
        )),
    }
}

fn all_or_any(args: &Args<'_>, all: bool) -> Result<Value, FnError> {
    for (n, item) in args.list(0)?.iter().enumerate() {
        // A null element counts as not true.
        let truth = if item.is_null() {
            false
        } else {
            to_bool(item).ok_or_else(|| {
                FnError::arg(
                    0,
                    format!(
                        "element {n} is {}, but a bool is required",
                        item.type_name()
                    ),
                )
            })?
        };
        if truth != all {
            return Ok(Value::Bool(!all));
        }
    }
    Ok(Value::Bool(all))
}

// ---------------------------------------------------------------------------
// Type conversions.

/// A value's type as Terraform names it in a failed conversion: what
/// literals build is a `tuple` or an `object`; a typed list, set or map is
/// named with its element type (`list of string`, `map of number`).
pub(super) fn conversion_type_name(value: &Value) -> String {
    match value {
        Value::Sensitive(inner) => conversion_type_name(inner),
        Value::List(items) => match items.kind {
            ListKind::Tuple => "tuple".to_string(),
            ListKind::List => format!("list of {}", element_type_name(items, &items.element)),
            ListKind::Set => format!("set of {}", element_type_name(items, &items.element)),
        },
        Value::Map(map) => match map.kind {
            MapKind::Object => "object".to_string(),
            MapKind::Map => format!("map of {}", map_element_type_name(map)),
        },
        other => other.type_name().to_string(),
    }
}

/// A typed collection's element type name: its elements share one type,
/// so the first one that is not null names it; an empty collection's is
/// the one it was typed with, else "dynamic".
pub(super) fn element_type_name<'v>(
    elements: impl IntoIterator<Item = &'v Value>,
    typed: &Option<std::sync::Arc<str>>,
) -> String {
    match elements
        .into_iter()
        .find(|item| !matches!(item, Value::Null | Value::Unknown))
    {
        Some(item) => conversion_type_name(item),
        None => typed.as_deref().unwrap_or("dynamic").to_string(),
    }
}

pub(super) fn map_element_type_name(map: &Fields) -> String {
    element_type_name(map.values(), &map.element)
}

fn tostring(args: &Args<'_>) -> Result<Value, FnError> {
    match args.get(0) {
        Value::Null => Ok(Value::Null),
        value => value
            .to_string_lossless()
            .map(Value::String)
            .ok_or_else(|| {
                FnError::arg(
                    0,
                    format!("cannot convert {} to string", conversion_type_name(value)),
                )
            }),
    }
}

fn tonumber(args: &Args<'_>) -> Result<Value, FnError> {
    match args.get(0) {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(Value::Number(n.clone())),
        Value::String(s) => Number::parse(s).map(Value::Number).ok_or_else(|| {
            FnError::arg(0, format!("cannot convert {s:?} to number; given string must be a decimal representation of a number"))
        }),
        other => Err(FnError::arg(
            0,
            format!("cannot convert {} to number", conversion_type_name(other)),
        )),
    }
}

fn tobool(args: &Args<'_>) -> Result<Value, FnError> {
    match args.get(0) {
        Value::Null => Ok(Value::Null),
        Value::String(s) if to_bool(args.get(0)).is_none() => Err(FnError::arg(
            0,
            format!(
                "cannot convert {s:?} to bool; only the strings \"true\" or \"false\" are allowed"
            ),
        )),
        value => to_bool(value).map(Value::Bool).ok_or_else(|| {
            FnError::arg(
                0,
                format!("cannot convert {} to bool", conversion_type_name(value)),
            )
        }),
    }
}

/// Converts mixed primitives to one type, as Terraform does when a list or
/// map must have a single element type: with any string present, numbers
/// and bools become strings. Nulls, unknowns and collections are left alone.
fn unify_primitives(items: Vec<Value>) -> Result<Vec<Value>, String> {
    let has = |pred: fn(&Value) -> bool| items.iter().any(pred);
    let strings = has(|v| matches!(v, Value::String(_)));
    let numbers = has(|v| matches!(v, Value::Number(_)));
    let bools = has(|v| matches!(v, Value::Bool(_)));
    let collections = has(|v| matches!(v, Value::List(_) | Value::Map(_)));
    if collections && (strings || numbers || bools) {
        return Err(
            "all elements must have the same type, but collections and primitive values are mixed"
                .into(),
        );
    }
    if !strings {
        if numbers && bools {
            return Err(
                "all elements must have the same type, but numbers and bools are mixed".into(),
            );
        }
        return Ok(items);
    }
    Ok(items
        .into_iter()
        .map(|v| match v {
            Value::Number(_) | Value::Bool(_) => {
                Value::String(v.to_string_lossless().unwrap_or_default())
            }
            other => other,
        })
        .collect())
}

fn tolist(args: &Args<'_>) -> Result<Value, FnError> {
    match args.get(0) {
        Value::Null => Ok(Value::Null),
        Value::List(items) => unify_primitives(items.clone().into_vec())
            .map(|unified| {
                let mut list = Elements::new(unified, ListKind::List);
                list.element = items.element.clone();
                Value::List(list)
            })
            .map_err(|message| FnError::arg(0, message)),
        other => Err(FnError::arg(
            0,
            format!(
                "cannot convert {} to list of any single type",
                conversion_type_name(other)
            ),
        )),
    }
}

fn toset(args: &Args<'_>) -> Result<Value, FnError> {
    Ok(tolist(args)?.into_set())
}

fn tomap(args: &Args<'_>) -> Result<Value, FnError> {
    match args.get(0) {
        Value::Null => Ok(Value::Null),
        Value::Map(map) => {
            let values = unify_primitives(map.values().cloned().collect())
                .map_err(|message| FnError::arg(0, message))?;
            let mut typed: Fields = map.keys().cloned().zip(values).collect();
            typed.kind = MapKind::Map;
            typed.element = map.element.clone();
            Ok(Value::Map(typed))
        }
        other => Err(FnError::arg(
            0,
            format!(
                "cannot convert {} to map of any single type",
                conversion_type_name(other)
            ),
        )),
    }
}

// ---------------------------------------------------------------------------
// Encoding.

/// Compact JSON with `<`, `>` and `&` escaped, exactly as Terraform's
/// `jsonencode` writes it (Go's HTML-safe encoding).
fn jsonencode(args: &Args<'_>) -> Result<Value, FnError> {
    let mut out = String::new();
    write_json(args.get(0), &mut out)?;
    Ok(Value::String(out))
}

/// Numbers are written in full, never with an exponent (`1e-7` is
/// `0.0000001`), as Terraform writes its arbitrary-precision numbers;
/// infinities have no JSON form.
fn write_json(value: &Value, out: &mut String) -> Result<(), FnError> {
    match value {
        Value::Number(n) if n.is_infinite() => {
            return Err(FnError::call("cannot serialize infinity as JSON"));
        }
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => crate::value::write_go_json_string(s, out),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                crate::value::write_go_json_string(key, out);
                out.push(':');
                write_json(item, out)?;
            }
            out.push('}');
        }
        Value::Sensitive(inner) => write_json(inner, out)?,
        Value::Null | Value::Unknown => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
    }
    Ok(())
}

fn jsondecode(args: &Args<'_>) -> Result<Value, FnError> {
    let text = args.string(0)?;
    serde_json::from_str::<serde_json::Value>(&text)
        .map(|json| Value::from_json(&json))
        .map_err(|err| FnError::call(json_error(&text, &err)))
}

/// A JSON syntax error as Go's decoder words it, which Terraform shows.
fn json_error(text: &str, err: &serde_json::Error) -> String {
    if err.is_eof() {
        return "unexpected end of JSON input".to_string();
    }
    let offending = text
        .lines()
        .nth(err.line().saturating_sub(1))
        .and_then(|line| line.chars().nth(err.column().saturating_sub(1)));
    match offending {
        Some(c) => format!("invalid character {c:?}"),
        None => format!("invalid JSON: {err}"),
    }
}

/// Standard, padded base64 as Go's `StdEncoding` reads it: non-zero bits
/// after the last symbol are ignored, not an error.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

fn base64_encode(bytes: &[u8]) -> String {
    base64::Engine::encode(&BASE64, bytes)
}

/// Line breaks are ignored, as Go's decoder does.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let symbols: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b'\n' | b'\r'))
        .collect();
    base64::Engine::decode(&BASE64, symbols).ok()
}

fn base64decode(args: &Args<'_>) -> Result<Value, FnError> {
    let text = args.string(0)?;
    let bytes = base64_decode(&text)
        .ok_or_else(|| FnError::call(format!("failed to decode base64 data {text:?}")))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| FnError::call("the result of decoding the provided string is not valid UTF-8"))
}

// ---------------------------------------------------------------------------
// Networking. Addresses are handled as integers of their family's width.

/// A parsed CIDR prefix: the network address as an integer, its prefix
/// length and the address width (32 or 128).
struct Cidr {
    address: u128,
    prefix: u32,
    width: u32,
}

impl Cidr {
    fn parse(args: &Args<'_>, i: usize) -> Result<Cidr, FnError> {
        let text = args.string(i)?;
        let net: IpNet = text.parse().map_err(|_| {
            FnError::call(format!(
                "invalid CIDR expression: invalid CIDR address: {text}"
            ))
        })?;
        let net = net.trunc();
        let (address, width) = match net.network() {
            IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        };
        Ok(Cidr {
            address,
            prefix: u32::from(net.prefix_len()),
            width,
        })
    }

    fn address_string(&self, address: u128) -> String {
        if self.width == 32 {
            Ipv4Addr::from(address as u32).to_string()
        } else {
            Ipv6Addr::from(address).to_string()
        }
    }

    fn cidr_string(&self, address: u128, prefix: u32) -> String {
        format!("{}/{prefix}", self.address_string(address))
    }
}

/// The host bits of a `prefix`-bit network in an address of `width` bits.
fn host_mask(prefix: u32, width: u32) -> u128 {
    let host_bits = width - prefix;
    if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    }
}

fn all_ones(width: u32) -> u128 {
    host_mask(0, width)
}

fn cidrsubnet(args: &Args<'_>) -> Result<Value, FnError> {
    let base = Cidr::parse(args, 0)?;
    let newbits = args.integer(1)?;
    let netnum = args.integer(2)?;
    if newbits < 0 {
        return Err(FnError::arg(1, "must not be negative"));
    }
    if newbits > 32 {
        return Err(FnError::arg(
            1,
            "may not extend prefix by more than 32 bits",
        ));
    }
    let new_prefix = base.prefix + newbits as u32;
    if new_prefix > base.width {
        return Err(FnError::arg(
            1,
            format!(
                "insufficient address space to extend prefix of {} by {newbits}",
                base.prefix
            ),
        ));
    }
    if netnum < 0 || netnum as u128 > (1u128 << newbits) - 1 {
        return Err(FnError::call(format!(
            "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
        )));
    }
    let host_bits = base.width - new_prefix;
    let shifted = if host_bits >= 128 {
        0
    } else {
        (netnum as u128) << host_bits
    };
    Ok(Value::String(
        base.cidr_string(base.address | shifted, new_prefix),
    ))
}

/// `cidrsubnets(prefix, newbits...)`: consecutive subnets of the given sizes,
/// each aligned to its own size, as Terraform allocates them.
fn cidrsubnets(args: &Args<'_>) -> Result<Value, FnError> {
    let base = Cidr::parse(args, 0)?;
    if args.len() == 1 {
        return Ok(Value::List(Vec::new().into()));
    }
    let mask = all_ones(base.width);
    let network_mask = mask & !host_mask(base.prefix, base.width);
    let first = base.prefix + (args.integer(1)?.clamp(0, 128) as u32).min(base.width - base.prefix);
    // Start just before the base network so the first "next" subnet is its start.
    let mut current = (base.address.wrapping_sub(1) & mask, first);
    let mut subnets = Vec::new();
    for i in 1..args.len() {
        let newbits = args.integer(i)?;
        if newbits < 1 {
            return Err(FnError::arg(i, "must extend prefix by at least one bit"));
        }
        if newbits > 32 {
            return Err(FnError::arg(
                i,
                "may not extend prefix by more than 32 bits",
            ));
        }
        let length = base.prefix + newbits as u32;
        if length > base.width {
            let family = if base.width == 32 { "IPv4" } else { "IPv6" };
            return Err(FnError::arg(
                i,
                format!(
                    "would extend prefix to {length} bits, which is too long for an {family} address"
                ),
            ));
        }
        let length_mask = mask & !host_mask(length, base.width);
        let current_last = current.0 | host_mask(current.1, base.width);
        let last_of_aligned = (current_last & length_mask) | host_mask(length, base.width);
        let next = last_of_aligned.wrapping_add(1) & mask;
        let rolled_over = next == 0 && last_of_aligned == mask;
        if rolled_over || next & network_mask != base.address {
            return Err(FnError::arg(
                i,
                format!(
                    "not enough remaining address space for a subnet with a prefix of {length} bits after {}",
                    base.cidr_string(current.0, current.1)
                ),
            ));
        }
        current = (next, length);
        subnets.push(Value::String(base.cidr_string(next, length)));
    }
    Ok(Value::List(subnets.into()))
}

fn cidrhost(args: &Args<'_>) -> Result<Value, FnError> {
    let base = Cidr::parse(args, 0)?;
    let hostnum = args.integer(1)?;
    let max_host = host_mask(base.prefix, base.width);
    // Negative numbers count back from the end: -1 is the last address.
    let host = if hostnum < 0 {
        max_host.checked_sub(hostnum.unsigned_abs() as u128 - 1)
    } else {
        Some(hostnum as u128).filter(|&h| h <= max_host)
    };
    match host {
        Some(host) => Ok(Value::String(base.address_string(base.address | host))),
        None => Err(FnError::call(format!(
            "prefix of {} does not accommodate a host numbered {hostnum}",
            base.prefix
        ))),
    }
}

fn cidrnetmask(args: &Args<'_>) -> Result<Value, FnError> {
    let base = Cidr::parse(args, 0)?;
    if base.width != 32 {
        return Err(FnError::call(format!(
            "IPv6 addresses cannot have a netmask: {}",
            args.string(0)?
        )));
    }
    let netmask = all_ones(32) & !host_mask(base.prefix, 32);
    Ok(Value::String(base.address_string(netmask)))
}

// ---------------------------------------------------------------------------
// Files.

/// The path argument resolved against the stack directory, and as written.
fn file_path(args: &Args<'_>) -> Result<(PathBuf, String), FnError> {
    let written = args.string(0)?;
    Ok((args.ctx.stack_dir.join(&written), written))
}

fn read_file(args: &Args<'_>) -> Result<String, FnError> {
    let (path, written) = file_path(args)?;
    args.ctx
        .files
        .read_to_string(&path)
        .map_err(|err| file_error(err, &written))
}

/// A file's raw bytes, for the functions that hash or encode them.
fn read_bytes(args: &Args<'_>) -> Result<Vec<u8>, FnError> {
    let (path, written) = file_path(args)?;
    args.ctx
        .files
        .read_bytes(&path)
        .map_err(|err| file_error(err, &written))
}

fn file_error(err: std::io::Error, written: &str) -> FnError {
    match err.kind() {
        std::io::ErrorKind::NotFound => FnError::arg(0, format!("no file exists at {written:?}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource"))
            .with_hint("paths are relative to the stack directory"),
        std::io::ErrorKind::InvalidData => FnError::call(format!("contents of {written:?} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead")),
        _ => FnError::arg(0, format!("failed to read {written:?}: {err}")),
    }
}

fn file(args: &Args<'_>) -> Result<Value, FnError> {
    read_file(args).map(Value::String)
}

fn fileexists(args: &Args<'_>) -> Result<Value, FnError> {
    let (path, written) = file_path(args)?;
    match args.ctx.files.read_to_string(&path) {
        Ok(_) => Ok(Value::Bool(true)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Value::Bool(false)),
        Err(err) => Err(FnError::arg(
            0,
            format!("failed to read {written:?}: {err}"),
        )),
    }
}

/// `templatefile(path, vars)`: renders the file as a template that sees
/// only `vars`. Problems inside the template are reported at the path
/// argument, with the template's own line and column, since the template
/// file has no span in the stack's sources.
fn templatefile(args: &Args<'_>) -> Result<Value, FnError> {
    let text = read_file(args)?;
    let written = args.string(0)?;
    render_template_text(
        &text,
        args.map(1)?,
        &args.ctx,
        &format!("template {written:?}"),
    )
    .map_err(|message| FnError::arg(0, message))
}

/// Renders `text` as a template that sees only `vars`. Problems inside the
/// template carry its own line and column, since it has no span in the
/// stack's sources; `what` names it in messages.
fn render_template_text(
    text: &str,
    vars: &Attrs,
    ctx: &EvalContext<'_>,
    what: &str,
) -> Result<Value, String> {
    let template = hcl_edit::parser::parse_template(text).map_err(|err| {
        let loc = err.location();
        format!(
            "failed to parse {what} at {}:{}: {}",
            loc.line(),
            loc.column(),
            err.message()
        )
    })?;
    if let Some(name) = calls_template_function(&template) {
        return Err(format!(
            "{what} calls {name}, which cannot be called from a template"
        ));
    }
    let scope = ChainedScope {
        bindings: vars.clone(),
        parent: None,
    };
    render(&template, &ctx.with_scope(&scope)).map_err(|diag| {
        let at = diag.span.as_ref().map_or(String::new(), |span| {
            let (line, column) = line_col(text, span.range.start);
            format!(" at {line}:{column}")
        });
        let detail = diag
            .detail
            .map_or(String::new(), |d| format!(": {}", d.trim_end_matches('.')));
        format!("error in {what}{at}: {}{detail}", diag.summary)
    })
}

/// `templatestring(ref, vars)`: renders a string held in a named value as a
/// template. As in Terraform, the first argument must be a reference (a
/// local, variable or attribute), not a literal, whose own `${...}` would
/// already have been evaluated.
fn call_templatestring(call: &FuncCall, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    let exprs: Vec<&Expression> = call.args.iter().collect();
    let [template_expr, vars_expr] = exprs.as_slice() else {
        return Err(ctx
            .error("Invalid number of function arguments", call.span())
            .with_detail("Function \"templatestring\" expects 2 argument(s)."));
    };
    if !matches!(
        template_expr,
        Expression::Variable(_) | Expression::Traversal(_)
    ) {
        return Err(ctx
            .error("Invalid template expression", template_expr.span())
            .with_detail("The template argument must be a reference to a string value, such as a local value or a variable, not a literal template.")
            .with_hint("put the template in a local value, or use templatefile for a template in a file"));
    }
    let (template, template_marked) = eval(template_expr, ctx)?.unmark_deep();
    let (vars, vars_marked) = eval(vars_expr, ctx)?.unmark_deep();
    if !template.is_wholly_known() || !vars.is_wholly_known() {
        return Ok(Value::Unknown);
    }
    let invalid = |expr: &Expression, name: &str, message: &str| {
        ctx.error("Invalid function argument", expr.span())
            .with_detail(format!("Invalid value for {name:?} parameter: {message}."))
    };
    let Some(text) = template.as_str() else {
        return Err(invalid(template_expr, "template", "a string is required"));
    };
    let Some(vars) = vars.as_map() else {
        return Err(invalid(vars_expr, "vars", "a map or object is required"));
    };
    let rendered = render_template_text(text, vars, ctx, "the template")
        .map_err(|message| invalid(template_expr, "template", &message))?;
    Ok(rendered.mark_if(template_marked || vars_marked))
}

/// The first call in `template` to a template function, which templates may
/// not call (they would recurse).
fn calls_template_function(template: &hcl_edit::template::Template) -> Option<&'static str> {
    use hcl_edit::visit::{Visit, visit_func_call};
    struct Finder(Option<&'static str>);
    impl Visit for Finder {
        fn visit_func_call(&mut self, node: &FuncCall) {
            match node.name.name.as_str() {
                "templatefile" => self.0 = self.0.or(Some("templatefile")),
                "templatestring" => self.0 = self.0.or(Some("templatestring")),
                _ => {}
            }
            visit_func_call(self, node);
        }
    }
    let mut finder = Finder(None);
    finder.visit_template(template);
    finder.0
}

/// One-based line and column of a byte offset in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
