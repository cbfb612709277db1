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
