//! EKS APIs the emulator lacks (add-ons, access entries and their policy
//! associations, node group version updates; see EMULATOR.md), driven
//! through the `ResourceType` trait against a recorded conversation in the
//! shapes of the EKS API reference (`support::replay`): each test checks
//! the requests sent, in order, and how the answers are read back.

use terrane::value::{Attrs, Value, attrs};

use crate::support::fixtures::{block, create, delete_twice, read, strings, update};
use crate::support::replay::{Exchange, Replay};

const NOT_FOUND: &str = r#"{"__type":"ResourceNotFoundException","message":"No such resource"}"#;

fn addon_answer(status: &str, version: &str) -> String {
    format!(
        r#"{{"addon":{{"addonName":"vpc-cni","clusterName":"shop","status":"{status}",
        "addonVersion":"{version}","addonArn":"arn:aws:eks:us-east-1:123456789012:addon/shop/vpc-cni/1",
        "serviceAccountRoleArn":"arn:aws:iam::123456789012:role/cni",
        "configurationValues":"{{\"env\":{{\"ENABLE_PREFIX_DELEGATION\":\"true\"}}}}",
        "podIdentityAssociations":["arn:aws:eks:us-east-1:123456789012:podidentityassociation/shop/a-1"],
        "createdAt":1700000000.0,"modifiedAt":1700000100.0,
        "tags":{{"terrane:stack":"test","Team":"k8s"}}}}}}"#
    )
}

const ASSOCIATION: &str = r#"{"association":{"clusterName":"shop","namespace":"kube-system",
    "serviceAccount":"aws-node","roleArn":"arn:aws:iam::123456789012:role/pod-cni",
    "associationId":"a-1"}}"#;

#[tokio::test]
async fn an_addon_is_created_read_updated_and_deleted() {
    let replay = Replay::new(vec![
        Exchange::new("POST", "/clusters/shop/addons", addon_answer("CREATING", "v1.18.0"))
            .body_holds(r#""addonName":"vpc-cni""#)
            .body_holds(r#""addonVersion":"v1.18.0""#)
            .body_holds(r#""resolveConflicts":"OVERWRITE""#)
            .body_holds(r#""podIdentityAssociations":[{"serviceAccount":"aws-node","roleArn":"arn:aws:iam::123456789012:role/pod-cni"}]"#)
            .body_holds(r#""Team":"k8s""#),
        Exchange::new("GET", "/clusters/shop/addons/vpc-cni", addon_answer("CREATING", "v1.18.0")),
        Exchange::new("GET", "/clusters/shop/addons/vpc-cni", addon_answer("ACTIVE", "v1.18.0")),
        Exchange::new("GET", "/clusters/shop/addons/vpc-cni", addon_answer("ACTIVE", "v1.18.0")),
        Exchange::new("GET", "/clusters/shop/pod-identity-associations/a-1", ASSOCIATION),
        Exchange::new(
            "POST",
            "/clusters/shop/addons/vpc-cni/update",
            r#"{"update":{"id":"u-1","status":"InProgress","type":"AddonUpdate"}}"#,
        )
        .body_holds(r#""addonVersion":"v1.19.0""#)
        .body_holds(r#""resolveConflicts":"PRESERVE""#),
        Exchange::new(
            "GET",
            "/clusters/shop/updates/u-1?addonName=vpc-cni",
            r#"{"update":{"id":"u-1","status":"Successful","type":"AddonUpdate"}}"#,
        ),
        Exchange::new("GET", "/clusters/shop/addons/vpc-cni", addon_answer("ACTIVE", "v1.19.0")),
        Exchange::new("DELETE", "/clusters/shop/addons/vpc-cni?preserve=true", addon_answer("DELETING", "v1.19.0")),
        Exchange::new("GET", "/clusters/shop/addons/vpc-cni", NOT_FOUND).status(404),
        Exchange::new("DELETE", "/clusters/shop/addons/vpc-cni?preserve=true", NOT_FOUND).status(404),
    ]);
    let aws = replay.context();
    let planned = attrs([
        ("cluster_name", "shop".into()),
        ("addon_name", "vpc-cni".into()),
        ("addon_version", "v1.18.0".into()),
        (
            "service_account_role_arn",
            "arn:aws:iam::123456789012:role/cni".into(),
        ),
        ("resolve_conflicts_on_create", "OVERWRITE".into()),
        ("resolve_conflicts_on_update", "PRESERVE".into()),
        ("preserve", true.into()),
        (
            "pod_identity_association",
            block(attrs([
                ("role_arn", "arn:aws:iam::123456789012:role/pod-cni".into()),
                ("service_account", "aws-node".into()),
            ])),
        ),
        ("tags", Value::Map(attrs([("Team", "k8s".into())]))),
        ("tags_all", Value::Map(attrs([("Team", "k8s".into())]))),
    ]);
    let id = create(&aws, "aws_eks_addon.cni", &planned).await;
    assert_eq!(id, "shop:vpc-cni");
    let state = read(&aws, "aws_eks_addon", &id).await;
    assert_eq!(state["addon_version"], Value::string("v1.18.0"));
    assert_eq!(
        state["pod_identity_association"],
        block(attrs([
            ("role_arn", "arn:aws:iam::123456789012:role/pod-cni".into()),
            ("service_account", "aws-node".into()),
        ]))
    );
    assert_eq!(
        state["configuration_values"],
        Value::string(r#"{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}"#)
    );
    assert_eq!(
        state["tags_all"],
        Value::Map(attrs([("Team", "k8s".into())]))
    );
    let mut prior = state.clone();
    prior.extend(
        ["resolve_conflicts_on_update", "preserve"].map(|k| (k.to_string(), planned[k].clone())),
    );
    let mut newer = prior.clone();
    newer.insert("addon_version".into(), "v1.19.0".into());
    update(&aws, "aws_eks_addon", &prior, &newer).await;
    delete_twice(&aws, "aws_eks_addon", &newer).await;
    replay.assert_done();
}

const PRINCIPAL: &str = "arn:aws:iam::123456789012:role/admin";
/// The principal's ARN as EKS's paths carry it.
const PRINCIPAL_IN_PATH: &str = "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fadmin";
const POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
const POLICY_IN_PATH: &str =
    "arn%3Aaws%3Aeks%3A%3Aaws%3Acluster-access-policy%2FAmazonEKSViewPolicy";

fn entry_answer(groups: &str) -> String {
    format!(
        r#"{{"accessEntry":{{"clusterName":"shop","principalArn":"{PRINCIPAL}",
        "kubernetesGroups":[{groups}],"username":"admin","type":"STANDARD",
        "accessEntryArn":"arn:aws:eks:us-east-1:123456789012:access-entry/shop/role/123456789012/admin/1",
        "createdAt":1700000000.0,"modifiedAt":1700000000.0,"tags":{{"terrane:stack":"test"}}}}}}"#
    )
}

#[tokio::test]
async fn an_access_entry_and_its_policy_association_round_trip() {
    let entries = format!("/clusters/shop/access-entries/{PRINCIPAL_IN_PATH}");
    let policies = format!("{entries}/access-policies");
    let associated = format!(
        r#"{{"clusterName":"shop","principalArn":"{PRINCIPAL}","associatedAccessPolicies":[
        {{"policyArn":"{POLICY}","accessScope":{{"type":"namespace","namespaces":["web","api"]}},
        "associatedAt":1700000000.0,"modifiedAt":1700000000.0}}]}}"#
    );
    let replay = Replay::new(vec![
        Exchange::new(
            "POST",
            "/clusters/shop/access-entries",
            entry_answer(r#""ops""#),
        )
        .body_holds(format!(r#""principalArn":"{PRINCIPAL}""#))
        .body_holds(r#""kubernetesGroups":["ops"]"#)
        .body_holds(r#""type":"STANDARD""#),
        Exchange::new("GET", entries.clone(), entry_answer(r#""ops""#)),
        Exchange::new("POST", entries.clone(), entry_answer(r#""ops","dev""#))
            .body_holds(r#""kubernetesGroups":["dev","ops"]"#),
        Exchange::new("POST", policies.clone(), &associated)
            .body_holds(format!(r#""policyArn":"{POLICY}""#))
            .body_holds(r#""accessScope":{"type":"namespace","namespaces":["api","web"]}"#),
        Exchange::new("GET", policies.clone(), &associated),
        Exchange::new("DELETE", format!("{policies}/{POLICY_IN_PATH}"), "{}"),
        Exchange::new("DELETE", format!("{policies}/{POLICY_IN_PATH}"), NOT_FOUND).status(404),
        Exchange::new("DELETE", entries.clone(), "{}"),
        Exchange::new("DELETE", entries.clone(), NOT_FOUND).status(404),
    ]);
    let aws = replay.context();
    let entry = attrs([
        ("cluster_name", "shop".into()),
        ("principal_arn", PRINCIPAL.into()),
        ("type", "STANDARD".into()),
        ("kubernetes_groups", strings(&["ops"])),
        ("tags_all", Value::Map(Attrs::new())),
    ]);
    let id = create(&aws, "aws_eks_access_entry.admin", &entry).await;
    assert_eq!(id, format!("shop:{PRINCIPAL}"));
    let state = read(&aws, "aws_eks_access_entry", &id).await;
    assert_eq!(state["user_name"], Value::string("admin"));
    assert_eq!(state["kubernetes_groups"], strings(&["ops"]));
    let mut more = state.clone();
    more.insert("kubernetes_groups".into(), strings(&["dev", "ops"]));
    update(&aws, "aws_eks_access_entry", &state, &more).await;

    let association = attrs([
        ("cluster_name", "shop".into()),
        ("principal_arn", PRINCIPAL.into()),
        ("policy_arn", POLICY.into()),
        (
            "access_scope",
            block(attrs([
                ("type", "namespace".into()),
                ("namespaces", strings(&["api", "web"])),
            ])),
        ),
    ]);
    let association_id = create(&aws, "aws_eks_access_policy_association.view", &association).await;
    assert_eq!(association_id, format!("shop#{PRINCIPAL}#{POLICY}"));
    let read_back = read(&aws, "aws_eks_access_policy_association", &association_id).await;
    assert_eq!(read_back["access_scope"], association["access_scope"]);
    delete_twice(&aws, "aws_eks_access_policy_association", &read_back).await;
    delete_twice(&aws, "aws_eks_access_entry", &more).await;
    replay.assert_done();
}

fn nodegroup_answer(version: &str, template_version: &str) -> String {
    format!(
        r#"{{"nodegroup":{{"nodegroupName":"nodes","clusterName":"shop","status":"ACTIVE",
        "version":"{version}","releaseVersion":"{version}.0-20240101",
        "launchTemplate":{{"id":"lt-1","name":"nodes","version":"{template_version}"}},
        "nodegroupArn":"arn:aws:eks:us-east-1:123456789012:nodegroup/shop/nodes/1","tags":{{}}}}}}"#
    )
}

#[tokio::test]
async fn a_node_group_version_update_is_one_update_nodegroup_version() {
    let replay = Replay::new(vec![
        Exchange::new(
            "POST",
            "/clusters/shop/node-groups/nodes/update-version",
            r#"{"update":{"id":"u-2","status":"InProgress","type":"VersionUpdate"}}"#,
        )
        .body_holds(r#""version":"1.30""#)
        .body_holds(r#""force":true"#)
        .body_holds(r#""id":"lt-1""#)
        .body_holds(r#""version":"2""#),
        Exchange::new(
            "GET",
            "/clusters/shop/updates/u-2?nodegroupName=nodes",
            r#"{"update":{"id":"u-2","status":"Successful","type":"VersionUpdate"}}"#,
        ),
        Exchange::new(
            "GET",
            "/clusters/shop/node-groups/nodes",
            nodegroup_answer("1.30", "2"),
        ),
        Exchange::new(
            "GET",
            "/clusters/shop/node-groups/nodes",
            nodegroup_answer("1.30", "2"),
        ),
    ]);
    let aws = replay.context();
    let template = |version: &str| {
        block(attrs([
            ("id", "lt-1".into()),
            ("name", "nodes".into()),
            ("version", version.into()),
        ]))
    };
    let prior = attrs([
        ("id", "shop:nodes".into()),
        (
            "arn",
            "arn:aws:eks:us-east-1:123456789012:nodegroup/shop/nodes/1".into(),
        ),
        ("version", "1.29".into()),
        ("release_version", "1.29.0-20240101".into()),
        ("launch_template", template("1")),
        ("tags_all", Value::Map(Attrs::new())),
    ]);
    let mut planned = prior.clone();
    planned.insert("version".into(), "1.30".into());
    planned.insert("launch_template".into(), template("2"));
    planned.insert("force_update_version".into(), true.into());
    update(&aws, "aws_eks_node_group", &prior, &planned).await;
    let state = read(&aws, "aws_eks_node_group", "shop:nodes").await;
    assert_eq!(state["version"], Value::string("1.30"));
    assert_eq!(state["launch_template"], template("2"));
    replay.assert_done();
}
