//! The IAM role trust policy that accepts Namespace ID tokens for a workspace.

use serde_json::json;

/// Namespace's OIDC issuer (host part, as IAM writes condition keys).
pub const ISSUER_HOST: &str = "federation.namespaceapis.com";
/// Namespace's OIDC issuer URL, to register as an IAM OIDC provider.
pub const ISSUER_URL: &str = "https://federation.namespaceapis.com";
/// The thumbprint to register with the IAM OIDC provider.
pub const THUMBPRINT: &str = "a053375bfe84e8b748782c7cee15827a6af5a405";

/// The ARN of the IAM OIDC provider for Namespace in `account_id`.
pub fn provider_arn(partition: &str, account_id: &str) -> String {
    format!("arn:{partition}:iam::{account_id}:oidc-provider/{ISSUER_HOST}")
}

/// A trust policy letting ID tokens of `tenant_id` with `audience` assume the role.
pub fn document(provider_arn: &str, tenant_id: &str, audience: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Federated": provider_arn },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": { format!("{ISSUER_HOST}:aud"): audience },
                "StringLike": { format!("{ISSUER_HOST}:sub"): format!("{tenant_id}/*") }
            }
        }]
    })
}

/// The same, pretty-printed.
pub fn render(provider_arn: &str, tenant_id: &str, audience: &str) -> String {
    serde_json::to_string_pretty(&document(provider_arn, tenant_id, audience)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_matches_tenant_subjects_and_audience() {
        let arn = provider_arn("aws", "123456789012");
        assert_eq!(
            arn,
            "arn:aws:iam::123456789012:oidc-provider/federation.namespaceapis.com"
        );
        let doc = document(&arn, "tnt_x", "sts.amazonaws.com");
        let cond = &doc["Statement"][0]["Condition"];
        assert_eq!(
            cond["StringLike"]["federation.namespaceapis.com:sub"],
            "tnt_x/*"
        );
        assert_eq!(
            cond["StringEquals"]["federation.namespaceapis.com:aud"],
            "sts.amazonaws.com"
        );
        assert_eq!(doc["Statement"][0]["Principal"]["Federated"], arn.as_str());
    }
}
