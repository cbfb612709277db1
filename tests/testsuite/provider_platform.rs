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

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
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

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
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

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
    let left = acm.list_certificates().send().await.expect("certificates");
    assert!(left.certificate_summary_list().is_empty(), "{left:?}");
}
