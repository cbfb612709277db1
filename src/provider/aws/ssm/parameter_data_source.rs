//! Data source `aws_ssm_parameter`: one parameter's value, from one
//! GetParameter call.
//!
//! As in Terraform: `value` is sensitive; `insecure_value` holds the same
//! text, not marked sensitive, for parameters that are not SecureStrings
//! (an AMI id need not hide every plan line that uses it); and SecureStrings
//! are decrypted unless `with_decryption = false`.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ssm::types::ParameterType;

use crate::provider::aws::convert::required_str;
use crate::provider::aws::{AwsContext, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct SsmParameterDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("name", Type::String),
            Attribute::optional("with_decryption", Type::Bool).default(true),
            Attribute::computed("id", Type::String),
            Attribute::computed("arn", Type::String),
            Attribute::computed("type", Type::String),
            Attribute::computed("value", Type::String).sensitive(),
            Attribute::computed("insecure_value", Type::String),
            Attribute::computed("version", Type::Number),
        ],
        vec![],
    )
});

#[async_trait]
impl DataSourceType for SsmParameterDataSource {
    fn type_name(&self) -> &'static str {
        "aws_ssm_parameter"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let name = required_str(args, "name")?;
        let got = aws
            .ssm()
            .get_parameter()
            .name(name)
            .with_decryption(args.bool("with_decryption").unwrap_or(true))
            .send()
            .await
            .map_err(sdk_error)?;
        let parameter = got.parameter().ok_or_else(|| {
            ProviderError::new(
                ErrorKind::NotFound,
                format!("SSM parameter {name} not found"),
            )
        })?;
        let secure = parameter.r#type() == Some(&ParameterType::SecureString);
        let value = parameter.value().unwrap_or_default();
        let mut out = args.clone();
        out.insert("id".into(), Value::string(parameter.name().unwrap_or(name)));
        out.insert(
            "name".into(),
            Value::string(parameter.name().unwrap_or(name)),
        );
        out.insert("arn".into(), parameter.arn().into());
        out.insert(
            "type".into(),
            parameter.r#type().map(ParameterType::as_str).into(),
        );
        out.insert("value".into(), Value::string(value));
        out.insert(
            "insecure_value".into(),
            if secure {
                Value::Null
            } else {
                Value::string(value)
            },
        );
        out.insert("version".into(), Value::from(parameter.version()));
        Ok(out)
    }
}
