//! The configuration model: what a stack's blocks say, with source spans,
//! before any expression is evaluated.
//!
//! A stack with modules is held flattened: every module instance's blocks
//! sit in the same vectors as the root module's, each tagged with the
//! module instance it belongs to (`module`, an index into `modules`), so
//! the graph, plan and apply treat them like any other block.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;

use crate::addr::{InstanceKey, ModulePath};
use crate::diag::{FileId, Sources, Span};
use crate::provider::schema::Type;
use crate::value::Value;

/// A whole stack: the `.tf` files of its directory and of every module it
/// calls, flattened (see the module docs).
#[derive(Debug, Default)]
pub struct Config {
    pub sources: Sources,
    /// The stack directory, as given on the command line.
    pub dir: PathBuf,
    pub backend: Option<Backend>,
    /// The root module's `provider "aws"` blocks, the default one and
    /// aliases. Modules use these, as passed by their callers.
    pub providers: Vec<Provider>,
    /// Module instances; the root module is `modules[0]`.
    pub modules: Vec<ModuleInstance>,
    /// `module` blocks, one copy per instance of the module that holds them.
    pub calls: Vec<ModuleCall>,
    pub variables: Vec<Variable>,
    pub locals: Vec<Local>,
    pub resources: Vec<Resource>,
    pub outputs: Vec<Output>,
    /// `moved` blocks, in the order written.
    pub moved: Vec<Moved>,
    /// `removed` blocks.
    pub removed: Vec<Removed>,
    /// `check` blocks.
    pub checks: Vec<Check>,
    /// `import` blocks (root module only, as in Terraform).
    pub imports: Vec<Import>,
    /// The selected workspace, `terraform.workspace` ("default" unless one
    /// is selected; set by `ops`, which reads the selection).
    pub workspace: String,
    /// How many instances one `count` or `for_each` may make.
    pub max_instances: usize,
}

/// The default of [`Config::max_instances`]: enough for any real stack,
/// and small enough that a typo (`count = 100000000`) is refused before
/// memory is spent on it. `--max-instances` raises it.
pub const DEFAULT_MAX_INSTANCES: usize = 100_000;

impl Config {
    /// Whether the module instance `module` stands for instances not known
    /// yet (`validate` only): it or a module it is in is a placeholder.
    pub fn in_placeholder(&self, module: usize) -> bool {
        let mut at = module;
        loop {
            let instance = &self.modules[at];
            if instance.placeholder {
                return true;
            }
            match instance.call {
                Some(call) => at = self.calls[call].module,
                None => return false,
            }
        }
    }

    /// A root-module resource block.
    pub fn resource(&self, mode: Mode, type_name: &str, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| {
            r.module == ROOT && r.mode == mode && r.type_name == type_name && r.name == name
        })
    }

    /// A root-module variable.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables
            .iter()
            .find(|v| v.module == ROOT && v.name == name)
    }

    /// The resource block an instance address belongs to, in any module.
    pub fn resource_at(
        &self,
        module: &ModulePath,
        type_name: &str,
        name: &str,
    ) -> Option<&Resource> {
        self.resources.iter().find(|r| {
            r.mode == Mode::Managed
                && r.type_name == type_name
                && r.name == name
                && &self.modules[r.module].path == module
        })
    }

    /// The root provider configuration called `name` (`aws` or `aws.dr`).
    pub fn provider_named(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.name() == name)
    }
}

/// The root module's index in `Config::modules`.
pub const ROOT: usize = 0;

/// One instance of a module: the root module, or one expansion of a
/// `module` block.
#[derive(Debug, Clone)]
pub struct ModuleInstance {
    /// `module.network`, `module.app["blue"]`; empty for the root.
    pub path: ModulePath,
    /// The module's directory, for `path.module`.
    pub dir: PathBuf,
    /// The call this instance expands, `None` for the root module.
    pub call: Option<usize>,
    /// `count.index` / `each` of this instance, as its call's arguments see
    /// them.
    pub count_index: Option<Value>,
    pub each: Option<(Value, Value)>,
    /// Stands for every instance of a call whose `count` / `for_each` is not
    /// known yet (`validate` only): checked once, seen as unknown.
    pub placeholder: bool,
    /// The provider names its blocks may use (`aws`, `aws.west`) and the
    /// root provider configuration each stands for.
    pub providers: BTreeMap<String, String>,
}

impl ModuleInstance {
    pub fn root(dir: PathBuf) -> ModuleInstance {
        ModuleInstance {
            path: ModulePath::default(),
            dir,
            call: None,
            count_index: None,
            each: None,
            placeholder: false,
            providers: BTreeMap::new(),
        }
    }

    pub fn key(&self) -> InstanceKey {
        self.path
            .0
            .last()
            .map_or(InstanceKey::None, |(_, key)| key.clone())
    }
}

/// A `module "name" { source = ... }` block.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: String,
    /// The module instance the block is written in.
    pub module: usize,
    pub source: String,
    /// `version`, for registry sources.
    pub version: Option<String>,
    pub file: FileId,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// `providers = { aws = aws.dr }`: the child's provider name to the
    /// caller's.
    pub providers: Vec<(String, String, Span)>,
    /// The input arguments: variable name to expression.
    pub inputs: Vec<(String, Expr)>,
    /// The block header.
    pub span: Span,
    /// The instances it expanded to, once expanded (`count = 0`: none).
    pub instances: Option<Vec<usize>>,
}

/// An expression together with the file it came from.
#[derive(Debug, Clone)]
pub struct Expr {
    pub file: FileId,
    pub expr: Expression,
}

impl Expr {
    pub fn span(&self) -> Option<Span> {
        use hcl_edit::Span as _;
        self.expr.span().map(|r| Span::new(self.file, r))
    }
}

/// `terraform { backend "TYPE" { ... } }`.
#[derive(Debug, Clone)]
pub struct Backend {
    pub kind: String,
    pub file: FileId,
    pub body: Body,
    pub span: Span,
}

/// `provider "aws" { ... }`.
#[derive(Debug, Clone)]
pub struct Provider {
    /// `alias = "dr"`, for a second configuration.
    pub alias: Option<String>,
    pub file: FileId,
    pub body: Body,
    pub span: Span,
}

impl Provider {
    /// `aws`, or `aws.<alias>`: how resources name it.
    pub fn name(&self) -> String {
        provider_name(self.alias.as_deref())
    }
}

/// `aws` or `aws.<alias>`.
pub fn provider_name(alias: Option<&str>) -> String {
    match alias {
        Some(alias) => format!("aws.{alias}"),
        None => "aws".into(),
    }
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    /// The module instance it belongs to.
    pub module: usize,
    /// The declared `type`, if any.
    pub ty: Option<Type>,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    /// `nullable = false`: a null value means "use the default".
    pub nullable: bool,
    /// `validation { condition, error_message }` blocks, in order.
    pub validations: Vec<Validation>,
    pub span: Span,
}

/// `check "name" { assert { ... } }`: assertions about the infrastructure,
/// reported as warnings after plan and apply, never stopping them.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub module: usize,
    pub assertions: Vec<Validation>,
    pub span: Span,
}

/// A condition and the message when it is false: a variable's
/// `validation` block, or a check's `assert` block.
#[derive(Debug, Clone)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
    /// The block's header, where a failed check is reported.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub module: usize,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Managed,
    Data,
}

/// A `resource` or `data` block.
#[derive(Debug, Clone)]
pub struct Resource {
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
    pub module: usize,
    /// The module instance's path, for addresses.
    pub module_path: ModulePath,
    /// The root provider configuration it uses (`aws`, `aws.dr`), after
    /// following module `providers` maps; as written until then.
    pub provider: String,
    /// Where `provider = ...` is written, if it is.
    pub provider_span: Option<Span>,
    pub file: FileId,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    /// `depends_on` entries as written, e.g. `aws_internet_gateway.main`.
    pub depends_on: Vec<Expr>,
    pub lifecycle: Lifecycle,
    /// The arguments and nested blocks, without the meta-arguments above.
    pub body: Body,
    /// The block header (`resource "aws_vpc" "main"`).
    pub span: Span,
}

impl Resource {
    /// `aws_vpc.main`, `data.aws_availability_zones.available`, or inside a
    /// module `module.network.aws_vpc.main`.
    pub fn address(&self) -> String {
        let local = match self.mode {
            Mode::Managed => format!("{}.{}", self.type_name, self.name),
            Mode::Data => format!("data.{}.{}", self.type_name, self.name),
        };
        if self.module_path.is_root() {
            local
        } else {
            format!("{}.{local}", self.module_path)
        }
    }
}

/// `moved { from = ..., to = ... }`: an object recorded at `from` is now
/// the one at `to`; state is updated instead of destroying and creating.
/// Addresses are relative to the module the block is in.
#[derive(Debug, Clone)]
pub struct Moved {
    pub module: usize,
    pub from: String,
    pub to: String,
    pub span: Span,
}

/// `import { to = ADDRESS, id = "..." }`: an existing object to bring under
/// management at `to` by the next apply.
#[derive(Debug, Clone)]
pub struct Import {
    /// The instance address, as written.
    pub to: String,
    /// The object's import id (variables may be used).
    pub id: Expr,
    pub span: Span,
}

/// `removed { from = ... lifecycle { destroy = false } }`: the object
/// leaves the configuration; with `destroy = false` it is forgotten
/// (removed from state, left in AWS) instead of destroyed.
#[derive(Debug, Clone)]
pub struct Removed {
    pub module: usize,
    pub from: String,
    pub destroy: bool,
    pub span: Span,
}

/// `lifecycle { ... }`: parsed now, acted on in a later issue.
#[derive(Debug, Default, Clone)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    /// `ignore_changes = all`: after creation, the configuration never
    /// changes the object.
    pub ignore_all_changes: bool,
    /// `ignore_changes = [tags, tags["Owner"]]`: attributes (or one key of
    /// a map attribute) whose configured value is ignored after creation.
    pub ignore_changes: Vec<(String, Option<String>)>,
    /// `replace_triggered_by`: references whose planned change replaces
    /// this resource's instances.
    pub replace_triggered_by: Vec<Expr>,
    /// `precondition` blocks, checked for each instance before it is planned.
    pub preconditions: Vec<Validation>,
    /// `postcondition` blocks, checked with `self` once the instance is
    /// created or updated.
    pub postconditions: Vec<Validation>,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub module: usize,
    pub value: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub span: Span,
}
