//! AWS STS `AssumeRoleWithWebIdentity`: AWS query protocol in, STS XML out.

use crate::keys;
use crate::server::{Req, Resp, Shared, parse_pairs, respond};
use crate::tokens::{self, now};
use hyper::header::HeaderValue;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Query-string and form-body pairs, query first (STS accepts both).
pub fn form(req: &Req) -> Vec<(String, String)> {
    let mut pairs = parse_pairs(req.query.as_bytes());
    let ct = req.header("content-type");
    if req.body.is_empty() || ct.is_empty() || ct.starts_with("application/x-www-form-urlencoded") {
        pairs.extend(parse_pairs(&req.body));
    }
    pairs
}

/// Non-secret parameters (everything but the web identity token).
pub fn params(req: &Req) -> Vec<(String, String)> {
    form(req)
        .into_iter()
        .filter(|(k, _)| k != "WebIdentityToken")
        .collect()
}

/// Escapes text for XML element content.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// An STS error response; status follows the code as STS does.
pub fn error(code: &str, message: &str) -> Resp {
    let (status, typ) = match code {
        "AccessDenied" => (403, "Sender"),
        "InternalFailure" | "InternalError" => (500, "Receiver"),
        "ServiceUnavailable" => (503, "Receiver"),
        _ => (400, "Sender"),
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let body = format!(
        "<ErrorResponse xmlns=\"{XMLNS}\">\n  <Error>\n    <Type>{typ}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        xml_escape(code),
        xml_escape(message)
    );
    with_request_id(respond(status, "text/xml", body), &request_id)
}

fn with_request_id(mut r: Resp, id: &str) -> Resp {
    if let Ok(v) = HeaderValue::from_str(id) {
        r.headers_mut().insert("x-amzn-requestid", v);
    }
    r
}

/// Validation failures, reported together as AWS does.
struct Validation(Vec<String>);

impl Validation {
    fn constraint(&mut self, value: Option<&str>, field: &str, rule: &str) {
        let v = match value {
            Some(v) => format!("'{v}'"),
            None => "null".to_string(),
        };
        self.0.push(format!(
            "Value {v} at '{field}' failed to satisfy constraint: Member {rule}"
        ));
    }

    fn length(&mut self, value: Option<&str>, field: &str, min: usize, max: usize, shown: bool) {
        let Some(v) = value else {
            return self.constraint(None, field, "must not be null");
        };
        // Secret values (the token) are never echoed.
        let echo = if shown { Some(v) } else { Some("***") };
        let n = v.chars().count();
        if n < min {
            self.constraint(
                echo,
                field,
                &format!("must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.constraint(
                echo,
                field,
                &format!("must have length less than or equal to {max}"),
            );
        }
    }
}

fn role_arn_ok(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|n| !n.is_empty() && !n.ends_with('/'))
}

fn policy_arn_ok(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && (parts[4] == "aws"
            || (parts[4].len() == 12 && parts[4].bytes().all(|b| b.is_ascii_digit())))
        && parts[5]
            .strip_prefix("policy/")
            .is_some_and(|n| !n.is_empty())
}

fn session_name_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

#[derive(Deserialize)]
struct IdClaims {
    #[serde(default)]
    sub: String,
    #[serde(default)]
    aud: Value,
    #[serde(default)]
    exp: i64,
}

/// Answers an STS request.
pub fn handle(shared: &Shared, req: &Req) -> Resp {
    match assume(shared, req) {
        Ok(r) => r,
        Err((code, msg)) => error(code, &msg),
    }
}

type StsErr = (&'static str, String);

fn assume(shared: &Shared, req: &Req) -> Result<Resp, StsErr> {
    let f = form(req);
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let action = get("Action").unwrap_or("");
    let version = get("Version").unwrap_or("");
    if action != "AssumeRoleWithWebIdentity" || version != "2011-06-15" {
        return Err((
            "InvalidAction",
            format!("Could not find operation {action} for version {version}"),
        ));
    }

    let role_arn = get("RoleArn");
    let session = get("RoleSessionName");
    let token = get("WebIdentityToken");
    let mut v = Validation(Vec::new());
    v.length(role_arn, "roleArn", 20, 2048, true);
    v.length(session, "roleSessionName", 2, 64, true);
    if let Some(s) = session
        && !session_name_ok(s)
    {
        v.constraint(
            Some(s),
            "roleSessionName",
            "must satisfy regular expression pattern: [\\w+=,.@-]*",
        );
    }
    v.length(token, "webIdentityToken", 4, 20_000, false);
    let duration = match get("DurationSeconds") {
        None => 3600,
        Some(d) => match d.parse::<i64>() {
            Ok(n) if n < 900 => {
                v.constraint(
                    Some(d),
                    "durationSeconds",
                    "must have value greater than or equal to 900",
                );
                n
            }
            Ok(n) if n > 43_200 => {
                v.constraint(
                    Some(d),
                    "durationSeconds",
                    "must have value less than or equal to 43200",
                );
                n
            }
            Ok(n) => n,
            Err(_) => {
                return Err((
                    "ValidationError",
                    format!(
                        "Value '{d}' for parameter DurationSeconds is invalid. It must be an integer"
                    ),
                ));
            }
        },
    };
    let policy = get("Policy");
    if let Some(p) = policy {
        v.length(Some(p), "policy", 1, 2048, false);
    }
    let mut policy_arns = Vec::new();
    for (k, val) in &f {
        if let Some(rest) = k.strip_prefix("PolicyArns.member.")
            && let Some(n) = rest.strip_suffix(".arn")
        {
            if val.chars().count() < 20 {
                v.constraint(
                    Some(val),
                    &format!("policyArns.{n}.member.arn"),
                    "must have length greater than or equal to 20",
                );
            }
            policy_arns.push(val.clone());
        }
    }
    if policy_arns.len() > 10 {
        v.constraint(
            None,
            "policyArns",
            "must have length less than or equal to 10",
        );
    }
    if !v.0.is_empty() {
        let n = v.0.len();
        let s = if n == 1 { "" } else { "s" };
        return Err((
            "ValidationError",
            format!("{n} validation error{s} detected: {}", v.0.join("; ")),
        ));
    }
    let (role_arn, session, token) = (
        role_arn.unwrap_or(""),
        session.unwrap_or(""),
        token.unwrap_or(""),
    );
    if !role_arn_ok(role_arn) {
        return Err(("ValidationError", "Request ARN is invalid".to_string()));
    }
    for a in &policy_arns {
        if !policy_arn_ok(a) {
            return Err((
                "InvalidParameterValue",
                format!(
                    "The PolicyArn {a} is invalid; it must look like arn:aws:iam::<account>:policy/<name>"
                ),
            ));
        }
    }
    if let Some(p) = policy
        && serde_json::from_str::<serde_json::Map<String, Value>>(p).is_err()
    {
        return Err((
            "MalformedPolicyDocument",
            "The policy is not in the valid JSON format.".to_string(),
        ));
    }

    // The token: issuer registered, signature, expiry, then the role's trust policy.
    let Some(peek) = tokens::peek_claims(token) else {
        return Err((
            "InvalidIdentityToken",
            "Couldn't parse the web identity token: it is not a JWT.".to_string(),
        ));
    };
    let iss = peek
        .get("iss")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .trim_end_matches('/')
        .to_string();
    let known = shared.lock().oidc_providers.contains(&iss);
    if !known {
        return Err((
            "InvalidIdentityToken",
            format!("No OpenIDConnect provider found in your account for {iss}"),
        ));
    }
    let claims: IdClaims = keys::verify(token).map_err(|_| {
        ("InvalidIdentityToken", "The web identity token's signature does not match the keys of its OpenID Connect provider.".to_string())
    })?;
    let now = now() as i64;
    if claims.exp <= now {
        return Err((
            "ExpiredTokenException",
            format!(
                "Token expired: current date/time {now} must be before the expiration date/time {}",
                claims.exp
            ),
        ));
    }
    let denied = || {
        (
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity".to_string(),
        )
    };
    let role = shared
        .lock()
        .roles
        .get(role_arn)
        .cloned()
        .ok_or_else(denied)?;
    let trusted_issuer = shared.config.issuer.trim_end_matches('/');
    let aud_ok = match &claims.aud {
        Value::String(s) => *s == role.audience,
        Value::Array(a) => a.iter().any(|x| x.as_str() == Some(role.audience.as_str())),
        _ => false,
    };
    let sub_ok = claims.sub.starts_with(&format!("{}/", role.trusted_tenant));
    if iss != trusted_issuer || !aud_ok || !sub_ok {
        return Err(denied());
    }
    if duration > role.max_session_duration as i64 {
        return Err((
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .to_string(),
        ));
    }

    let account = role_arn.split(':').nth(4).unwrap_or("");
    let role_name = role_arn.rsplit('/').next().unwrap_or("");
    let role_id = {
        let h = Sha256::digest(role_arn.as_bytes());
        let s: String = h
            .iter()
            .take(17)
            .map(|b| tokens::UPPER_ALNUM[*b as usize % 36] as char)
            .collect();
        format!("AROA{s}")
    };
    let key_id = format!("ASIA{}", tokens::random_from(tokens::UPPER_ALNUM, 16));
    let mut secret: Vec<char> = tokens::random_from(tokens::B64, 40).chars().collect();
    // Real secrets often hold '+' and '/'; force both so clients must not mangle them.
    secret[7] = '+';
    secret[23] = '/';
    let secret: String = secret.into_iter().collect();
    let session_token = format!("IQoJb3JpZ2luX2VjE{}", tokens::random_from(tokens::B64, 400));
    shared
        .lock()
        .sts_creds
        .insert(key_id.clone(), (secret.clone(), session_token.clone()));
    let expiration = tokens::iso8601((now + duration) as u64);
    let aud = match &claims.aud {
        Value::String(s) => s.clone(),
        _ => role.audience.clone(),
    };
    let provider = iss.trim_start_matches("https://");
    let packed = policy
        .map(|p| {
            format!(
                "\n    <PackedPolicySize>{}</PackedPolicySize>",
                (p.len() * 100 / 2048).clamp(1, 100)
            )
        })
        .unwrap_or_default();
    let request_id = uuid::Uuid::new_v4().to_string();
    let body = format!(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"{XMLNS}\">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>{key_id}</AccessKeyId>
      <SecretAccessKey>{secret}</SecretAccessKey>
      <SessionToken>{session_token}</SessionToken>
      <Expiration>{expiration}</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>{sub}</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::{account}:assumed-role/{role_name}/{session}</Arn>
      <AssumedRoleId>{role_id}:{session}</AssumedRoleId>
    </AssumedRoleUser>
    <Provider>{provider}</Provider>
    <Audience>{aud}</Audience>{packed}
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>{request_id}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
",
        secret = xml_escape(&secret),
        sub = xml_escape(&claims.sub),
        role_name = xml_escape(role_name),
        provider = xml_escape(provider),
        aud = xml_escape(&aud),
    );
    Ok(with_request_id(respond(200, "text/xml", body), &request_id))
}
