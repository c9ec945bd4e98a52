//! Minting of every token the emulator hands out, and small time/random helpers.

use crate::{COGNITO_ISSUER, GITHUB_ISSUER, keys};
use rand::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `prefix` + RS256 JWT with tenant_id, instance_id (optional), iat, exp.
pub fn namespace_token(
    prefix: &str,
    tenant_id: &str,
    instance_id: Option<&str>,
    exp: i64,
) -> String {
    let now = now() as i64;
    let mut claims = json!({
        "tenant_id": tenant_id,
        "iat": now.min(exp - 1),
        "exp": exp,
        // Real tokens carry a region; clients read it but must not depend on it.
        "primary_region": "us-east-1",
    });
    if let Some(i) = instance_id {
        claims["instance_id"] = json!(i);
    }
    format!("{prefix}{}", keys::sign(&claims))
}

/// An ID token as `IssueIdToken` mints it.
pub fn id_token(
    issuer: &str,
    tenant_id: &str,
    instance_id: Option<&str>,
    audience: &str,
    ttl_secs: u64,
) -> String {
    let now = now();
    let mut claims = json!({
        "iss": issuer,
        "aud": audience,
        "sub": format!("{tenant_id}/{}", instance_id.unwrap_or("tenant")),
        "tenant_id": tenant_id,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_secs,
    });
    if let Some(i) = instance_id {
        claims["instance_id"] = json!(i);
    }
    keys::sign(&claims)
}

/// `<region>:<uuid>`, stable per (pool, login) as Cognito's identities are.
pub fn identity_id(pool_id: &str, login: &str) -> String {
    let region = pool_id.split(':').next().unwrap_or("us-east-1");
    let h = Sha256::digest(format!("{pool_id}\n{login}").as_bytes());
    let x = hex(&h[..16]);
    format!(
        "{region}:{}-{}-4{}-a{}-{}",
        &x[0..8],
        &x[8..12],
        &x[13..16],
        &x[17..20],
        &x[20..32]
    )
}

/// A Cognito OpenID token for a developer identity `login` of provider namespace.so.
pub fn cognito_token(pool_id: &str, login: &str, ttl_secs: u64) -> String {
    let now = now();
    let identity = identity_id(pool_id, login);
    keys::sign(&json!({
        "iss": COGNITO_ISSUER,
        "aud": pool_id,
        "sub": identity,
        "amr": ["authenticated", "namespace.so", format!("namespace.so:{pool_id}:{login}")],
        "https://cognito-identity.amazonaws.com/identity-pool-arn": format!("arn:aws:cognito-identity:{}:123456789012:identitypool/{pool_id}", pool_id.split(':').next().unwrap_or("us-east-1")),
        "iat": now,
        "exp": now + ttl_secs,
    }))
}

/// A GitHub Actions OIDC token for `repository` (`owner/repo`).
pub fn github_token(repository: &str, audience: &str, ttl_secs: u64) -> String {
    let now = now();
    let owner = repository.split('/').next().unwrap_or(repository);
    keys::sign(&json!({
        "iss": GITHUB_ISSUER,
        "aud": audience,
        "sub": format!("repo:{repository}:ref:refs/heads/main"),
        "repository": repository,
        "repository_owner": owner,
        "repository_owner_id": "424242",
        "ref": "refs/heads/main",
        "workflow": "ci",
        "event_name": "push",
        "run_id": "1000000001",
        "actor": "emulator-user",
        "jti": uuid::Uuid::new_v4().to_string(),
        "iat": now,
        "nbf": now,
        "exp": now + ttl_secs,
    }))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` random characters from `charset`.
pub fn random_from(charset: &[u8], n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| charset[rng.random_range(0..charset.len())] as char)
        .collect()
}

/// Upper-case letters and digits, as in AWS key ids.
pub const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// The base64 alphabet, as in AWS secret keys and session tokens.
pub const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time (proleptic Gregorian, UTC).
pub fn iso8601(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Reads a JWT's claims without checking anything (for fields used in messages).
pub fn peek_claims(token: &str) -> Option<Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&raw).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_known_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_767_225_599), "2025-12-31T23:59:59Z");
    }

    #[test]
    fn identity_id_is_stable_and_uuid_shaped() {
        let a = identity_id("us-east-1:x", "t1");
        assert_eq!(a, identity_id("us-east-1:x", "t1"));
        assert_ne!(a, identity_id("us-east-1:x", "t2"));
        let (region, uuid) = a.split_once(':').unwrap();
        assert_eq!(region, "us-east-1");
        assert!(uuid::Uuid::parse_str(uuid).is_ok());
    }
}
