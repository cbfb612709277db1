//! `stacks/production` end to end through the real binary: everything the
//! architecture needs is built (checked with each service's own Describe
//! calls), a second plan is empty, one argument of each type is edited and
//! planned with the right action and applied, and destroy removes it all.
//! It runs with the disaster-recovery option on (`standby=true`): a standby
//! network in us-west-2 through the provider alias `aws.dr`, checked there.

use std::collections::BTreeSet;

use crate::support::Emulator;
use crate::support::checks::{self, filter};
use crate::support::cli::{Run, Workspace};
use crate::support::inventory::inventory;

/// The action the plan shows for `address`: `+`, `~`, `-/+`, `-`.
fn planned_action(run: &Run, address: &str) -> Option<&'static str> {
    let header = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("# {address} ")))?;
    Some(if header.ends_with("will be created") {
        "+"
    } else if header.ends_with("will be updated in-place") {
        "~"
    } else if header.ends_with("must be replaced") {
        "-/+"
    } else if header.ends_with("will be destroyed") {
        "-"
    } else {
        return None;
    })
}

async fn check_built(emulator: &Emulator) {
    let ec2 = emulator.ec2();
    let vpc_id = checks::vpc_tagged(&ec2, "Name", "shop-vpc")
        .await
        .expect("the VPC exists");
    let public_subnets = checks::network_core(&ec2, &vpc_id, "10.20.0.0/16").await;

    // Two Auto Scaling groups; the spot one is all spot above its base.
    let groups = emulator
        .autoscaling()
        .describe_auto_scaling_groups()
        .send()
        .await
        .expect("asgs");
    let names: BTreeSet<&str> = groups
        .auto_scaling_groups()
        .iter()
        .filter_map(|g| g.auto_scaling_group_name())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["shop-app-on-demand", "shop-app-spot"])
    );
    let spot = groups
        .auto_scaling_groups()
        .iter()
        .find(|g| g.auto_scaling_group_name() == Some("shop-app-spot"))
        .expect("spot group");
    let distribution = spot
        .mixed_instances_policy()
        .and_then(|p| p.instances_distribution())
        .expect("mixed instances policy");
    assert_eq!(distribution.on_demand_base_capacity(), Some(1));
    assert_eq!(
        distribution.on_demand_percentage_above_base_capacity(),
        Some(0)
    );

    // The EKS cluster is active, with an on-demand and a spot node group.
    let eks = emulator.eks();
    let cluster = eks
        .describe_cluster()
        .name("shop-eks")
        .send()
        .await
        .expect("cluster");
    let cluster = cluster.cluster().expect("cluster");
    assert_eq!(cluster.status().map(|s| s.as_str()), Some("ACTIVE"));
    // Control-plane logs go to the stack's log group; secrets are
    // encrypted with the stack's rotating key.
    let logged: BTreeSet<&str> = cluster
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|setup| setup.enabled() == Some(true))
        .flat_map(|setup| setup.types().iter().map(|t| t.as_str()))
        .collect();
    assert_eq!(logged, BTreeSet::from(["api", "audit", "authenticator"]));
    let groups = emulator
        .logs()
        .describe_log_groups()
        .log_group_name_prefix("/aws/eks/shop-eks/cluster")
        .send()
        .await
        .expect("log groups");
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(30));
    let key_arn = cluster.encryption_config()[0]
        .provider()
        .and_then(|p| p.key_arn())
        .expect("secrets are encrypted");
    let kms = emulator.kms();
    let rotation = kms
        .get_key_rotation_status()
        .key_id(key_arn)
        .send()
        .await
        .expect("the key");
    assert!(rotation.key_rotation_enabled());
    let mut capacity_types = BTreeSet::new();
    for name in ["shop-on-demand", "shop-spot"] {
        let group = eks
            .describe_nodegroup()
            .cluster_name("shop-eks")
            .nodegroup_name(name)
            .send()
            .await
            .expect("node group");
        let group = group.nodegroup().expect("node group");
        assert_eq!(group.status().map(|s| s.as_str()), Some("ACTIVE"));
        capacity_types.insert(
            group
                .capacity_type()
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
        );
    }
    assert_eq!(
        capacity_types,
        BTreeSet::from(["ON_DEMAND".to_string(), "SPOT".to_string()])
    );

    // The ALB is internet-facing in the public subnets, forwarding to the target group.
    let elb = emulator.elbv2();
    let lbs = elb
        .describe_load_balancers()
        .names("shop-alb")
        .send()
        .await
        .expect("alb");
    let lb = &lbs.load_balancers()[0];
    // moto omits the scheme when it is the default; AWS's default is internet-facing.
    assert!(matches!(
        lb.scheme().map(|s| s.as_str()),
        None | Some("internet-facing")
    ));
    let lb_subnets: BTreeSet<String> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.subnet_id().map(str::to_string))
        .collect();
    assert_eq!(
        lb_subnets, public_subnets,
        "the ALB sits in the public subnets"
    );
    let lb_arn = lb.load_balancer_arn().expect("arn").to_string();
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(&lb_arn)
        .send()
        .await
        .expect("listeners");
    let listener = |port: i32| {
        listeners
            .listeners()
            .iter()
            .find(|l| l.port() == Some(port))
            .unwrap_or_else(|| panic!("a listener on {port}"))
    };
    // HTTP redirects to HTTPS; HTTPS serves the app with the certificate
    // ACM issued, and routes /api/* to the API's target group.
    let redirect = listener(80).default_actions()[0]
        .redirect_config()
        .expect("HTTP redirects");
    assert_eq!(
        (
            redirect.protocol(),
            redirect.port(),
            redirect.status_code().map(|c| c.as_str())
        ),
        (Some("HTTPS"), Some("443"), Some("HTTP_301"))
    );
    let https = listener(443);
    let group_arn = |name: &'static str| {
        let elb = elb.clone();
        async move {
            let groups = elb
                .describe_target_groups()
                .names(name)
                .send()
                .await
                .expect("target group");
            groups.target_groups()[0]
                .target_group_arn()
                .map(str::to_string)
        }
    };
    assert_eq!(
        https.default_actions()[0]
            .target_group_arn()
            .map(str::to_string),
        group_arn("shop-app").await
    );
    let certificate = https.certificates()[0]
        .certificate_arn()
        .expect("the HTTPS listener's certificate");
    let issued = emulator
        .acm()
        .describe_certificate()
        .certificate_arn(certificate)
        .send()
        .await
        .expect("certificate");
    let issued = issued.certificate().expect("certificate");
    assert_eq!(issued.status().map(|s| s.as_str()), Some("ISSUED"));
    assert_eq!(issued.domain_name(), Some("shop.example.com"));
    let rules = elb
        .describe_rules()
        .listener_arn(https.listener_arn().expect("arn"))
        .send()
        .await
        .expect("rules");
    let api = rules
        .rules()
        .iter()
        .find(|r| r.priority() == Some("10"))
        .expect("the /api/* rule");
    assert_eq!(
        api.actions()[0].target_group_arn().map(str::to_string),
        group_arn("shop-api").await
    );

    // The web ACL is associated with the ALB.
    let acl = emulator
        .wafv2()
        .get_web_acl_for_resource()
        .resource_arn(&lb_arn)
        .send()
        .await
        .expect("web acl for the alb");
    assert_eq!(acl.web_acl().map(|a| a.name()), Some("shop-web-acl"));

    // An alias A record for the ALB in the zone.
    let route53 = emulator.route53();
    let zones = route53.list_hosted_zones().send().await.expect("zones");
    let zone = zones
        .hosted_zones()
        .iter()
        .find(|z| z.name().starts_with("shop.example.com"))
        .expect("zone");
    let records = route53
        .list_resource_record_sets()
        .hosted_zone_id(zone.id())
        .send()
        .await
        .expect("records");
    let alias = records
        .resource_record_sets()
        .iter()
        .find(|r| r.name().starts_with("www.shop.example.com") && r.r#type().as_str() == "A")
        .and_then(|r| r.alias_target())
        .expect("alias A record");
    let lb_dns = lb.dns_name().unwrap_or_default().to_lowercase();
    assert_eq!(
        alias.dns_name().trim_end_matches('.').to_lowercase(),
        lb_dns
    );

    // The app bucket: versioned, encrypted, public access blocked.
    let s3 = emulator.s3();
    for _ in 0..2 {
        s3.put_object()
            .bucket("shop-app-storage")
            .key("probe")
            .body(b"x".to_vec().into())
            .send()
            .await
            .expect("put");
    }
    // Two writes of one key keep two versions only when versioning is on
    // (an independent check that doesn't rely on GetBucketVersioning).
    let versions = s3
        .list_object_versions()
        .bucket("shop-app-storage")
        .send()
        .await
        .expect("versions");
    assert_eq!(versions.versions().len(), 2, "versioning is enabled");
    let encryption = s3
        .get_bucket_encryption()
        .bucket("shop-app-storage")
        .send()
        .await
        .expect("encryption");
    let rule = &encryption
        .server_side_encryption_configuration()
        .expect("sse")
        .rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .map(|d| d.sse_algorithm().as_str()),
        Some("AES256")
    );
    let block = s3
        .get_public_access_block()
        .bucket("shop-app-storage")
        .send()
        .await
        .expect("public access block");
    let block = block
        .public_access_block_configuration()
        .expect("configuration");
    assert_eq!(
        (
            block.block_public_acls(),
            block.block_public_policy(),
            block.ignore_public_acls(),
            block.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let lifecycle = s3
        .get_bucket_lifecycle_configuration()
        .bucket("shop-app-storage")
        .send()
        .await
        .expect("lifecycle");
    assert_eq!(
        lifecycle.rules()[0]
            .noncurrent_version_expiration()
            .and_then(|e| e.noncurrent_days()),
        Some(90)
    );
    // The private route tables reach S3 through the gateway endpoint.
    let endpoints = emulator
        .ec2()
        .describe_vpc_endpoints()
        .send()
        .await
        .expect("endpoints");
    let endpoint = endpoints
        .vpc_endpoints()
        .iter()
        .find(|e| e.service_name() == Some("com.amazonaws.us-east-1.s3"))
        .expect("the S3 gateway endpoint");
    assert_eq!(endpoint.route_table_ids().len(), 3);
    // The state's lock table, keyed as Terraform's S3 backend expects.
    let table = emulator
        .dynamodb()
        .describe_table()
        .table_name("shop-terraform-locks")
        .send()
        .await
        .expect("lock table");
    let table = table.table().expect("table");
    assert_eq!(
        table.key_schema()[0].attribute_name(),
        "LockID",
        "the S3 backend's lock key"
    );
    // Leave the bucket as it was, so destroy can remove it.
    for version in versions.versions() {
        s3.delete_object()
            .bucket("shop-app-storage")
            .key("probe")
            .set_version_id(version.version_id().map(str::to_string))
            .send()
            .await
            .expect("delete probe");
    }
}

/// One edit per resource type, with the action the plan must show.
const EDITS: &[(&str, &str, &str, &str, &str)] = &[
    // (file, from, to, address, action)
    (
        "network.tf",
        "enable_dns_hostnames = true",
        "enable_dns_hostnames = false",
        "aws_vpc.main",
        "~",
    ),
    (
        "network.tf",
        "Name = \"${var.name}-igw\"",
        "Name = \"${var.name}-gateway\"",
        "aws_internet_gateway.main",
        "~",
    ),
    (
        "network.tf",
        "map_public_ip_on_launch = true",
        "map_public_ip_on_launch = false",
        "aws_subnet.public[0]",
        "~",
    ),
    (
        "network.tf",
        "Name = \"${var.name}-nat-${local.azs[count.index]}\"\n  }\n\n  depends_on",
        "Name = \"${var.name}-eip-${local.azs[count.index]}\"\n  }\n\n  depends_on",
        "aws_eip.nat[0]",
        "~",
    ),
    (
        "network.tf",
        "subnet_id     = aws_subnet.public[count.index].id\n\n  tags = {\n    Name = \"${var.name}-nat-",
        "subnet_id     = aws_subnet.public[count.index].id\n\n  tags = {\n    Name = \"${var.name}-natgw-",
        "aws_nat_gateway.main[0]",
        "~",
    ),
    (
        "network.tf",
        "Name = \"${var.name}-public\"\n",
        "Name = \"${var.name}-public-routes\"\n",
        "aws_route_table.public",
        "~",
    ),
    (
        "network.tf",
        "route_table_id = aws_route_table.private[count.index].id",
        "route_table_id = aws_route_table.public.id",
        "aws_route_table_association.private[0]",
        "~",
    ),
    (
        "security.tf",
        "from_port   = 443\n    to_port     = 443\n    protocol    = \"tcp\"\n    cidr_blocks",
        "from_port   = 8443\n    to_port     = 8443\n    protocol    = \"tcp\"\n    cidr_blocks",
        "aws_security_group.alb",
        "~",
    ),
    (
        "iam.tf",
        "name = \"${var.name}-eks-node\"",
        "name                 = \"${var.name}-eks-node\"\n  max_session_duration = 7200",
        "aws_iam_role.node",
        "~",
    ),
    (
        "iam.tf",
        "AmazonEKSClusterPolicy",
        "AmazonEKSVPCResourceController",
        "aws_iam_role_policy_attachment.cluster",
        "-/+",
    ),
    (
        "compute.tf",
        "instance_type          = var.on_demand_instance_type",
        "instance_type          = \"m5.xlarge\"",
        "aws_launch_template.app",
        "~",
    ),
    (
        "compute.tf",
        "health_check_type   = \"EC2\"",
        "health_check_type   = \"ELB\"",
        "aws_autoscaling_group.on_demand",
        "~",
    ),
    (
        "eks.tf",
        "desired_size = var.on_demand_capacity.desired",
        "desired_size = 4",
        "aws_eks_node_group.on_demand",
        "~",
    ),
    (
        "eks.tf",
        "[\"api\", \"audit\", \"authenticator\"]",
        "[\"api\", \"audit\"]",
        "aws_eks_cluster.main",
        "~",
    ),
    (
        "eks.tf",
        "retention_in_days = 30",
        "retention_in_days = 90",
        "aws_cloudwatch_log_group.eks",
        "~",
    ),
    (
        "eks.tf",
        "description             = \"${var.name}-eks secrets\"",
        "description             = \"${var.name}-eks Kubernetes secrets\"",
        "aws_kms_key.eks",
        "~",
    ),
    (
        "eks.tf",
        "name          = \"alias/${var.name}-eks\"",
        "name          = \"alias/${var.name}-eks-secrets\"",
        "aws_kms_alias.eks",
        "-/+",
    ),
    (
        "alb.tf",
        "priority     = 10",
        "priority     = 20",
        "aws_lb_listener_rule.api",
        "~",
    ),
    (
        "dns.tf",
        "validation_method         = \"DNS\"\n",
        "validation_method         = \"DNS\"\n\n  tags = {\n    Purpose = \"alb\"\n  }\n",
        "aws_acm_certificate.app",
        "~",
    ),
    (
        "network.tf",
        "Name = \"${var.name}-s3\"",
        "Name = \"${var.name}-s3-gateway\"",
        "aws_vpc_endpoint.s3",
        "~",
    ),
    (
        "storage.tf",
        "noncurrent_days = 90",
        "noncurrent_days = 60",
        "aws_s3_bucket_lifecycle_configuration.app",
        "~",
    ),
    (
        "storage.tf",
        "point_in_time_recovery {\n    enabled = true",
        "point_in_time_recovery {\n    enabled = false",
        "aws_dynamodb_table.state_lock",
        "~",
    ),
    (
        "alb.tf",
        "idle_timeout       = 60",
        "idle_timeout       = 120",
        "aws_lb.app",
        "~",
    ),
    (
        "alb.tf",
        "path                = \"/healthz\"",
        "path                = \"/health\"",
        "aws_lb_target_group.app",
        "~",
    ),
    (
        "alb.tf",
        "port              = 80",
        "port              = 8080",
        "aws_lb_listener.http",
        "~",
    ),
    (
        "waf.tf",
        "limit              = 2000",
        "limit              = 1000",
        "aws_wafv2_web_acl.app",
        "~",
    ),
    (
        "dns.tf",
        "comment = \"Public zone of ${var.name}\"",
        "comment = \"Public zone of ${var.name} (edited)\"",
        "aws_route53_zone.main",
        "~",
    ),
    (
        "dns.tf",
        "ttl     = 300",
        "ttl     = 600",
        "aws_route53_record.verification",
        "~",
    ),
    (
        "storage.tf",
        "Name = \"${var.name}-app-storage\"",
        "Name = \"${var.name}-storage\"",
        "aws_s3_bucket.app",
        "~",
    ),
    (
        "storage.tf",
        "status = \"Enabled\"\n  }\n}\n\nresource \"aws_s3_bucket_server_side_encryption_configuration\" \"state\"",
        "status = \"Suspended\"\n  }\n}\n\nresource \"aws_s3_bucket_server_side_encryption_configuration\" \"state\"",
        "aws_s3_bucket_versioning.state",
        "~",
    ),
    (
        "storage.tf",
        "sse_algorithm = \"AES256\"\n    }\n  }\n}\n\nresource \"aws_s3_bucket_public_access_block\" \"app\"",
        "sse_algorithm = \"aws:kms\"\n    }\n  }\n}\n\nresource \"aws_s3_bucket_public_access_block\" \"app\"",
        "aws_s3_bucket_server_side_encryption_configuration.app",
        "~",
    ),
    (
        "storage.tf",
        "restrict_public_buckets = true\n}\n\n# Old versions",
        "restrict_public_buckets = false\n}\n\n# Old versions",
        "aws_s3_bucket_public_access_block.app",
        "~",
    ),
];

/// The standby network in the DR region: its VPC with public and private
/// subnets in three of that region's zones. Returns the VPC's id.
async fn check_standby(emulator: &Emulator) -> String {
    let dr = emulator.ec2_in(DR_REGION);
    let vpc_id = checks::vpc_tagged(&dr, "Name", "shop-standby-vpc")
        .await
        .expect("the standby VPC is in the DR region");
    assert_eq!(
        checks::vpc_tagged(&emulator.ec2(), "Name", "shop-standby-vpc").await,
        None,
        "the standby VPC is not in the primary region"
    );
    let subnets = dr
        .describe_subnets()
        .filters(filter("vpc-id", &vpc_id))
        .send()
        .await
        .expect("standby subnets");
    let zones: BTreeSet<&str> = subnets
        .subnets()
        .iter()
        .filter_map(|s| s.availability_zone())
        .collect();
    assert_eq!(subnets.subnets().len(), 6, "3 public and 3 private subnets");
    assert_eq!(zones.len(), 3, "{zones:?}");
    assert!(zones.iter().all(|z| z.starts_with(DR_REGION)), "{zones:?}");
    let tag = checks::tag_value(&dr, &vpc_id, "Environment").await;
    assert_eq!(tag.as_deref(), Some("standby"), "the alias's default tags");
    vpc_id
}

const DR_REGION: &str = "us-west-2";

#[tokio::test(flavor = "multi_thread")]
async fn production_stack_builds_replans_clean_edits_every_type_and_destroys() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("stacks/production");
    ws.write("standby.auto.tfvars", "standby = true\n");

    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    check_built(&emulator).await;
    check_standby(&emulator).await;

    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(run.code, 0, "no perpetual diff in any type:\n{}", run.log());

    for (file, from, to, _, _) in EDITS {
        ws.edit(file, from, to);
    }
    // Two of the edits break the stack's own policy (every rule an error):
    // waived, with reasons, which the plan prints.
    let policy = ws.stack.join("terrane-policy.hcl");
    let mut rules = std::fs::read_to_string(&policy).expect("the policy file");
    rules.push_str(
        r#"
waiver "TRN001" {
  resource = "aws_security_group.alb"
  reason   = "the test's edit of every type moves HTTPS to 8443"
}

waiver "TRN002" {
  resource = "aws_s3_bucket.state"
  reason   = "the test's edit of every type suspends versioning"
}
"#,
    );
    std::fs::write(&policy, rules).expect("write the policy file");
    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stderr
            .contains("waived: the test's edit of every type moves HTTPS to 8443"),
        "{}",
        run.log()
    );
    for (_, _, _, address, action) in EDITS {
        assert_eq!(
            planned_action(&run, address),
            Some(*action),
            "{address}:\n{}",
            run.log()
        );
    }
    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(
        run.code,
        0,
        "every edit applied, nothing left to do:\n{}",
        run.log()
    );

    let run = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        inventory(&emulator).await,
        std::collections::BTreeMap::new(),
        "everything terrane made is gone"
    );
    let standby = checks::vpc_tagged(&emulator.ec2_in(DR_REGION), "Name", "shop-standby-vpc").await;
    assert_eq!(standby, None, "standby VPC gone from the DR region");
}
