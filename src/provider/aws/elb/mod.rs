//! Elastic Load Balancing (classic): `aws_elb`, the load balancers older
//! configurations still put in front of Auto Scaling groups. The ELBv2
//! types (`aws_lb` and its listeners) are in `elbv2/`.

mod load_balancer;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "ELB (classic)",
    resources: &[&load_balancer::ClassicLoadBalancer],
    data_sources: &[],
};
