//! S3 bucket lifecycle rules through the real binary against the emulator:
//! made, changed in place, read back clean, imported by the bucket's name
//! and destroyed, each step checked with S3's own answer.

use crate::support::Emulator;
use crate::support::cli::Workspace;

const STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "app" {
  bucket = "lifecycle-app"
}

resource "aws_s3_bucket_lifecycle_configuration" "app" {
  bucket = aws_s3_bucket.app.id

  rule {
    id     = "logs"
    status = "Enabled"

    filter {
      prefix = "logs/"
    }

    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }

    expiration {
      days = 90
    }
  }

  rule {
    id     = "versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}
"#;

/// Each rule S3 holds for the bucket, as (id, status, expiration days).
async fn rules(emulator: &Emulator) -> Vec<(String, String, Option<i32>)> {
    let got = emulator
        .s3()
        .get_bucket_lifecycle_configuration()
        .bucket("lifecycle-app")
        .send()
        .await
        .expect("lifecycle configuration");
    got.rules()
        .iter()
        .map(|r| {
            (
                r.id().unwrap_or_default().to_string(),
                r.status().as_str().to_string(),
                r.expiration().and_then(|e| e.days()),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_rules_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write("main.tf", STACK);
    let apply = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());
    assert_eq!(
        rules(&emulator).await,
        [
            ("logs".to_string(), "Enabled".to_string(), Some(90)),
            ("versions".to_string(), "Enabled".to_string(), None),
        ]
    );
    let clean = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "read back as planned:\n{}", clean.log());

    // In place: a longer retention, the versions rule switched off.
    ws.edit("main.tf", "days = 90", "days = 365");
    ws.edit(
        "main.tf",
        "id     = \"versions\"\n    status = \"Enabled\"",
        "id     = \"versions\"\n    status = \"Disabled\"",
    );
    let apply = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());
    assert!(
        apply.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    assert_eq!(
        rules(&emulator).await,
        [
            ("logs".to_string(), "Enabled".to_string(), Some(365)),
            ("versions".to_string(), "Disabled".to_string(), None),
        ]
    );
    let clean = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.log());

    // Forgotten, then imported by the bucket's name: nothing to change.
    ws.forget_and_import(
        &emulator,
        "aws_s3_bucket_lifecycle_configuration.app",
        "lifecycle-app",
    );
    let clean = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "imported as configured:\n{}", clean.log());

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
    assert!(
        emulator
            .s3()
            .head_bucket()
            .bucket("lifecycle-app")
            .send()
            .await
            .is_err(),
        "bucket deleted"
    );
}

const OBJECTS: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "site" {
  bucket        = "objects-site"
  force_destroy = true
}

resource "aws_s3_bucket_versioning" "site" {
  bucket = aws_s3_bucket.site.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_object" "index" {
  bucket        = aws_s3_bucket.site.id
  key           = "pages/index.html"
  content       = "<h1>one</h1>"
  content_type  = "text/html"
  cache_control = "max-age=60"
  metadata = {
    owner = "web"
  }
  tags = {
    Team = "web"
  }
  depends_on = [aws_s3_bucket_versioning.site]
}

resource "aws_s3_object" "logo" {
  bucket = aws_s3_bucket.site.id
  key    = "logo.txt"
  source = "${path.module}/logo.txt"
  etag   = filemd5("${path.module}/logo.txt")
}
"#;

async fn object_text(emulator: &Emulator, key: &str) -> (String, Option<String>, Option<String>) {
    let got = emulator
        .s3()
        .get_object()
        .bucket("objects-site")
        .key(key)
        .send()
        .await
        .expect("get object");
    let content_type = got.content_type().map(String::from);
    let cache_control = got.cache_control().map(String::from);
    let body = got.body.collect().await.expect("body").into_bytes();
    (
        String::from_utf8(body.to_vec()).expect("text"),
        content_type,
        cache_control,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_are_written_rewritten_retagged_and_deleted_with_their_versions() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write("main.tf", OBJECTS);
    ws.write("logo.txt", "LOGO v1\n");
    ws.apply_ok(&emulator);

    assert_eq!(
        object_text(&emulator, "pages/index.html").await,
        (
            "<h1>one</h1>".to_string(),
            Some("text/html".to_string()),
            Some("max-age=60".to_string())
        )
    );
    assert_eq!(object_text(&emulator, "logo.txt").await.0, "LOGO v1\n");
    let head = s3
        .head_object()
        .bucket("objects-site")
        .key("pages/index.html")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("owner"))
            .map(String::as_str),
        Some("web")
    );
    let tags = s3
        .get_object_tagging()
        .bucket("objects-site")
        .key("pages/index.html")
        .send()
        .await
        .expect("tags");
    assert_eq!(
        tags.tag_set()
            .iter()
            .map(|t| (t.key(), t.value()))
            .collect::<Vec<_>>(),
        [("Team", "web")]
    );
    ws.assert_plan_clean(&emulator, "read back as written");

    // A new body (and a new file behind `source`) writes the object again.
    ws.edit("main.tf", "<h1>one</h1>", "<h1>two</h1>");
    ws.write("logo.txt", "LOGO v2\n");
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout.contains("0 to add, 2 to change, 0 to destroy")
            && plan.stdout.matches("version_id = ").count() == 2
            && plan.stdout.matches("-> (known after apply)").count() == 3,
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    assert_eq!(
        object_text(&emulator, "pages/index.html").await.0,
        "<h1>two</h1>"
    );
    assert_eq!(object_text(&emulator, "logo.txt").await.0, "LOGO v2\n");
    ws.assert_plan_clean(&emulator, "rewritten as planned");

    // Tags alone: one tagging call, no new version.
    let versions_before = s3
        .list_object_versions()
        .bucket("objects-site")
        .prefix("pages/index.html")
        .send()
        .await
        .expect("versions")
        .versions()
        .len();
    ws.edit("main.tf", r#"Team = "web""#, r#"Team = "frontend""#);
    ws.apply_ok(&emulator);
    let versions = s3
        .list_object_versions()
        .bucket("objects-site")
        .prefix("pages/index.html")
        .send()
        .await
        .expect("versions");
    assert_eq!(versions.versions().len(), versions_before, "no new version");
    assert_eq!(versions_before, 2, "the rewrite made a second version");
    ws.assert_plan_clean(&emulator, "retagged");

    // Imported by Terraform's id: only the body, which no read returns,
    // is left to write (as after Terraform's own import).
    ws.forget_and_import(
        &emulator,
        "aws_s3_object.index",
        "objects-site/pages/index.html",
    );
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout.contains("~ content")
            && plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.log()
    );

    // Deleting the object deletes every version of its key.
    let text = std::fs::read_to_string(ws.stack.join("main.tf")).expect("stack");
    let start = text
        .find("resource \"aws_s3_object\" \"index\"")
        .expect("index");
    let end = start + text[start..].find("\n}\n").expect("its end") + 3;
    ws.write("main.tf", &format!("{}{}", &text[..start], &text[end..]));
    ws.apply_ok(&emulator);
    let versions = s3
        .list_object_versions()
        .bucket("objects-site")
        .prefix("pages/index.html")
        .send()
        .await
        .expect("versions");
    assert!(
        versions.versions().is_empty() && versions.delete_markers().is_empty(),
        "{versions:?}"
    );
    ws.destroy_ok(&emulator);
    let left = s3.list_buckets().send().await.expect("buckets");
    assert!(left.buckets().is_empty());
}

const LEGACY_BUCKET: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "legacy" {
  bucket = "legacy-inline"

  versioning {
    enabled = true
  }

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "AES256"
      }
    }
  }

  lifecycle_rule {
    id                                     = "logs"
    prefix                                 = "logs/"
    enabled                                = true
    abort_incomplete_multipart_upload_days = 7

    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }

    expiration {
      days = 90
    }

    noncurrent_version_expiration {
      days = 30
    }
  }

  lifecycle_rule {
    enabled = false
    tags = {
      kind = "tmp"
    }

    expiration {
      date = "2030-01-01"
    }
  }
}

resource "aws_s3_bucket" "locked" {
  bucket              = "legacy-locked"
  object_lock_enabled = true
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_s_object_lock_and_legacy_inline_versioning_encryption_and_lifecycle_are_applied()
{
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write("main.tf", LEGACY_BUCKET);
    ws.apply_ok(&emulator);
    let versioning = |s3: aws_sdk_s3::Client| async move {
        crate::provider_edge::versioning_status(&s3, "legacy-inline").await
    };
    assert_eq!(versioning(s3.clone()).await.as_deref(), Some("Enabled"));
    let encryption = s3
        .get_bucket_encryption()
        .bucket("legacy-inline")
        .send()
        .await
        .expect("encryption");
    let algorithm = encryption
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .map(|d| d.sse_algorithm().as_str().to_string());
    assert_eq!(algorithm.as_deref(), Some("AES256"));
    let lifecycle = |s3: aws_sdk_s3::Client| async move {
        s3.get_bucket_lifecycle_configuration()
            .bucket("legacy-inline")
            .send()
            .await
            .expect("lifecycle")
            .rules
            .unwrap_or_default()
    };
    let rules = lifecycle(s3.clone()).await;
    assert_eq!(rules.len(), 2, "{rules:?}");
    let logs = &rules[0];
    assert_eq!(logs.id(), Some("logs"));
    assert_eq!(logs.filter().and_then(|f| f.prefix()), Some("logs/"));
    assert_eq!(logs.expiration().and_then(|e| e.days()), Some(90));
    assert_eq!(
        logs.abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation()),
        Some(7)
    );
    assert_eq!(
        logs.transitions()
            .iter()
            .map(|t| (t.days(), t.storage_class().map(|c| c.as_str())))
            .collect::<Vec<_>>(),
        [(Some(30), Some("STANDARD_IA"))]
    );
    let tmp = &rules[1];
    assert!(
        tmp.id()
            .is_some_and(|id| id.starts_with("tf-s3-lifecycle-")),
        "a rule without an id is given one: {tmp:?}"
    );
    assert_eq!(tmp.status().as_str(), "Disabled");
    let tags: Vec<(&str, &str)> = tmp
        .filter()
        .and_then(|f| f.and())
        .map(|a| a.tags().iter().map(|t| (t.key(), t.value())).collect())
        .unwrap_or_default();
    assert_eq!(tags, [("kind", "tmp")]);
    let lock = s3
        .get_object_lock_configuration()
        .bucket("legacy-locked")
        .send()
        .await
        .expect("object lock");
    assert_eq!(
        lock.object_lock_configuration()
            .and_then(|c| c.object_lock_enabled())
            .map(|e| e.as_str()),
        Some("Enabled")
    );
    ws.assert_plan_clean(&emulator, "written as planned");
    let generated = tmp.id().map(String::from);

    ws.edit("main.tf", "days = 90", "days = 120");
    ws.edit("main.tf", "enabled = true", "enabled = false");
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    assert_eq!(
        versioning(s3.clone()).await.as_deref(),
        Some("Suspended"),
        "versioning once enabled can only be suspended"
    );
    let rules = lifecycle(s3.clone()).await;
    assert_eq!(rules[0].expiration().and_then(|e| e.days()), Some(120));
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert_eq!(
        rules[1].id().map(String::from),
        generated,
        "the generated id is kept"
    );
    ws.assert_plan_clean(&emulator, "suspended");

    // Imported by name, the bucket's object lock reads back.
    ws.forget_and_import(&emulator, "aws_s3_bucket.locked", "legacy-locked");
    ws.assert_plan_clean(&emulator, "imported with object lock");

    // Object lock is set only as a bucket is made.
    ws.edit(
        "main.tf",
        "object_lock_enabled = true",
        "object_lock_enabled = false",
    );
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout
            .contains("aws_s3_bucket.locked must be replaced"),
        "{}",
        plan.log()
    );
    ws.destroy_ok(&emulator);
}
