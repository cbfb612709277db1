//! EC2 Auto Scaling: groups of instances launched from a launch template
//! (the template itself is EC2's, in `ec2/`).
//!
//! Nothing is shared yet beyond the registration; helpers two Auto Scaling
//! types need would live here, never in a type's file.

mod group;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    resources: &[&group::AutoscalingGroup],
    data_sources: &[],
};
