//! Routing through the real binary against the emulator: an ALB's listener
//! (with response-header attributes) and its rule send a context path
//! (`/api/*`) to its own target group, and an S3 gateway endpoint gives
//! private route tables their way to S3. Each is made, changed in place,
//! read back clean, imported by Terraform's id and destroyed, every step
//! checked with AWS's own answers.

use crate::support::Emulator;
use crate::support::cli::Workspace;

const STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.40.0.0/16"
}

resource "aws_subnet" "public" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet("10.40.0.0/16", 8, count.index)
  availability_zone = ["us-east-1a", "us-east-1b"][count.index]
}

resource "aws_lb" "app" {
  name               = "routing-alb"
  load_balancer_type = "application"
  subnets            = aws_subnet.public[*].id
}

resource "aws_lb_target_group" "web" {
  name     = "web"
  port     = 8080
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}

resource "aws_lb_target_group" "api" {
  name     = "api"
  port     = 9090
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.app.arn
  port              = 80
  protocol          = "HTTP"

  routing_http_response_server_enabled                = false
  routing_http_response_x_frame_options_header_value = "DENY"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }
}

resource "aws_lb_listener_rule" "api" {
  listener_arn = aws_lb_listener.http.arn

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }

  condition {
    path_pattern {
      values = ["/api/*"]
    }
  }

  tags = {
    Route = "api"
  }
}
"#;

/// The listener's rules other than its default, as (priority, paths,
/// target group ARN).
async fn rules(emulator: &Emulator, listener: &str) -> Vec<(String, Vec<String>, String)> {
    let described = emulator
        .elbv2()
        .describe_rules()
        .listener_arn(listener)
        .send()
        .await
        .expect("rules");
    described
        .rules()
        .iter()
        .filter(|r| !r.is_default().unwrap_or(false))
        .map(|r| {
            let condition = r.conditions().first().expect("a condition");
            let paths = condition
                .path_pattern_config()
                .map(|c| c.values().to_vec())
                .unwrap_or_else(|| condition.values().to_vec());
            let target = r
                .actions()
                .first()
                .and_then(|a| a.target_group_arn())
                .unwrap_or_default();
            (
                r.priority().unwrap_or_default().to_string(),
                paths,
                target.to_string(),
            )
        })
        .collect()
}

/// A listener's attributes as ELBv2 has them, sorted.
async fn listener_attributes(emulator: &Emulator, listener: &str) -> Vec<(String, String)> {
    let described = emulator
        .elbv2()
        .describe_listener_attributes()
        .listener_arn(listener)
        .send()
        .await
        .expect("listener attributes");
    let mut out: Vec<(String, String)> = described
        .attributes()
        .iter()
        .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_context_path_is_routed_by_a_listener_rule() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(STACK);
    ws.apply_ok(&emulator);

    let listener = ws.state_attribute("aws_lb_listener.http", "id");
    let api = ws.state_attribute("aws_lb_target_group.api", "id");
    let web = ws.state_attribute("aws_lb_target_group.web", "id");
    let rule = ws.state_attribute("aws_lb_listener_rule.api", "id");
    assert_eq!(
        rules(&emulator, &listener).await,
        [("1".to_string(), vec!["/api/*".to_string()], api.clone())],
        "the first rule takes priority 1"
    );
    let held = listener_attributes(&emulator, &listener).await;
    for set in [
        ("routing.http.response.server.enabled", "false"),
        ("routing.http.response.x_frame_options.header_value", "DENY"),
    ] {
        assert!(
            held.contains(&(set.0.to_string(), set.1.to_string())),
            "{set:?} in {held:?}"
        );
    }
    ws.assert_plan_clean(&emulator, "read back as planned");

    // A listener attribute changes in place.
    ws.edit("main.tf", "= \"DENY\"", "= \"SAMEORIGIN\"");
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    assert!(listener_attributes(&emulator, &listener).await.contains(&(
        "routing.http.response.x_frame_options.header_value".to_string(),
        "SAMEORIGIN".to_string()
    )));

    // In place: another path, another target, a priority of its own.
    ws.edit(
        "main.tf",
        "values = [\"/api/*\"]",
        "values = [\"/api/*\", \"/v2/*\"]",
    );
    ws.edit(
        "main.tf",
        "target_group_arn = aws_lb_target_group.api.arn",
        "target_group_arn = aws_lb_target_group.web.arn",
    );
    ws.edit(
        "main.tf",
        "  listener_arn = aws_lb_listener.http.arn\n",
        "  listener_arn = aws_lb_listener.http.arn\n  priority     = 10\n",
    );
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    let described = rules(&emulator, &listener).await;
    assert_eq!(described.len(), 1, "{described:?}");
    let (priority, mut paths, target) = described[0].clone();
    paths.sort();
    assert_eq!(
        (priority.as_str(), paths, target),
        ("10", vec!["/api/*".to_string(), "/v2/*".to_string()], web)
    );
    assert_eq!(
        ws.state_attribute("aws_lb_listener_rule.api", "id"),
        rule,
        "changed in place"
    );
    ws.assert_plan_clean(&emulator, "nothing left to do");

    // Forgotten, then imported by its ARN: nothing to change.
    ws.forget_and_import(&emulator, "aws_lb_listener_rule.api", &rule);
    ws.assert_plan_clean(&emulator, "imported as configured");

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
    let gone = emulator
        .elbv2()
        .describe_rules()
        .rule_arns(&rule)
        .send()
        .await;
    assert!(
        gone.is_err() || gone.unwrap().rules().is_empty(),
        "rule deleted"
    );
}

const ENDPOINT_STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.41.0.0/16"
}

resource "aws_route_table" "private" {
  count  = 2
  vpc_id = aws_vpc.main.id
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.us-east-1.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id

  tags = {
    Name = "s3"
  }
}

output "prefix_list" {
  value = aws_vpc_endpoint.s3.prefix_list_id
}
"#;

/// The endpoint's route tables, sorted, and its policy, as EC2 has them.
async fn endpoint(emulator: &Emulator, id: &str) -> (Vec<String>, serde_json::Value) {
    let described = emulator
        .ec2()
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await
        .expect("endpoint");
    let endpoint = described.vpc_endpoints().first().expect("one endpoint");
    let mut tables = endpoint.route_table_ids().to_vec();
    tables.sort();
    let policy = endpoint
        .policy_document()
        .map_or(serde_json::Value::Null, |p| {
            serde_json::from_str(p).expect("JSON")
        });
    (tables, policy)
}

#[tokio::test(flavor = "multi_thread")]
async fn private_route_tables_reach_s3_through_a_gateway_endpoint() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(ENDPOINT_STACK);
    ws.apply_ok(&emulator);
    let id = ws.state_attribute("aws_vpc_endpoint.s3", "id");
    let first = ws.state_attribute("aws_route_table.private[0]", "id");
    let second = ws.state_attribute("aws_route_table.private[1]", "id");
    let mut both = vec![first.clone(), second];
    both.sort();
    assert_eq!(endpoint(&emulator, &id).await.0, both);
    assert!(
        ws.state_attribute("aws_vpc_endpoint.s3", "prefix_list_id")
            .starts_with("pl-"),
        "the S3 prefix list, for security group rules"
    );
    ws.assert_plan_clean(&emulator, "read back as planned");

    // In place: one route table fewer, and a policy narrower than AWS's
    // default. (The emulator adds no route for a table added later, then
    // fails the delete on it; so the update removes one.)
    ws.edit("main.tf", "route_table_ids   = aws_route_table.private[*].id", "route_table_ids   = [aws_route_table.private[0].id]\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Principal = \"*\", Action = \"s3:GetObject\", Resource = \"arn:aws:s3:::app/*\" }] })");
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    let (tables, policy) = endpoint(&emulator, &id).await;
    assert_eq!(tables, [first]);
    assert_eq!(policy["Statement"][0]["Action"], "s3:GetObject");
    assert_eq!(
        ws.state_attribute("aws_vpc_endpoint.s3", "id"),
        id,
        "changed in place"
    );
    ws.assert_plan_clean(&emulator, "nothing left to do");

    // Forgotten, then imported by its id: nothing to change.
    ws.forget_and_import(&emulator, "aws_vpc_endpoint.s3", &id);
    ws.assert_plan_clean(&emulator, "imported as configured");

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
    let left = emulator
        .ec2()
        .describe_vpc_endpoints()
        .send()
        .await
        .expect("endpoints");
    assert!(
        left.vpc_endpoints()
            .iter()
            .all(|e| e.vpc_endpoint_id() != Some(id.as_str())
                || e.state().map(|s| s.as_str().to_lowercase()) == Some("deleted".into())),
        "endpoint deleted"
    );
}

const ROUTE_STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.42.0.0/16"
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.42.0.0/24"
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_eip" "nat" {
  domain = "vpc"
}

resource "aws_nat_gateway" "main" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
}

# No inline routes: the aws_route resources own this table's routes.
resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route" "default" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.main.id
}

resource "aws_route" "office" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "192.168.0.0/16"
  gateway_id             = aws_internet_gateway.main.id

  timeouts {
    create = "2m"
  }
}
"#;

/// The table's routes other than `local`, as (destination, target).
async fn routes(emulator: &Emulator, table: &str) -> Vec<(String, String)> {
    let described = emulator
        .ec2()
        .describe_route_tables()
        .route_table_ids(table)
        .send()
        .await
        .expect("route tables");
    let mut out: Vec<(String, String)> = described
        .route_tables()
        .iter()
        .flat_map(|t| t.routes())
        .filter(|r| r.gateway_id() != Some("local"))
        .map(|r| {
            let target = r.gateway_id().or(r.nat_gateway_id()).unwrap_or_default();
            (
                r.destination_cidr_block().unwrap_or_default().to_string(),
                target.to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn standalone_routes_are_made_retargeted_and_imported() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(ROUTE_STACK);
    ws.apply_ok(&emulator);

    let table = ws.state_attribute("aws_route_table.private", "id");
    let igw = ws.state_attribute("aws_internet_gateway.main", "id");
    let nat = ws.state_attribute("aws_nat_gateway.main", "id");
    let id = ws.state_attribute("aws_route.default", "id");
    assert_eq!(id, format!("{table}_0.0.0.0/0"), "Terraform's import id");
    assert_eq!(ws.state_attribute("aws_route.default", "state"), "active");
    assert_eq!(
        routes(&emulator, &table).await,
        [
            ("0.0.0.0/0".to_string(), igw.clone()),
            ("192.168.0.0/16".to_string(), igw.clone()),
        ]
    );
    ws.assert_plan_clean(&emulator, "table and routes agree");

    // Another target changes the route in place; another destination makes
    // a new one.
    ws.edit(
        "main.tf",
        "  destination_cidr_block = \"0.0.0.0/0\"\n  gateway_id             = aws_internet_gateway.main.id",
        "  destination_cidr_block = \"0.0.0.0/0\"\n  nat_gateway_id         = aws_nat_gateway.main.id",
    );
    ws.edit("main.tf", "\"192.168.0.0/16\"", "\"172.16.0.0/12\"");
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("1 added, 1 changed, 1 destroyed"),
        "{}",
        apply.stdout
    );
    assert_eq!(
        routes(&emulator, &table).await,
        [
            ("0.0.0.0/0".to_string(), nat.clone()),
            ("172.16.0.0/12".to_string(), igw.clone()),
        ]
    );
    ws.assert_plan_clean(&emulator, "nothing left to do");

    // A route deleted behind terrane's back is made again.
    emulator
        .ec2()
        .delete_route()
        .route_table_id(&table)
        .destination_cidr_block("172.16.0.0/12")
        .send()
        .await
        .expect("delete route");
    let drift = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(drift.code, 2, "{}", drift.log());
    assert!(
        drift.stdout.contains("aws_route.office will be created"),
        "{}",
        drift.stdout
    );
    ws.apply_ok(&emulator);

    // Forgotten, then imported by Terraform's import id.
    ws.forget_and_import(&emulator, "aws_route.default", &id);
    ws.assert_plan_clean(&emulator, "imported as configured");

    // With the route resources gone from the configuration and `route = []`
    // in the table, the table owns its routes again: it has none.
    let (head, _) = ROUTE_STACK
        .split_once("resource \"aws_route\" \"default\"")
        .expect("the routes come last");
    ws.write(
        "main.tf",
        &head.replace(
            "resource \"aws_route_table\" \"private\" {\n  vpc_id = aws_vpc.main.id\n}",
            "resource \"aws_route_table\" \"private\" {\n  vpc_id = aws_vpc.main.id\n  route  = []\n}",
        ),
    );
    ws.apply_ok(&emulator);
    assert_eq!(routes(&emulator, &table).await, []);

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
}

/// A route table AWS reports still in use (DependencyViolation, injected
/// by the proxy: the emulator never refuses this delete) is retried for as
/// long as its `timeouts { delete }` allows, not the engine's five minutes.
#[tokio::test(flavor = "multi_thread")]
async fn a_delete_timeout_bounds_the_retries_of_an_object_in_use() {
    use crate::support::proxy::{Faults, Proxy};
    let emulator = Emulator::start();
    let ws = Workspace::with_main(
        r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.43.0.0/16"
}

resource "aws_route_table" "taken" {
  vpc_id = aws_vpc.main.id

  timeouts {
    delete = "3s"
  }
}
"#,
    );
    ws.apply_ok(&emulator);
    let proxy = Proxy::start(
        emulator.endpoint(),
        Faults {
            refuse: Some(Box::new(|call| {
                (call.operation == "DeleteRouteTable").then_some((
                    "DependencyViolation",
                    "The routeTable has dependencies and cannot be deleted.",
                ))
            })),
            ..Faults::default()
        },
    );
    let started = std::time::Instant::now();
    let destroy = ws.run_via(&emulator, &proxy.endpoint(), "destroy", &["--auto-approve"]);
    let took = started.elapsed();
    assert_eq!(destroy.code, 1, "{}", destroy.log());
    assert!(
        destroy.log().contains("aws_route_table.taken") && destroy.log().contains("dependencies"),
        "{}",
        destroy.log()
    );
    let tries = proxy
        .counts()
        .get(&("ec2".to_string(), "DeleteRouteTable".to_string()))
        .copied()
        .unwrap_or(0);
    assert!(tries >= 2, "retried while in use: {tries} tries");
    assert!(
        took < std::time::Duration::from_secs(60),
        "gave up after {took:?}, not soon after its 3 s delete timeout"
    );
}

/// An internet gateway made a moment ago may not be known to AWS yet when
/// its attach is sent (eventual consistency; the proxy answers the first
/// two attaches so, which the emulator never does): the attach is tried
/// again, and the gateway ends up attached.
#[test]
fn an_attach_aws_answers_with_an_unknown_gateway_is_tried_again() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::support::proxy::{Faults, Proxy};
    let emulator = Emulator::start();
    let ws = Workspace::with_main(
        r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.44.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}
"#,
    );
    let refused = AtomicUsize::new(0);
    let proxy = Proxy::start(
        emulator.endpoint(),
        Faults {
            refuse: Some(Box::new(move |call| {
                (call.operation == "AttachInternetGateway"
                    && refused.fetch_add(1, Ordering::SeqCst) < 2)
                    .then_some((
                        "InvalidInternetGatewayID.NotFound",
                        "The internetGateway ID does not exist",
                    ))
            })),
            ..Faults::default()
        },
    );
    let applied = ws.run_via(&emulator, &proxy.endpoint(), "apply", &["--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.log());
    let attaches = proxy
        .counts()
        .get(&("ec2".to_string(), "AttachInternetGateway".to_string()))
        .copied()
        .unwrap_or(0);
    assert_eq!(attaches, 3, "two refused, then accepted");
    assert_eq!(
        ws.state_attribute("aws_internet_gateway.gw", "vpc_id"),
        ws.state_attribute("aws_vpc.main", "id")
    );
    ws.assert_plan_clean(&emulator, "the gateway is attached as planned");
}
