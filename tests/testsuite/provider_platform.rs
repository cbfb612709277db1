//! KMS keys and aliases, CloudWatch log groups, DynamoDB tables and ACM
//! certificates through the real binary against the emulator. Each is
//! made, changed in place or replaced as Terraform does, read back clean,
//! imported by Terraform's id and destroyed, every step checked with AWS's
//! own answers.

use crate::support::Emulator;
use crate::support::cli::Workspace;

const KEYS_AND_LOGS: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_kms_key" "logs" {
  description             = "log encryption"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  tags = {
    Team = "ops"
  }
}

resource "aws_kms_key" "spare" {
  description = "spare"
}

resource "aws_kms_alias" "logs" {
  name          = "alias/logs"
  target_key_id = aws_kms_key.logs.key_id
}

resource "aws_cloudwatch_log_group" "eks" {
  name              = "/aws/eks/shop/cluster"
  retention_in_days = 7
  kms_key_id        = aws_kms_key.logs.arn
  tags = {
    Team = "ops"
  }
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn keys_aliases_and_log_groups_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(KEYS_AND_LOGS);
    ws.apply_ok(&emulator);
    let (kms, logs) = (emulator.kms(), emulator.logs());
    let key = ws.state_attribute("aws_kms_key.logs", "id");
    let spare = ws.state_attribute("aws_kms_key.spare", "id");
    let described = kms.describe_key().key_id(&key).send().await.expect("key");
    let metadata = described.key_metadata().expect("metadata");
    assert_eq!(metadata.description(), Some("log encryption"));
    assert!(metadata.enabled());
    let rotation = kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .expect("rotation");
    assert!(rotation.key_rotation_enabled());
    let tags = kms
        .list_resource_tags()
        .key_id(&key)
        .send()
        .await
        .expect("tags");
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.tag_key() == "Team" && t.tag_value() == "ops")
    );
    let target_of = |name: &'static str| {
        let kms = kms.clone();
        async move {
            let aliases = kms.list_aliases().send().await.expect("aliases");
            aliases
                .aliases()
                .iter()
                .find(|a| a.alias_name() == Some(name))
                .and_then(|a| a.target_key_id().map(str::to_string))
        }
    };
    assert_eq!(target_of("alias/logs").await.as_deref(), Some(key.as_str()));
    let group = |logs: aws_sdk_cloudwatchlogs::Client| async move {
        let groups = logs
            .describe_log_groups()
            .log_group_name_prefix("/aws/eks/shop/cluster")
            .send()
            .await
            .expect("log groups");
        groups.log_groups().first().cloned()
    };
    let found = group(logs.clone()).await.expect("the log group");
    assert_eq!(found.retention_in_days(), Some(7));
    assert_eq!(
        found.kms_key_id(),
        Some(ws.state_attribute("aws_kms_key.logs", "arn").as_str())
    );
    ws.assert_plan_clean(&emulator, "nothing left to do");

    // In place: the key's description, rotation and tags; the alias moves
    // to the other key (named by ARN, compared as its id); the group's
    // retention.
    ws.edit("main.tf", "\"log encryption\"", "\"logs\"");
    ws.edit(
        "main.tf",
        "enable_key_rotation     = true",
        "enable_key_rotation     = false",
    );
    ws.edit(
        "main.tf",
        "Team = \"ops\"\n  }\n}\n\nresource \"aws_kms_key\" \"spare\"",
        "Team = \"platform\"\n  }\n}\n\nresource \"aws_kms_key\" \"spare\"",
    );
    ws.edit(
        "main.tf",
        "aws_kms_key.logs.key_id",
        "aws_kms_key.spare.arn",
    );
    ws.edit("main.tf", "retention_in_days = 7", "retention_in_days = 30");
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 3 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    let described = kms.describe_key().key_id(&key).send().await.expect("key");
    assert_eq!(
        described.key_metadata().and_then(|m| m.description()),
        Some("logs")
    );
    let rotation = kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .expect("rotation");
    assert!(!rotation.key_rotation_enabled());
    let tags = kms
        .list_resource_tags()
        .key_id(&key)
        .send()
        .await
        .expect("tags");
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.tag_key() == "Team" && t.tag_value() == "platform")
    );
    assert_eq!(
        target_of("alias/logs").await.as_deref(),
        Some(spare.as_str())
    );
    let found = group(logs.clone()).await.expect("the log group");
    assert_eq!(found.retention_in_days(), Some(30));
    ws.assert_plan_clean(&emulator, "changed in place as configured");

    // Imported by Terraform's ids: the key id, the alias name, the group name.
    ws.forget_and_import(&emulator, "aws_kms_key.logs", &key);
    ws.forget_and_import(&emulator, "aws_kms_alias.logs", "alias/logs");
    ws.forget_and_import(
        &emulator,
        "aws_cloudwatch_log_group.eks",
        "/aws/eks/shop/cluster",
    );
    // The deletion window lives only in state (KMS does not report it): as
    // in Terraform, the plan after an import records it in place.
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout
            .contains("~ deletion_window_in_days = null -> 7")
            && plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    ws.assert_plan_clean(&emulator, "imported as configured");

    // A new name makes a new group.
    ws.edit(
        "main.tf",
        "/aws/eks/shop/cluster",
        "/aws/eks/shop/control-plane",
    );
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        apply.stdout
    );

    ws.destroy_ok(&emulator);
    // KMS keeps a key for its deletion window.
    for id in [&key, &spare] {
        let described = kms.describe_key().key_id(id).send().await.expect("key");
        assert_eq!(
            described
                .key_metadata()
                .and_then(|m| m.key_state())
                .map(|s| s.as_str()),
            Some("PendingDeletion")
        );
    }
    assert_eq!(target_of("alias/logs").await, None);
    let groups = logs.describe_log_groups().send().await.expect("log groups");
    assert!(groups.log_groups().is_empty(), "{groups:?}");
}

const TABLES: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_dynamodb_table" "locks" {
  name         = "terraform-locks"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = {
    Purpose = "locks"
  }
}

resource "aws_dynamodb_table" "orders" {
  name           = "orders"
  read_capacity  = 5
  write_capacity = 5
  hash_key       = "pk"
  range_key      = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  attribute {
    name = "status"
    type = "S"
  }

  global_secondary_index {
    name            = "by-status"
    hash_key        = "status"
    projection_type = "KEYS_ONLY"
    read_capacity   = 5
    write_capacity  = 5
  }

  ttl {
    attribute_name = "expires"
    enabled        = true
  }

  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn tables_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(TABLES);
    ws.apply_ok(&emulator);
    let dynamodb = emulator.dynamodb();
    let describe = |name: &'static str| {
        let dynamodb = dynamodb.clone();
        async move {
            dynamodb
                .describe_table()
                .table_name(name)
                .send()
                .await
                .expect("table")
                .table
                .expect("description")
        }
    };
    let locks = describe("terraform-locks").await;
    assert_eq!(
        locks
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|m| m.as_str()),
        Some("PAY_PER_REQUEST")
    );
    let recovery = dynamodb
        .describe_continuous_backups()
        .table_name("terraform-locks")
        .send()
        .await
        .expect("backups");
    let status = recovery
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status())
        .map(|s| s.as_str().to_string());
    assert_eq!(status.as_deref(), Some("ENABLED"));
    let orders = describe("orders").await;
    let keys: Vec<(&str, &str)> = orders
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(keys, [("pk", "HASH"), ("sk", "RANGE")]);
    let indexes: Vec<&str> = orders
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    assert_eq!(indexes, ["by-status"]);
    assert!(
        orders
            .stream_specification()
            .is_some_and(|s| s.stream_enabled())
    );
    let ttl = dynamodb
        .describe_time_to_live()
        .table_name("orders")
        .send()
        .await
        .expect("ttl");
    let ttl = ttl.time_to_live_description().expect("ttl");
    assert_eq!(ttl.attribute_name(), Some("expires"));
    ws.assert_plan_clean(&emulator, "nothing left to do");

    // In place: capacity, a second global index, time to live off, the
    // lock table's tags and deletion protection.
    ws.edit(
        "main.tf",
        "read_capacity  = 5\n  write_capacity = 5",
        "read_capacity  = 10\n  write_capacity = 10",
    );
    ws.edit(
        "main.tf",
        "  ttl {\n    attribute_name = \"expires\"\n    enabled        = true\n  }",
        "  attribute {\n    name = \"customer\"\n    type = \"S\"\n  }\n\n  global_secondary_index {\n    name            = \"by-customer\"\n    hash_key        = \"customer\"\n    projection_type = \"ALL\"\n    read_capacity   = 5\n    write_capacity  = 5\n  }\n\n  ttl {\n    enabled = false\n  }",
    );
    ws.edit(
        "main.tf",
        "Purpose = \"locks\"",
        "Purpose = \"state-locks\"",
    );
    ws.edit(
        "main.tf",
        "hash_key     = \"LockID\"",
        "hash_key     = \"LockID\"\n  deletion_protection_enabled = true",
    );
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 2 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    let orders = describe("orders").await;
    assert_eq!(
        orders
            .provisioned_throughput()
            .and_then(|t| t.read_capacity_units()),
        Some(10)
    );
    let mut indexes: Vec<&str> = orders
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    indexes.sort();
    assert_eq!(indexes, ["by-customer", "by-status"]);
    let locks = describe("terraform-locks").await;
    assert_eq!(locks.deletion_protection_enabled(), Some(true));
    let tags = dynamodb
        .list_tags_of_resource()
        .resource_arn(locks.table_arn().expect("arn"))
        .send()
        .await
        .expect("tags");
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "Purpose" && t.value() == "state-locks")
    );
    ws.assert_plan_clean(&emulator, "changed in place as configured");

    // Deletion protection holds: a destroy fails until it is lifted.
    let refused = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.log());
    assert!(describe("terraform-locks").await.table_name().is_some());
    ws.edit(
        "main.tf",
        "deletion_protection_enabled = true",
        "deletion_protection_enabled = false",
    );
    ws.apply_ok(&emulator);

    // Imported by name.
    ws.forget_and_import(&emulator, "aws_dynamodb_table.locks", "terraform-locks");
    ws.forget_and_import(&emulator, "aws_dynamodb_table.orders", "orders");
    ws.assert_plan_clean(&emulator, "imported as configured");

    // Another sort key makes a new table.
    ws.edit(
        "main.tf",
        "range_key      = \"sk\"",
        "range_key      = \"placed\"",
    );
    ws.edit("main.tf", "name = \"sk\"", "name = \"placed\"");
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        apply.stdout
    );
    let orders = describe("orders").await;
    assert!(
        orders
            .key_schema()
            .iter()
            .any(|k| k.attribute_name() == "placed")
    );

    ws.destroy_ok(&emulator);
    let left = dynamodb.list_tables().send().await.expect("tables");
    assert!(left.table_names().is_empty(), "{left:?}");
}

const CERTIFICATE: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_route53_zone" "shop" {
  name = "shop.example.com"
}

resource "aws_acm_certificate" "shop" {
  domain_name               = "shop.example.com"
  subject_alternative_names = ["api.shop.example.com"]
  validation_method         = "DNS"
  tags = {
    Team = "web"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for dvo in aws_acm_certificate.shop.domain_validation_options : dvo.domain_name => {
      name   = dvo.resource_record_name
      record = dvo.resource_record_value
      type   = dvo.resource_record_type
    }
  }
  zone_id = aws_route53_zone.shop.zone_id
  name    = each.value.name
  type    = each.value.type
  ttl     = 60
  records = [each.value.record]
}

resource "aws_acm_certificate_validation" "shop" {
  certificate_arn         = aws_acm_certificate.shop.arn
  validation_record_fqdns = [for record in aws_route53_record.validation : record.fqdn]
}
"#;

/// The classic DNS validation: the plan knows which names need a record
/// before the certificate exists (so `for_each` plans), apply writes the
/// records and waits until ACM issues the certificate.
#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_is_validated_through_dns_records() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(CERTIFICATE);
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert_eq!(plan.code, 0, "{}", plan.log());
    for address in [
        "aws_route53_record.validation[\"shop.example.com\"] will be created",
        "aws_route53_record.validation[\"api.shop.example.com\"] will be created",
    ] {
        assert!(plan.stdout.contains(address), "{address}:\n{}", plan.stdout);
    }
    ws.apply_ok(&emulator);
    let arn = ws.state_attribute("aws_acm_certificate.shop", "id");
    let acm = emulator.acm();
    let described = acm
        .describe_certificate()
        .certificate_arn(&arn)
        .send()
        .await
        .expect("certificate");
    let cert = described.certificate().expect("certificate");
    assert_eq!(cert.status().map(|s| s.as_str()), Some("ISSUED"));
    assert_eq!(
        ws.state_attribute("aws_acm_certificate_validation.shop", "id"),
        arn
    );
    // Each record ACM asked for is in the zone.
    let zone = ws.state_attribute("aws_route53_zone.shop", "id");
    let records = emulator
        .route53()
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .expect("records");
    for option in cert.domain_validation_options() {
        let wanted = option.resource_record().expect("a DNS record");
        assert!(
            records
                .resource_record_sets()
                .iter()
                .any(|r| r.name() == wanted.name() && r.r#type().as_str() == "CNAME"),
            "{} is in the zone",
            wanted.name()
        );
    }
    ws.assert_plan_clean(&emulator, "nothing left to do");

    // Tags change in place.
    ws.edit("main.tf", "Team = \"web\"", "Team = \"edge\"");
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    let tags = acm
        .list_tags_for_certificate()
        .certificate_arn(&arn)
        .send()
        .await
        .expect("tags");
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "Team" && t.value() == Some("edge"))
    );

    // Imported by ARN, the certificate and its validation alike.
    ws.forget_and_import(&emulator, "aws_acm_certificate.shop", &arn);
    ws.forget_and_import(&emulator, "aws_acm_certificate_validation.shop", &arn);
    // Terraform cannot import the validation at all. terrane can, but the
    // record names it was given live only in state: the plan after the
    // import records them by replacing the validation, which is only a
    // look at the issued certificate.
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout
            .contains("aws_acm_certificate_validation.shop must be replaced")
            && plan.stdout.contains("1 to add, 0 to change, 1 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    ws.assert_plan_clean(&emulator, "imported as configured");

    ws.destroy_ok(&emulator);
    let left = acm.list_certificates().send().await.expect("certificates");
    assert!(left.certificate_summary_list().is_empty(), "{left:?}");
}

const BUCKET_SETTINGS: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "app" {
  bucket = "shop-assets"
}

resource "aws_s3_bucket" "logs" {
  bucket = "shop-access-logs"
}

# S3 writes access logs only where the target bucket's policy lets it.
resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "logging.s3.amazonaws.com" }
      Action    = ["s3:PutObject"]
      Resource  = "${aws_s3_bucket.logs.arn}/*"
    }]
  })
}

resource "aws_s3_bucket_policy" "app" {
  bucket = aws_s3_bucket.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecure"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["${aws_s3_bucket.app.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

resource "aws_s3_bucket_ownership_controls" "app" {
  bucket = aws_s3_bucket.app.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_cors_configuration" "app" {
  bucket = aws_s3_bucket.app.id
  cors_rule {
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = ["https://shop.example.com"]
    max_age_seconds = 300
  }
}

resource "aws_s3_bucket_logging" "app" {
  bucket        = aws_s3_bucket.app.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "assets/"

  depends_on = [aws_s3_bucket_policy.logs]
}
"#;

/// A bucket's policy, ownership controls, CORS rules and access logging:
/// made, changed in place, imported by the bucket's name and removed.
#[tokio::test(flavor = "multi_thread")]
async fn bucket_settings_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(BUCKET_SETTINGS);
    ws.apply_ok(&emulator);
    let s3 = emulator.s3();
    let policy = s3
        .get_bucket_policy()
        .bucket("shop-assets")
        .send()
        .await
        .expect("policy");
    assert!(policy.policy().is_some_and(|p| p.contains("DenyInsecure")));
    let ownership = s3
        .get_bucket_ownership_controls()
        .bucket("shop-assets")
        .send()
        .await
        .expect("ownership controls");
    let rule = &ownership.ownership_controls().expect("controls").rules()[0];
    assert_eq!(rule.object_ownership().as_str(), "BucketOwnerEnforced");
    let cors = s3
        .get_bucket_cors()
        .bucket("shop-assets")
        .send()
        .await
        .expect("cors");
    assert_eq!(cors.cors_rules()[0].max_age_seconds(), Some(300));
    let logging = s3
        .get_bucket_logging()
        .bucket("shop-assets")
        .send()
        .await
        .expect("logging");
    let enabled = logging.logging_enabled().expect("logging is on");
    assert_eq!(
        (enabled.target_bucket(), enabled.target_prefix()),
        ("shop-access-logs", "assets/")
    );
    ws.assert_plan_clean(&emulator, "nothing left to do");

    // Each changes in place.
    ws.edit("main.tf", "DenyInsecure", "DenyPlainHttp");
    ws.edit("main.tf", "BucketOwnerEnforced", "BucketOwnerPreferred");
    ws.edit("main.tf", "max_age_seconds = 300", "max_age_seconds = 600");
    ws.edit("main.tf", "\"assets/\"", "\"assets/v2/\"");
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 4 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    let policy = s3
        .get_bucket_policy()
        .bucket("shop-assets")
        .send()
        .await
        .expect("policy");
    assert!(policy.policy().is_some_and(|p| p.contains("DenyPlainHttp")));
    let cors = s3
        .get_bucket_cors()
        .bucket("shop-assets")
        .send()
        .await
        .expect("cors");
    assert_eq!(cors.cors_rules()[0].max_age_seconds(), Some(600));
    let logging = s3
        .get_bucket_logging()
        .bucket("shop-assets")
        .send()
        .await
        .expect("logging");
    assert_eq!(
        logging.logging_enabled().map(|l| l.target_prefix()),
        Some("assets/v2/")
    );
    ws.assert_plan_clean(&emulator, "changed in place as configured");

    for address in [
        "aws_s3_bucket_policy.app",
        "aws_s3_bucket_ownership_controls.app",
        "aws_s3_bucket_cors_configuration.app",
        "aws_s3_bucket_logging.app",
    ] {
        ws.forget_and_import(&emulator, address, "shop-assets");
    }
    ws.assert_plan_clean(&emulator, "imported as configured");

    // Removing the blocks takes the settings off the bucket.
    let kept = BUCKET_SETTINGS
        .split("resource \"aws_s3_bucket_policy\" \"app\"")
        .next()
        .expect("the buckets");
    ws.write("main.tf", kept);
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 0 changed, 4 destroyed"),
        "{}",
        apply.stdout
    );
    assert!(
        s3.get_bucket_policy()
            .bucket("shop-assets")
            .send()
            .await
            .is_err()
    );
    assert!(
        s3.get_bucket_cors()
            .bucket("shop-assets")
            .send()
            .await
            .is_err()
    );
    let logging = s3
        .get_bucket_logging()
        .bucket("shop-assets")
        .send()
        .await
        .expect("logging");
    assert!(logging.logging_enabled().is_none());
}

const IRSA_AND_TLS: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_iam_openid_connect_provider" "eks" {
  url             = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
  tags = {
    Team = "platform"
  }
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

resource "aws_lb" "web" {
  name    = "web"
  subnets = [aws_subnet.a.id, aws_subnet.b.id]
}

resource "aws_lb_target_group" "web" {
  name     = "web"
  port     = 80
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}

resource "aws_acm_certificate" "main" {
  domain_name       = "shop.example.com"
  validation_method = "DNS"
}

resource "aws_acm_certificate" "extra" {
  domain_name       = "api.example.com"
  validation_method = "DNS"
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.web.arn
  port              = 443
  protocol          = "HTTPS"
  certificate_arn   = aws_acm_certificate.main.arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }
}

resource "aws_lb_listener_certificate" "extra" {
  listener_arn    = aws_lb_listener.https.arn
  certificate_arn = aws_acm_certificate.extra.arn
}
"#;

/// An OIDC provider for IRSA (client ids and thumbprints change in place)
/// and a second certificate on an HTTPS listener, each imported by
/// Terraform's id; then the certificate is found by the data source.
#[tokio::test(flavor = "multi_thread")]
async fn oidc_providers_and_listener_certificates_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(IRSA_AND_TLS);
    ws.apply_ok(&emulator);
    let iam = emulator.iam();
    let arn = ws.state_attribute("aws_iam_openid_connect_provider.eks", "id");
    let provider = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .expect("provider");
    assert_eq!(provider.client_id_list(), ["sts.amazonaws.com"]);
    let listener = ws.state_attribute("aws_lb_listener.https", "id");
    let extra = ws.state_attribute("aws_acm_certificate.extra", "id");
    let served = |emulator: &Emulator| {
        let elb = emulator.elbv2();
        let listener = listener.clone();
        async move {
            let listed = elb
                .describe_listener_certificates()
                .listener_arn(&listener)
                .send()
                .await
                .expect("listener certificates");
            listed
                .certificates()
                .iter()
                .filter(|c| c.is_default() != Some(true))
                .filter_map(|c| c.certificate_arn().map(str::to_string))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(served(&emulator).await, std::slice::from_ref(&extra));
    assert_eq!(
        ws.state_attribute("aws_lb_listener_certificate.extra", "id"),
        format!("{listener}_{extra}")
    );
    ws.assert_plan_clean(&emulator, "nothing left to do");

    // Thumbprints and tags change in place. (Client ids do too, through
    // Add/RemoveClientIDToOpenIDConnectProvider, which the emulator lacks:
    // untested here.)
    ws.edit("main.tf", "Team = \"platform\"", "Team = \"identity\"");
    ws.edit(
        "main.tf",
        "9e99a48a9960b14926bb7f3b02e22da2b0ab7280",
        "06b25927c42a721631c1efd9431e648fa62e1e39",
    );
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    let provider = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .expect("provider");
    assert!(
        provider
            .tags()
            .iter()
            .any(|t| t.key() == "Team" && t.value() == "identity")
    );
    assert_eq!(
        provider.thumbprint_list(),
        ["06b25927c42a721631c1efd9431e648fa62e1e39"]
    );

    ws.forget_and_import(&emulator, "aws_iam_openid_connect_provider.eks", &arn);
    ws.forget_and_import(
        &emulator,
        "aws_lb_listener_certificate.extra",
        &format!("{listener}_{extra}"),
    );
    ws.assert_plan_clean(&emulator, "imported as configured");

    // The data source finds the certificate of one domain, issued.
    ws.write(
        "lookup.tf",
        r#"
data "aws_acm_certificate" "api" {
  domain      = "api.example.com"
  statuses    = ["ISSUED", "PENDING_VALIDATION"]
  most_recent = true
}

output "api_certificate" {
  value = data.aws_acm_certificate.api.arn
}
"#,
    );
    ws.apply_ok(&emulator);
    let output = ws.run(&emulator, "output", &["api_certificate", "--json"]);
    assert_eq!(output.code, 0, "{}", output.log());
    assert_eq!(output.stdout.trim(), format!("\"{extra}\""));

    ws.destroy_ok(&emulator);
    let providers = iam
        .list_open_id_connect_providers()
        .send()
        .await
        .expect("providers");
    assert!(providers.open_id_connect_provider_list().is_empty());
}

/// A record set is made with CREATE, which Route53 refuses when someone
/// else's record set has that name and type (Terraform's default); with
/// `allow_overwrite = true`, with UPSERT, which takes it over. The
/// emulator lets a CREATE replace a different record set, so the refusal
/// itself cannot be shown here: the test checks the action sent.
#[tokio::test(flavor = "multi_thread")]
async fn records_are_created_not_overwritten_unless_allowed() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(
        r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_route53_zone" "shop" {
  name = "shop.example.com"
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.shop.zone_id
  name    = "www.shop.example.com"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.2"]
}

resource "aws_route53_record" "api" {
  zone_id         = aws_route53_zone.shop.zone_id
  name            = "api.shop.example.com"
  type            = "A"
  ttl             = 60
  records         = ["192.0.2.3"]
  allow_overwrite = true
}
"#,
    );
    ws.apply_ok(&emulator);
    let sent = |name: &str| -> Vec<String> {
        emulator
            .request_bodies()
            .iter()
            .filter(|body| body.contains(name) && body.contains("<Action>"))
            .filter_map(|body| {
                let start = body.find("<Action>")? + "<Action>".len();
                let end = body[start..].find('<')? + start;
                Some(body[start..end].to_string())
            })
            .collect()
    };
    assert_eq!(sent("www.shop.example.com"), ["CREATE"]);
    assert_eq!(sent("api.shop.example.com"), ["UPSERT"]);
    ws.assert_plan_clean(&emulator, "allow_overwrite lives in state and plans clean");
}
