//! Compute resource types (IAM roles and attachments, launch templates, Auto
//! Scaling groups, EKS clusters and node groups) driven through the
//! `ResourceType` trait against a fresh emulator, and checked with
//! independent SDK calls.

use std::collections::BTreeMap;
use std::time::Duration;

use terrane::provider::ErrorKind;
use terrane::provider::schema::Schema;
use terrane::value::{Attrs, Value, attrs};

use crate::support::Emulator;
use crate::support::emulator::REGION;
use crate::support::fixtures::{
    STACK, block, context, create, delete_twice, map, network, read, strings, ty, update,
};

/// What the engine hands to create/update for a configuration: every written
/// argument converted to its schema type, defaults filled in, set blocks
/// sorted, and `tags_all` equal to `tags` (no provider default tags here).
fn plan(schema: &Schema, written: &Attrs) -> Attrs {
    let mut out = Attrs::new();
    for attr in &schema.attributes {
        match written.get(attr.name) {
            Some(v) => {
                let converted = attr
                    .ty
                    .convert(v.clone())
                    .unwrap_or_else(|e| panic!("{}: {e}", attr.name));
                out.insert(attr.name.to_string(), converted);
            }
            None => {
                if let Some(default) = &attr.default {
                    out.insert(attr.name.to_string(), default.clone());
                }
            }
        }
    }
    for block in &schema.blocks {
        if let Some(Value::List(items)) = written.get(block.name) {
            let items: Vec<Value> = items
                .iter()
                .map(|item| match item {
                    Value::Map(m) => Value::Map(plan(&block.schema, m).into()),
                    other => panic!("block {} holds {other}", block.name),
                })
                .collect();
            let list = Value::List(items.into());
            out.insert(
                block.name.to_string(),
                if block.is_set { list.into_set() } else { list },
            );
        }
    }
    if schema.has_tags() {
        out.insert(
            "tags_all".into(),
            written
                .get("tags")
                .cloned()
                .unwrap_or(Value::Map(Attrs::new().into())),
        );
    }
    out
}

/// Asserts that what read returned equals what was planned for every value
/// the configuration set (nested blocks compared key by key, so attributes
/// AWS fills in on its own may be present too): a second plan shows no diff.
fn assert_reads_as_planned(schema: &Schema, planned: &Attrs, read: &Attrs) {
    let read = schema.normalize(read);
    let planned = schema.normalize(planned);
    for (key, value) in &planned {
        // Settings that exist only in terrane are not read back from AWS,
        // and `tags` is derived by the engine from `tags_all`.
        if matches!(
            key.as_str(),
            "force_detach_policies"
                | "force_delete"
                | "force_delete_warm_pool"
                | "bootstrap_self_managed_addons"
                | "ignore_failed_scaling_activities"
                | "wait_for_capacity_timeout"
                | "update_default_version"
                | "timeouts"
                | "tags"
        ) {
            continue;
        }
        assert_subset(value, read.get(key).unwrap_or(&Value::Null), key);
    }
    assert!(
        !read.contains_key("tags"),
        "read must not return tags: {read:?}"
    );
}

fn assert_subset(planned: &Value, read: &Value, path: &str) {
    match (planned, read) {
        (Value::Null, _) => {}
        (Value::Map(p), Value::Map(r)) => {
            for (k, v) in p {
                assert_subset(v, r.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"));
            }
        }
        (Value::List(p), Value::List(r)) if p.iter().any(|v| matches!(v, Value::Map(_))) => {
            assert_eq!(
                p.len(),
                r.len(),
                "{path}: planned {planned} but read {read}"
            );
            for (i, (pv, rv)) in p.iter().zip(r).enumerate() {
                assert_subset(pv, rv, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(planned, read, "{path}: planned {planned} but read {read}"),
    }
}

fn assert_no_system_tags(read: &Attrs, key: &str) {
    let text = format!("{:?}", read.get(key));
    assert!(
        !text.contains("terrane:"),
        "{key} read back with system tags: {text}"
    );
}

/// Requests the emulator served while `f` ran. The access log is written
/// just after each response, so let it settle before counting.
async fn requests_during<T>(
    emulator: &Emulator,
    f: impl std::future::Future<Output = T>,
) -> (T, usize) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = emulator.request_count();
    let out = f.await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    (out, emulator.request_count() - before)
}

const TRUST_POLICY_PRETTY: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": { "Service": "eks.amazonaws.com" },
            "Action": "sts:AssumeRole"
        }
    ]
}"#;

/// The same document, with other whitespace and key order.
const TRUST_POLICY_COMPACT: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Principal":{"Service":"eks.amazonaws.com"},"Effect":"Allow"}],"Version":"2012-10-17"}"#;

const EKS_CLUSTER_POLICY: &str = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy";
const EKS_WORKER_POLICY: &str = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy";

#[tokio::test]
async fn iam_role_and_policy_attachment_lifecycle() {
    let emulator = Emulator::start();
    let aws = context(&emulator);
    let iam = emulator.iam();
    let role_schema = ty("aws_iam_role").schema();

    // Create: the policy is written pretty-printed.
    let written = attrs([
        ("name", "eks-cluster".into()),
        ("description", "cluster role".into()),
        ("assume_role_policy", TRUST_POLICY_PRETTY.into()),
        ("tags", map(&[("Team", "platform")])),
    ]);
    let planned = plan(role_schema, &written);
    let id = create(&aws, "aws_iam_role.cluster", &planned).await;
    assert_eq!(id, "eks-cluster");

    let state = read(&aws, "aws_iam_role", &id).await;
    assert_reads_as_planned(role_schema, &planned, &state);
    assert_eq!(state["tags_all"], map(&[("Team", "platform")]));
    assert_eq!(state["path"], "/".into());
    assert_eq!(state["max_session_duration"], Value::float(3600.0));
    assert!(matches!(&state["arn"], Value::String(a) if a.ends_with(":role/eks-cluster")));
    assert!(matches!(&state["unique_id"], Value::String(s) if !s.is_empty()));
    assert!(matches!(&state["create_date"], Value::String(s) if !s.is_empty()));
    assert_no_system_tags(&state, "tags_all");
    // The same document written another way plans to the same value.
    let compact = plan(
        role_schema,
        &attrs([("assume_role_policy", TRUST_POLICY_COMPACT.into())]),
    );
    assert_eq!(compact["assume_role_policy"], state["assume_role_policy"]);

    // Independently: IAM holds the document and the system tags.
    let role = iam.get_role().role_name(&id).send().await.unwrap();
    let role = role.role().unwrap();
    let stored: serde_json::Value =
        serde_json::from_str(&percent_decode(role.assume_role_policy_document().unwrap())).unwrap();
    assert_eq!(
        stored,
        serde_json::from_str::<serde_json::Value>(TRUST_POLICY_COMPACT).unwrap()
    );
    let aws_tags: BTreeMap<&str, &str> = role.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(aws_tags.get("terrane:stack"), Some(&STACK));
    assert_eq!(
        aws_tags.get("terrane:address"),
        Some(&"aws_iam_role.cluster")
    );
    assert_eq!(aws_tags.get("Team"), Some(&"platform"));

    // Update: description, session duration and tags in place.
    let written2 = attrs([
        ("name", "eks-cluster".into()),
        ("description", "control plane role".into()),
        ("assume_role_policy", TRUST_POLICY_COMPACT.into()),
        ("max_session_duration", Value::float(7200.0)),
        ("tags", map(&[("Team", "infra"), ("Env", "prod")])),
    ]);
    let planned2 = plan(role_schema, &written2);
    update(&aws, "aws_iam_role", &state, &planned2).await;
    let state2 = read(&aws, "aws_iam_role", &id).await;
    assert_reads_as_planned(role_schema, &planned2, &state2);
    let role = iam.get_role().role_name(&id).send().await.unwrap();
    let role = role.role().unwrap();
    assert_eq!(role.description(), Some("control plane role"));
    assert_eq!(role.max_session_duration(), Some(7200));
    let aws_tags: BTreeMap<&str, &str> = role.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(aws_tags.get("Team"), Some(&"infra"));
    assert_eq!(aws_tags.get("Env"), Some(&"prod"));
    assert_eq!(
        aws_tags.get("terrane:stack"),
        Some(&STACK),
        "update must keep system tags"
    );

    // Attachments of AWS managed policies.
    let attachment_schema = ty("aws_iam_role_policy_attachment").schema();
    let mut attachment_ids = Vec::new();
    for (i, policy) in [EKS_CLUSTER_POLICY, EKS_WORKER_POLICY]
        .into_iter()
        .enumerate()
    {
        let planned = plan(
            attachment_schema,
            &attrs([("role", id.clone().into()), ("policy_arn", policy.into())]),
        );
        let attachment_id = create(
            &aws,
            &format!("aws_iam_role_policy_attachment.a[{i}]"),
            &planned,
        )
        .await;
        assert_eq!(attachment_id, format!("{id}/{policy}"));
        let state = read(&aws, "aws_iam_role_policy_attachment", &attachment_id).await;
        assert_reads_as_planned(attachment_schema, &planned, &state);
        attachment_ids.push((attachment_id, state));
    }
    let attached = iam
        .list_attached_role_policies()
        .role_name(&id)
        .send()
        .await
        .unwrap();
    let mut arns: Vec<&str> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    arns.sort();
    assert_eq!(arns, vec![EKS_CLUSTER_POLICY, EKS_WORKER_POLICY]);

    // Delete one attachment, then refresh both: only the other is found,
    // with one ListAttachedRolePolicies for their shared role.
    delete_twice(&aws, "aws_iam_role_policy_attachment", &attachment_ids[0].1).await;
    let ids: Vec<String> = attachment_ids.iter().map(|(id, _)| id.clone()).collect();
    let (found, requests) = requests_during(
        &emulator,
        ty("aws_iam_role_policy_attachment").read_many(&aws, &ids),
    )
    .await;
    let found = found.unwrap();
    assert_eq!(found.keys().collect::<Vec<_>>(), vec![&ids[1]]);
    assert_eq!(
        requests, 1,
        "attachments of one role are read with one call"
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1);

    // force_detach_policies: a role with an attachment left over deletes.
    let forced = plan(
        role_schema,
        &attrs([
            ("name_prefix", "node-".into()),
            ("assume_role_policy", TRUST_POLICY_PRETTY.into()),
            ("force_detach_policies", true.into()),
        ]),
    );
    let forced_id = create(&aws, "aws_iam_role.node", &forced).await;
    assert!(forced_id.starts_with("node-"), "{forced_id}");
    let forced_state = read(&aws, "aws_iam_role", &forced_id).await;
    assert_eq!(forced_state["name_prefix"], "node-".into());
    assert_reads_as_planned(role_schema, &forced, &forced_state);
    iam.attach_role_policy()
        .role_name(&forced_id)
        .policy_arn(EKS_WORKER_POLICY)
        .send()
        .await
        .unwrap();
    let mut forced_prior = forced_state.clone();
    forced_prior.insert("force_detach_policies".into(), true.into());
    delete_twice(&aws, "aws_iam_role", &forced_prior).await;
    assert!(iam.get_role().role_name(&forced_id).send().await.is_err());

    // Refresh of a live and a deleted role: one GetRole each (IAM has no
    // batched read), only the live one returned.
    let (found, requests) = requests_during(
        &emulator,
        ty("aws_iam_role").read_many(&aws, &[id.clone(), forced_id.clone()]),
    )
    .await;
    assert_eq!(found.unwrap().keys().collect::<Vec<_>>(), vec![&id]);
    assert_eq!(requests, 2);

    delete_twice(&aws, "aws_iam_role_policy_attachment", &attachment_ids[1].1).await;
    delete_twice(&aws, "aws_iam_role", &state2).await;
    let missing = iam.get_role().role_name(&id).send().await;
    assert!(missing.is_err(), "role still exists after delete");
    assert!(
        ty("aws_iam_role")
            .read_many(&aws, &[id])
            .await
            .unwrap()
            .is_empty()
    );
}

/// Decodes IAM's URL-encoded documents for the independent check.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn launch_template_and_autoscaling_group_lifecycle() {
    let emulator = Emulator::start();
    let aws = context(&emulator);
    let net = network(&emulator, &["us-east-1a", "us-east-1b"], &["compute-test"]).await;
    let ec2 = emulator.ec2();
    let autoscaling = emulator.autoscaling();
    let images = ec2.describe_images().owners("amazon").send().await.unwrap();
    let image_id = images
        .images()
        .iter()
        .find_map(|i| i.image_id())
        .unwrap()
        .to_string();

    // Launch template.
    let lt_schema = ty("aws_launch_template").schema();
    let written = attrs([
        ("name", "web".into()),
        ("description", "first".into()),
        ("image_id", image_id.clone().into()),
        ("instance_type", "t3.micro".into()),
        ("user_data", "IyEvYmluL3NoCmVjaG8gaGk=".into()),
        (
            "vpc_security_group_ids",
            strings(&[&net.security_groups[0]]),
        ),
        (
            "tag_specifications",
            block(attrs([
                ("resource_type", "instance".into()),
                ("tags", map(&[("Role", "web")])),
            ])),
        ),
        ("tags", map(&[("Team", "platform")])),
    ]);
    let planned = plan(lt_schema, &written);
    let lt_id = create(&aws, "aws_launch_template.web", &planned).await;
    let lt_state = read(&aws, "aws_launch_template", &lt_id).await;
    assert_reads_as_planned(lt_schema, &planned, &lt_state);
    assert_eq!(lt_state["latest_version"], Value::float(1.0));
    assert_eq!(lt_state["default_version"], Value::float(1.0));
    assert_eq!(
        lt_state["arn"],
        Value::string(format!(
            "arn:aws:ec2:{REGION}:123456789012:launch-template/{lt_id}"
        ))
    );
    assert_no_system_tags(&lt_state, "tags_all");
    assert_no_system_tags(&lt_state, "tag_specifications");
    let described = ec2
        .describe_launch_templates()
        .launch_template_ids(&lt_id)
        .send()
        .await
        .unwrap();
    let template = &described.launch_templates()[0];
    let lt_tags: BTreeMap<&str, &str> = template
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?, t.value()?)))
        .collect();
    assert_eq!(lt_tags.get("terrane:stack"), Some(&STACK));
    assert_eq!(lt_tags.get("Team"), Some(&"platform"));

    // Update: a new instance type makes version 2, and the default. The
    // user data is dropped too: the emulator stores a new version's user
    // data unparsed and then fails to launch instances from it.
    let mut written2 = written.clone();
    written2.insert("instance_type".into(), "t3.small".into());
    written2.remove("user_data");
    written2.insert("update_default_version".into(), true.into());
    let planned2 = plan(lt_schema, &written2);
    update(&aws, "aws_launch_template", &lt_state, &planned2).await;
    let lt_state2 = read(&aws, "aws_launch_template", &lt_id).await;
    assert_reads_as_planned(lt_schema, &planned2, &lt_state2);
    assert_eq!(lt_state2["latest_version"], Value::float(2.0));
    assert_eq!(lt_state2["default_version"], Value::float(2.0));
    let versions = ec2
        .describe_launch_template_versions()
        .launch_template_id(&lt_id)
        .versions("$Default")
        .send()
        .await
        .unwrap();
    let default = &versions.launch_template_versions()[0];
    assert_eq!(default.version_number(), Some(2));
    assert_eq!(
        default
            .launch_template_data()
            .and_then(|d| d.instance_type())
            .map(|t| t.as_str()),
        Some("t3.small")
    );

    // Auto Scaling group with a mixed instances policy: one on-demand base
    // instance, everything above it spot.
    let asg_schema = ty("aws_autoscaling_group").schema();
    let mixed = block(attrs([
        (
            "instances_distribution",
            block(attrs([
                ("on_demand_base_capacity", Value::float(1.0)),
                (
                    "on_demand_percentage_above_base_capacity",
                    Value::float(0.0),
                ),
                ("spot_allocation_strategy", "capacity-optimized".into()),
            ])),
        ),
        (
            "launch_template",
            Value::List(
                vec![Value::Map(
                    attrs([
                        (
                            "launch_template_specification",
                            block(attrs([
                                ("launch_template_id", lt_id.clone().into()),
                                ("version", "$Latest".into()),
                            ])),
                        ),
                        (
                            "override",
                            Value::List(
                                vec![
                                    Value::Map(
                                        attrs([("instance_type", "t3.micro".into())]).into(),
                                    ),
                                    Value::Map(
                                        attrs([
                                            ("instance_type", "t3a.micro".into()),
                                            ("weighted_capacity", "1".into()),
                                        ])
                                        .into(),
                                    ),
                                ]
                                .into(),
                            ),
                        ),
                    ])
                    .into(),
                )]
                .into(),
            ),
        ),
    ]));
    let tag_block = |value: &str| {
        Value::List(
            vec![Value::Map(
                attrs([
                    ("key", "Team".into()),
                    ("value", value.into()),
                    ("propagate_at_launch", true.into()),
                ])
                .into(),
            )]
            .into(),
        )
    };
    let asg_written = attrs([
        ("name", "web-asg".into()),
        ("min_size", Value::float(1.0)),
        ("max_size", Value::float(4.0)),
        ("desired_capacity", Value::float(2.0)),
        (
            "vpc_zone_identifier",
            strings(&[&net.subnets[1], &net.subnets[0]]),
        ),
        ("health_check_type", "EC2".into()),
        ("capacity_rebalance", true.into()),
        ("mixed_instances_policy", mixed.clone()),
        ("tag", tag_block("platform")),
    ]);
    let asg_planned = plan(asg_schema, &asg_written);
    let asg_id = create(&aws, "aws_autoscaling_group.web", &asg_planned).await;
    assert_eq!(asg_id, "web-asg");
    let asg_state = read(&aws, "aws_autoscaling_group", &asg_id).await;
    assert_reads_as_planned(asg_schema, &asg_planned, &asg_state);
    let distribution = &asg_state["mixed_instances_policy"].as_list().unwrap()[0]
        .get("instances_distribution")
        .as_list()
        .unwrap()[0];
    assert_eq!(
        distribution.get("on_demand_base_capacity"),
        &Value::float(1.0)
    );
    assert_eq!(
        distribution.get("on_demand_percentage_above_base_capacity"),
        &Value::float(0.0)
    );
    assert_eq!(
        distribution.get("spot_allocation_strategy"),
        &Value::string("capacity-optimized")
    );
    assert_no_system_tags(&asg_state, "tag");
    assert!(
        matches!(&asg_state["arn"], Value::String(a) if a.contains("autoScalingGroupName/web-asg"))
    );

    // Independently: the policy as written, and the system tags present
    // without propagation.
    let groups = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&asg_id)
        .send()
        .await
        .unwrap();
    let group = &groups.auto_scaling_groups()[0];
    let policy = group.mixed_instances_policy().unwrap();
    let dist = policy.instances_distribution().unwrap();
    assert_eq!(dist.on_demand_base_capacity(), Some(1));
    assert_eq!(dist.on_demand_percentage_above_base_capacity(), Some(0));
    let overrides: Vec<_> = policy
        .launch_template()
        .unwrap()
        .overrides()
        .iter()
        .filter_map(|o| o.instance_type())
        .collect();
    assert_eq!(overrides, vec!["t3.micro", "t3a.micro"]);
    let system_tag = group
        .tags()
        .iter()
        .find(|t| t.key() == Some("terrane:stack"))
        .unwrap();
    assert_eq!(system_tag.value(), Some(STACK));
    assert_eq!(system_tag.propagate_at_launch(), Some(false));
    let team = group
        .tags()
        .iter()
        .find(|t| t.key() == Some("Team"))
        .unwrap();
    assert_eq!(team.propagate_at_launch(), Some(true));

    // Update: max size and a tag in place; the policy stays as written.
    let mut asg_written2 = asg_written.clone();
    asg_written2.insert("max_size".into(), Value::float(6.0));
    asg_written2.insert("tag".into(), tag_block("infra"));
    let asg_planned2 = plan(asg_schema, &asg_written2);
    update(&aws, "aws_autoscaling_group", &asg_state, &asg_planned2).await;
    let asg_state2 = read(&aws, "aws_autoscaling_group", &asg_id).await;
    assert_reads_as_planned(asg_schema, &asg_planned2, &asg_state2);
    let groups = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&asg_id)
        .send()
        .await
        .unwrap();
    let group = &groups.auto_scaling_groups()[0];
    assert_eq!(group.max_size(), Some(6));
    assert_eq!(
        group
            .tags()
            .iter()
            .find(|t| t.key() == Some("Team"))
            .and_then(|t| t.value()),
        Some("infra")
    );
    assert!(
        group
            .tags()
            .iter()
            .any(|t| t.key() == Some("terrane:address"))
    );

    // A second group on the launch template directly, with a generated name.
    let plain_written = attrs([
        ("name_prefix", "batch-".into()),
        ("min_size", Value::float(0.0)),
        ("max_size", Value::float(2.0)),
        ("vpc_zone_identifier", strings(&[&net.subnets[0]])),
        ("force_delete", true.into()),
        (
            "launch_template",
            block(attrs([
                ("id", lt_id.clone().into()),
                ("version", "$Default".into()),
            ])),
        ),
    ]);
    let plain_planned = plan(asg_schema, &plain_written);
    let plain_id = create(&aws, "aws_autoscaling_group.batch", &plain_planned).await;
    assert!(plain_id.starts_with("batch-"), "{plain_id}");
    let plain_state = read(&aws, "aws_autoscaling_group", &plain_id).await;
    assert_reads_as_planned(asg_schema, &plain_planned, &plain_state);
    assert_eq!(plain_state["name_prefix"], "batch-".into());
    assert_eq!(plain_state["desired_capacity"], Value::float(0.0));

    // Delete the mixed group (drains first, no force_delete), then refresh
    // both in one call: only the plain one is there.
    delete_twice(&aws, "aws_autoscaling_group", &asg_state2).await;
    let (found, requests) = requests_during(
        &emulator,
        ty("aws_autoscaling_group").read_many(&aws, &[asg_id.clone(), plain_id.clone()]),
    )
    .await;
    assert_eq!(found.unwrap().keys().collect::<Vec<_>>(), vec![&plain_id]);
    assert_eq!(requests, 1, "one DescribeAutoScalingGroups for all groups");

    let mut plain_prior = plain_state.clone();
    plain_prior.insert("force_delete".into(), true.into());
    delete_twice(&aws, "aws_autoscaling_group", &plain_prior).await;
    let groups = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&asg_id)
        .auto_scaling_group_names(&plain_id)
        .send()
        .await
        .unwrap();
    assert!(groups.auto_scaling_groups().is_empty());

    // A second template, then a refresh of it and the deleted first one.
    let other = plan(
        lt_schema,
        &attrs([
            ("name_prefix", "other-".into()),
            ("instance_type", "t3.nano".into()),
        ]),
    );
    let other_id = create(&aws, "aws_launch_template.other", &other).await;
    let other_state = read(&aws, "aws_launch_template", &other_id).await;
    assert_reads_as_planned(lt_schema, &other, &other_state);
    delete_twice(&aws, "aws_launch_template", &lt_state2).await;
    let (found, requests) = requests_during(
        &emulator,
        ty("aws_launch_template").read_many(&aws, &[lt_id.clone(), other_id.clone()]),
    )
    .await;
    assert_eq!(found.unwrap().keys().collect::<Vec<_>>(), vec![&other_id]);
    // One DescribeLaunchTemplates for both, then the found template's
    // latest version. (AWS fails the batch on the deleted id, which the
    // emulator skips; the per-id fallback is not exercised here.)
    assert_eq!(requests, 2);
    delete_twice(&aws, "aws_launch_template", &other_state).await;
    let left = ec2.describe_launch_templates().send().await.unwrap();
    assert!(
        left.launch_templates().is_empty(),
        "{:?}",
        left.launch_templates()
    );
}

#[tokio::test]
async fn eks_cluster_and_node_groups_lifecycle() {
    let emulator = Emulator::start();
    let aws = context(&emulator);
    let net = network(&emulator, &["us-east-1a", "us-east-1b"], &["compute-test"]).await;
    let eks = emulator.eks();
    let iam = emulator.iam();
    let role = iam
        .create_role()
        .role_name("eks")
        .assume_role_policy_document(TRUST_POLICY_COMPACT)
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_string();

    // Cluster: created and ACTIVE.
    let cluster_schema = ty("aws_eks_cluster").schema();
    let written = attrs([
        ("name", "prod".into()),
        ("role_arn", role_arn.clone().into()),
        ("version", "1.29".into()),
        (
            "vpc_config",
            block(attrs([
                ("subnet_ids", strings(&[&net.subnets[0], &net.subnets[1]])),
                ("security_group_ids", strings(&[&net.security_groups[0]])),
            ])),
        ),
        ("tags", map(&[("Team", "platform")])),
    ]);
    let planned = plan(cluster_schema, &written);
    let cluster_id = create(&aws, "aws_eks_cluster.prod", &planned).await;
    assert_eq!(cluster_id, "prod");
    let cluster_state = read(&aws, "aws_eks_cluster", &cluster_id).await;
    assert_reads_as_planned(cluster_schema, &planned, &cluster_state);
    assert_eq!(cluster_state["status"], "ACTIVE".into());
    assert!(matches!(&cluster_state["endpoint"], Value::String(e) if e.starts_with("https://")));
    let ca = cluster_state["certificate_authority"].as_list().unwrap();
    assert!(matches!(ca[0].get("data"), Value::String(d) if !d.is_empty()));
    assert_no_system_tags(&cluster_state, "tags_all");
    let described = eks.describe_cluster().name("prod").send().await.unwrap();
    let cluster = described.cluster().unwrap();
    assert_eq!(cluster.status().map(|s| s.as_str()), Some("ACTIVE"));
    let cluster_tags = cluster.tags().unwrap();
    assert_eq!(
        cluster_tags.get("terrane:stack").map(String::as_str),
        Some(STACK)
    );
    assert_eq!(
        cluster_tags.get("Team").map(String::as_str),
        Some("platform")
    );

    // Node groups: one SPOT, one ON_DEMAND (the schema default).
    let ng_schema = ty("aws_eks_node_group").schema();
    let spot_written = attrs([
        ("cluster_name", "prod".into()),
        ("node_group_name", "spot".into()),
        ("node_role_arn", role_arn.clone().into()),
        ("subnet_ids", strings(&[&net.subnets[0], &net.subnets[1]])),
        ("capacity_type", "SPOT".into()),
        ("instance_types", strings(&["t3.large", "t3a.large"])),
        ("disk_size", Value::float(50.0)),
        ("labels", map(&[("pool", "spot")])),
        (
            "scaling_config",
            block(attrs([
                ("desired_size", Value::float(1.0)),
                ("min_size", Value::float(1.0)),
                ("max_size", Value::float(3.0)),
            ])),
        ),
        ("tags", map(&[("Team", "platform")])),
    ]);
    let spot_planned = plan(ng_schema, &spot_written);
    let spot_id = create(&aws, "aws_eks_node_group.spot", &spot_planned).await;
    assert_eq!(spot_id, "prod:spot");
    let spot_state = read(&aws, "aws_eks_node_group", &spot_id).await;
    assert_reads_as_planned(ng_schema, &spot_planned, &spot_state);
    assert_eq!(spot_state["status"], "ACTIVE".into());
    assert_no_system_tags(&spot_state, "tags_all");

    let on_demand_written = attrs([
        ("cluster_name", "prod".into()),
        ("node_group_name_prefix", "od-".into()),
        ("node_role_arn", role_arn.clone().into()),
        ("subnet_ids", strings(&[&net.subnets[1]])),
        (
            "scaling_config",
            block(attrs([
                ("desired_size", Value::float(2.0)),
                ("min_size", Value::float(2.0)),
                ("max_size", Value::float(2.0)),
            ])),
        ),
    ]);
    let on_demand_planned = plan(ng_schema, &on_demand_written);
    let on_demand_id = create(&aws, "aws_eks_node_group.od", &on_demand_planned).await;
    assert!(on_demand_id.starts_with("prod:od-"), "{on_demand_id}");
    let on_demand_state = read(&aws, "aws_eks_node_group", &on_demand_id).await;
    assert_reads_as_planned(ng_schema, &on_demand_planned, &on_demand_state);
    assert_eq!(on_demand_state["capacity_type"], "ON_DEMAND".into());

    let capacity = |name: String| {
        let eks = eks.clone();
        async move {
            let out = eks
                .describe_nodegroup()
                .cluster_name("prod")
                .nodegroup_name(name)
                .send()
                .await
                .unwrap();
            let group = out.nodegroup().unwrap().clone();
            (
                group.capacity_type().map(|c| c.as_str().to_string()),
                group.tags().cloned().unwrap_or_default(),
            )
        }
    };
    let (spot_capacity, spot_tags) = capacity("spot".into()).await;
    assert_eq!(spot_capacity.as_deref(), Some("SPOT"));
    assert_eq!(
        spot_tags.get("terrane:address").map(String::as_str),
        Some("aws_eks_node_group.spot")
    );
    let od_name = on_demand_id.trim_start_matches("prod:").to_string();
    let (od_capacity, _) = capacity(od_name.clone()).await;
    assert_eq!(od_capacity.as_deref(), Some("ON_DEMAND"));

    // A cluster with node groups cannot go: the engine deletes them first,
    // and retries this conflict.
    let err = ty("aws_eks_cluster")
        .delete(&aws, &cluster_state)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");

    // Update the spot group's scaling and labels in place.
    let mut spot_written2 = spot_written.clone();
    spot_written2.insert(
        "scaling_config".into(),
        block(attrs([
            ("desired_size", Value::float(2.0)),
            ("min_size", Value::float(1.0)),
            ("max_size", Value::float(4.0)),
        ])),
    );
    spot_written2.insert("labels".into(), map(&[("pool", "spot"), ("tier", "batch")]));
    let spot_planned2 = plan(ng_schema, &spot_written2);
    update(&aws, "aws_eks_node_group", &spot_state, &spot_planned2).await;
    let spot_state2 = read(&aws, "aws_eks_node_group", &spot_id).await;
    assert_reads_as_planned(ng_schema, &spot_planned2, &spot_state2);
    let out = eks
        .describe_nodegroup()
        .cluster_name("prod")
        .nodegroup_name("spot")
        .send()
        .await
        .unwrap();
    let scaling = out.nodegroup().unwrap().scaling_config().unwrap();
    assert_eq!(
        (scaling.desired_size(), scaling.max_size()),
        (Some(2), Some(4))
    );

    // Update the cluster's endpoint access in place.
    let mut written2 = written.clone();
    written2.insert(
        "vpc_config".into(),
        block(attrs([
            ("subnet_ids", strings(&[&net.subnets[0], &net.subnets[1]])),
            ("security_group_ids", strings(&[&net.security_groups[0]])),
            ("endpoint_private_access", true.into()),
        ])),
    );
    let planned2 = plan(cluster_schema, &written2);
    update(&aws, "aws_eks_cluster", &cluster_state, &planned2).await;
    let cluster_state2 = read(&aws, "aws_eks_cluster", &cluster_id).await;
    let vpc = &cluster_state2["vpc_config"].as_list().unwrap()[0];
    assert_eq!(vpc.get("endpoint_private_access"), &Value::Bool(true));
    assert_eq!(vpc.get("endpoint_public_access"), &Value::Bool(true));
    // (The emulator replaces the whole VPC config on UpdateClusterConfig, so
    // subnet ids are not compared after this update; AWS keeps them.)
    let described = eks.describe_cluster().name("prod").send().await.unwrap();
    let vpc = described.cluster().unwrap().resources_vpc_config().unwrap();
    assert!(vpc.endpoint_private_access());

    // Delete the on-demand group; a refresh of both finds only the spot one,
    // with one DescribeNodegroup per group (EKS has no batched read).
    delete_twice(&aws, "aws_eks_node_group", &on_demand_state).await;
    let (found, requests) = requests_during(
        &emulator,
        ty("aws_eks_node_group").read_many(&aws, &[spot_id.clone(), on_demand_id.clone()]),
    )
    .await;
    assert_eq!(found.unwrap().keys().collect::<Vec<_>>(), vec![&spot_id]);
    assert_eq!(requests, 2);
    assert!(
        eks.describe_nodegroup()
            .cluster_name("prod")
            .nodegroup_name(od_name)
            .send()
            .await
            .is_err()
    );

    delete_twice(&aws, "aws_eks_node_group", &spot_state2).await;
    delete_twice(&aws, "aws_eks_cluster", &cluster_state2).await;
    assert!(eks.describe_cluster().name("prod").send().await.is_err());
    assert!(
        ty("aws_eks_cluster")
            .read_many(&aws, &[cluster_id])
            .await
            .unwrap()
            .is_empty()
    );
}

/// `target_group_arns`, `enabled_metrics` and `metrics_granularity` of
/// `aws_autoscaling_group`, through the binary: created with them, changed
/// in place (a target group swapped, a metric added), a clean plan after
/// each apply, and what AWS holds checked with DescribeAutoScalingGroups.
/// (Dropping a metric calls DisableMetricsCollection, which the emulator
/// lacks: it answers 500.)
#[tokio::test(flavor = "multi_thread")]
async fn autoscaling_group_target_groups_and_metrics_round_trip() {
    use crate::support::cli::Workspace;
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    let stack = |target_groups: &str, metrics: &str| {
        format!(
            r#"provider "aws" {{
  region = "us-east-1"
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.44.0.0/16"
}}

resource "aws_subnet" "a" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.44.1.0/24"
  availability_zone = "us-east-1a"
}}

resource "aws_lb_target_group" "blue" {{
  name     = "asg-blue"
  port     = 80
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}}

resource "aws_lb_target_group" "green" {{
  name     = "asg-green"
  port     = 80
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}}

resource "aws_launch_template" "app" {{
  name_prefix   = "app-"
  image_id      = "ami-12c6146b"
  instance_type = "t3.micro"
}}

resource "aws_autoscaling_group" "app" {{
  name                = "app"
  min_size            = 0
  max_size            = 2
  vpc_zone_identifier = [aws_subnet.a.id]
  target_group_arns   = [{target_groups}]
  enabled_metrics     = [{metrics}]

  launch_template {{
    id = aws_launch_template.app.id
  }}
}}
"#
        )
    };
    std::fs::remove_file(ws.stack.join("main.tf")).unwrap();
    ws.write(
        "main.tf",
        &stack(
            "aws_lb_target_group.blue.arn",
            "\"GroupDesiredCapacity\", \"GroupInServiceInstances\"",
        ),
    );
    let described = |emulator: &Emulator| {
        let client = emulator.autoscaling();
        async move {
            let out = client
                .describe_auto_scaling_groups()
                .auto_scaling_group_names("app")
                .send()
                .await
                .expect("describe");
            let group = out.auto_scaling_groups()[0].clone();
            let mut groups: Vec<String> = group
                .target_group_arns()
                .iter()
                .map(|arn| arn.split('/').nth(1).unwrap_or_default().to_string())
                .collect();
            groups.sort();
            let mut metrics: Vec<String> = group
                .enabled_metrics()
                .iter()
                .filter_map(|m| m.metric().map(String::from))
                .collect();
            metrics.sort();
            (groups, metrics)
        }
    };
    for (round, expected) in [
        (
            "created",
            (
                vec!["asg-blue".to_string()],
                vec![
                    "GroupDesiredCapacity".to_string(),
                    "GroupInServiceInstances".to_string(),
                ],
            ),
        ),
        (
            "changed",
            (
                vec!["asg-green".to_string()],
                vec![
                    "GroupDesiredCapacity".to_string(),
                    "GroupInServiceInstances".to_string(),
                    "GroupMaxSize".to_string(),
                ],
            ),
        ),
    ] {
        if round == "changed" {
            ws.write(
                "main.tf",
                &stack(
                    "aws_lb_target_group.green.arn",
                    "\"GroupDesiredCapacity\", \"GroupInServiceInstances\", \"GroupMaxSize\"",
                ),
            );
            let plan = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
            assert_eq!(plan.code, 2, "{}", plan.log());
            assert!(
                plan.stdout
                    .contains("aws_autoscaling_group.app will be updated in-place"),
                "{}",
                plan.log()
            );
        }
        let applied = ws.run(&emulator, "apply", &["--auto-approve"]);
        assert_eq!(applied.code, 0, "{round}: {}", applied.log());
        let clean = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
        assert_eq!(clean.code, 0, "{round}: a clean plan: {}", clean.log());
        assert_eq!(described(&emulator).await, expected, "{round}");
    }
    let destroyed = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroyed.code, 0, "{}", destroyed.log());
}

const LAUNCH_CONFIGURATION: &str = r##"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.70.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.70.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_security_group" "app" {
  name   = "lc-app"
  vpc_id = aws_vpc.main.id
}

resource "aws_launch_configuration" "app" {
  name_prefix     = "app-"
  image_id        = "ami-12c6146b"
  instance_type   = "t3.micro"
  security_groups = [aws_security_group.app.id]
  user_data       = "#!/bin/sh\necho one\n"

  root_block_device {
    volume_size = 20
    volume_type = "gp3"
  }

  ebs_block_device {
    device_name = "/dev/sdb"
    volume_size = 50
  }

  metadata_options {
    http_tokens = "required"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_autoscaling_group" "app" {
  name                 = "lc-app"
  min_size             = 0
  max_size             = 1
  vpc_zone_identifier  = [aws_subnet.a.id]
  launch_configuration = aws_launch_configuration.app.name
}
"##;

#[tokio::test(flavor = "multi_thread")]
async fn a_launch_configuration_is_replaced_before_its_group_moves_off_it() {
    let emulator = Emulator::start();
    let autoscaling = emulator.autoscaling();
    let ws = crate::support::cli::Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write("main.tf", LAUNCH_CONFIGURATION);
    ws.apply_ok(&emulator);

    let first = ws.state_attribute("aws_launch_configuration.app", "id");
    assert!(first.starts_with("app-"), "{first}");
    let described = autoscaling
        .describe_launch_configurations()
        .launch_configuration_names(&first)
        .send()
        .await
        .expect("describe");
    let made = &described.launch_configurations()[0];
    assert_eq!(made.instance_type(), Some("t3.micro"));
    let devices: Vec<(Option<&str>, Option<i32>)> = made
        .block_device_mappings()
        .iter()
        .map(|m| (m.device_name(), m.ebs().and_then(|e| e.volume_size())))
        .collect();
    assert!(
        devices.contains(&(Some("/dev/sda1"), Some(20)))
            && devices.contains(&(Some("/dev/sdb"), Some(50))),
        "the root device is sent under the image's root device name: {devices:?}"
    );
    assert_eq!(
        made.metadata_options()
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str()),
        Some("required")
    );
    ws.assert_plan_clean(&emulator, "read back as written");

    // Any change makes a new one, made before the group moves to it.
    ws.edit("main.tf", "echo one", "echo two");
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout.contains("1 to add, 1 to change, 1 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    let second = ws.state_attribute("aws_launch_configuration.app", "id");
    assert_ne!(first, second);
    let group = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("lc-app")
        .send()
        .await
        .expect("describe group");
    assert_eq!(
        group.auto_scaling_groups()[0].launch_configuration_name(),
        Some(second.as_str())
    );
    let old = autoscaling
        .describe_launch_configurations()
        .launch_configuration_names(&first)
        .send()
        .await
        .expect("describe");
    assert!(
        old.launch_configurations().is_empty(),
        "the old one is deleted"
    );
    ws.assert_plan_clean(&emulator, "replaced as planned");

    ws.destroy_ok(&emulator);
    let left = autoscaling
        .describe_launch_configurations()
        .send()
        .await
        .expect("describe");
    assert!(left.launch_configurations().is_empty());
}
