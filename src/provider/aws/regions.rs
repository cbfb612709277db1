//! The AWS regions terrane knows, to catch a mistyped region before any
//! call (on AWS a wrong region is a DNS failure far from its cause), as
//! Terraform's provider does. A region newer than this list is allowed
//! with the provider block's `skip_region_validation = true`.

/// Every region of the aws, aws-cn, aws-us-gov and aws-eusc partitions,
/// with the name AWS describes it by (as the provider's `aws_region` gives
/// it).
const REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "Asia Pacific (Taipei)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-6", "Asia Pacific (New Zealand)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("eusc-de-east-1", "EU (Germany)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-central-1", "Middle East (UAE)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
];

/// Whether `region` is one terrane knows.
pub fn is_known_region(region: &str) -> bool {
    description(region).is_some()
}

/// How AWS describes a region it has ("Europe (Ireland)").
pub fn description(region: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .find(|(name, _)| *name == region)
        .map(|(_, description)| *description)
}

/// A partition: a group of regions with its own DNS names and ARNs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Partition {
    /// As ARNs write it: `aws`, `aws-cn`, `aws-us-gov`, `aws-eusc`.
    pub name: &'static str,
    pub dns_suffix: &'static str,
    pub reverse_dns_prefix: &'static str,
    /// The suffix of its regions' EC2 endpoints, as the provider gives
    /// `aws_region.endpoint` (`amazonaws.com` in aws-eusc too).
    pub endpoint_suffix: &'static str,
}

/// The partition a region (known or not) belongs to, by its name's prefix.
pub fn partition(region: &str) -> Partition {
    let (name, dns_suffix, reverse_dns_prefix, endpoint_suffix) = match region {
        r if r.starts_with("cn-") => (
            "aws-cn",
            "amazonaws.com.cn",
            "cn.com.amazonaws",
            "amazonaws.com.cn",
        ),
        r if r.starts_with("us-gov-") => (
            "aws-us-gov",
            "amazonaws.com",
            "com.amazonaws",
            "amazonaws.com",
        ),
        r if r.starts_with("eusc-") => {
            ("aws-eusc", "amazonaws.eu", "eu.amazonaws", "amazonaws.com")
        }
        r if r.starts_with("us-isob-") => (
            "aws-iso-b",
            "sc2s.sgov.gov",
            "gov.sgov.sc2s",
            "sc2s.sgov.gov",
        ),
        r if r.starts_with("us-iso-") => ("aws-iso", "c2s.ic.gov", "gov.ic.c2s", "c2s.ic.gov"),
        _ => ("aws", "amazonaws.com", "com.amazonaws", "amazonaws.com"),
    };
    Partition {
        name,
        dns_suffix,
        reverse_dns_prefix,
        endpoint_suffix,
    }
}

/// What to say about a region terrane does not know: the closest known
/// one, and how to use a new region anyway.
pub fn unknown_region_hint(region: &str) -> String {
    let names: Vec<&str> = REGIONS.iter().map(|(name, _)| *name).collect();
    let closest = crate::diag::did_you_mean(region, &names)
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
    fn partitions_follow_region_prefixes() {
        assert_eq!(partition("us-east-1").name, "aws");
        assert_eq!(partition("").name, "aws");
        assert_eq!(partition("cn-north-1").name, "aws-cn");
        assert_eq!(partition("cn-north-1").dns_suffix, "amazonaws.com.cn");
        assert_eq!(partition("us-gov-west-1").name, "aws-us-gov");
        assert_eq!(partition("us-iso-east-1").name, "aws-iso");
        assert_eq!(partition("us-isob-east-1").name, "aws-iso-b");
        assert_eq!(partition("eusc-de-east-1").dns_suffix, "amazonaws.eu");
    }

    #[test]
    fn typos_are_caught_and_the_closest_region_named() {
        assert!(is_known_region("us-east-1"));
        assert!(!is_known_region("us-east-1x"));
        assert!(unknown_region_hint("us-eats-1").starts_with("did you mean \"us-east-1\"?"));
        assert!(!unknown_region_hint("mars-west-9").starts_with("did you mean"));
    }
}
