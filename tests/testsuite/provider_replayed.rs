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
        ("tags", Value::Map(attrs([("Team", "k8s".into())]).into())),
        (
            "tags_all",
            Value::Map(attrs([("Team", "k8s".into())]).into()),
        ),
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
        Value::Map(attrs([("Team", "k8s".into())]).into())
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
        ("tags_all", Value::Map(Attrs::new().into())),
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
        ("tags_all", Value::Map(Attrs::new().into())),
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

const LATTICE: &str = "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0";

fn autoscaling_answer(action: &str, result: &str) -> String {
    format!(
        r#"<{action}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">{result}<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{action}Response>"#
    )
}

fn described_group() -> String {
    autoscaling_answer(
        "DescribeAutoScalingGroups",
        &format!(
            r#"<DescribeAutoScalingGroupsResult><AutoScalingGroups><member>
            <AutoScalingGroupName>web</AutoScalingGroupName>
            <AutoScalingGroupARN>arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/web</AutoScalingGroupARN>
            <MinSize>0</MinSize><MaxSize>2</MaxSize><DesiredCapacity>0</DesiredCapacity>
            <DefaultCooldown>300</DefaultCooldown>
            <AvailabilityZones><member>us-east-1a</member></AvailabilityZones>
            <HealthCheckType>EC2</HealthCheckType><HealthCheckGracePeriod>300</HealthCheckGracePeriod>
            <CreatedTime>2024-01-01T00:00:00Z</CreatedTime><Instances/>
            <LaunchTemplate><LaunchTemplateId>lt-1</LaunchTemplateId><Version>1</Version></LaunchTemplate>
            <TerminationPolicies><member>Default</member></TerminationPolicies>
            <NewInstancesProtectedFromScaleIn>false</NewInstancesProtectedFromScaleIn>
            <ServiceLinkedRoleARN>arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling</ServiceLinkedRoleARN>
            <Context>team-a</Context><MaxInstanceLifetime>86400</MaxInstanceLifetime>
            <DefaultInstanceWarmup>60</DefaultInstanceWarmup><DesiredCapacityType>units</DesiredCapacityType>
            <InstanceMaintenancePolicy><MinHealthyPercentage>90</MinHealthyPercentage><MaxHealthyPercentage>120</MaxHealthyPercentage></InstanceMaintenancePolicy>
            <AvailabilityZoneDistribution><CapacityDistributionStrategy>balanced-only</CapacityDistributionStrategy></AvailabilityZoneDistribution>
            <CapacityReservationSpecification><CapacityReservationPreference>none</CapacityReservationPreference></CapacityReservationSpecification>
            <TrafficSources><member><Identifier>{LATTICE}</Identifier><Type>vpc-lattice</Type></member></TrafficSources>
            </member></AutoScalingGroups></DescribeAutoScalingGroupsResult>"#
        ),
    )
}

/// The group settings the emulator ignores (lifetime, warm-up, context,
/// capacity units, maintenance policy, zone distribution, capacity
/// reservations, traffic sources, lifecycle hooks at create, a changed
/// cooldown or termination policy) and an instance refresh after a new
/// launch template version.
#[tokio::test]
async fn autoscaling_group_settings_the_emulator_ignores_are_sent_and_read() {
    let lattice_in_body = LATTICE.replace(':', "%3A").replace('/', "%2F");
    let replay = Replay::new(vec![
        Exchange::new("POST", "/", autoscaling_answer("CreateAutoScalingGroup", ""))
            .body_holds("Action=CreateAutoScalingGroup")
            .body_holds("Context=team-a")
            .body_holds("MaxInstanceLifetime=86400")
            .body_holds("DefaultInstanceWarmup=60")
            .body_holds("DesiredCapacityType=units")
            .body_holds("InstanceMaintenancePolicy.MinHealthyPercentage=90")
            .body_holds("InstanceMaintenancePolicy.MaxHealthyPercentage=120")
            .body_holds("AvailabilityZoneDistribution.CapacityDistributionStrategy=balanced-only")
            .body_holds("CapacityReservationSpecification.CapacityReservationPreference=none")
            .body_holds(format!("TrafficSources.member.1.Identifier={lattice_in_body}"))
            .body_holds("LifecycleHookSpecificationList.member.1.LifecycleHookName=launching"),
        Exchange::new("POST", "/", described_group()).body_holds("Action=DescribeAutoScalingGroups"),
        Exchange::new("POST", "/", described_group()).body_holds("Action=DescribeAutoScalingGroups"),
        Exchange::new("POST", "/", autoscaling_answer("UpdateAutoScalingGroup", ""))
            .body_holds("Action=UpdateAutoScalingGroup")
            .body_holds("DefaultCooldown=60")
            .body_holds("TerminationPolicies.member.1=NewestInstance")
            .body_holds("LaunchTemplate.Version=2"),
        Exchange::new(
            "POST",
            "/",
            autoscaling_answer(
                "StartInstanceRefresh",
                "<StartInstanceRefreshResult><InstanceRefreshId>r-1</InstanceRefreshId></StartInstanceRefreshResult>",
            ),
        )
        .body_holds("Action=StartInstanceRefresh")
        .body_holds("Strategy=Rolling")
        .body_holds("Preferences.MinHealthyPercentage=90"),
    ]);
    let aws = replay.context();
    let template =
        |version: &str| block(attrs([("id", "lt-1".into()), ("version", version.into())]));
    let planned = attrs([
        ("name", "web".into()),
        ("min_size", Value::float(0.0)),
        ("max_size", Value::float(2.0)),
        ("desired_capacity", Value::float(0.0)),
        ("availability_zones", strings(&["us-east-1a"])),
        ("context", "team-a".into()),
        ("max_instance_lifetime", Value::float(86400.0)),
        ("default_instance_warmup", Value::float(60.0)),
        ("desired_capacity_type", "units".into()),
        ("wait_for_capacity_timeout", "10m".into()),
        ("launch_template", template("1")),
        (
            "instance_maintenance_policy",
            block(attrs([
                ("min_healthy_percentage", Value::float(90.0)),
                ("max_healthy_percentage", Value::float(120.0)),
            ])),
        ),
        (
            "availability_zone_distribution",
            block(attrs([(
                "capacity_distribution_strategy",
                "balanced-only".into(),
            )])),
        ),
        (
            "capacity_reservation_specification",
            block(attrs([("capacity_reservation_preference", "none".into())])),
        ),
        (
            "traffic_source",
            block(attrs([
                ("identifier", LATTICE.into()),
                ("type", "vpc-lattice".into()),
            ])),
        ),
        (
            "initial_lifecycle_hook",
            block(attrs([
                ("name", "launching".into()),
                (
                    "lifecycle_transition",
                    "autoscaling:EC2_INSTANCE_LAUNCHING".into(),
                ),
            ])),
        ),
        (
            "instance_refresh",
            block(attrs([
                ("strategy", "Rolling".into()),
                (
                    "preferences",
                    block(attrs([("min_healthy_percentage", Value::float(90.0))])),
                ),
            ])),
        ),
    ]);
    let id = create(&aws, "aws_autoscaling_group.web", &planned).await;
    assert_eq!(id, "web");
    let state = read(&aws, "aws_autoscaling_group", "web").await;
    for key in [
        "context",
        "max_instance_lifetime",
        "default_instance_warmup",
        "desired_capacity_type",
        "instance_maintenance_policy",
        "availability_zone_distribution",
        "capacity_reservation_specification",
        "traffic_source",
    ] {
        assert_eq!(state[key], planned[key], "{key}");
    }
    let mut prior = state.clone();
    prior.extend(
        [
            "instance_refresh",
            "initial_lifecycle_hook",
            "wait_for_capacity_timeout",
        ]
        .map(|k| (k.to_string(), planned[k].clone())),
    );
    let mut changed = prior.clone();
    changed.insert("default_cooldown".into(), Value::float(60.0));
    changed.insert("termination_policies".into(), strings(&["NewestInstance"]));
    changed.insert("launch_template".into(), template("2"));
    update(&aws, "aws_autoscaling_group", &prior, &changed).await;
    replay.assert_done();
}

fn cluster_answer(mode: &str, support: &str, shift: bool) -> String {
    format!(
        r#"{{"cluster":{{"name":"shop","arn":"arn:aws:eks:us-east-1:123456789012:cluster/shop",
        "status":"ACTIVE","version":"1.30","roleArn":"arn:aws:iam::123456789012:role/eks",
        "resourcesVpcConfig":{{"subnetIds":["subnet-1","subnet-2"],"endpointPublicAccess":true,"endpointPrivateAccess":false}},
        "accessConfig":{{"authenticationMode":"{mode}","bootstrapClusterCreatorAdminPermissions":true}},
        "upgradePolicy":{{"supportType":"{support}"}},
        "zonalShiftConfig":{{"enabled":{shift}}},"tags":{{}}}}}}"#
    )
}

/// The cluster settings the emulator has no API for: the authentication
/// mode, the upgrade policy and zonal shift, each changed in place by its
/// own UpdateClusterConfig.
#[tokio::test]
async fn cluster_access_upgrade_and_zonal_shift_change_in_place() {
    let done = |id: &str| {
        format!(r#"{{"update":{{"id":"{id}","status":"Successful","type":"ConfigUpdate"}}}}"#)
    };
    let replay = Replay::new(vec![
        Exchange::new(
            "GET",
            "/clusters/shop",
            cluster_answer("CONFIG_MAP", "EXTENDED", false),
        ),
        Exchange::new("POST", "/clusters/shop/update-config", done("u-1"))
            .body_holds(r#""accessConfig":{"authenticationMode":"API_AND_CONFIG_MAP"}"#),
        Exchange::new(
            "GET",
            "/clusters/shop",
            cluster_answer("API_AND_CONFIG_MAP", "EXTENDED", false),
        ),
        Exchange::new("POST", "/clusters/shop/update-config", done("u-2"))
            .body_holds(r#""upgradePolicy":{"supportType":"STANDARD"}"#),
        Exchange::new(
            "GET",
            "/clusters/shop",
            cluster_answer("API_AND_CONFIG_MAP", "STANDARD", false),
        ),
        Exchange::new("POST", "/clusters/shop/update-config", done("u-3"))
            .body_holds(r#""zonalShiftConfig":{"enabled":true}"#),
        Exchange::new(
            "GET",
            "/clusters/shop",
            cluster_answer("API_AND_CONFIG_MAP", "STANDARD", true),
        ),
    ]);
    let aws = replay.context();
    let prior = read(&aws, "aws_eks_cluster", "shop").await;
    assert_eq!(
        prior["access_config"],
        block(attrs([
            ("authentication_mode", "CONFIG_MAP".into()),
            ("bootstrap_cluster_creator_admin_permissions", true.into()),
        ]))
    );
    assert_eq!(
        prior["upgrade_policy"],
        block(attrs([("support_type", "EXTENDED".into())]))
    );
    let mut planned = prior.clone();
    planned.insert(
        "access_config".into(),
        block(attrs([
            ("authentication_mode", "API_AND_CONFIG_MAP".into()),
            ("bootstrap_cluster_creator_admin_permissions", true.into()),
        ])),
    );
    planned.insert(
        "upgrade_policy".into(),
        block(attrs([("support_type", "STANDARD".into())])),
    );
    planned.insert(
        "zonal_shift_config".into(),
        block(attrs([("enabled", true.into())])),
    );
    update(&aws, "aws_eks_cluster", &prior, &planned).await;
    replay.assert_done();
}

fn ec2_answer(action: &str, inner: &str) -> String {
    format!(
        r#"<{action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>{inner}</{action}Response>"#
    )
}

/// The subnet launch settings the emulator does not keep (DNS64, AAAA
/// records, the hostname type, the LNI device index): one
/// ModifySubnetAttribute each, read back from DescribeSubnets.
#[tokio::test]
async fn subnet_settings_the_emulator_ignores_are_sent_one_per_call_and_read() {
    let modified = || ec2_answer("ModifySubnetAttribute", "<return>true</return>");
    let described = ec2_answer(
        "DescribeSubnets",
        r#"<subnetSet><item><subnetId>subnet-1</subnetId><vpcId>vpc-1</vpcId>
        <cidrBlock>10.0.1.0/24</cidrBlock><availabilityZone>us-east-1a</availabilityZone>
        <ownerId>123456789012</ownerId><state>available</state>
        <mapPublicIpOnLaunch>false</mapPublicIpOnLaunch><enableDns64>true</enableDns64>
        <enableLniAtDeviceIndex>1</enableLniAtDeviceIndex>
        <privateDnsNameOptionsOnLaunch><hostnameType>resource-name</hostnameType>
        <enableResourceNameDnsARecord>false</enableResourceNameDnsARecord>
        <enableResourceNameDnsAAAARecord>true</enableResourceNameDnsAAAARecord>
        </privateDnsNameOptionsOnLaunch><tagSet/></item></subnetSet>"#,
    );
    let replay = Replay::new(vec![
        Exchange::new("POST", "/", modified())
            .body_holds("Action=ModifySubnetAttribute")
            .body_holds("EnableDns64.Value=true"),
        Exchange::new("POST", "/", modified())
            .body_holds("EnableResourceNameDnsAAAARecordOnLaunch.Value=true"),
        Exchange::new("POST", "/", modified())
            .body_holds("PrivateDnsHostnameTypeOnLaunch=resource-name"),
        Exchange::new("POST", "/", modified()).body_holds("EnableLniAtDeviceIndex=1"),
        Exchange::new("POST", "/", described).body_holds("Action=DescribeSubnets"),
    ]);
    let aws = replay.context();
    let prior = attrs([
        ("id", "subnet-1".into()),
        ("enable_dns64", false.into()),
        (
            "enable_resource_name_dns_aaaa_record_on_launch",
            false.into(),
        ),
        ("private_dns_hostname_type_on_launch", "ip-name".into()),
        ("tags_all", Value::Map(Attrs::new().into())),
    ]);
    let mut planned = prior.clone();
    planned.insert("enable_dns64".into(), true.into());
    planned.insert(
        "enable_resource_name_dns_aaaa_record_on_launch".into(),
        true.into(),
    );
    planned.insert(
        "private_dns_hostname_type_on_launch".into(),
        "resource-name".into(),
    );
    planned.insert("enable_lni_at_device_index".into(), Value::float(1.0));
    update(&aws, "aws_subnet", &prior, &planned).await;
    let state = read(&aws, "aws_subnet", "subnet-1").await;
    for key in [
        "enable_dns64",
        "enable_resource_name_dns_aaaa_record_on_launch",
        "private_dns_hostname_type_on_launch",
        "enable_lni_at_device_index",
    ] {
        assert_eq!(state[key], planned[key], "{key}");
    }
    replay.assert_done();
}
