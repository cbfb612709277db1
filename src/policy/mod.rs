//! Built-in policy checks: rules with stable ids (`TRN001`...) run over the
//! values a plan proposes, offline, so `validate` and every plan report a
//! stack that opens SSH to the world or leaves a bucket unencrypted, at the
//! resource's file and line, with a one-line fix.
//!
//! A check judges only what it knows: a value that is unknown until apply
//! (an id, a CIDR from a data source) never makes a finding. Severities,
//! options and waivers come from the stack's policy file (`file`). This
//! module is pure: plan and configuration in, findings out; printing them
//! and failing the run are the callers'.

pub mod file;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ipnet::IpNet;

use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::Config;
use crate::plan::{Action, ResourceChange};
use crate::value::{Attrs, AttrsExt, Value};

/// How much a finding matters; `Off` turns a rule off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Off,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "off" => Some(Severity::Off),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Off => "off",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One rule: its stable id, a short name, and the fix its findings suggest.
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub fix: &'static str,
}

/// Every rule, in id order. Ids are never reused or renumbered.
pub const RULES: &[Rule] = &[
    Rule {
        id: "TRN001",
        name: "security group open to the internet",
        fix: "allow only 80 and 443 from anywhere; narrow other ports to known CIDRs or security groups",
    },
    Rule {
        id: "TRN002",
        name: "S3 bucket without public access block, encryption or versioning",
        fix: "add aws_s3_bucket_public_access_block, aws_s3_bucket_server_side_encryption_configuration and aws_s3_bucket_versioning (status = \"Enabled\") for the bucket",
    },
    Rule {
        id: "TRN003",
        name: "subnet outside its VPC or overlapping another",
        fix: "give each subnet a distinct range inside its VPC's cidr_block (cidrsubnet() helps)",
    },
    Rule {
        id: "TRN004",
        name: "spread over fewer than 3 availability zones",
        fix: "use subnets in at least 3 availability zones",
    },
    Rule {
        id: "TRN005",
        name: "EKS API endpoint public to the internet",
        fix: "set vpc_config's public_access_cidrs to the operators' ranges, or endpoint_public_access = false",
    },
    Rule {
        id: "TRN006",
        name: "launch template without IMDSv2",
        fix: "add metadata_options { http_tokens = \"required\" }",
    },
    Rule {
        id: "TRN007",
        name: "resource without the required tags",
        fix: "add the missing tags to the resource, or to the provider's default_tags",
    },
];

/// Every rule's default severity: a warning, so that a stack that was valid
/// stays valid; the policy file raises what a team enforces.
const DEFAULT_SEVERITY: Severity = Severity::Warning;

/// The stack's policy: severities, options and waivers.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyConfig {
    /// Severities the policy file sets (rule id → severity).
    pub severities: BTreeMap<String, Severity>,
    /// TRN007's tag keys; the rule finds nothing without them.
    pub required_tags: Vec<String>,
    pub waivers: Vec<Waiver>,
    /// Findings at this severity or above fail the run
    /// (`--policy-fail-on` overrides it).
    pub fail_on: Severity,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            severities: BTreeMap::new(),
            required_tags: Vec::new(),
            waivers: Vec::new(),
            fail_on: Severity::Error,
        }
    }
}

impl PolicyConfig {
    pub fn severity(&self, rule: &str) -> Severity {
        self.severities
            .get(rule)
            .copied()
            .unwrap_or(DEFAULT_SEVERITY)
    }
}

/// A rule waived for a resource (all its instances) or one instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiver {
    pub rule: String,
    pub resource: String,
    pub reason: String,
    pub span: Option<Span>,
}

impl Waiver {
    fn covers(&self, rule: &str, address: &str) -> bool {
        self.rule == rule
            && (address == self.resource
                || address
                    .strip_prefix(self.resource.as_str())
                    .is_some_and(|rest| rest.starts_with('[')))
    }
}

/// One thing a rule found.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub address: String,
    pub message: String,
    pub fix: &'static str,
    /// The resource block.
    pub span: Option<Span>,
    /// The waiver's reason, when one covers it.
    pub waived: Option<String>,
}

impl Finding {
    /// Whether it fails a run that fails on `fail_on` and above.
    pub fn fails(&self, fail_on: Severity) -> bool {
        self.waived.is_none() && self.severity >= fail_on
    }

    /// As a diagnostic: an error or warning at the resource, with the fix
    /// as the hint; a waived finding is a warning that quotes the reason.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let summary = format!("[{}] {}", self.rule, self.message);
        let diag = match (&self.waived, self.severity) {
            (Some(reason), _) => Diagnostic::warning(format!("{summary} (waived)"))
                .with_detail(format!("waived: {reason}")),
            (None, Severity::Error) => Diagnostic::error(summary),
            (None, _) => Diagnostic::warning(summary),
        };
        diag.with_span(self.span.clone()).with_hint(self.fix)
    }
}

/// All findings as diagnostics, in the order found.
pub fn diagnostics(findings: &[Finding]) -> Diagnostics {
    Diagnostics(findings.iter().map(Finding::to_diagnostic).collect())
}

/// Runs every rule that is not off over what `changes` propose (what a
/// plan deletes is not judged).
pub fn check(config: &Config, changes: &[ResourceChange], policy: &PolicyConfig) -> Vec<Finding> {
    let live: Vec<Live<'_>> = changes
        .iter()
        // Data sources read during apply are not infrastructure to judge.
        .filter(|c| !matches!(c.action, Action::Delete | Action::Read) && !c.deposed)
        .filter_map(|change| {
            let block = change.resource.and_then(|i| config.resources.get(i));
            Some(Live {
                change,
                block,
                values: change.after.as_ref()?,
                placeholder: block.is_some_and(|b| {
                    (change.addr.key == crate::addr::InstanceKey::None
                        && (b.count.is_some() || b.for_each.is_some()))
                        || config.in_placeholder(b.module)
                }),
            })
        })
        .collect();
    let mut found: Vec<(&'static str, &Live<'_>, String)> = Vec::new();
    open_ingress(&live, &mut found);
    bucket_basics(&live, &mut found);
    subnet_ranges(&live, &mut found);
    zone_spread(&live, &mut found);
    public_cluster_endpoint(&live, &mut found);
    imds_v2(&live, &mut found);
    required_tags(&live, &policy.required_tags, &mut found);
    found
        .into_iter()
        .filter_map(|(rule, item, message)| {
            let severity = policy.severity(rule);
            if severity == Severity::Off {
                return None;
            }
            let address = item.change.address.clone();
            let rule_def = RULES.iter().find(|r| r.id == rule)?;
            Some(Finding {
                rule: rule_def.id,
                severity,
                waived: policy
                    .waivers
                    .iter()
                    .find(|w| w.covers(rule, &address))
                    .map(|w| w.reason.clone()),
                span: item
                    .change
                    .resource
                    .and_then(|i| config.resources.get(i))
                    .map(|r| r.span.clone()),
                address,
                message,
                fix: rule_def.fix,
            })
        })
        .collect()
}

/// An instance the plan keeps or makes, with its proposed values.
struct Live<'a> {
    change: &'a ResourceChange,
    /// Its resource block in the configuration.
    block: Option<&'a crate::lang::config::Resource>,
    values: &'a Attrs,
    /// `validate`'s one stand-in for a block whose `count` / `for_each`
    /// (or whose module call's) is not known yet: how many instances there
    /// will be is unknown.
    placeholder: bool,
}

impl Live<'_> {
    fn is(&self, type_name: &str) -> bool {
        self.change.type_name == type_name
    }

    /// The resource address without the instance key (`aws_subnet.private`),
    /// as a change's `dependencies` name it.
    fn resource_address(&self) -> String {
        self.change.addr.resource()
    }

    /// Whether this instance's configuration refers to `other`'s resource.
    fn depends_on(&self, other: &Live<'_>) -> bool {
        self.change.dependencies.contains(&other.resource_address())
    }

    fn id(&self) -> Option<&str> {
        self.values.str("id")
    }

    /// Whether the configuration writes `argument` in the nested `block`:
    /// an unknown value that nobody wrote is AWS's default, to come.
    fn writes(&self, block: &str, argument: &str) -> bool {
        self.block.is_some_and(|resource| {
            resource
                .body
                .get_blocks(block)
                .any(|nested| nested.body.get_attribute(argument).is_some())
        })
    }
}

type Found<'a> = Vec<(&'static str, &'a Live<'a>, String)>;

/// TRN001: an ingress rule open to `0.0.0.0/0` or `::/0` on a port other
/// than 80 and 443.
fn open_ingress<'a>(live: &'a [Live<'a>], found: &mut Found<'a>) {
    for group in live.iter().filter(|l| l.is("aws_security_group")) {
        for rule in group.values.blocks("ingress") {
            let open: Vec<String> = rule
                .strings("cidr_blocks")
                .into_iter()
                .chain(rule.strings("ipv6_cidr_blocks"))
                .filter(|c| c == "0.0.0.0/0" || c == "::/0")
                .collect();
            if open.is_empty() {
                continue;
            }
            let protocol = rule.str("protocol").unwrap_or_default();
            let ports = match (rule.i64("from_port"), rule.i64("to_port")) {
                _ if protocol == "-1" || protocol.eq_ignore_ascii_case("all") => {
                    Some("all ports".to_string())
                }
                (Some(from), Some(to)) if from == to && (from == 80 || from == 443) => None,
                (Some(from), Some(to)) if from == to => Some(format!("port {from}")),
                (Some(from), Some(to)) => Some(format!("ports {from}-{to}")),
                _ => None,
            };
            if let Some(ports) = ports {
                found.push((
                    "TRN001",
                    group,
                    format!(
                        "{} allows ingress from {} on {ports}",
                        group.change.address,
                        open.join(" and ")
                    ),
                ));
            }
        }
    }
}

/// TRN002: a bucket without each of a public access block, default
/// encryption and enabled versioning, found among the resources that name
/// the bucket (by its known name, or by referring to it).
fn bucket_basics<'a>(live: &'a [Live<'a>], found: &mut Found<'a>) {
    let companions = [
        ("aws_s3_bucket_public_access_block", "public access block"),
        (
            "aws_s3_bucket_server_side_encryption_configuration",
            "default encryption",
        ),
        ("aws_s3_bucket_versioning", "versioning"),
    ];
    for bucket in live.iter().filter(|l| l.is("aws_s3_bucket")) {
        let name = bucket.values.str("bucket");
        let of_bucket = |other: &&Live<'_>| match (other.values.str("bucket"), name) {
            (Some(theirs), Some(ours)) => theirs == ours,
            _ => other.depends_on(bucket),
        };
        let missing: Vec<&str> = companions
            .iter()
            .filter(|(type_name, _)| {
                !live.iter().filter(|l| l.is(type_name)).any(|other| {
                    of_bucket(&other)
                        && (*type_name != "aws_s3_bucket_versioning"
                            || versioning_enabled(other.values))
                })
            })
            .map(|(_, what)| *what)
            .collect();
        if !missing.is_empty() {
            found.push((
                "TRN002",
                bucket,
                format!("{} has no {}", bucket.change.address, missing.join(", ")),
            ));
        }
    }
}

/// Versioning that is (or may be, being unknown yet) enabled.
fn versioning_enabled(values: &Attrs) -> bool {
    let configuration = values.blocks("versioning_configuration");
    match configuration.first().and_then(|c| c.get("status")) {
        Some(Value::String(status)) => status == "Enabled",
        Some(Value::Unknown) => true,
        _ => false,
    }
}

/// TRN003: a subnet whose range is outside its VPC's, or overlaps another
/// subnet's in the same VPC.
fn subnet_ranges<'a>(live: &'a [Live<'a>], found: &mut Found<'a>) {
    let vpcs: Vec<&Live<'_>> = live.iter().filter(|l| l.is("aws_vpc")).collect();
    let subnets: Vec<&Live<'_>> = live.iter().filter(|l| l.is("aws_subnet")).collect();
    // Indexes, so that finding each subnet's VPC costs no scan of all VPCs.
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    let mut by_resource: HashMap<String, Vec<usize>> = HashMap::new();
    for (at, vpc) in vpcs.iter().enumerate() {
        if let Some(id) = vpc.id() {
            by_id.entry(id).or_insert(at);
        }
        by_resource
            .entry(vpc.resource_address())
            .or_default()
            .push(at);
    }
    // A known `vpc_id` names its VPC. An unknown one (a VPC yet to be
    // made) names it only through the subnet's dependencies, and only when
    // they lead to exactly one VPC instance: `aws_vpc.v[floor(count.index /
    // 4)]` depends on all of `aws_vpc.v`, so which instance is not known,
    // and `validate`'s stand-in for a count not known yet is not one VPC.
    let vpc_of = |subnet: &Live<'_>| -> Option<usize> {
        if let Some(id) = subnet.values.str("vpc_id") {
            return by_id.get(id).copied();
        }
        let mut candidates = subnet
            .change
            .dependencies
            .iter()
            .filter_map(|d| by_resource.get(d.as_str()))
            .flatten();
        match (candidates.next(), candidates.next()) {
            (Some(&only), None) if !vpcs[only].placeholder => Some(only),
            _ => None,
        }
    };
    let cidr = |l: &Live<'_>| l.values.str("cidr_block")?.parse::<IpNet>().ok();
    let mut by_vpc: BTreeMap<usize, Vec<(&Live<'_>, IpNet)>> = BTreeMap::new();
    for subnet in subnets {
        let (Some(vpc), Some(range)) = (vpc_of(subnet), cidr(subnet)) else {
            continue;
        };
        if let Some(vpc_range) = cidr(vpcs[vpc])
            && !vpc_range.contains(&range)
        {
            found.push((
                "TRN003",
                subnet,
                format!(
                    "{} ({range}) is outside its VPC {} ({vpc_range})",
                    subnet.change.address, vpcs[vpc].change.address
                ),
            ));
        }
        by_vpc.entry(vpc).or_default().push((subnet, range));
    }
    for subnets in by_vpc.values() {
        for (i, (subnet, range)) in subnets.iter().enumerate() {
            if let Some((other, other_range)) = subnets[..i]
                .iter()
                .find(|(_, earlier)| earlier.contains(range) || range.contains(earlier))
            {
                found.push((
                    "TRN003",
                    subnet,
                    format!(
                        "{} ({range}) overlaps {} ({other_range})",
                        subnet.change.address, other.change.address
                    ),
                ));
            }
        }
    }
}

/// The fewest availability zones a spread must reach.
const MIN_ZONES: usize = 3;

/// TRN004: an EKS cluster, node group or Auto Scaling group whose subnets
/// (or zones) are certainly in fewer than 3 availability zones.
fn zone_spread<'a>(live: &'a [Live<'a>], found: &mut Found<'a>) {
    let subnets: Vec<&Live<'_>> = live.iter().filter(|l| l.is("aws_subnet")).collect();
    for item in live {
        let (subnet_ids, zones) = match item.change.type_name.as_str() {
            "aws_eks_cluster" => (
                item.values
                    .blocks("vpc_config")
                    .first()
                    .and_then(|c| c.get("subnet_ids")),
                None,
            ),
            "aws_eks_node_group" => (item.values.get("subnet_ids"), None),
            "aws_autoscaling_group" => (
                item.values.get("vpc_zone_identifier"),
                item.values.get("availability_zones"),
            ),
            _ => continue,
        };
        // (zones known, subnets whose zone is not known yet)
        let mut known: BTreeSet<&str> = BTreeSet::new();
        let mut unknown = 0;
        let listed = |v: Option<&'a Value>| v.and_then(Value::as_list).filter(|l| !l.is_empty());
        if let Some(zones) = listed(zones) {
            for zone in zones {
                match zone.as_str() {
                    Some(zone) => {
                        known.insert(zone);
                    }
                    None => unknown += 1,
                }
            }
        } else {
            let members: Vec<&Live<'_>> = match subnet_ids {
                Some(Value::List(ids)) if ids.iter().all(|id| id.as_str().is_some()) => ids
                    .iter()
                    .filter_map(|id| subnets.iter().copied().find(|s| s.id() == id.as_str()))
                    .collect(),
                // Ids not known yet: the subnets it refers to.
                _ => subnets
                    .iter()
                    .copied()
                    .filter(|s| item.depends_on(s))
                    .collect(),
            };
            let listed_ids = subnet_ids.and_then(Value::as_list).map_or(0, |l| l.len());
            if (members.is_empty() && listed_ids == 0) || members.iter().any(|m| m.placeholder) {
                continue;
            }
            // Subnets outside the stack count as unknown zones.
            unknown += listed_ids.saturating_sub(members.len());
            for member in members {
                match member.values.str("availability_zone") {
                    Some(zone) => {
                        known.insert(zone);
                    }
                    None => unknown += 1,
                }
            }
        }
        if known.len() + unknown < MIN_ZONES {
            let zones: Vec<&str> = known.into_iter().collect();
            found.push((
                "TRN004",
                item,
                format!(
                    "{} is spread over {} availability zone(s) ({}); at least {MIN_ZONES} keep it up when one fails",
                    item.change.address,
                    zones.len() + unknown,
                    zones.join(", ")
                ),
            ));
        }
    }
}

/// TRN005: an EKS cluster whose public API endpoint takes `0.0.0.0/0`
/// (AWS's default when the endpoint is public and no CIDRs are given).
fn public_cluster_endpoint<'a>(live: &'a [Live<'a>], found: &mut Found<'a>) {
    for cluster in live.iter().filter(|l| l.is("aws_eks_cluster")) {
        let Some(vpc) = cluster.values.blocks("vpc_config").into_iter().next() else {
            continue;
        };
        // AWS's defaults: a public endpoint, open to 0.0.0.0/0.
        let public = match vpc.get("endpoint_public_access") {
            None | Some(Value::Null) => true,
            Some(Value::Unknown) => !cluster.writes("vpc_config", "endpoint_public_access"),
            Some(value) => value.as_bool() == Some(true),
        };
        let anywhere = || vec!["0.0.0.0/0".to_string()];
        let cidrs = match vpc.get("public_access_cidrs") {
            None | Some(Value::Null) => anywhere(),
            Some(Value::List(items)) if items.is_empty() => anywhere(),
            Some(Value::List(_)) => vpc.strings("public_access_cidrs"),
            Some(Value::Unknown) if !cluster.writes("vpc_config", "public_access_cidrs") => {
                anywhere()
            }
            Some(_) => Vec::new(),
        };
        if public && cidrs.iter().any(|c| c == "0.0.0.0/0") {
            found.push((
                "TRN005",
                cluster,
                format!(
                    "{}'s Kubernetes API endpoint is public to 0.0.0.0/0",
                    cluster.change.address
                ),
            ));
        }
    }
}

/// TRN006: a launch template that does not require IMDSv2 tokens.
fn imds_v2<'a>(live: &'a [Live<'a>], found: &mut Found<'a>) {
    for template in live.iter().filter(|l| l.is("aws_launch_template")) {
        let options = template.values.blocks("metadata_options");
        let tokens = options.first().and_then(|o| o.get("http_tokens"));
        let required = match tokens {
            Some(Value::String(value)) => value == "required",
            // Unknown as written (a variable): judged when known. Unknown
            // because nobody wrote it: AWS's default, which allows IMDSv1.
            Some(Value::Unknown) => template.writes("metadata_options", "http_tokens"),
            _ => false,
        };
        if !required {
            found.push((
                "TRN006",
                template,
                format!(
                    "{} lets instances use IMDSv1 (http_tokens is not \"required\")",
                    template.change.address
                ),
            ));
        }
    }
}

/// TRN007: a taggable resource whose tags (with the provider's default
/// tags) lack a required key.
fn required_tags<'a>(live: &'a [Live<'a>], required: &[String], found: &mut Found<'a>) {
    if required.is_empty() {
        return;
    }
    for item in live {
        let tags = match item.values.get("tags_all") {
            Some(Value::Map(tags)) => tags,
            Some(Value::Null) | None => {
                // Not a taggable type, unless it has `tags`.
                if !item.values.contains_key("tags") {
                    continue;
                }
                &Attrs::new()
            }
            Some(_) => continue,
        };
        let missing: Vec<&str> = required
            .iter()
            .filter(|key| !tags.contains_key(key.as_str()))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            found.push((
                "TRN007",
                item,
                format!(
                    "{} lacks the tag(s) {}",
                    item.change.address,
                    missing.join(", ")
                ),
            ));
        }
    }
}
