//! Data source `aws_iam_role`: a role by name, read as the `aws_iam_role`
//! resource reads it.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::role::IamRole;
use crate::provider::aws::AwsContext;
use crate::provider::aws::convert::required_str;
use crate::provider::aws::lookup::{mirrored_schema, read_as_resource};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ProviderError};
use crate::value::Attrs;

pub struct IamRoleDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    mirrored_schema(
        &IamRole,
        vec![Attribute::required("name", Type::String)],
        &[
            "arn",
            "assume_role_policy",
            "create_date",
            "description",
            "max_session_duration",
            "path",
            "permissions_boundary",
            "unique_id",
        ],
        vec![],
    )
});

#[async_trait]
impl DataSourceType for IamRoleDataSource {
    fn type_name(&self) -> &'static str {
        "aws_iam_role"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let name = required_str(args, "name")?;
        read_as_resource(&IamRole, aws, name, args, &SCHEMA).await
    }
}
