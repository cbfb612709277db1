//! Data source `aws_eks_cluster`: a cluster by name, read as the
//! `aws_eks_cluster` resource reads it (endpoint, certificate authority,
//! VPC settings, version), for the configurations that reach a cluster
//! another stack made.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::cluster::EksCluster;
use crate::provider::aws::AwsContext;
use crate::provider::aws::convert::required_str;
use crate::provider::aws::lookup::{mirrored_schema, read_as_resource};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ProviderError};
use crate::value::{Attrs, Value};

pub struct EksClusterDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    mirrored_schema(
        &EksCluster,
        vec![Attribute::required("name", Type::String)],
        &[
            "access_config",
            "arn",
            "certificate_authority",
            "created_at",
            "enabled_cluster_log_types",
            "endpoint",
            "identity",
            "kubernetes_network_config",
            "platform_version",
            "role_arn",
            "status",
            "upgrade_policy",
            "version",
            "vpc_config",
            "cluster_id",
        ],
        vec![],
    )
});

#[async_trait]
impl DataSourceType for EksClusterDataSource {
    fn type_name(&self) -> &'static str {
        "aws_eks_cluster"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let name = required_str(args, "name")?;
        let mut out = read_as_resource(&EksCluster, aws, name, args, &SCHEMA).await?;
        out.insert("id".into(), Value::string(name));
        Ok(out)
    }
}
