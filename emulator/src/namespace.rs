//! The Namespace API methods (`/<Service>/<Method>`, JSON, gRPC-gateway errors).

use crate::server::{Req, Resp, Shared, json, respond};
use crate::tokens::{self, now};
use crate::{COGNITO_ISSUER, DEFAULT_TENANT, ErrorForm, GITHUB_AUDIENCE, GITHUB_ISSUER, keys};
use hyper::Method;
use hyper::header::HeaderValue;
use serde::Deserialize;
use serde_json::{Value, json};

const CODE_NAMES: [&str; 17] = [
    "ok",
    "cancelled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
];

/// Lower-case gRPC code name (`permission_denied`).
pub fn code_name(code: i32) -> &'static str {
    usize::try_from(code)
        .ok()
        .and_then(|i| CODE_NAMES.get(i))
        .copied()
        .unwrap_or("unknown")
}

/// gRPC code for a lower-case name.
pub fn code_from_name(name: &str) -> Option<i32> {
    CODE_NAMES.iter().position(|n| *n == name).map(|i| i as i32)
}

/// HTTP status a gRPC gateway gives a code.
pub fn http_status(code: i32) -> u16 {
    match code {
        0 => 200,
        1 => 499,
        3 | 9 | 11 => 400,
        4 => 504,
        5 => 404,
        6 | 10 => 409,
        7 => 403,
        8 => 429,
        12 => 501,
        14 => 503,
        16 => 401,
        _ => 500,
    }
}

/// A Namespace error in one of the three forms.
pub fn error(code: i32, message: &str, form: ErrorForm) -> Resp {
    let status = http_status(code);
    match form {
        ErrorForm::NumericJson => json(
            status,
            &json!({"code": code, "message": message, "details": []}),
        ),
        ErrorForm::StringJson => json(
            status,
            &json!({"code": code_name(code), "message": message}),
        ),
        ErrorForm::Headers => {
            let mut r = respond(status, "", "");
            r.headers_mut()
                .insert("grpc-status", HeaderValue::from(code));
            // grpc-message is percent-encoded on the wire.
            let encoded: String = message
                .bytes()
                .map(|b| {
                    if (0x20..0x7f).contains(&b) && b != b'%' {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            if let Ok(v) = HeaderValue::from_str(&encoded) {
                r.headers_mut().insert("grpc-message", v);
            }
            r
        }
    }
}

/// A refusal before rendering: (gRPC code, message).
type NsErr = (i32, String);

fn err(code: i32, msg: impl Into<String>) -> NsErr {
    (code, msg.into())
}

/// Fields that carry secrets and are never recorded.
const SECRET_FIELDS: &[&str] = &[
    "github_token",
    "aws_cognito_token",
    "oidc_token",
    "token",
    "id_token",
    "tenant_token",
];

/// Non-secret top-level request fields, for [`crate::RecordedRequest::params`].
pub fn params(req: &Req) -> Vec<(String, String)> {
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&req.body) else {
        return Vec::new();
    };
    m.into_iter()
        .filter(|(k, _)| !SECRET_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect()
}

/// The `tenant` object of responses.
pub fn tenant_json(tenant_id: &str) -> Value {
    let name = if tenant_id == DEFAULT_TENANT {
        "Emulator Workspace".to_string()
    } else {
        format!("Workspace {tenant_id}")
    };
    json!({
        "tenant_id": tenant_id,
        "name": name,
        "app_url": format!("https://cloud.namespace.so/{tenant_id}"),
        "primary_region": "us-east-1",
    })
}

#[derive(Deserialize)]
struct NsClaims {
    tenant_id: String,
    #[serde(default)]
    instance_id: Option<String>,
    exp: i64,
}

/// Kind of bearer token accepted by a method.
#[derive(PartialEq, Eq)]
enum Accept {
    /// `nsct_` / `nscw_`.
    TenantOrWorkload,
    /// `st_` only.
    Session,
}

fn bearer(req: &Req, accept: Accept) -> Result<NsClaims, NsErr> {
    let auth = req.header("authorization");
    let Some(token) = auth
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Err(err(
            16,
            "missing Authorization: Bearer <token>; log in or pass a Namespace token",
        ));
    };
    let (prefix, jwt) = if let Some(j) = token.strip_prefix("nsct_") {
        ("nsct_", j)
    } else if let Some(j) = token.strip_prefix("nscw_") {
        ("nscw_", j)
    } else if let Some(j) = token.strip_prefix("st_") {
        ("st_", j)
    } else {
        return Err(err(16, "unrecognized bearer token"));
    };
    match (prefix, &accept) {
        ("st_", Accept::TenantOrWorkload) => {
            return Err(err(
                16,
                "a session token cannot be used directly; exchange it with IssueTenantTokenFromSession first",
            ));
        }
        ("nsct_" | "nscw_", Accept::Session) => {
            return Err(err(
                16,
                "IssueTenantTokenFromSession needs a session token (st_…)",
            ));
        }
        _ => {}
    }
    let claims: NsClaims = keys::verify(jwt).map_err(|_| {
        err(
            16,
            "invalid bearer token: signature or format not recognized",
        )
    })?;
    if claims.exp <= now() as i64 {
        return Err(err(16, "bearer token expired; get a fresh token"));
    }
    Ok(claims)
}

fn body_json(req: &Req) -> Result<Value, NsErr> {
    if req.body.is_empty() {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(err(3, "request body is not a JSON object")),
    }
}

fn str_field<'a>(body: &'a Value, name: &str) -> &'a str {
    body.get(name).and_then(|v| v.as_str()).unwrap_or("")
}

fn int_field(body: &Value, name: &str) -> Result<i64, NsErr> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| err(3, format!("{name} must be an integer"))),
        // proto3 JSON allows 64-bit integers as strings.
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| err(3, format!("{name} must be an integer"))),
        Some(_) => Err(err(3, format!("{name} must be an integer"))),
    }
}

/// Answers a Namespace method.
pub fn handle(shared: &Shared, req: &Req, name: &str, form: ErrorForm) -> Resp {
    match dispatch(shared, req, name) {
        Ok(v) => json(200, &v),
        Err((code, msg)) => error(code, &msg, form),
    }
}

fn dispatch(shared: &Shared, req: &Req, name: &str) -> Result<Value, NsErr> {
    if req.method != Method::POST {
        return Err(err(12, "Namespace methods are called with POST"));
    }
    let body = body_json(req)?;
    match name {
        "nsl.tenants.TenantsService/IssueIdToken" => issue_id_token(shared, req, &body),
        "nsl.signin.SigninService/IssueTenantTokenFromSession" => {
            let claims = bearer(req, Accept::Session)?;
            let d = int_field(&body, "token_duration_secs")?;
            let d = validate_duration(d, "token_duration_secs")?;
            let t = tokens::namespace_token("nsct_", &claims.tenant_id, None, now() as i64 + d);
            Ok(json!({"tenant_token": t}))
        }
        "nsl.tenants.TenantsService/GetTenant" => {
            let claims = bearer(req, Accept::TenantOrWorkload)?;
            Ok(json!({"tenant": tenant_json(&claims.tenant_id)}))
        }
        "nsl.tenants.TenantsService/TrustAWSCognitoIdentityPool" => trust_pool(shared, req, &body),
        "nsl.tenants.TenantsService/ExchangeAWSCognitoJWT" => exchange_cognito(shared, &body),
        "nsl.tenants.TenantsService/ExchangeGithubToken" => exchange_github(shared, &body),
        "nsl.tenants.TenantsService/ExchangeOIDCToken" => Err(err(
            12,
            "ExchangeOIDCToken is not emulated; use ExchangeGithubToken or ExchangeAWSCognitoJWT",
        )),
        other => Err(err(12, format!("unknown method {other}"))),
    }
}

fn validate_duration(d: i64, field: &str) -> Result<i64, NsErr> {
    match d {
        0 => Ok(3600),
        1..=86_400 => Ok(d),
        _ => Err(err(
            3,
            format!("{field} must be between 1 and 86400 seconds (0 for the default)"),
        )),
    }
}

fn issue_id_token(shared: &Shared, req: &Req, body: &Value) -> Result<Value, NsErr> {
    let claims = bearer(req, Accept::TenantOrWorkload)?;
    let audience = str_field(body, "audience");
    if audience.is_empty() {
        return Err(err(3, "audience is required"));
    }
    let version = int_field(body, "version")?;
    if version > 1 {
        return Err(err(3, format!("unsupported version {version}; use 1")));
    }
    let d = validate_duration(int_field(body, "duration_secs")?, "duration_secs")?;
    let t = tokens::id_token(
        &shared.config.issuer,
        &claims.tenant_id,
        claims.instance_id.as_deref(),
        audience,
        d as u64,
    );
    Ok(json!({"id_token": t}))
}

/// `<region>:<guid>` as Cognito names pools.
pub fn valid_pool_id(p: &str) -> bool {
    match p.split_once(':') {
        Some((region, guid)) => {
            !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && uuid::Uuid::parse_str(guid).is_ok()
        }
        None => false,
    }
}

fn trust_pool(shared: &Shared, req: &Req, body: &Value) -> Result<Value, NsErr> {
    let claims = bearer(req, Accept::TenantOrWorkload)?;
    let tenant = str_field(body, "tenant_id");
    if !tenant.is_empty() && tenant != claims.tenant_id {
        return Err(err(
            7,
            format!("the token is for another workspace than {tenant}"),
        ));
    }
    let pool = str_field(body, "aws_cognito_identity_pool");
    if !valid_pool_id(pool) {
        return Err(err(
            3,
            "aws_cognito_identity_pool must look like <region>:<guid>",
        ));
    }
    let provider = str_field(body, "identity_provider");
    if provider != "namespace.so" {
        return Err(err(3, "identity_provider must be namespace.so"));
    }
    shared
        .lock()
        .trusts
        .insert((claims.tenant_id, pool.to_string()));
    Ok(json!({}))
}

#[derive(Deserialize)]
struct ForeignClaims {
    #[serde(default)]
    iss: String,
    #[serde(default)]
    aud: Value,
    #[serde(default)]
    exp: i64,
    #[serde(default)]
    amr: Vec<String>,
    #[serde(default)]
    repository_owner: String,
}

fn aud_is(aud: &Value, want: &str) -> bool {
    match aud {
        Value::String(s) => s == want,
        Value::Array(a) => a.iter().any(|v| v.as_str() == Some(want)),
        _ => false,
    }
}

fn exchange_cognito(shared: &Shared, body: &Value) -> Result<Value, NsErr> {
    let tenant = str_field(body, "tenant_id");
    let token = str_field(body, "aws_cognito_token");
    if tenant.is_empty() {
        return Err(err(3, "tenant_id is required"));
    }
    if token.is_empty() {
        return Err(err(3, "aws_cognito_token is required"));
    }
    let c: ForeignClaims = keys::verify(token)
        .map_err(|_| err(16, "aws_cognito_token is not a valid AWS Cognito token"))?;
    if c.iss != COGNITO_ISSUER {
        return Err(err(
            16,
            "aws_cognito_token was not issued by AWS Cognito Identity",
        ));
    }
    if c.exp <= now() as i64 {
        return Err(err(
            16,
            "aws_cognito_token expired; get a fresh one from Cognito",
        ));
    }
    let pool = c.aud.as_str().unwrap_or("").to_string();
    let login = c
        .amr
        .iter()
        .find_map(|a| a.strip_prefix(&format!("namespace.so:{pool}:")))
        .ok_or_else(|| {
            err(
                7,
                "the Cognito identity is not a developer identity of provider namespace.so",
            )
        })?;
    if login != tenant {
        return Err(err(
            7,
            format!(
                "the Cognito identity's login does not match tenant_id {tenant}; use Logins {{\"namespace.so\": \"{tenant}\"}}"
            ),
        ));
    }
    if !shared
        .lock()
        .trusts
        .contains(&(tenant.to_string(), pool.clone()))
    {
        return Err(err(
            7,
            format!(
                "AWS Cognito identity pool {pool} is not trusted by workspace {tenant}; trust it first (trust-aws-cognito-identity-pool)"
            ),
        ));
    }
    let t = tokens::namespace_token("nsct_", tenant, None, now() as i64 + 3600);
    Ok(json!({"tenant_token": t, "tenant": tenant_json(tenant)}))
}

fn exchange_github(shared: &Shared, body: &Value) -> Result<Value, NsErr> {
    let token = str_field(body, "github_token");
    if token.is_empty() {
        return Err(err(3, "github_token is required"));
    }
    let c: ForeignClaims = keys::verify(token)
        .map_err(|_| err(16, "github_token is not a valid GitHub Actions OIDC token"))?;
    if c.iss != GITHUB_ISSUER {
        return Err(err(16, "github_token was not issued by GitHub Actions"));
    }
    if !aud_is(&c.aud, GITHUB_AUDIENCE) {
        return Err(err(
            16,
            format!("github_token must have audience {GITHUB_AUDIENCE}"),
        ));
    }
    if c.exp <= now() as i64 {
        return Err(err(16, "github_token expired; request a fresh one"));
    }
    let tenant = shared
        .lock()
        .github_owners
        .get(&c.repository_owner)
        .cloned();
    let Some(tenant) = tenant else {
        return Err(err(
            7,
            format!(
                "GitHub owner {} is not linked to a Namespace workspace; install the Namespace GitHub app for it",
                c.repository_owner
            ),
        ));
    };
    let t = tokens::namespace_token("nsct_", &tenant, None, now() as i64 + 3600);
    Ok(json!({"tenant_token": t, "tenant": tenant_json(&tenant)}))
}
