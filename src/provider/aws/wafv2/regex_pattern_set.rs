//! `aws_wafv2_regex_pattern_set`: regular expressions that web ACL rules
//! refer to (`regex_pattern_set_reference_statement`).
//!
//! The id is `ID/NAME/SCOPE`, as every WAFv2 type's. Updates and deletes
//! carry the lock token of a fresh GetRegexPatternSet; a concurrent change answers
//! WAFOptimisticLockException, a Conflict the engine retries. WAFv2 has no
//! batched Get: `read_many` gets each set on its own.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_wafv2::types::{Regex, RegexPatternSet, Scope};

use super::{
    WafKey, delete_with_token, find_created_among, get_with_token, id_from_terraform,
    list_summaries, read_tags, update_tags, waf_id, waf_tags, with_tags,
};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, prior_id};
use crate::provider::aws::names::{name_for_create, prefix_from_name};
use crate::provider::aws::tags::create_tags;
use crate::provider::aws::{AwsContext, id_from_answer, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, Listed, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct RegexPatternSetType;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::with_tags(
        vec![
            Attribute::optional_computed("name", Type::String).force_new(),
            Attribute::optional_computed("name_prefix", Type::String).force_new(),
            Attribute::required("scope", Type::String).force_new(),
            Attribute::optional("description", Type::String),
            Attribute::computed("arn", Type::String),
            Attribute::computed("lock_token", Type::String),
            Attribute::computed("id", Type::String),
        ],
        vec![Block::set(
            "regular_expression",
            Schema::new(
                vec![Attribute::required("regex_string", Type::String)],
                vec![],
            ),
        )],
    )
});

/// The set and its lock token.
async fn get(
    aws: &AwsContext,
    key: &WafKey<'_>,
) -> Result<(RegexPatternSet, Option<String>), ProviderError> {
    get_with_token!(
        aws,
        get_regex_pattern_set,
        regex_pattern_set,
        key,
        "regex pattern set"
    )
    .await
}

/// The `regular_expression` blocks as WAFv2 takes them.
fn regexes(attrs: &Attrs) -> Result<Vec<Regex>, ProviderError> {
    Ok(attrs
        .blocks("regular_expression")
        .into_iter()
        .map(|r| {
            Regex::builder()
                .set_regex_string(r.str("regex_string").map(String::from))
                .build()
        })
        .collect())
}

fn regex_blocks(list: &[Regex]) -> Value {
    Value::List(
        list.iter()
            .map(|r| Value::Map(attrs([("regex_string", r.regex_string().into())]).into()))
            .collect(),
    )
    .into_set()
}

fn description(attrs: &Attrs) -> Option<String> {
    attrs.str("description").map(String::from)
}

#[async_trait]
impl ResourceType for RegexPatternSetType {
    fn type_name(&self) -> &'static str {
        "aws_wafv2_regex_pattern_set"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    fn id_from_terraform(&self, terraform_id: &str, attributes: &Attrs) -> String {
        id_from_terraform(terraform_id, attributes)
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |id| async move {
            let key = WafKey::parse(&id)?;
            let (set, lock_token) = get(aws, &key).await?;
            let (arn, name) = (
                set.arn().unwrap_or_default(),
                set.name().unwrap_or_default(),
            );
            let tags = read_tags(aws, arn).await?;
            Ok(Some(attrs([
                ("id", Value::string(&id)),
                ("arn", Value::string(arn)),
                ("name", Value::string(name)),
                ("name_prefix", prefix_from_name(name)),
                ("scope", Value::string(key.scope.as_str())),
                (
                    "regular_expression",
                    regex_blocks(set.regular_expression_list()),
                ),
                (
                    "description",
                    set.description().filter(|d| !d.is_empty()).into(),
                ),
                ("lock_token", lock_token.into()),
                ("tags_all", tags),
            ])))
        })
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = name_for_create(req.planned, "name", "name_prefix", req.client_token);
        let scope = req.planned.str("scope").unwrap_or("REGIONAL");
        let listed =
            list_summaries!(aws, list_regex_pattern_sets, regex_pattern_sets, scope).await?;
        find_created_among(aws, req, listed, &name).await
    }

    /// The regional ones only, as for web ACLs.
    async fn list_tagged(&self, aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
        let listed =
            list_summaries!(aws, list_regex_pattern_sets, regex_pattern_sets, "REGIONAL").await?;
        with_tags(aws, listed).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let name = name_for_create(planned, "name", "name_prefix", req.client_token);
        let scope = planned.str("scope").unwrap_or("REGIONAL");
        let out = aws
            .wafv2()
            .create_regex_pattern_set()
            .name(&name)
            .scope(Scope::from(scope))
            .set_regular_expression_list(Some(regexes(planned)?))
            .set_description(description(planned))
            .set_tags(Some(waf_tags(create_tags(aws, req))?))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            out.summary().and_then(|s| s.id()),
            "CreateRegexPatternSet returned no id",
        )?;
        Ok(waf_id(Some(&id), Some(&name), scope))
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        if ["regular_expression", "description"]
            .iter()
            .any(|k| differs(prior, planned, k))
        {
            let key = WafKey::parse(id)?;
            let (_, lock_token) = get(aws, &key).await?;
            aws.wafv2()
                .update_regex_pattern_set()
                .id(key.id)
                .name(key.name)
                .scope(key.scope)
                .set_regular_expression_list(Some(regexes(planned)?))
                .set_description(description(planned))
                .set_lock_token(lock_token)
                .send()
                .await
                .map_err(sdk_error)?;
        }
        update_tags(aws, prior.str("arn").unwrap_or_default(), prior, planned).await
    }

    /// A set still referred to by a web ACL fails with
    /// WAFAssociatedItemException, a Conflict the engine retries while the
    /// ACL moves off it.
    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let key = WafKey::parse(prior_id(prior)?)?;
        delete_with_token!(
            aws,
            get_regex_pattern_set,
            regex_pattern_set,
            delete_regex_pattern_set,
            &key,
            "regex pattern set"
        )
        .await
    }
}
