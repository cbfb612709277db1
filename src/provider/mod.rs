//! The boundary between the engine and AWS.
//!
//! A resource type supplies only its schema and its AWS calls, through
//! [`ResourceType`]; everything generic (diffing, ordering, state, retries of
//! read-after-write) lives in the engine. Each type is one file in its
//! service's folder under `aws/`, registered with one entry in that
//! service's `TYPES`.
//!
//! This module and `state` are the only ones that talk to AWS. It never prints.

pub mod aws;
pub mod builtin;
pub mod schema;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

pub use aws::{AwsContext, AwsSettings};
pub use schema::Schema;

use crate::value::Attrs;

/// The AWS clients of each provider configuration, by the name resources
/// use for it: `aws`, or `aws.<alias>` for another region or account.
#[derive(Clone, Default)]
pub struct Providers(pub BTreeMap<String, Arc<AwsContext>>);

impl Providers {
    pub fn get(&self, name: &str) -> Result<&Arc<AwsContext>, String> {
        self.0.get(name).ok_or_else(|| {
            format!(
                "no provider configuration {name}: keep its provider block until the resources it manages are destroyed"
            )
        })
    }

    /// Each configuration's default tags, by name.
    pub fn default_tags(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        self.0
            .iter()
            .map(|(name, aws)| (name.clone(), aws.settings.default_tags.clone()))
            .collect()
    }
}

/// What the engine asks a type to create.
pub struct CreateRequest<'a> {
    /// The planned attributes: every known argument, `tags_all` already merged
    /// with the provider's default tags.
    pub planned: &'a Attrs,
    /// The instance address, e.g. `aws_subnet.public[0]`; written as the
    /// `terrane:address` tag so an interrupted create can be found again.
    pub address: &'a str,
    /// Unique per planned create; sent as the API's idempotency token where
    /// the API has one.
    pub client_token: &'a str,
    /// When the create was first started (recorded with its pending record).
    pub started: std::time::SystemTime,
}

/// An object as a listing of its type finds it: its id and its tags.
pub type Listed = (String, Vec<(String, String)>);

/// What a search for the object of an interrupted create found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// The object this create made (terrane's tags name this stack and
    /// address, or its identity is the create's arguments): its id, to adopt.
    Ours(String),
    /// An object with the name the create asked for that this stack did not
    /// make: its id. Never adopted.
    Foreign(String),
    /// No such object: the create never reached AWS (or its object is gone).
    Nothing,
}

/// The ids of the objects a `read_written` is given.
pub fn written_ids(written: &[(String, &Attrs)]) -> Vec<String> {
    written.iter().map(|(id, _)| id.clone()).collect()
}

/// One managed resource type, e.g. `aws_vpc`.
///
/// Contract, as in Terraform's providers:
/// - `read_many` is the batched refresh: one Describe call (plus pages) for many
///   ids. Ids that no longer exist are simply absent from the answer.
/// - `create` returns the new object's id once AWS has accepted it and it is
///   usable (waiting where AWS is asynchronous); the engine then reads it back
///   with `read_written`, batched.
/// - `update` changes in place only what is not `force_new`.
/// - `delete` of an object that is already gone is success.
/// - `find_created` finds what a create of the same request made, so a create
///   that was interrupted, or whose answer was lost, is adopted rather than
///   made twice.
#[async_trait]
pub trait ResourceType: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &'static Schema;
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError>;
    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError>;

    /// The engine's read-back of objects this apply has just created,
    /// batched as `read_many` is: each id with the planned values its
    /// create wrote. The default reads them with `read_many`. A type may
    /// take from the planned values what its create itself set and AWS
    /// offers no batched read of, rather than read it once per object (a
    /// VPC's DNS settings); the next refresh reads it. Not used after an
    /// update, which writes only what differs from a prior state that may
    /// be older than AWS's.
    async fn read_written(
        &self,
        aws: &AwsContext,
        written: &[(String, &Attrs)],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        self.read_many(aws, &written_ids(written)).await
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError>;
    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError>;

    /// Computed attributes of a new object that the configuration already
    /// tells (as Terraform providers' CustomizeDiff sets them): the plan
    /// takes these instead of unknown, so what depends on them can plan
    /// (`aws_acm_certificate`'s DNS validation names, for a `for_each`).
    /// Parts of them may still be unknown.
    fn planned_computed(&self, _config: &Attrs) -> Attrs {
        Attrs::new()
    }

    /// Looks for the object a create of `req` (same arguments, address and
    /// client token) made: by the client token where the API keeps it, by
    /// terrane's `terrane:stack` and `terrane:address` tags, or by the name
    /// the create asked for. An object with that name but without this
    /// stack's tags is `Foreign`.
    ///
    /// The default, `Nothing`, is right only for a type whose create can
    /// safely run twice (a put of settings, an attachment AWS makes once).
    async fn find_created(
        &self,
        _aws: &AwsContext,
        _req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        Ok(Found::Nothing)
    }

    /// Every object of this type that AWS holds, as its id and tags, for
    /// `state rebuild` to find what a stack's tags claim. The default lists
    /// nothing: right for untagged types, and for types that EC2's
    /// DescribeTags or the Resource Groups Tagging API already list
    /// (`aws::discovery`). A type those miss lists its own.
    async fn list_tagged(&self, _aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
        Ok(Vec::new())
    }

    /// Whether the type's objects live only in state (the built-in random,
    /// null, time and terraform_data types): refresh keeps them as state
    /// records them, and apply makes and changes them with `apply_local`
    /// instead of `create`, `update` and a read back.
    fn is_local(&self) -> bool {
        false
    }

    /// Makes (with no `prior`) or changes a local object: the planned
    /// arguments plus what the type computes. Only local types have this.
    async fn apply_local(
        &self,
        _prior: Option<&Attrs>,
        _planned: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        Err(ProviderError::new(
            ErrorKind::Other,
            format!("{} is not a local type", self.type_name()),
        ))
    }

    /// Destroys a local object (nothing to call; `time_sleep` waits).
    async fn delete_local(&self, _prior: &Attrs) -> Result<(), ProviderError> {
        Err(ProviderError::new(
            ErrorKind::Other,
            format!("{} is not a local type", self.type_name()),
        ))
    }

    /// terrane's id for an object that Terraform's state records with
    /// `terraform_id` and `attributes` (migration). They agree unless the
    /// type's id carries more than Terraform's — what its batched read needs —
    /// and such a type overrides this.
    fn id_from_terraform(&self, terraform_id: &str, _attributes: &Attrs) -> String {
        terraform_id.to_string()
    }

    /// Updates in place and returns the id to read back and store. The id
    /// almost never changes, so this defaults to `update` plus the prior id;
    /// a type whose in-place update gives the object a new id overrides it
    /// (`aws_route_table_association`: ReplaceRouteTableAssociation answers
    /// with a new association id and the old one stops existing). The engine
    /// calls this rather than `update`.
    async fn update_returning_id(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<String, ProviderError> {
        self.update(aws, prior, planned).await?;
        aws::prior_id(prior).map(str::to_string)
    }
}

/// One data source type, e.g. `aws_availability_zones`.
#[async_trait]
pub trait DataSourceType: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &'static Schema;
    /// Reads with the evaluated arguments; returns arguments plus computed attributes.
    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError>;
    /// Whether the type is computed from its arguments alone, without AWS
    /// (`aws_iam_policy_document`). Such a data source is evaluated like a
    /// local value, with `compute`: at plan when its arguments are known,
    /// else during apply once they are.
    fn is_offline(&self) -> bool {
        false
    }
    /// The result of an offline type (`is_offline`), as `read` gives it.
    fn compute(&self, _args: &Attrs) -> Result<Attrs, ProviderError> {
        Err(ProviderError::new(
            ErrorKind::Other,
            format!("data source {} is read from AWS", self.type_name()),
        ))
    }
}

/// Terraform's `aws_alb*` names are `aws_lb*` under another name, as in
/// the provider, for resources and data sources alike.
fn without_alb_alias(name: &str) -> String {
    match name.strip_prefix("aws_alb") {
        Some(rest) => format!("aws_lb{rest}"),
        None => name.to_string(),
    }
}

/// The type behind a resource type name (`aws_alb*` names included).
pub fn resource_type(name: &str) -> Option<&'static dyn ResourceType> {
    let name = without_alb_alias(name);
    aws::resource_types()
        .chain(builtin::TYPES.iter().copied())
        .find(|t| t.type_name() == name)
}

/// Every resource type and data source of Terraform's hashicorp/aws
/// provider, generated by scripts/aws-provider-types.sh.
const TERRAFORM_AWS_TYPES: &str = include_str!("aws_provider_types.txt");

/// Whether `name` is a resource type (or with `data`, a data source) of
/// Terraform's hashicorp/aws provider, supported by terrane or not.
pub fn is_terraform_aws_type(data: bool, name: &str) -> bool {
    let kind = if data { "data" } else { "resource" };
    TERRAFORM_AWS_TYPES
        .lines()
        .any(|line| line.split_once(' ') == Some((kind, name)))
}

/// The arguments and nested blocks (dotted: `root_block_device.tags`) of
/// Terraform's hashicorp/aws types that terrane supports, generated by
/// scripts/aws-provider-types.sh; each type's own line first.
const TERRAFORM_AWS_ARGUMENTS: &str = include_str!("aws_provider_arguments.txt");

/// Whether `path` is an argument or nested block that Terraform's
/// hashicorp/aws provider has for the type (`data`: a data source), so
/// that terrane can say "not supported yet" rather than "unsupported".
pub fn is_terraform_aws_argument(data: bool, type_name: &str, path: &str) -> bool {
    let kind = if data { "data" } else { "resource" };
    let type_name = without_alb_alias(type_name);
    TERRAFORM_AWS_ARGUMENTS.lines().any(|line| {
        let mut words = line.split(' ');
        (words.next(), words.next(), words.next(), words.next())
            == (Some(kind), Some(type_name.as_str()), Some(path), None)
    })
}

/// The data source behind a name (`aws_alb*` names included).
pub fn data_source_type(name: &str) -> Option<&'static dyn DataSourceType> {
    let name = without_alb_alias(name);
    aws::data_source_types().find(|t| t.type_name() == name)
}

pub fn resource_type_names() -> Vec<&'static str> {
    aws::resource_types()
        .chain(builtin::TYPES.iter().copied())
        .map(|t| t.type_name())
        .collect()
}

pub fn data_source_type_names() -> Vec<&'static str> {
    aws::data_source_types().map(|t| t.type_name()).collect()
}

/// The few classes of AWS failure the engine treats differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    Throttled,
    /// The object is in use or in a conflicting state (DependencyViolation, …).
    Conflict,
    /// AWS rejected the request's values.
    Validation,
    /// Waiting for the object exceeded its timeout.
    Timeout,
    /// The request may or may not have been carried out: no answer came
    /// (a dropped connection, a timeout) or AWS failed inside (a 5xx).
    Transient,
    Other,
}

#[derive(Clone, Debug)]
pub struct ProviderError {
    pub kind: ErrorKind,
    /// The AWS error code, e.g. `InvalidVpcID.NotFound`.
    pub code: Option<String>,
    pub message: String,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind,
            code: None,
            message: message.into(),
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// Throttled, or with an unknown outcome (no answer, a 5xx): the same
    /// request may well succeed sent again.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Transient)
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ProviderError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Value, attrs};

    #[test]
    fn terraform_ids_translate_where_terranes_carry_more() {
        let id = |type_name: &str, terraform_id: &str, attributes: Attrs| {
            resource_type(type_name)
                .expect("registered")
                .id_from_terraform(terraform_id, &attributes)
        };
        assert_eq!(
            id(
                "aws_iam_role_policy_attachment",
                "eks-node-20261122175808374000000002",
                attrs([
                    ("role", Value::string("eks-node")),
                    (
                        "policy_arn",
                        Value::string("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy")
                    ),
                ])
            ),
            "eks-node/arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
        );
        assert_eq!(
            id(
                "aws_wafv2_web_acl",
                "f407d467",
                attrs([
                    ("id", Value::string("f407d467")),
                    ("name", Value::string("acl")),
                    ("scope", Value::string("REGIONAL")),
                ])
            ),
            "f407d467/acl/REGIONAL"
        );
        assert_eq!(
            id("aws_vpc", "vpc-1", attrs([("id", Value::string("vpc-1"))])),
            "vpc-1"
        );
    }
}
