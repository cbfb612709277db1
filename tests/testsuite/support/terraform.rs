//! Pointing terraform's aws provider at a loopback endpoint (the emulator
//! or the proxy): an override file's provider block, which only terraform
//! reads. terrane takes the endpoint from `AWS_ENDPOINT_URL` instead.

/// A `provider "aws"` block (with `alias`, when given) that sends every
/// service terrane's stacks use to `endpoint`, with the emulator's test
/// credentials and no account lookups.
pub fn provider_override(endpoint: &str, alias: Option<&str>) -> String {
    let services = [
        "autoscaling",
        "ec2",
        "eks",
        "elbv2",
        "iam",
        "route53",
        "s3",
        "sts",
        "wafv2",
    ]
    .iter()
    .map(|s| format!("    {s} = \"{endpoint}\"\n"))
    .collect::<String>();
    let alias = alias.map_or(String::new(), |a| format!("  alias = \"{a}\"\n"));
    format!(
        "provider \"aws\" {{\n{alias}  access_key                  = \"test\"\n  secret_key                  = \"test\"\n  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n  s3_use_path_style           = true\n  endpoints {{\n{services}  }}\n}}\n"
    )
}
