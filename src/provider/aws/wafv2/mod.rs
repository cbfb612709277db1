//! WAFv2: web ACLs and their association with the resources they protect.
//!
//! Nothing is shared yet beyond the registration; helpers two WAFv2 types
//! need would live here, never in a type's file.

/// Public for its lock-token update, which tests drive with a stale token.
pub mod web_acl;
mod web_acl_association;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "WAFv2",
    resources: &[
        &web_acl::WebAclType,
        &web_acl_association::WebAclAssociation,
    ],
    data_sources: &[],
};
