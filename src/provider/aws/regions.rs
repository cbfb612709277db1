//! The AWS regions terrane knows, to catch a mistyped region before any
//! call (on AWS a wrong region is a DNS failure far from its cause), as
//! Terraform's provider does. A region newer than this list is allowed
//! with the provider block's `skip_region_validation = true`.

/// Every region of the aws, aws-cn, aws-us-gov and aws-eusc partitions.
const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// Whether `region` is one terrane knows.
pub fn is_known_region(region: &str) -> bool {
    REGIONS.contains(&region)
}

/// What to say about a region terrane does not know: the closest known
/// one, and how to use a new region anyway.
pub fn unknown_region_hint(region: &str) -> String {
    let closest = crate::diag::did_you_mean(region, REGIONS)
        .map(|known| format!("did you mean {known:?}? "))
        .unwrap_or_default();
    format!(
        "{closest}a region AWS opened after this terrane was built needs `skip_region_validation = true` in the provider block"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_caught_and_the_closest_region_named() {
        assert!(is_known_region("us-east-1"));
        assert!(!is_known_region("us-east-1x"));
        assert!(unknown_region_hint("us-eats-1").starts_with("did you mean \"us-east-1\"?"));
        assert!(!unknown_region_hint("mars-west-9").starts_with("did you mean"));
    }
}
