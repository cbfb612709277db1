//! WAFv2: web ACLs and their association with the resources they protect.
//!
//! Nothing is shared yet beyond the registration; helpers two WAFv2 types
//! need would live here, never in a type's file.

register_types! {
    resources: [
        /// Public for its lock-token update, which tests drive with a stale
        /// token.
        pub web_acl::WebAclType,
        web_acl_association::WebAclAssociation,
    ],
}
