//! `aws_eks_cluster`: an EKS control plane.
//!
//! The id is the cluster name. Create, update and delete wait for EKS, which
//! takes 10–15 minutes on AWS (the waits poll, so a service that is ready at
//! once costs nothing). The Kubernetes version, the endpoint access
//! settings, the control-plane log types and tags change in place, and
//! secrets encryption can be turned on in place (never changed or off);
//! so do the access config's authentication mode, the upgrade policy and
//! zonal shift. The cluster's subnets and security groups, its Kubernetes
//! network and its remote (hybrid node) networks force replacement. Node
//! groups are their own resource type. EKS Auto Mode (`compute_config`,
//! `storage_config`) and Outposts clusters are not supported yet.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{
    AuthenticationMode, Cluster, CreateAccessConfigRequest, EncryptionConfig, IpFamily,
    KubernetesNetworkConfigRequest, LogSetup, LogType, Logging, RemoteNetworkConfigRequest,
    RemoteNodeNetwork, RemotePodNetwork, SupportType, UpdateAccessConfigRequest,
    UpgradePolicyRequest, VpcConfigRequest, ZonalShiftConfigRequest,
};

use super::{
    Goal, UpdateOf, cluster_names, create_tags, find_cluster, tag_pairs, update_tags, wait_deleted,
    wait_for_status, wait_for_update,
};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{
    nested, optional_block, prior_id, single, string_set, string_set_or_null,
};
use crate::provider::aws::tags::{owner_of_named, tags_to_value};
use crate::provider::aws::{AwsContext, Timeouts, sdk_error, wait_until};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, Listed, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct EksCluster;

/// Terraform's defaults for `aws_eks_cluster`.
const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(30 * 60),
    update: Duration::from_secs(60 * 60),
    delete: Duration::from_secs(15 * 60),
};

/// How long CreateCluster is retried while a just-created IAM role is not
/// yet visible to EKS (as Terraform does).
const ROLE_PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::required("name", Type::String).force_new(),
        Attribute::required("role_arn", Type::String).force_new(),
        Attribute::optional_computed("version", Type::String),
        Attribute::optional("enabled_cluster_log_types", Type::set_of(Type::String)),
        // Sent at create only (EKS's default, true, when left out) and not
        // reported back: kept as written, or as the state has it (a
        // Terraform state holds `true`). Terraform replaces the cluster
        // when it changes; terrane records the change and leaves the
        // cluster be, since a cluster whose state predates the argument
        // would otherwise be replaced.
        Attribute::optional_computed("bootstrap_self_managed_addons", Type::Bool),
        // Only steers a version update: upgrade despite EKS's insight checks.
        Attribute::optional("force_update_version", Type::Bool),
        Attribute::computed("arn", Type::String),
        Attribute::computed("endpoint", Type::String),
        Attribute::computed("status", Type::String),
        Attribute::computed("platform_version", Type::String),
        // A list of `{ data = "<base64 PEM>" }`, as in Terraform.
        Attribute::computed(
            "certificate_authority",
            Type::list_of(Type::map_of(Type::String)),
        ),
    ];
    Schema::with_tags(
        attributes,
        vec![
            Block::single(
                "vpc_config",
                Schema::new(
                    vec![
                        Attribute::required("subnet_ids", Type::set_of(Type::String)).force_new(),
                        Attribute::optional("security_group_ids", Type::set_of(Type::String))
                            .force_new(),
                        Attribute::optional("endpoint_private_access", Type::Bool).default(false),
                        Attribute::optional("endpoint_public_access", Type::Bool).default(true),
                        Attribute::optional_computed(
                            "public_access_cidrs",
                            Type::set_of(Type::String),
                        ),
                        Attribute::computed("cluster_security_group_id", Type::String),
                        Attribute::computed("vpc_id", Type::String),
                    ],
                    vec![],
                ),
            )
            .required(),
            Block::single(
                "encryption_config",
                Schema::new(
                    vec![Attribute::required("resources", Type::set_of(Type::String))],
                    vec![
                        Block::single(
                            "provider",
                            Schema::new(vec![Attribute::required("key_arn", Type::String)], vec![]),
                        )
                        .required(),
                    ],
                ),
            ),
            Block::single(
                "access_config",
                Schema::new(
                    vec![
                        Attribute::optional_computed("authentication_mode", Type::String),
                        // Sent at create only; EKS does not always report it.
                        Attribute::optional_computed(
                            "bootstrap_cluster_creator_admin_permissions",
                            Type::Bool,
                        ),
                    ],
                    vec![],
                ),
            )
            .computed_when_absent(),
            Block::single(
                "kubernetes_network_config",
                Schema::new(
                    vec![
                        Attribute::optional_computed("service_ipv4_cidr", Type::String).force_new(),
                        Attribute::optional_computed("ip_family", Type::String).force_new(),
                        Attribute::computed("service_ipv6_cidr", Type::String),
                    ],
                    vec![],
                ),
            )
            .computed_when_absent(),
            Block::single(
                "remote_network_config",
                Schema::new(
                    vec![],
                    vec![
                        Block::single(
                            "remote_node_networks",
                            Schema::new(
                                vec![Attribute::optional("cidrs", Type::set_of(Type::String))],
                                vec![],
                            ),
                        ),
                        Block::single(
                            "remote_pod_networks",
                            Schema::new(
                                vec![Attribute::optional("cidrs", Type::set_of(Type::String))],
                                vec![],
                            ),
                        ),
                    ],
                ),
            )
            .force_new(),
            Block::single(
                "upgrade_policy",
                Schema::new(
                    vec![Attribute::optional_computed("support_type", Type::String)],
                    vec![],
                ),
            )
            .computed_when_absent(),
            Block::single(
                "zonal_shift_config",
                Schema::new(vec![Attribute::optional("enabled", Type::Bool)], vec![]),
            )
            .computed_when_absent(),
            Timeouts::block(&["create", "update", "delete"]),
        ],
    )
});

/// Statuses a cluster passes through on the way to ACTIVE.
const CREATING: &[&str] = &["CREATING", "PENDING"];
const UPDATING: &[&str] = &["UPDATING"];

#[async_trait]
impl ResourceType for EksCluster {
    fn type_name(&self) -> &'static str {
        "aws_eks_cluster"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// EKS has no batched Describe: one DescribeCluster per cluster,
    /// concurrently.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |name| async move {
            Ok(find_cluster(aws, &name).await?.as_ref().map(cluster_attrs))
        })
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = req.planned.str("name").unwrap_or_default().to_string();
        Ok(match find_cluster(aws, &name).await? {
            Some(cluster) => owner_of_named(aws, req, name, cluster.tags().into_iter().flatten()),
            None => Found::Nothing,
        })
    }

    async fn list_tagged(&self, aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
        let names = cluster_names(aws).await?;
        let tagged = fetch_each(&names, |name| async move {
            Ok(find_cluster(aws, &name)
                .await?
                .map(|cluster| tag_pairs(cluster.tags())))
        })
        .await?;
        Ok(tagged.into_iter().collect())
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let name = planned.str("name").unwrap_or_default().to_string();
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        let vpc = single(planned, "vpc_config").cloned().unwrap_or_default();
        let security_groups = vpc.strings("security_group_ids");
        let public_cidrs = vpc.strings("public_access_cidrs");
        let vpc_config = VpcConfigRequest::builder()
            .set_subnet_ids(Some(vpc.strings("subnet_ids")))
            .set_security_group_ids((!security_groups.is_empty()).then_some(security_groups))
            .set_endpoint_private_access(vpc.bool("endpoint_private_access"))
            .set_endpoint_public_access(vpc.bool("endpoint_public_access"))
            .set_public_access_cidrs((!public_cidrs.is_empty()).then_some(public_cidrs))
            .build();
        let request = aws
            .eks()
            .create_cluster()
            .name(&name)
            .role_arn(planned.str("role_arn").unwrap_or_default())
            .set_version(planned.str("version").map(str::to_string))
            .resources_vpc_config(vpc_config)
            .set_logging(logging(None, planned))
            .set_encryption_config(encryption_config(planned))
            .set_access_config(single(planned, "access_config").map(|a| {
                CreateAccessConfigRequest::builder()
                    .set_authentication_mode(
                        a.str("authentication_mode").map(AuthenticationMode::from),
                    )
                    .set_bootstrap_cluster_creator_admin_permissions(
                        a.bool("bootstrap_cluster_creator_admin_permissions"),
                    )
                    .build()
            }))
            .set_kubernetes_network_config(single(planned, "kubernetes_network_config").map(|k| {
                KubernetesNetworkConfigRequest::builder()
                    .set_service_ipv4_cidr(k.str("service_ipv4_cidr").map(str::to_string))
                    .set_ip_family(k.str("ip_family").map(IpFamily::from))
                    .build()
            }))
            .set_remote_network_config(remote_network_config(planned))
            .set_upgrade_policy(upgrade_policy(planned))
            .set_zonal_shift_config(zonal_shift_config(planned))
            .set_bootstrap_self_managed_addons(planned.bool("bootstrap_self_managed_addons"))
            .client_request_token(req.client_token)
            .set_tags(Some(create_tags(aws, req)));
        wait_until(
            &format!("IAM role of EKS cluster {name} to become usable"),
            ROLE_PROPAGATION_TIMEOUT,
            || async {
                match request.clone().send().await.map_err(sdk_error) {
                    Ok(_) => Ok(Some(())),
                    Err(err) if is_role_propagation_error(&err) => Ok(None),
                    Err(err) => Err(err),
                }
            },
        )
        .await?;
        wait_for_cluster(aws, &name, timeouts.create, CREATING).await?;
        Ok(name)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        if let (Some(version), true) = (
            planned.str("version"),
            prior.get("version") != planned.get("version"),
        ) {
            let out = aws
                .eks()
                .update_cluster_version()
                .name(name)
                .version(version)
                .set_force(planned.bool("force_update_version"))
                .send()
                .await
                .map_err(sdk_error)?;
            wait_for_cluster_update(aws, name, out.update(), timeouts.update).await?;
        }
        let endpoint_settings = |attrs: &Attrs| {
            single(attrs, "vpc_config").map(|v| {
                (
                    v.bool("endpoint_private_access"),
                    v.bool("endpoint_public_access"),
                    v.strings("public_access_cidrs"),
                )
            })
        };
        if let Some((private, public, cidrs)) =
            endpoint_settings(planned).filter(|s| Some(s) != endpoint_settings(prior).as_ref())
        {
            let out = aws
                .eks()
                .update_cluster_config()
                .name(name)
                .resources_vpc_config(
                    VpcConfigRequest::builder()
                        .set_endpoint_private_access(private)
                        .set_endpoint_public_access(public)
                        .set_public_access_cidrs((!cidrs.is_empty()).then_some(cidrs))
                        .build(),
                )
                .send()
                .await
                .map_err(sdk_error)?;
            wait_for_cluster_update(aws, name, out.update(), timeouts.update).await?;
        }
        if prior.strings("enabled_cluster_log_types")
            != planned.strings("enabled_cluster_log_types")
        {
            let out = aws
                .eks()
                .update_cluster_config()
                .name(name)
                .set_logging(logging(Some(prior), planned))
                .send()
                .await
                .map_err(sdk_error)?;
            wait_for_cluster_update(aws, name, out.update(), timeouts.update).await?;
        }
        // One UpdateClusterConfig per kind of setting: EKS takes one at a
        // time.
        let changed = |key: &str| SCHEMA.argument_changed(key, prior, planned);
        let config_updates = [
            (
                "access_config",
                single(planned, "access_config").map(|a| {
                    aws.eks().update_cluster_config().name(name).access_config(
                        UpdateAccessConfigRequest::builder()
                            .set_authentication_mode(
                                a.str("authentication_mode").map(AuthenticationMode::from),
                            )
                            .build(),
                    )
                }),
            ),
            (
                "upgrade_policy",
                upgrade_policy(planned).map(|policy| {
                    aws.eks()
                        .update_cluster_config()
                        .name(name)
                        .upgrade_policy(policy)
                }),
            ),
            (
                "zonal_shift_config",
                zonal_shift_config(planned).map(|config| {
                    aws.eks()
                        .update_cluster_config()
                        .name(name)
                        .zonal_shift_config(config)
                }),
            ),
        ];
        for (key, call) in config_updates {
            let Some(call) = call.filter(|_| changed(key)) else {
                continue;
            };
            let out = call.send().await.map_err(sdk_error)?;
            wait_for_cluster_update(aws, name, out.update(), timeouts.update).await?;
        }
        if prior.blocks("encryption_config") != planned.blocks("encryption_config") {
            // EKS encrypts an unencrypted cluster's secrets in place, but
            // never changes or removes that (Terraform replaces the cluster
            // then); terrane does not replace a cluster on its own.
            let had = !prior.blocks("encryption_config").is_empty();
            let Some(config) = encryption_config(planned).filter(|_| !had) else {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    format!(
                        "EKS cannot change or remove the encryption_config of cluster {name}: replace the cluster (terrane apply --replace) to do so"
                    ),
                ));
            };
            let out = aws
                .eks()
                .associate_encryption_config()
                .cluster_name(name)
                .set_encryption_config(Some(config))
                .send()
                .await
                .map_err(sdk_error)?;
            wait_for_cluster_update(aws, name, out.update(), timeouts.update).await?;
        }
        if let Some(arn) = prior.str("arn") {
            update_tags(aws, arn, prior, planned).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        let timeouts = Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS);
        let deleted = aws
            .eks()
            .delete_cluster()
            .name(name)
            .send()
            .await
            .map_err(sdk_error);
        wait_deleted(
            &format!("EKS cluster {name}"),
            timeouts.delete,
            deleted,
            || cluster_status(aws, name),
        )
        .await
    }
}

async fn cluster_status(aws: &AwsContext, name: &str) -> Result<Option<String>, ProviderError> {
    Ok(find_cluster(aws, name).await?.map(|c| {
        c.status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default()
    }))
}

async fn wait_for_cluster(
    aws: &AwsContext,
    name: &str,
    timeout: Duration,
    pending: &[&str],
) -> Result<(), ProviderError> {
    wait_for_status(
        &format!("EKS cluster {name}"),
        timeout,
        pending,
        Goal::Status("ACTIVE"),
        || cluster_status(aws, name),
    )
    .await
}

/// Waits for an update to finish and the cluster to be ACTIVE again. AWS
/// always answers with an update to follow; an emulator that answers
/// without one leaves only the cluster status to go by.
async fn wait_for_cluster_update(
    aws: &AwsContext,
    name: &str,
    update: Option<&aws_sdk_eks::types::Update>,
    timeout: Duration,
) -> Result<(), ProviderError> {
    if let Some(update) = update {
        wait_for_update(aws, name, UpdateOf::Cluster, update, timeout).await?;
    }
    wait_for_cluster(aws, name, timeout, UPDATING).await
}

/// EKS rejects a cluster whose new IAM role it cannot see or assume yet
/// with an InvalidParameterException, which `errors` classifies as a
/// Conflict that clears within a minute or two. EKS's other conflicts (a
/// cluster of that name exists) must fail at once.
fn is_role_propagation_error(err: &ProviderError) -> bool {
    err.kind == ErrorKind::Conflict && err.code.as_deref() == Some("InvalidParameterException")
}

/// Control-plane logging: the types written, enabled; with a prior
/// state, the types it had that are no longer written, disabled.
fn logging(prior: Option<&Attrs>, planned: &Attrs) -> Option<Logging> {
    let wanted = planned.strings("enabled_cluster_log_types");
    let dropped: Vec<String> = prior
        .map(|p| p.strings("enabled_cluster_log_types"))
        .unwrap_or_default()
        .into_iter()
        .filter(|t| !wanted.contains(t))
        .collect();
    let setup = |types: Vec<String>, enabled: bool| {
        (!types.is_empty()).then(|| {
            LogSetup::builder()
                .set_types(Some(
                    types.iter().map(|t| LogType::from(t.as_str())).collect(),
                ))
                .enabled(enabled)
                .build()
        })
    };
    let setups: Vec<LogSetup> = [setup(wanted, true), setup(dropped, false)]
        .into_iter()
        .flatten()
        .collect();
    (!setups.is_empty()).then(|| Logging::builder().set_cluster_logging(Some(setups)).build())
}

fn upgrade_policy(planned: &Attrs) -> Option<UpgradePolicyRequest> {
    single(planned, "upgrade_policy").map(|u| {
        UpgradePolicyRequest::builder()
            .set_support_type(u.str("support_type").map(SupportType::from))
            .build()
    })
}

fn zonal_shift_config(planned: &Attrs) -> Option<ZonalShiftConfigRequest> {
    single(planned, "zonal_shift_config").map(|z| {
        ZonalShiftConfigRequest::builder()
            .set_enabled(z.bool("enabled"))
            .build()
    })
}

/// The hybrid nodes' networks: node and pod CIDRs, one list of each.
fn remote_network_config(planned: &Attrs) -> Option<RemoteNetworkConfigRequest> {
    let config = single(planned, "remote_network_config")?;
    let cidrs = |block: &str| single(config, block).map(|b| b.strings("cidrs"));
    Some(
        RemoteNetworkConfigRequest::builder()
            .set_remote_node_networks(
                cidrs("remote_node_networks")
                    .map(|cidrs| vec![RemoteNodeNetwork::builder().set_cidrs(Some(cidrs)).build()]),
            )
            .set_remote_pod_networks(
                cidrs("remote_pod_networks")
                    .map(|cidrs| vec![RemotePodNetwork::builder().set_cidrs(Some(cidrs)).build()]),
            )
            .build(),
    )
}

/// Envelope encryption of Kubernetes secrets with a KMS key. The SDK marks
/// `resources` deprecated (EKS now encrypts all API data); Terraform's
/// provider still requires it, so it is sent and read as written.
#[allow(deprecated)]
fn encryption_config(planned: &Attrs) -> Option<Vec<EncryptionConfig>> {
    let config = single(planned, "encryption_config")?;
    let key = single(config, "provider").and_then(|p| p.str("key_arn"));
    Some(vec![
        EncryptionConfig::builder()
            .set_resources(Some(config.strings("resources")))
            .set_provider(key.map(|k| aws_sdk_eks::types::Provider::builder().key_arn(k).build()))
            .build(),
    ])
}

#[allow(deprecated)] // `resources` of the encryption config: see above.
fn cluster_attrs(cluster: &Cluster) -> Attrs {
    let name = cluster.name().unwrap_or_default();
    let vpc = optional_block(cluster.resources_vpc_config().map(|v| {
        attrs([
            ("subnet_ids", string_set_or_null(v.subnet_ids().to_vec())),
            (
                "security_group_ids",
                string_set_or_null(v.security_group_ids().to_vec()),
            ),
            (
                "endpoint_private_access",
                Value::Bool(v.endpoint_private_access()),
            ),
            (
                "endpoint_public_access",
                Value::Bool(v.endpoint_public_access()),
            ),
            (
                "public_access_cidrs",
                string_set_or_null(v.public_access_cidrs().to_vec()),
            ),
            (
                "cluster_security_group_id",
                v.cluster_security_group_id().into(),
            ),
            ("vpc_id", v.vpc_id().into()),
        ])
    }));
    let certificate_authority: Vec<Value> = cluster
        .certificate_authority()
        .map(|c| Value::Map(attrs([("data", c.data().into())]).into()))
        .into_iter()
        .collect();
    let enabled_logs: Vec<String> = cluster
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|setup| setup.enabled() == Some(true))
        .flat_map(|setup| setup.types().iter().map(|t| t.as_str().to_string()))
        .collect();
    let encryption: Vec<Value> = cluster
        .encryption_config()
        .iter()
        .map(|config| {
            let provider = config
                .provider()
                .and_then(|p| p.key_arn())
                .map(|key| Value::Map(attrs([("key_arn", Value::string(key))]).into()));
            Value::Map(
                attrs([
                    ("resources", string_set(config.resources().to_vec())),
                    ("provider", Value::List(provider.into_iter().collect())),
                ])
                .into(),
            )
        })
        .collect();
    let access = optional_block(cluster.access_config().map(|a| {
        nested([
            (
                "authentication_mode",
                a.authentication_mode().map(|m| m.as_str()).into(),
            ),
            (
                "bootstrap_cluster_creator_admin_permissions",
                a.bootstrap_cluster_creator_admin_permissions().into(),
            ),
        ])
    }));
    let network = optional_block(cluster.kubernetes_network_config().map(|k| {
        nested([
            ("service_ipv4_cidr", k.service_ipv4_cidr().into()),
            ("ip_family", k.ip_family().map(|f| f.as_str()).into()),
            ("service_ipv6_cidr", k.service_ipv6_cidr().into()),
        ])
    }));
    let remote = optional_block(cluster.remote_network_config().map(|r| {
        let cidrs = |lists: Vec<&[String]>| {
            let all: Vec<String> = lists.into_iter().flatten().cloned().collect();
            optional_block((!all.is_empty()).then(|| nested([("cidrs", string_set(all))])))
        };
        nested([
            (
                "remote_node_networks",
                cidrs(r.remote_node_networks().iter().map(|n| n.cidrs()).collect()),
            ),
            (
                "remote_pod_networks",
                cidrs(r.remote_pod_networks().iter().map(|n| n.cidrs()).collect()),
            ),
        ])
    }));
    let upgrade = optional_block(
        cluster
            .upgrade_policy()
            .map(|u| nested([("support_type", u.support_type().map(|t| t.as_str()).into())])),
    );
    let zonal_shift = optional_block(
        cluster
            .zonal_shift_config()
            .map(|z| nested([("enabled", z.enabled().into())])),
    );
    attrs([
        ("id", Value::string(name)),
        ("name", Value::string(name)),
        ("access_config", access),
        ("kubernetes_network_config", network),
        ("remote_network_config", remote),
        ("upgrade_policy", upgrade),
        ("zonal_shift_config", zonal_shift),
        ("role_arn", cluster.role_arn().into()),
        ("version", cluster.version().into()),
        ("arn", cluster.arn().into()),
        ("endpoint", cluster.endpoint().into()),
        ("status", cluster.status().map(|s| s.as_str()).into()),
        ("platform_version", cluster.platform_version().into()),
        (
            "certificate_authority",
            Value::List(certificate_authority.into()),
        ),
        ("vpc_config", vpc),
        (
            "enabled_cluster_log_types",
            string_set_or_null(enabled_logs),
        ),
        ("encryption_config", Value::List(encryption.into())),
        (
            "tags_all",
            tags_to_value(cluster.tags().into_iter().flatten()),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::errors::coded_error;

    #[test]
    fn role_propagation_errors_are_recognised() {
        let err = |message: &str| coded_error(Some("InvalidParameterException"), message.into());
        assert!(is_role_propagation_error(&err(
            "Role could not be assumed because the trusted entity is not correct"
        )));
        assert!(!is_role_propagation_error(&err(
            "Subnets specified must be in at least two different AZs"
        )));
    }
}
