//! KMS: customer managed keys (EKS secrets encryption, SSE-KMS for buckets
//! and log groups) and their aliases.

mod alias;
mod key;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "KMS",
    resources: &[&key::KmsKey, &alias::KmsAlias],
    data_sources: &[],
};

/// A key's id from its id or ARN (`arn:aws:kms:…:key/<id>`): the two
/// spellings Terraform accepts and compares as one.
fn key_id_of(key: &str) -> String {
    match key.rsplit_once(":key/") {
        Some((_, id)) => id.to_string(),
        None => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_key_arn_and_its_id_name_the_same_key() {
        assert_eq!(
            super::key_id_of("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab"),
            "1234abcd-12ab"
        );
        assert_eq!(super::key_id_of("1234abcd-12ab"), "1234abcd-12ab");
    }
}
