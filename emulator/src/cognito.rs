//! AWS Cognito Identity `GetOpenIdTokenForDeveloperIdentity` (JSON 1.1, SigV4 checked).

use crate::server::{Req, Resp, Shared, respond};
use crate::tokens::{self, hex, now};
use crate::{TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY};
use hmac::{Hmac, Mac};
use hyper::header::HeaderValue;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const TARGET: &str = "AWSCognitoIdentityService.GetOpenIdTokenForDeveloperIdentity";

/// A Cognito JSON error (`{"__type","message"}`), HTTP 400 except server faults.
pub fn error(typ: &str, message: &str) -> Resp {
    let status = match typ {
        "InternalErrorException" | "InternalFailure" => 500,
        "ServiceUnavailable" => 503,
        _ => 400,
    };
    let mut r = respond(
        status,
        CONTENT_TYPE,
        serde_json::to_vec(&json!({"__type": typ, "message": message})).expect("JSON serializes"),
    );
    if let Ok(v) = HeaderValue::from_str(typ) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        r.headers_mut().insert("x-amzn-requestid", v);
    }
    r
}

/// Non-secret fields: IdentityPoolId, each Logins `key=value`, TokenDuration, the SigV4 access key id.
pub fn params(req: &Req) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_slice::<Value>(&req.body) {
        if let Some(p) = v.get("IdentityPoolId").and_then(|p| p.as_str()) {
            out.push(("IdentityPoolId".to_string(), p.to_string()));
        }
        if let Some(Value::Object(m)) = v.get("Logins") {
            for (k, val) in m {
                out.push((
                    "Logins".to_string(),
                    format!("{k}={}", val.as_str().unwrap_or("")),
                ));
            }
        }
        if let Some(d) = v.get("TokenDuration") {
            out.push(("TokenDuration".to_string(), d.to_string()));
        }
    }
    if let Some(a) = parse_authorization(req.header("authorization")) {
        out.push(("AccessKeyId".to_string(), a.access_key_id));
    }
    out
}

struct Authorization {
    access_key_id: String,
    scope: String,
    signed_headers: Vec<String>,
    signature: String,
}

fn parse_authorization(h: &str) -> Option<Authorization> {
    let rest = h.strip_prefix("AWS4-HMAC-SHA256")?.trim();
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            cred = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            sig = Some(v);
        }
    }
    let (akid, scope) = cred?.split_once('/')?;
    Some(Authorization {
        access_key_id: akid.to_string(),
        scope: scope.to_string(),
        signed_headers: signed?.split(';').map(|s| s.to_ascii_lowercase()).collect(),
        signature: sig?.to_ascii_lowercase(),
    })
}

/// AWS's URI encoding: unreserved characters kept, everything else %XX.
fn uri_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn canonical_query(q: &str) -> String {
    let mut pairs: Vec<(String, String)> = crate::server::parse_pairs(q.as_bytes())
        .into_iter()
        .map(|(k, v)| (uri_encode(&k), uri_encode(&v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// `YYYYMMDDTHHMMSSZ` → Unix seconds.
fn parse_amz_date(s: &str) -> Option<i64> {
    if s.len() != 16 || &s[8..9] != "T" || !s.ends_with('Z') {
        return None;
    }
    let n = |a: usize, b: usize| s.get(a..b)?.parse::<i64>().ok();
    let (y, m, d) = (n(0, 4)?, n(4, 6)?, n(6, 8)?);
    let (hh, mm, ss) = (n(9, 11)?, n(11, 13)?, n(13, 15)?);
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

type CogErr = (&'static str, String);

fn verify_sigv4(shared: &Shared, req: &Req) -> Result<(), CogErr> {
    let raw = req.header("authorization");
    if raw.is_empty() {
        return Err((
            "MissingAuthenticationTokenException",
            "Missing Authentication Token".to_string(),
        ));
    }
    let auth = parse_authorization(raw).ok_or_else(|| {
        (
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters with AWS4-HMAC-SHA256."
                .to_string(),
        )
    })?;
    let secret = if auth.access_key_id == TEST_ACCESS_KEY_ID {
        TEST_SECRET_ACCESS_KEY.to_string()
    } else {
        let st = shared.lock();
        match st.sts_creds.get(&auth.access_key_id) {
            Some((secret, token)) if req.header("x-amz-security-token") == token => secret.clone(),
            _ => {
                return Err((
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid.".to_string(),
                ));
            }
        }
    };
    if !auth.scope.ends_with("/cognito-identity/aws4_request") {
        return Err((
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'cognito-identity'. Sign for the cognito-identity service."
                .to_string(),
        ));
    }
    let amz_date = req.header("x-amz-date");
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err((
            "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .to_string(),
        ));
    };
    let now = now() as i64;
    if (now - signed_at).abs() > 15 * 60 {
        return Err((
            "InvalidSignatureException",
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.); check the clock",
                tokens::iso8601((now - 300) as u64),
                tokens::iso8601(now as u64)
            ),
        ));
    }
    let mut canonical_headers = String::new();
    for name in &auth.signed_headers {
        let values: Vec<String> = req
            .headers
            .get_all(name.as_str())
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload_hash = match req.header("x-amz-content-sha256") {
        "" => hex(&Sha256::digest(&req.body)),
        h => h.to_string(),
    };
    let path = if req.path.is_empty() {
        "/"
    } else {
        req.path.as_str()
    };
    let canonical_request = format!(
        "{}\n{path}\n{}\n{canonical_headers}\n{}\n{payload_hash}",
        req.method.as_str(),
        canonical_query(&req.query),
        auth.signed_headers.join(";"),
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}\n{}",
        auth.scope,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in auth.scope.split('/') {
        key = hmac(&key, part.as_bytes());
    }
    let expected = hex(&hmac(&key, string_to_sign.as_bytes()));
    if expected != auth.signature || !auth.signed_headers.iter().any(|h| h == "host") {
        return Err((
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
                .to_string(),
        ));
    }
    Ok(())
}

/// Answers a Cognito Identity request.
pub fn handle(shared: &Shared, req: &Req) -> Resp {
    match get_token(shared, req) {
        Ok(v) => respond(
            200,
            CONTENT_TYPE,
            serde_json::to_vec(&v).expect("JSON serializes"),
        ),
        Err((t, m)) => error(t, &m),
    }
}

fn get_token(shared: &Shared, req: &Req) -> Result<Value, CogErr> {
    let target = req.header("x-amz-target");
    if target != TARGET {
        return Err((
            "UnknownOperationException",
            format!("Operation {target} is not emulated"),
        ));
    }
    verify_sigv4(shared, req)?;
    let body: Value = serde_json::from_slice(&req.body).map_err(|_| {
        (
            "SerializationException",
            "Request body is not valid JSON".to_string(),
        )
    })?;
    let pool = body
        .get("IdentityPoolId")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if pool.is_empty() {
        return Err((
            "InvalidParameterException",
            "1 validation error detected: Value null at 'identityPoolId' failed to satisfy constraint: Member must not be null"
                .to_string(),
        ));
    }
    if !crate::namespace::valid_pool_id(pool) {
        return Err((
            "InvalidParameterException",
            format!(
                "1 validation error detected: Value '{pool}' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+"
            ),
        ));
    }
    let provider = shared.lock().pools.get(pool).cloned();
    let Some(provider) = provider else {
        return Err((
            "ResourceNotFoundException",
            format!("IdentityPool '{pool}' not found."),
        ));
    };
    let login = body
        .get("Logins")
        .and_then(|l| l.get("namespace.so"))
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if provider != "namespace.so" {
        return Err((
            "NotAuthorizedException",
            format!("The identity pool's developer provider is {provider}, not namespace.so."),
        ));
    }
    if login.is_empty() {
        return Err((
            "NotAuthorizedException",
            "Logins must map the developer provider namespace.so to the tenant id.".to_string(),
        ));
    }
    let ttl = match body.get("TokenDuration") {
        None | Some(Value::Null) => 900,
        Some(v) => match v.as_u64() {
            Some(d @ 1..=86_400) => d,
            _ => {
                return Err((
                    "InvalidParameterException",
                    "TokenDuration must be between 1 and 86400 seconds.".to_string(),
                ));
            }
        },
    };
    Ok(json!({
        "IdentityId": tokens::identity_id(pool, login),
        "Token": tokens::cognito_token(pool, login, ttl),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20000229T000000Z"), Some(951_782_400));
        assert_eq!(parse_amz_date("garbage"), None);
    }

    /// The example from AWS's SigV4 documentation (GET IAM ListUsers).
    #[test]
    fn signing_key_chain_matches_aws_example() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let mut key = format!("AWS4{secret}").into_bytes();
        for part in ["20150830", "us-east-1", "iam", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        assert_eq!(
            hex(&key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }
}
