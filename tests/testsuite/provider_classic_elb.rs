//! Classic load balancers (`aws_elb`) through the real binary against the
//! emulator: made in front of an Auto Scaling group, changed in place as
//! Terraform changes them, read back clean, imported by name and
//! destroyed, each step checked with ELB's own answers.

use aws_sdk_elasticloadbalancing::types::{LoadBalancerAttributes, LoadBalancerDescription};

use crate::support::Emulator;
use crate::support::cli::Workspace;

const STACK: &str = r#"
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

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.70.2.0/24"
  availability_zone = "us-east-1b"
}

resource "aws_security_group" "web" {
  name   = "classic-web"
  vpc_id = aws_vpc.main.id
}

resource "aws_s3_bucket" "logs" {
  bucket = "classic-elb-logs"
}

resource "aws_elb" "web" {
  name            = "classic-web"
  subnets         = [aws_subnet.a.id]
  security_groups = [aws_security_group.web.id]

  listener {
    instance_port     = 8080
    instance_protocol = "HTTP"
    lb_port           = 80
    lb_protocol       = "http"
  }

  listener {
    instance_port     = 22
    instance_protocol = "tcp"
    lb_port           = 2222
    lb_protocol       = "TCP"
  }

  health_check {
    healthy_threshold   = 2
    unhealthy_threshold = 3
    timeout             = 5
    target              = "HTTP:8080/health"
    interval            = 30
  }

  access_logs {
    bucket   = aws_s3_bucket.logs.id
    interval = 5
  }

  desync_mitigation_mode      = "monitor"
  cross_zone_load_balancing   = false
  idle_timeout                = 120
  connection_draining         = true
  connection_draining_timeout = 60

  tags = {
    Name = "classic-web"
  }
}

resource "aws_launch_template" "web" {
  name_prefix   = "classic-web-"
  image_id      = "ami-12c6146b"
  instance_type = "t3.micro"
}

resource "aws_autoscaling_group" "web" {
  name                = "classic-web"
  min_size            = 1
  max_size            = 2
  vpc_zone_identifier = [aws_subnet.a.id]
  load_balancers      = [aws_elb.web.name]

  launch_template {
    id      = aws_launch_template.web.id
    version = "$Latest"
  }
}
"#;

async fn describe(
    elb: &aws_sdk_elasticloadbalancing::Client,
    name: &str,
) -> Option<LoadBalancerDescription> {
    match elb
        .describe_load_balancers()
        .load_balancer_names(name)
        .send()
        .await
    {
        Ok(out) => out.load_balancer_descriptions().first().cloned(),
        Err(err) if format!("{err:?}").contains("LoadBalancerNotFound") => None,
        Err(err) => panic!("DescribeLoadBalancers: {err:?}"),
    }
}

async fn attributes_of(
    elb: &aws_sdk_elasticloadbalancing::Client,
    name: &str,
) -> LoadBalancerAttributes {
    let out = elb
        .describe_load_balancer_attributes()
        .load_balancer_name(name)
        .send()
        .await
        .expect("attributes");
    out.load_balancer_attributes.expect("attributes")
}

/// (lb port, protocol, instance port, instance protocol) of each listener.
fn listeners(lb: &LoadBalancerDescription) -> Vec<(i32, String, i32, String)> {
    let mut found: Vec<_> = lb
        .listener_descriptions()
        .iter()
        .filter_map(|d| d.listener())
        .map(|l| {
            (
                l.load_balancer_port(),
                l.protocol().to_uppercase(),
                l.instance_port(),
                l.instance_protocol().unwrap_or_default().to_uppercase(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn a_classic_load_balancer_is_made_changed_imported_and_destroyed() {
    let emulator = Emulator::start();
    let elb = emulator.elb();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write("main.tf", STACK);
    ws.apply_ok(&emulator);

    let made = describe(&elb, "classic-web").await.expect("made");
    let subnet_a = ws.state_attribute("aws_subnet.a", "id");
    let subnet_b = ws.state_attribute("aws_subnet.b", "id");
    let group = ws.state_attribute("aws_security_group.web", "id");
    assert_eq!(made.subnets(), std::slice::from_ref(&subnet_a));
    assert_eq!(made.security_groups(), [group]);
    assert_eq!(
        listeners(&made),
        [
            (80, "HTTP".into(), 8080, "HTTP".into()),
            (2222, "TCP".into(), 22, "TCP".into())
        ]
    );
    let check = made.health_check().expect("health check");
    assert_eq!(
        (check.target(), check.interval(), check.healthy_threshold()),
        ("HTTP:8080/health", 30, 2)
    );
    let attributes = attributes_of(&elb, "classic-web").await;
    assert_eq!(
        attributes.cross_zone_load_balancing().map(|c| c.enabled()),
        Some(false)
    );
    assert_eq!(
        attributes.connection_settings().map(|c| c.idle_timeout()),
        Some(120)
    );
    let draining = attributes.connection_draining().expect("draining");
    assert_eq!((draining.enabled(), draining.timeout()), (true, Some(60)));
    let desync = attributes
        .additional_attributes()
        .iter()
        .find(|a| a.key() == Some("elb.http.desyncmitigationmode"))
        .and_then(|a| a.value());
    assert_eq!(desync, Some("monitor"));
    let logs = attributes.access_log().expect("access log");
    assert_eq!(
        (logs.enabled(), logs.s3_bucket_name(), logs.emit_interval()),
        (true, Some("classic-elb-logs"), Some(5))
    );
    let tags = elb
        .describe_tags()
        .load_balancer_names("classic-web")
        .send()
        .await
        .expect("tags");
    let tags: Vec<(&str, Option<&str>)> = tags.tag_descriptions()[0]
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert!(tags.contains(&("Name", Some("classic-web"))), "{tags:?}");
    assert!(
        ws.state_attribute("aws_elb.web", "arn")
            .ends_with(":loadbalancer/classic-web")
    );
    ws.assert_plan_clean(&emulator, "read back as written");

    // A listener, the settings, the health check, the subnets and the tags
    // all change in place.
    ws.edit(
        "main.tf",
        "lb_port           = 80",
        "lb_port           = 8000",
    );
    ws.edit(
        "main.tf",
        "idle_timeout                = 120",
        "idle_timeout                = 300",
    );
    ws.edit(
        "main.tf",
        "connection_draining         = true\n  connection_draining_timeout = 60",
        "connection_draining         = false\n  connection_draining_timeout = 120",
    );
    ws.edit("main.tf", "HTTP:8080/health", "TCP:8080");
    ws.edit(
        "main.tf",
        "subnets         = [aws_subnet.a.id]",
        "subnets         = [aws_subnet.a.id, aws_subnet.b.id]",
    );
    ws.edit("main.tf", "Name = \"classic-web\"", "Name = \"web\"");
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    let changed = describe(&elb, "classic-web").await.expect("still there");
    assert_eq!(
        listeners(&changed),
        [
            (2222, "TCP".into(), 22, "TCP".into()),
            (8000, "HTTP".into(), 8080, "HTTP".into())
        ]
    );
    let mut subnets = changed.subnets().to_vec();
    subnets.sort();
    let mut both = vec![subnet_a, subnet_b];
    both.sort();
    assert_eq!(subnets, both);
    assert_eq!(changed.health_check().map(|c| c.target()), Some("TCP:8080"));
    let attributes = attributes_of(&elb, "classic-web").await;
    assert_eq!(
        attributes.connection_settings().map(|c| c.idle_timeout()),
        Some(300)
    );
    let draining = attributes.connection_draining().expect("draining");
    assert_eq!((draining.enabled(), draining.timeout()), (false, Some(120)));
    ws.assert_plan_clean(&emulator, "changed as planned");

    ws.forget_and_import(&emulator, "aws_elb.web", "classic-web");
    ws.assert_plan_clean(&emulator, "imported by name");

    ws.destroy_ok(&emulator);
    assert!(describe(&elb, "classic-web").await.is_none());
}

const REFUSED_AFTER_MADE: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_elb" "web" {
  name_prefix        = "web-"
  availability_zones = ["us-east-1a"]

  listener {
    instance_port     = 80
    instance_protocol = "http"
    lb_port           = 80
    lb_protocol       = "http"
  }

  health_check {
    healthy_threshold   = 2
    unhealthy_threshold = 2
    timeout             = 3
    target              = "PING:80"
    interval            = 30
  }
}
"#;

/// Every load balancer's name in the emulator.
async fn names(elb: &aws_sdk_elasticloadbalancing::Client) -> Vec<String> {
    let out = elb
        .describe_load_balancers()
        .send()
        .await
        .expect("describe");
    out.load_balancer_descriptions()
        .iter()
        .filter_map(|d| d.load_balancer_name().map(String::from))
        .collect()
}

/// A create refused by a call after the one that made its object (the
/// health check, here) keeps the object: the next apply takes it up
/// rather than making a second one under a new generated name.
#[tokio::test(flavor = "multi_thread")]
async fn a_create_refused_after_its_object_exists_leaves_nothing_behind() {
    let emulator = Emulator::start();
    let elb = emulator.elb();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write("main.tf", REFUSED_AFTER_MADE);
    let run = ws.run(&emulator, "apply", &["--auto-approve", "--no-color"]);
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(
        run.stderr.contains("was made before this was refused"),
        "{}",
        run.log()
    );
    let made = names(&elb).await;
    assert_eq!(made.len(), 1, "{made:?}");

    ws.edit("main.tf", "PING:80", "TCP:80");
    ws.apply_ok(&emulator);
    assert_eq!(names(&elb).await, made, "the first one is taken up");
    let taken_up = describe(&elb, &made[0]).await.expect("still there");
    assert_eq!(taken_up.health_check().map(|c| c.target()), Some("TCP:80"));
    ws.assert_plan_clean(&emulator, "taken up and finished");
    ws.destroy_ok(&emulator);
    assert!(names(&elb).await.is_empty());
}
