//! Arguments and nested blocks of types terrane already had, through the
//! real binary against the emulator: each is applied, checked with AWS's own
//! answer, changed (in place or by replacement, as Terraform does), read
//! back clean, and imported by Terraform's id.

use crate::support::Emulator;
use crate::support::cli::Workspace;

const LAUNCH_TEMPLATES: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_launch_template" "web" {
  name                                 = "web"
  image_id                             = "ami-12c6146b"
  instance_type                        = "m5.large"
  ebs_optimized                        = "true"
  disable_api_termination              = true
  disable_api_stop                     = false
  instance_initiated_shutdown_behavior = "terminate"
  update_default_version               = true

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = 20
      volume_type           = "gp3"
      iops                  = 3000
      throughput            = 125
      encrypted             = "true"
      delete_on_termination = "true"
    }
  }

  cpu_options {
    core_count       = 1
    threads_per_core = 2
  }

  credit_specification {
    cpu_credits = "standard"
  }

  monitoring {
    enabled = true
  }

  placement {
    availability_zone = "us-east-1a"
    tenancy           = "default"
  }

  private_dns_name_options {
    hostname_type                     = "resource-name"
    enable_resource_name_dns_a_record = true
  }

  maintenance_options {
    auto_recovery = "default"
  }

  enclave_options {
    enabled = false
  }

  hibernation_options {
    configured = false
  }

  capacity_reservation_specification {
    capacity_reservation_preference = "open"
  }

  instance_market_options {
    market_type = "spot"
    spot_options {
      max_price                      = "0.05"
      spot_instance_type             = "one-time"
      instance_interruption_behavior = "terminate"
    }
  }

  network_interfaces {
    device_index                = 0
    associate_public_ip_address = "false"
    delete_on_termination       = "true"
    description                 = "primary"
    ipv4_address_count          = 1
  }
}

resource "aws_launch_template" "flexible" {
  name_prefix = "flex-"
  image_id    = "ami-12c6146b"

  instance_requirements {
    vcpu_count {
      min = 2
      max = 8
    }
    memory_mib {
      min = 4096
    }
    memory_gib_per_vcpu {
      min = 0.5
      max = 4.5
    }
    cpu_manufacturers    = ["intel", "amd"]
    instance_generations = ["current"]
    burstable_performance = "excluded"
  }

  license_specification {
    license_configuration_arn = "arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-0123456789abcdef0123456789abcdef"
  }
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn launch_template_blocks_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(LAUNCH_TEMPLATES);
    ws.apply_ok(&emulator);
    let ec2 = emulator.ec2();
    let latest = |id: String| {
        let ec2 = ec2.clone();
        async move {
            let versions = ec2
                .describe_launch_template_versions()
                .launch_template_id(id)
                .versions("$Latest")
                .send()
                .await
                .expect("versions");
            let version = versions.launch_template_versions()[0].clone();
            (
                version.version_number().expect("number"),
                version.launch_template_data().cloned().expect("data"),
            )
        }
    };
    let web = ws.state_attribute("aws_launch_template.web", "id");
    let (number, data) = latest(web.clone()).await;
    assert_eq!(number, 1);
    assert_eq!(data.ebs_optimized(), Some(true));
    assert_eq!(data.disable_api_termination(), Some(true));
    assert_eq!(
        data.instance_initiated_shutdown_behavior()
            .map(|b| b.as_str()),
        Some("terminate")
    );
    let device = &data.block_device_mappings()[0];
    assert_eq!(device.device_name(), Some("/dev/xvda"));
    let ebs = device.ebs().expect("ebs");
    assert_eq!(ebs.volume_size(), Some(20));
    assert_eq!(ebs.iops(), Some(3000));
    assert_eq!(ebs.encrypted(), Some(true));
    assert_eq!(data.cpu_options().and_then(|c| c.core_count()), Some(1));
    assert_eq!(data.monitoring().and_then(|m| m.enabled()), Some(true));
    assert_eq!(
        data.placement().and_then(|p| p.availability_zone()),
        Some("us-east-1a")
    );
    let market = data.instance_market_options().expect("market options");
    assert_eq!(market.market_type().map(|m| m.as_str()), Some("spot"));
    assert_eq!(
        market.spot_options().and_then(|s| s.max_price()),
        Some("0.05")
    );
    let interface = &data.network_interfaces()[0];
    assert_eq!(interface.associate_public_ip_address(), Some(false));
    assert_eq!(interface.secondary_private_ip_address_count(), Some(1));
    let flexible = ws.state_attribute("aws_launch_template.flexible", "id");
    let (_, data) = latest(flexible.clone()).await;
    let requirements = data.instance_requirements().expect("requirements");
    assert_eq!(
        requirements.v_cpu_count().map(|v| (v.min(), v.max())),
        Some((Some(2), Some(8)))
    );
    assert_eq!(
        requirements.memory_gib_per_v_cpu().and_then(|m| m.max()),
        Some(4.5)
    );
    assert_eq!(requirements.cpu_manufacturers().len(), 2);
    assert_eq!(data.license_specifications().len(), 1);
    ws.assert_plan_clean(&emulator, "every block reads back as written");

    // A changed block device and a dropped block make a new version, the
    // default (update_default_version); the template stays.
    ws.edit(
        "main.tf",
        "volume_size           = 20",
        "volume_size           = 30",
    );
    ws.edit("main.tf", "  monitoring {\n    enabled = true\n  }\n", "");
    ws.edit("main.tf", "max = 8", "max = 16");
    let plan = ws.run(&emulator, "plan", &[]);
    assert_eq!(plan.code, 0, "{}", plan.log());
    assert!(
        plan.stdout.contains("2 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    assert_eq!(ws.state_attribute("aws_launch_template.web", "id"), web);
    let (number, data) = latest(web.clone()).await;
    assert_eq!(number, 2);
    assert_eq!(
        data.block_device_mappings()[0]
            .ebs()
            .and_then(|e| e.volume_size()),
        Some(30)
    );
    assert!(data.monitoring().is_none());
    let described = ec2
        .describe_launch_templates()
        .launch_template_ids(&web)
        .send()
        .await
        .expect("templates");
    assert_eq!(
        described.launch_templates()[0].default_version_number(),
        Some(2)
    );
    let (number, _) = latest(flexible.clone()).await;
    assert_eq!(number, 2);
    ws.assert_plan_clean(&emulator, "the new versions read back as written");

    // default_version written by number moves the default back.
    ws.edit(
        "main.tf",
        "  name_prefix = \"flex-\"\n",
        "  name_prefix = \"flex-\"\n  default_version = 1\n",
    );
    ws.apply_ok(&emulator);
    let described = ec2
        .describe_launch_templates()
        .launch_template_ids(&flexible)
        .send()
        .await
        .expect("templates");
    assert_eq!(
        described.launch_templates()[0].default_version_number(),
        Some(1)
    );
    ws.assert_plan_clean(&emulator, "the default version is as written");

    // AWS keeps no update_default_version: an imported template plans that
    // flag alone (as Terraform does), and applying it makes no version.
    ws.forget_and_import(&emulator, "aws_launch_template.web", &web);
    let plan = ws.run(&emulator, "plan", &[]);
    assert!(
        plan.stdout
            .contains("update_default_version = null -> true")
            && plan.stdout.contains("(21 unchanged attributes hidden)")
            && plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    assert_eq!(latest(web.clone()).await.0, 2);
    ws.assert_plan_clean(&emulator, "an imported template reads as written");
    ws.destroy_ok(&emulator);
}

const BALANCING: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.20.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.20.2.0/24"
  availability_zone = "us-east-1b"
}

resource "aws_lb" "app" {
  name                                        = "app"
  enable_tls_version_and_cipher_suite_headers = true
  enable_xff_client_port                      = true
  enable_zonal_shift                          = true

  subnet_mapping {
    subnet_id = aws_subnet.a.id
  }
  subnet_mapping {
    subnet_id = aws_subnet.b.id
  }

  access_logs {
    bucket  = "lb-logs"
    prefix  = "app"
    enabled = true
  }
}

resource "aws_lb_target_group" "web" {
  name                          = "web"
  port                          = 80
  protocol                      = "HTTP"
  vpc_id                        = aws_vpc.main.id
  slow_start                    = 30
  load_balancing_algorithm_type = "least_outstanding_requests"
  deregistration_delay          = "60"
  protocol_version              = "HTTP2"

  stickiness {
    type            = "lb_cookie"
    cookie_duration = 600
  }
}

resource "aws_lb_target_group" "tcp" {
  name              = "tcp"
  port              = 443
  protocol          = "TCP"
  vpc_id            = aws_vpc.main.id
  proxy_protocol_v2 = true
  preserve_client_ip = "false"
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn load_balancer_and_target_group_settings_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(BALANCING);
    ws.apply_ok(&emulator);
    let elbv2 = emulator.elbv2();
    let lb_attributes = |arn: String| {
        let elbv2 = elbv2.clone();
        async move {
            let out = elbv2
                .describe_load_balancer_attributes()
                .load_balancer_arn(arn)
                .send()
                .await
                .expect("attributes");
            out.attributes()
                .iter()
                .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
                .collect::<std::collections::BTreeMap<_, _>>()
        }
    };
    let tg_attributes = |arn: String| {
        let elbv2 = elbv2.clone();
        async move {
            let out = elbv2
                .describe_target_group_attributes()
                .target_group_arn(arn)
                .send()
                .await
                .expect("attributes");
            out.attributes()
                .iter()
                .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
                .collect::<std::collections::BTreeMap<_, _>>()
        }
    };
    let lb = ws.state_attribute("aws_lb.app", "id");
    let got = lb_attributes(lb.clone()).await;
    assert_eq!(got["access_logs.s3.enabled"], "true");
    assert_eq!(got["access_logs.s3.bucket"], "lb-logs");
    assert_eq!(got["access_logs.s3.prefix"], "app");
    assert_eq!(
        got["routing.http.x_amzn_tls_version_and_cipher_suite.enabled"],
        "true"
    );
    assert_eq!(got["routing.http.xff_client_port.enabled"], "true");
    assert_eq!(got["zonal_shift.config.enabled"], "true");
    let described = elbv2
        .describe_load_balancers()
        .load_balancer_arns(&lb)
        .send()
        .await
        .expect("load balancers");
    assert_eq!(described.load_balancers()[0].availability_zones().len(), 2);
    let web = ws.state_attribute("aws_lb_target_group.web", "id");
    let got = tg_attributes(web.clone()).await;
    assert_eq!(got["slow_start.duration_seconds"], "30");
    assert_eq!(
        got["load_balancing.algorithm.type"],
        "least_outstanding_requests"
    );
    assert_eq!(got["deregistration_delay.timeout_seconds"], "60");
    assert_eq!(got["stickiness.enabled"], "true");
    assert_eq!(got["stickiness.lb_cookie.duration_seconds"], "600");
    let groups = elbv2
        .describe_target_groups()
        .target_group_arns(&web)
        .send()
        .await
        .expect("target groups");
    assert_eq!(groups.target_groups()[0].protocol_version(), Some("HTTP2"));
    let tcp = ws.state_attribute("aws_lb_target_group.tcp", "id");
    let got = tg_attributes(tcp.clone()).await;
    assert_eq!(got["proxy_protocol_v2.enabled"], "true");
    assert_eq!(got["preserve_client_ip.enabled"], "false");
    ws.assert_plan_clean(&emulator, "every setting reads back as written");

    // In place: access logs taken out (turned off), a header flag back to
    // its default, stickiness changed to app cookies, slow start off.
    ws.edit(
        "main.tf",
        "  access_logs {\n    bucket  = \"lb-logs\"\n    prefix  = \"app\"\n    enabled = true\n  }\n",
        "",
    );
    ws.edit(
        "main.tf",
        "enable_xff_client_port                      = true",
        "",
    );
    ws.edit(
        "main.tf",
        "    type            = \"lb_cookie\"\n    cookie_duration = 600",
        "    type            = \"app_cookie\"\n    cookie_name     = \"session\"\n    cookie_duration = 120",
    );
    ws.edit("main.tf", "slow_start                    = 30", "");
    let plan = ws.run(&emulator, "plan", &[]);
    assert!(
        plan.stdout.contains("0 to add, 2 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    assert_eq!(ws.state_attribute("aws_lb.app", "id"), lb);
    let got = lb_attributes(lb.clone()).await;
    assert_eq!(got["access_logs.s3.enabled"], "false");
    assert_eq!(got["routing.http.xff_client_port.enabled"], "false");
    let got = tg_attributes(web.clone()).await;
    assert_eq!(got["stickiness.type"], "app_cookie");
    assert_eq!(got["stickiness.app_cookie.cookie_name"], "session");
    assert_eq!(got["stickiness.app_cookie.duration_seconds"], "120");
    assert_eq!(got["slow_start.duration_seconds"], "0");
    ws.assert_plan_clean(&emulator, "the changed settings read back as written");

    // A new protocol version replaces the target group, as in Terraform.
    ws.edit("main.tf", "\"HTTP2\"", "\"HTTP1\"");
    let plan = ws.run(&emulator, "plan", &[]);
    assert!(
        plan.stdout
            .contains("aws_lb_target_group.web must be replaced"),
        "{}",
        plan.log()
    );

    ws.forget_and_import(&emulator, "aws_lb.app", &lb);
    ws.forget_and_import(&emulator, "aws_lb_target_group.tcp", &tcp);
    ws.edit("main.tf", "\"HTTP1\"", "\"HTTP2\"");
    ws.assert_plan_clean(&emulator, "imported ones read as written");
    ws.destroy_ok(&emulator);
}

const ROUTING: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_route53_zone" "main" {
  name = "routing.example.com"
}

resource "aws_route53_health_check" "web" {
  type              = "HTTPS"
  fqdn              = "primary.routing.example.com"
  port              = 443
  resource_path     = "/health"
  failure_threshold = 3
  request_interval  = 30
  tags = {
    Name = "web"
  }
}

resource "aws_route53_health_check" "all" {
  type                   = "CALCULATED"
  child_health_threshold = 1
  child_healthchecks     = [aws_route53_health_check.web.id]
}

resource "aws_route53_record" "primary" {
  zone_id         = aws_route53_zone.main.zone_id
  name            = "app.routing.example.com"
  type            = "A"
  ttl             = 60
  records         = ["192.0.2.1"]
  set_identifier  = "primary"
  health_check_id = aws_route53_health_check.web.id
  failover_routing_policy {
    type = "PRIMARY"
  }
}

resource "aws_route53_record" "secondary" {
  zone_id        = aws_route53_zone.main.zone_id
  name           = "app.routing.example.com"
  type           = "A"
  ttl            = 60
  records        = ["192.0.2.2"]
  set_identifier = "secondary"
  failover_routing_policy {
    type = "SECONDARY"
  }
}

resource "aws_route53_record" "near" {
  zone_id        = aws_route53_zone.main.zone_id
  name           = "near.routing.example.com"
  type           = "A"
  ttl            = 60
  records        = ["192.0.2.3"]
  set_identifier = "virginia"
  latency_routing_policy {
    region = "us-east-1"
  }
}

resource "aws_route53_record" "country" {
  zone_id        = aws_route53_zone.main.zone_id
  name           = "geo.routing.example.com"
  type           = "A"
  ttl            = 60
  records        = ["192.0.2.4"]
  set_identifier = "us"
  geolocation_routing_policy {
    country = "US"
  }
}

resource "aws_route53_record" "many" {
  zone_id                          = aws_route53_zone.main.zone_id
  name                             = "many.routing.example.com"
  type                             = "A"
  ttl                              = 60
  records                          = ["192.0.2.5"]
  set_identifier                   = "one"
  multivalue_answer_routing_policy = true
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn routing_policies_and_health_checks_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(ROUTING);
    ws.apply_ok(&emulator);
    let route53 = emulator.route53();
    let zone = ws.state_attribute("aws_route53_zone.main", "id");
    let web = ws.state_attribute("aws_route53_health_check.web", "id");
    let all = ws.state_attribute("aws_route53_health_check.all", "id");
    let check = |id: String| {
        let route53 = route53.clone();
        async move {
            let out = route53
                .get_health_check()
                .health_check_id(id)
                .send()
                .await
                .expect("health check");
            out.health_check()
                .and_then(|c| c.health_check_config())
                .cloned()
                .expect("config")
        }
    };
    let config = check(web.clone()).await;
    assert_eq!(config.r#type().as_str(), "HTTPS");
    assert_eq!(
        config.fully_qualified_domain_name(),
        Some("primary.routing.example.com")
    );
    assert_eq!(config.resource_path(), Some("/health"));
    assert_eq!(
        check(all.clone()).await.child_health_checks(),
        std::slice::from_ref(&web)
    );
    let tags = route53
        .list_tags_for_resource()
        .resource_type(aws_sdk_route53::types::TagResourceType::Healthcheck)
        .resource_id(&web)
        .send()
        .await
        .expect("tags");
    assert!(
        tags.resource_tag_set()
            .map(|set| set.tags())
            .unwrap_or_default()
            .iter()
            .any(|t| t.key() == Some("Name") && t.value() == Some("web"))
    );
    let records = || {
        let route53 = route53.clone();
        let zone = zone.clone();
        async move {
            route53
                .list_resource_record_sets()
                .hosted_zone_id(zone)
                .send()
                .await
                .expect("records")
                .resource_record_sets()
                .to_vec()
        }
    };
    let sets = records().await;
    let set = |identifier: &str| {
        sets.iter()
            .find(|s| s.set_identifier() == Some(identifier))
            .cloned()
            .unwrap_or_else(|| panic!("record set {identifier}"))
    };
    let primary = set("primary");
    assert_eq!(primary.failover().map(|f| f.as_str()), Some("PRIMARY"));
    assert_eq!(primary.health_check_id(), Some(web.as_str()));
    assert_eq!(
        set("secondary").failover().map(|f| f.as_str()),
        Some("SECONDARY")
    );
    assert_eq!(
        set("virginia").region().map(|r| r.as_str()),
        Some("us-east-1")
    );
    assert_eq!(
        set("us").geo_location().and_then(|g| g.country_code()),
        Some("US")
    );
    assert_eq!(set("one").multi_value_answer(), Some(true));
    ws.assert_plan_clean(&emulator, "every policy reads back as written");

    // In place: the health check's path and threshold, the primary's TTL,
    // and the geolocation record moved to a continent (one batch deleting
    // the old record set and creating the new).
    ws.edit("main.tf", "\"/health\"", "\"/healthz\"");
    ws.edit("main.tf", "failure_threshold = 3", "failure_threshold = 5");
    ws.edit(
        "main.tf",
        "ttl             = 60\n  records         = [\"192.0.2.1\"]",
        "ttl             = 30\n  records         = [\"192.0.2.1\"]",
    );
    ws.edit("main.tf", "country = \"US\"", "continent = \"EU\"");
    let plan = ws.run(&emulator, "plan", &[]);
    assert!(
        plan.stdout.contains("0 to add, 3 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    let config = check(web.clone()).await;
    assert_eq!(config.resource_path(), Some("/healthz"));
    assert_eq!(config.failure_threshold(), Some(5));
    let sets = records().await;
    let us = sets
        .iter()
        .find(|s| s.set_identifier() == Some("us"))
        .expect("the geolocation record");
    assert_eq!(
        us.geo_location().and_then(|g| g.continent_code()),
        Some("EU")
    );
    assert_eq!(us.geo_location().and_then(|g| g.country_code()), None);
    assert_eq!(
        sets.iter()
            .find(|s| s.set_identifier() == Some("primary"))
            .and_then(|s| s.ttl()),
        Some(30)
    );
    ws.assert_plan_clean(&emulator, "the changes read back as written");

    // A new type replaces the health check, as in Terraform.
    ws.edit(
        "main.tf",
        "type              = \"HTTPS\"",
        "type              = \"HTTP\"",
    );
    let plan = ws.run(&emulator, "plan", &[]);
    assert!(
        plan.stdout
            .contains("aws_route53_health_check.web must be replaced"),
        "{}",
        plan.log()
    );
    ws.edit(
        "main.tf",
        "type              = \"HTTP\"",
        "type              = \"HTTPS\"",
    );

    ws.forget_and_import(&emulator, "aws_route53_health_check.web", &web);
    ws.forget_and_import(
        &emulator,
        "aws_route53_record.primary",
        &format!("{zone}_app.routing.example.com_A_primary"),
    );
    ws.assert_plan_clean(&emulator, "imported ones read as written");
    ws.destroy_ok(&emulator);
    let left = route53.list_health_checks().send().await.expect("checks");
    assert!(left.health_checks().is_empty(), "{left:?}");
}

const NODES: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.30.0.0/16"
}

resource "aws_subnet" "app" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.30.${count.index}.0/24"
  availability_zone = ["us-east-1a", "us-east-1b"][count.index]
}

resource "aws_iam_role" "eks" {
  name = "eks"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "eks.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_eks_cluster" "shop" {
  name                          = "shop"
  role_arn                      = aws_iam_role.eks.arn
  bootstrap_self_managed_addons = false
  vpc_config {
    subnet_ids = aws_subnet.app[*].id
  }
  kubernetes_network_config {
    service_ipv4_cidr = "172.20.0.0/16"
    ip_family         = "ipv4"
  }
  remote_network_config {
    remote_node_networks {
      cidrs = ["192.168.0.0/16"]
    }
    remote_pod_networks {
      cidrs = ["10.200.0.0/16"]
    }
  }
}

resource "aws_launch_template" "nodes" {
  name          = "nodes"
  instance_type = "m5.large"
}

resource "aws_eks_node_group" "tainted" {
  cluster_name    = aws_eks_cluster.shop.name
  node_group_name = "tainted"
  node_role_arn   = aws_iam_role.eks.arn
  subnet_ids      = aws_subnet.app[*].id
  release_version = "1.29.0-20240129"

  scaling_config {
    desired_size = 1
    min_size     = 1
    max_size     = 2
  }

  launch_template {
    id      = aws_launch_template.nodes.id
    version = aws_launch_template.nodes.latest_version
  }

  taint {
    key    = "dedicated"
    value  = "batch"
    effect = "NO_SCHEDULE"
  }

  taint {
    key    = "spot"
    effect = "PREFER_NO_SCHEDULE"
  }
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn node_group_taints_launch_template_and_repair_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(NODES);
    ws.apply_ok(&emulator);
    let eks = emulator.eks();
    let group = || {
        let eks = eks.clone();
        async move {
            eks.describe_nodegroup()
                .cluster_name("shop")
                .nodegroup_name("tainted")
                .send()
                .await
                .expect("node group")
                .nodegroup()
                .cloned()
                .expect("a node group")
        }
    };
    let cluster = eks
        .describe_cluster()
        .name("shop")
        .send()
        .await
        .expect("cluster")
        .cluster()
        .cloned()
        .expect("a cluster");
    assert_eq!(
        cluster
            .kubernetes_network_config()
            .and_then(|k| k.service_ipv4_cidr()),
        Some("172.20.0.0/16")
    );
    assert_eq!(
        cluster
            .remote_network_config()
            .map(|r| r.remote_pod_networks()[0].cidrs().to_vec()),
        Some(vec!["10.200.0.0/16".to_string()])
    );
    let described = group().await;
    let template = ws.state_attribute("aws_launch_template.nodes", "id");
    let spec = described.launch_template().expect("launch template");
    assert_eq!(spec.id(), Some(template.as_str()));
    assert_eq!(spec.version(), Some("1"));
    assert_eq!(described.release_version(), Some("1.29.0-20240129"));
    let mut taints: Vec<_> = described
        .taints()
        .iter()
        .map(|t| (t.key().unwrap_or_default(), t.effect().map(|e| e.as_str())))
        .collect();
    taints.sort();
    assert_eq!(
        taints,
        [
            ("dedicated", Some("NO_SCHEDULE")),
            ("spot", Some("PREFER_NO_SCHEDULE"))
        ]
    );
    ws.assert_plan_clean(&emulator, "every block reads back as written");

    // In place (UpdateNodegroupConfig): one taint dropped, one changed,
    // node repair turned on (the emulator keeps a node repair config only
    // from an update).
    ws.edit(
        "main.tf",
        "  taint {\n    key    = \"spot\"\n    effect = \"PREFER_NO_SCHEDULE\"\n  }\n",
        "",
    );
    ws.edit("main.tf", "value  = \"batch\"", "value  = \"ml\"");
    ws.edit(
        "main.tf",
        "    max_size     = 2\n  }\n",
        "    max_size     = 2\n  }\n\n  node_repair_config {\n    enabled = true\n  }\n",
    );
    let plan = ws.run(&emulator, "plan", &[]);
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    let described = group().await;
    let taints: Vec<_> = described
        .taints()
        .iter()
        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect();
    assert_eq!(taints, [("dedicated", "ml")]);
    assert_eq!(
        described.node_repair_config().and_then(|n| n.enabled()),
        Some(true)
    );
    ws.assert_plan_clean(&emulator, "the changes read back as written");

    // A new Kubernetes service range replaces the cluster, as in Terraform.
    ws.edit("main.tf", "172.20.0.0/16", "172.21.0.0/16");
    let plan = ws.run(&emulator, "plan", &[]);
    assert!(
        plan.stdout
            .contains("aws_eks_cluster.shop must be replaced"),
        "{}",
        plan.log()
    );
    ws.edit("main.tf", "172.21.0.0/16", "172.20.0.0/16");

    ws.forget_and_import(&emulator, "aws_eks_node_group.tainted", "shop:tainted");
    ws.assert_plan_clean(&emulator, "an imported group reads as written");
    ws.destroy_ok(&emulator);
}

const SCALING: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.40.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.40.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_launch_template" "web" {
  name          = "web"
  image_id      = "ami-12c6146b"
  instance_type = "t3.micro"
}

resource "aws_autoscaling_group" "web" {
  name                  = "web"
  min_size              = 1
  max_size              = 3
  desired_capacity      = 1
  vpc_zone_identifier   = [aws_subnet.a.id]
  default_cooldown      = 120
  protect_from_scale_in = true
  termination_policies  = ["OldestInstance", "Default"]
  suspended_processes   = ["AZRebalance"]
  # Its instance was launched protected from scale-in, so draining it would
  # never end: deleted with its instances.
  force_delete = true

  launch_template {
    id      = aws_launch_template.web.id
    version = "$Latest"
  }

  warm_pool {
    min_size   = 1
    pool_state = "Stopped"
  }
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn autoscaling_group_settings_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(SCALING);
    ws.apply_ok(&emulator);
    let autoscaling = emulator.autoscaling();
    let group = || {
        let autoscaling = autoscaling.clone();
        async move {
            autoscaling
                .describe_auto_scaling_groups()
                .auto_scaling_group_names("web")
                .send()
                .await
                .expect("groups")
                .auto_scaling_groups()[0]
                .clone()
        }
    };
    let described = group().await;
    assert_eq!(described.default_cooldown(), Some(120));
    assert_eq!(
        described.new_instances_protected_from_scale_in(),
        Some(true)
    );
    assert_eq!(
        described.termination_policies(),
        ["OldestInstance", "Default"]
    );
    let suspended: Vec<_> = described
        .suspended_processes()
        .iter()
        .filter_map(|p| p.process_name())
        .collect();
    assert_eq!(suspended, ["AZRebalance"]);
    assert_eq!(
        described
            .warm_pool_configuration()
            .and_then(|w| w.min_size()),
        Some(1)
    );
    // The create waited for its capacity: the instance is in service.
    assert_eq!(described.instances().len(), 1);
    ws.assert_plan_clean(&emulator, "every setting reads back as written");

    // In place: protection, the suspended processes (one resumed, one
    // suspended) and the warm pool. (The emulator ignores a new cooldown or
    // termination policy in UpdateAutoScalingGroup: provider_replayed.rs
    // checks those are sent.)
    ws.edit(
        "main.tf",
        "protect_from_scale_in = true",
        "protect_from_scale_in = false",
    );
    ws.edit("main.tf", "[\"AZRebalance\"]", "[\"ReplaceUnhealthy\"]");
    ws.edit("main.tf", "min_size   = 1", "min_size   = 2");
    let plan = ws.run(&emulator, "plan", &[]);
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    let described = group().await;
    assert_eq!(
        described.new_instances_protected_from_scale_in(),
        Some(false)
    );
    let suspended: Vec<_> = described
        .suspended_processes()
        .iter()
        .filter_map(|p| p.process_name())
        .collect();
    assert_eq!(suspended, ["ReplaceUnhealthy"]);
    assert_eq!(
        described
            .warm_pool_configuration()
            .and_then(|w| w.min_size()),
        Some(2)
    );
    ws.assert_plan_clean(&emulator, "the changes read back as written");

    // The warm pool taken out is deleted.
    ws.edit(
        "main.tf",
        "  warm_pool {\n    min_size   = 2\n    pool_state = \"Stopped\"\n  }\n",
        "",
    );
    ws.apply_ok(&emulator);
    assert!(group().await.warm_pool_configuration().is_none());
    ws.assert_plan_clean(&emulator, "no warm pool");
    ws.destroy_ok(&emulator);
}

const IPV6: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block                           = "10.50.0.0/16"
  assign_generated_ipv6_cidr_block     = true
  enable_network_address_usage_metrics = true
}

resource "aws_subnet" "dual" {
  vpc_id                                      = aws_vpc.main.id
  cidr_block                                  = "10.50.1.0/24"
  availability_zone                           = "us-east-1a"
  ipv6_cidr_block                             = cidrsubnet(aws_vpc.main.ipv6_cidr_block, 8, 1)
  assign_ipv6_address_on_creation             = true
  enable_resource_name_dns_a_record_on_launch = true
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn ipv6_vpc_and_subnet_settings_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(IPV6);
    ws.apply_ok(&emulator);
    let ec2 = emulator.ec2();
    let vpc = ws.state_attribute("aws_vpc.main", "id");
    let block = ws.state_attribute("aws_vpc.main", "ipv6_cidr_block");
    let described = ec2.describe_vpcs().vpc_ids(&vpc).send().await.expect("vpc");
    let association = &described.vpcs()[0].ipv6_cidr_block_association_set()[0];
    assert_eq!(association.ipv6_cidr_block(), Some(block.as_str()));
    let metrics = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableNetworkAddressUsageMetrics)
        .send()
        .await
        .expect("attribute");
    assert_eq!(
        metrics
            .enable_network_address_usage_metrics()
            .and_then(|v| v.value()),
        Some(true)
    );
    let subnet = |address: &str| {
        let ec2 = ec2.clone();
        let id = ws.state_attribute(address, "id");
        async move {
            ec2.describe_subnets()
                .subnet_ids(id)
                .send()
                .await
                .expect("subnet")
                .subnets()[0]
                .clone()
        }
    };
    let dual = subnet("aws_subnet.dual").await;
    assert_eq!(dual.assign_ipv6_address_on_creation(), Some(true));
    // The block the stack computed from the VPC's (and a clean plan below
    // says it is what the configuration asks for).
    let dual_block = ws.state_attribute("aws_subnet.dual", "ipv6_cidr_block");
    assert_eq!(
        dual.ipv6_cidr_block_association_set()[0].ipv6_cidr_block(),
        Some(dual_block.as_str())
    );
    assert!(dual_block.ends_with("/64"), "{dual_block}");
    assert_eq!(
        dual.private_dns_name_options_on_launch()
            .and_then(|o| o.enable_resource_name_dns_a_record()),
        Some(true)
    );
    ws.assert_plan_clean(&emulator, "every setting reads back as written");

    // In place: IPv6 addresses on launch off, the usage metrics off.
    ws.edit(
        "main.tf",
        "assign_ipv6_address_on_creation             = true",
        "assign_ipv6_address_on_creation             = false",
    );
    ws.edit(
        "main.tf",
        "enable_network_address_usage_metrics = true",
        "enable_network_address_usage_metrics = false",
    );
    let plan = ws.run(&emulator, "plan", &[]);
    assert!(
        plan.stdout.contains("0 to add, 2 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    assert_eq!(
        subnet("aws_subnet.dual")
            .await
            .assign_ipv6_address_on_creation(),
        Some(false)
    );
    ws.assert_plan_clean(&emulator, "the changes read back as written");

    let dual_id = ws.state_attribute("aws_subnet.dual", "id");
    ws.forget_and_import(&emulator, "aws_subnet.dual", &dual_id);
    ws.forget_and_import(&emulator, "aws_vpc.main", &vpc);
    ws.assert_plan_clean(&emulator, "imported ones read as written");
    ws.destroy_ok(&emulator);
}
