//! Data source `aws_caller_identity`: the account, ARN and user id of the
//! provider's credentials, from one STS GetCallerIdentity call.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::provider::aws::{AwsContext, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ProviderError};
use crate::value::{Attrs, Value};

pub struct CallerIdentityType;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::computed("id", Type::String),
            Attribute::computed("account_id", Type::String),
            Attribute::computed("arn", Type::String),
            Attribute::computed("user_id", Type::String),
        ],
        vec![],
    )
});

#[async_trait]
impl DataSourceType for CallerIdentityType {
    fn type_name(&self) -> &'static str {
        "aws_caller_identity"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let identity = aws
            .sts()
            .get_caller_identity()
            .send()
            .await
            .map_err(sdk_error)?;
        let account = identity.account().unwrap_or_default();
        let mut out = args.clone();
        out.insert("id".into(), Value::string(account));
        out.insert("account_id".into(), Value::string(account));
        out.insert(
            "arn".into(),
            Value::string(identity.arn().unwrap_or_default()),
        );
        out.insert(
            "user_id".into(),
            Value::string(identity.user_id().unwrap_or_default()),
        );
        Ok(out)
    }
}
