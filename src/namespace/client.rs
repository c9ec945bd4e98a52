//! The Namespace API client: `POST {endpoint}/{Service}/{Method}` with JSON,
//! on one `reqwest::Client` (connections are reused), with retries of
//! transient failures only, bounded by attempts and by the run's deadline.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, HeaderMap};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::token::IdToken;
use super::{NamespaceError, RpcCode, short_method};
use crate::config::Endpoint;

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("ns-federate/", env!("CARGO_PKG_VERSION"));

/// How often and how long to retry transient failures.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retry).
    pub max_attempts: u32,
    /// No attempt starts, and no wait reaches, past this instant.
    pub deadline: Instant,
}

impl RetryPolicy {
    /// Like nsc: 500 ms, ×1.5 per attempt, ±50 % jitter, at most 5 s.
    fn backoff(attempt: u32) -> Duration {
        let base = 0.5 * 1.5f64.powi(attempt.saturating_sub(1) as i32);
        let jittered = base * (0.5 + fastrand::f64());
        Duration::from_secs_f64(jittered.min(5.0))
    }

    /// Runs `op` until it succeeds, fails for good, or the attempts or the
    /// deadline run out. Never sleeps after the last attempt.
    pub async fn run<T, E, F, Fut>(&self, what: &str, mut op: F) -> Result<T, E>
    where
        E: Retryable,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut attempt = 1;
        loop {
            match op().await {
                Ok(v) => return Ok(v),
                Err(mut e) => {
                    let wait = Self::backoff(attempt);
                    if !e.is_transient()
                        || attempt >= self.max_attempts
                        || Instant::now() + wait >= self.deadline
                    {
                        e.set_attempts(attempt);
                        return Err(e);
                    }
                    // `e` still counts one attempt, so its text has no count of its own.
                    tracing::warn!(
                        "{what}: attempt {attempt} of {} failed: {e}; retrying in {} ms",
                        self.max_attempts,
                        wait.as_millis()
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// An error a [`RetryPolicy`] can judge (retry or not) and annotate.
pub trait Retryable: std::fmt::Display {
    /// Worth another attempt.
    fn is_transient(&self) -> bool;
    /// Records how many attempts were made, for the message.
    fn set_attempts(&mut self, n: u32);
}

impl Retryable for NamespaceError {
    fn is_transient(&self) -> bool {
        NamespaceError::is_transient(self)
    }
    fn set_attempts(&mut self, n: u32) {
        NamespaceError::set_attempts(self, n);
    }
}

/// A workspace, as Namespace describes it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct Tenant {
    /// Workspace id.
    pub tenant_id: String,
    /// Workspace name.
    pub name: String,
    /// Dashboard URL.
    pub app_url: String,
    /// Primary region.
    pub primary_region: String,
}

/// Answer of the token exchanges (`ExchangeGithubToken`, `ExchangeAWSCognitoJWT`).
#[derive(Debug, Deserialize)]
pub struct TenantTokenResponse {
    /// The new tenant token (`nsct_…`).
    #[serde(default = "empty_secret")]
    pub tenant_token: SecretString,
    /// The workspace it belongs to.
    #[serde(default)]
    pub tenant: Option<Tenant>,
}

impl TenantTokenResponse {
    /// The required field that came empty, if any.
    fn empty_field(&self) -> Option<&'static str> {
        is_blank(&self.tenant_token).then_some("tenant_token")
    }
}

fn empty_secret() -> SecretString {
    SecretString::from(String::new())
}

fn is_blank(s: &SecretString) -> bool {
    s.expose_secret().trim().is_empty()
}

/// The Namespace API, on one connection pool per scheme.
#[derive(Clone, Debug)]
pub struct NamespaceClient {
    http: Arc<HttpClients>,
    endpoint: Endpoint,
    retry: RetryPolicy,
}

/// reqwest clients built on first use, so that TLS roots are loaded only when
/// an `https` URL is called (a loopback `http` endpoint needs none).
#[derive(Debug, Default)]
struct HttpClients {
    plain: OnceLock<Result<reqwest::Client, String>>,
    tls: OnceLock<Result<reqwest::Client, String>>,
}

impl HttpClients {
    fn for_url(&self, method: &'static str, url: &str) -> Result<&reqwest::Client, NamespaceError> {
        let tls = !url.starts_with("http://");
        let cell = if tls { &self.tls } else { &self.plain };
        let builder = || {
            let builder = reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .connect_timeout(Duration::from_secs(10));
            // No roots at all for cleartext: nothing to verify, nothing to read from disk.
            let builder = if tls {
                builder
            } else {
                // Only loopback is reached in cleartext: never through a proxy,
                // which would see the bearer token.
                builder.tls_certs_only([]).no_proxy()
            };
            builder.build().map_err(|e| error_chain(&e))
        };
        cell.get_or_init(builder)
            .as_ref()
            .map_err(|detail| NamespaceError::Transport {
                method,
                url: strip_query(url),
                detail: detail.clone(),
                attempts: 1,
            })
    }
}

/// The methods this client calls.
pub mod methods {
    /// Issue an OIDC ID token for AWS.
    pub const ISSUE_ID_TOKEN: &str = "nsl.tenants.TenantsService/IssueIdToken";
    /// Trade a session token for a tenant token.
    pub const ISSUE_TENANT_TOKEN_FROM_SESSION: &str =
        "nsl.signin.SigninService/IssueTenantTokenFromSession";
    /// Trade a GitHub Actions OIDC token for a tenant token.
    pub const EXCHANGE_GITHUB_TOKEN: &str = "nsl.tenants.TenantsService/ExchangeGithubToken";
    /// Trade a Cognito OpenID token for a tenant token.
    pub const EXCHANGE_AWS_COGNITO_JWT: &str = "nsl.tenants.TenantsService/ExchangeAWSCognitoJWT";
    /// Trust a Cognito identity pool.
    pub const TRUST_AWS_COGNITO_IDENTITY_POOL: &str =
        "nsl.tenants.TenantsService/TrustAWSCognitoIdentityPool";
    /// Describe the token's workspace.
    pub const GET_TENANT: &str = "nsl.tenants.TenantsService/GetTenant";
    /// The GitHub Actions OIDC endpoint (label for messages and retries).
    pub const GITHUB_TOKEN: &str = "github:token";
    /// A token spec's metadata endpoint (label).
    pub const WORKLOAD_TOKEN: &str = "metadata:workload_token";
}

impl NamespaceClient {
    /// Builds the client (one connection pool for every call of the run).
    pub fn new(endpoint: Endpoint, retry: RetryPolicy) -> Self {
        Self {
            http: Arc::default(),
            endpoint,
            retry,
        }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// `IssueIdToken`: an OIDC ID token for `audience`, valid `duration_secs`.
    pub async fn issue_id_token(
        &self,
        bearer: &SecretString,
        audience: &str,
        duration_secs: u32,
    ) -> Result<IdToken, NamespaceError> {
        #[derive(Serialize)]
        struct Req<'a> {
            audience: &'a str,
            version: u32,
            #[serde(skip_serializing_if = "is_zero")]
            duration_secs: u32,
        }
        #[derive(Deserialize)]
        struct Resp {
            #[serde(default = "empty_secret")]
            id_token: SecretString,
        }
        let resp: Resp = self
            .call(
                methods::ISSUE_ID_TOKEN,
                Some(bearer),
                &Req {
                    audience,
                    version: 1,
                    duration_secs,
                },
                |r: &Resp| is_blank(&r.id_token).then_some("id_token"),
            )
            .await?;
        crate::secrets::register(&resp.id_token);
        Ok(IdToken::new(resp.id_token))
    }

    /// `IssueTenantTokenFromSession`: a tenant token from a session token (`st_…`).
    pub async fn issue_tenant_token_from_session(
        &self,
        session: &SecretString,
        token_duration_secs: u32,
    ) -> Result<SecretString, NamespaceError> {
        #[derive(Serialize)]
        struct Req {
            token_duration_secs: u32,
        }
        #[derive(Deserialize)]
        struct Resp {
            #[serde(default = "empty_secret")]
            tenant_token: SecretString,
        }
        let resp: Resp = self
            .call(
                methods::ISSUE_TENANT_TOKEN_FROM_SESSION,
                Some(session),
                &Req {
                    token_duration_secs,
                },
                |r: &Resp| is_blank(&r.tenant_token).then_some("tenant_token"),
            )
            .await?;
        crate::secrets::register(&resp.tenant_token);
        Ok(resp.tenant_token)
    }

    /// `ExchangeGithubToken`: a tenant token for a GitHub Actions OIDC token.
    pub async fn exchange_github_token(
        &self,
        github_token: &SecretString,
    ) -> Result<TenantTokenResponse, NamespaceError> {
        #[derive(Serialize)]
        struct Req<'a> {
            github_token: &'a str,
        }
        self.exchange_for_tenant_token(
            methods::EXCHANGE_GITHUB_TOKEN,
            &Req {
                github_token: github_token.expose_secret(),
            },
        )
        .await
    }

    /// `ExchangeAWSCognitoJWT`: a tenant token for a Cognito OpenID token.
    pub async fn exchange_aws_cognito_jwt(
        &self,
        tenant_id: &str,
        aws_cognito_token: &SecretString,
    ) -> Result<TenantTokenResponse, NamespaceError> {
        #[derive(Serialize)]
        struct Req<'a> {
            tenant_id: &'a str,
            aws_cognito_token: &'a str,
        }
        self.exchange_for_tenant_token(
            methods::EXCHANGE_AWS_COGNITO_JWT,
            &Req {
                tenant_id,
                aws_cognito_token: aws_cognito_token.expose_secret(),
            },
        )
        .await
    }

    /// A token exchange: no bearer (the foreign token in `body` is the
    /// credential), a tenant token back, registered as a secret at once.
    async fn exchange_for_tenant_token<Req: Serialize>(
        &self,
        method: &'static str,
        body: &Req,
    ) -> Result<TenantTokenResponse, NamespaceError> {
        self.call(method, None, body, TenantTokenResponse::empty_field)
            .await
            .inspect(|r| crate::secrets::register(&r.tenant_token))
    }

    /// `TrustAWSCognitoIdentityPool`: let `pool` (`<region>:<guid>`) issue tokens via `identity_provider`.
    pub async fn trust_aws_cognito_identity_pool(
        &self,
        bearer: &SecretString,
        aws_cognito_identity_pool: &str,
        identity_provider: &str,
    ) -> Result<(), NamespaceError> {
        #[derive(Serialize)]
        struct Req<'a> {
            aws_cognito_identity_pool: &'a str,
            identity_provider: &'a str,
        }
        let body = Req {
            aws_cognito_identity_pool,
            identity_provider,
        };
        self.retry
            .run(
                short_method(methods::TRUST_AWS_COGNITO_IDENTITY_POOL),
                || async {
                    // The answer's body is ignored: success is the 200.
                    self.post_once(
                        methods::TRUST_AWS_COGNITO_IDENTITY_POOL,
                        Some(bearer),
                        &body,
                    )
                    .await
                    .map(|_| ())
                },
            )
            .await
    }

    /// `GetTenant`: the workspace of the token.
    pub async fn get_tenant(&self, bearer: &SecretString) -> Result<Tenant, NamespaceError> {
        #[derive(Serialize)]
        struct Req {}
        #[derive(Deserialize)]
        struct Resp {
            #[serde(default)]
            tenant: Tenant,
        }
        let resp: Resp = self
            .call(methods::GET_TENANT, Some(bearer), &Req {}, |_: &Resp| None)
            .await?;
        Ok(resp.tenant)
    }

    /// GitHub Actions OIDC: `GET {request_url}&audience=…` with the request token; the JWT is `value`.
    pub async fn fetch_github_oidc_token(
        &self,
        request_url: &str,
        request_token: &SecretString,
        audience: &str,
    ) -> Result<SecretString, NamespaceError> {
        #[derive(Deserialize)]
        struct Resp {
            value: Option<SecretString>,
        }
        let sep = if request_url.contains('?') { '&' } else { '?' };
        let url = format!("{request_url}{sep}audience={}", percent_encode(audience));
        let method = methods::GITHUB_TOKEN;
        self.retry
            .run("Fetching the GitHub OIDC token", || async {
                let req = self
                    .http
                    .for_url(method, &url)?
                    .get(&url)
                    .header(ACCEPT, "application/json")
                    .bearer_auth(request_token.expose_secret())
                    .timeout(self.attempt_timeout());
                let (status, _, body) = self.send(method, &url, req).await?;
                if status != 200 {
                    return Err(github_error(status, &body));
                }
                let unusable = |message: String, transient| NamespaceError::GithubOidc {
                    http_status: 200,
                    message,
                    transient,
                    attempts: 1,
                };
                // A body cut short may be a network glitch (retried); a
                // well-formed answer without `value` will not change (not retried).
                let resp: Resp = serde_json::from_slice(&body).map_err(|e| {
                    unusable(
                        if body.is_empty() {
                            "the body is empty".to_string()
                        } else {
                            format!("the body is not the expected JSON ({e})")
                        },
                        true,
                    )
                })?;
                match resp.value {
                    Some(v) if !is_blank(&v) => {
                        crate::secrets::register(&v);
                        Ok(v)
                    }
                    _ => Err(unusable("it has no `value`".to_string(), false)),
                }
            })
            .await
    }

    /// A token spec's metadata endpoint: `GET {metadata_url}/workload_token` (5 s timeout, as nsc).
    pub async fn fetch_workload_token(
        &self,
        metadata_url: &str,
    ) -> Result<SecretString, NamespaceError> {
        let url = format!("{}/workload_token", metadata_url.trim_end_matches('/'));
        let method = methods::WORKLOAD_TOKEN;
        self.retry
            .run("Fetching the workload token", || async {
                let req = self
                    .http
                    .for_url(method, &url)?
                    .get(&url)
                    .timeout(self.attempt_timeout().min(Duration::from_secs(5)));
                let (status, headers, body) = self.send(method, &url, req).await?;
                if status != 200 {
                    return Err(read_error(method, status, &headers, &body));
                }
                let text =
                    String::from_utf8(body.to_vec()).map_err(|_| NamespaceError::Unreadable {
                        method,
                        detail: "the body is not text".into(),
                        attempts: 1,
                    })?;
                let token = SecretString::from(text.trim().to_string());
                crate::secrets::register(&token);
                Ok(token)
            })
            .await
    }

    /// One API call with retries: POST JSON, read JSON. `empty_field` names
    /// a required field that came empty: such an answer is unreadable (and
    /// retried), never passed on.
    async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        method: &'static str,
        bearer: Option<&SecretString>,
        body: &Req,
        empty_field: impl Fn(&Resp) -> Option<&'static str>,
    ) -> Result<Resp, NamespaceError> {
        self.retry
            .run(short_method(method), || async {
                let bytes = self.post_once(method, bearer, body).await?;
                let resp: Resp =
                    serde_json::from_slice(&bytes).map_err(|e| NamespaceError::Unreadable {
                        method,
                        detail: unreadable_json(&bytes, &e),
                        attempts: 1,
                    })?;
                match empty_field(&resp) {
                    Some(field) => Err(NamespaceError::Unreadable {
                        method,
                        detail: format!("`{field}` is missing or empty"),
                        attempts: 1,
                    }),
                    None => Ok(resp),
                }
            })
            .await
    }

    /// One POST; Ok(body) on HTTP 200, else the error read from the answer.
    async fn post_once<Req: Serialize>(
        &self,
        method: &'static str,
        bearer: Option<&SecretString>,
        body: &Req,
    ) -> Result<Vec<u8>, NamespaceError> {
        let url = format!("{}/{method}", self.endpoint.base());
        let mut req = self
            .http
            .for_url(method, &url)?
            .post(&url)
            .json(body)
            .timeout(self.attempt_timeout());
        if let Some(token) = bearer {
            req = req.bearer_auth(token.expose_secret());
        }
        let (status, headers, body) = self.send(method, &url, req).await?;
        if status == 200 {
            Ok(body)
        } else {
            Err(read_error(method, status, &headers, &body))
        }
    }

    async fn send(
        &self,
        method: &'static str,
        url: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<(u16, HeaderMap, Vec<u8>), NamespaceError> {
        let transport = |e: reqwest::Error| NamespaceError::Transport {
            method,
            url: strip_query(url),
            detail: error_chain(&e),
            attempts: 1,
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(transport)?.to_vec();
        Ok((status, headers, body))
    }

    fn attempt_timeout(&self) -> Duration {
        self.retry
            .remaining()
            .clamp(Duration::from_millis(1), Duration::from_secs(30))
    }
}

/// What is wrong with a 200 answer's JSON, without quoting it: serde's own
/// message can quote a string of the body, and the body holds the token.
fn unreadable_json(body: &[u8], e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    if body.iter().all(u8::is_ascii_whitespace) {
        return "the body is empty".to_string();
    }
    let what = match e.classify() {
        Category::Eof => "it is cut short",
        Category::Syntax => "it is not JSON",
        Category::Data => "its JSON is not the answer's shape",
        Category::Io => "it could not be read",
    };
    format!(
        "{what} (line {}, column {}; {})",
        e.line(),
        e.column(),
        crate::secrets::withheld_body(body.len())
    )
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A non-200 answer of GitHub's OIDC token endpoint: its status and the
/// start of its body (GitHub answers `{"message": …}` or plain text).
fn github_error(http_status: u16, body: &[u8]) -> NamespaceError {
    #[derive(Deserialize)]
    struct Message {
        message: String,
    }
    let message = serde_json::from_slice::<Message>(body)
        .map(|m| m.message)
        .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned());
    let message: String = message.trim().chars().take(200).collect();
    NamespaceError::GithubOidc {
        http_status,
        message: if message.is_empty() {
            "no message".to_string()
        } else {
            message
        },
        transient: http_status == 429 || http_status >= 500,
        attempts: 1,
    }
}

/// Reads a non-200 answer in the documented order: `google.rpc.Status` JSON
/// with a numeric code, the same with a string code, `grpc-status` headers,
/// then the HTTP status.
pub fn read_error(
    method: &'static str,
    http_status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> NamespaceError {
    #[derive(Deserialize)]
    struct Status {
        code: Option<serde_json::Value>,
        #[serde(default)]
        message: String,
    }
    let from_body = serde_json::from_slice::<Status>(body).ok().and_then(|s| {
        let code = match s.code? {
            serde_json::Value::Number(n) => RpcCode(i32::try_from(n.as_i64()?).ok()?),
            serde_json::Value::String(name) => RpcCode::from_name(&name)?,
            _ => return None,
        };
        Some((code, s.message))
    });
    let from_headers = || {
        let code = headers
            .get("grpc-status")?
            .to_str()
            .ok()?
            .trim()
            .parse::<i32>()
            .ok()?;
        let message = headers
            .get("grpc-message")
            .and_then(|m| m.to_str().ok())
            .map(percent_decode)
            .unwrap_or_default();
        Some((RpcCode(code), message))
    };
    let (code, message, from_status) = match from_body.or_else(from_headers) {
        Some((code, message)) => (code, message, false),
        None => {
            let code = match http_status {
                401 => RpcCode::UNAUTHENTICATED,
                403 => RpcCode::PERMISSION_DENIED,
                404 => RpcCode::NOT_FOUND,
                429 => RpcCode::RESOURCE_EXHAUSTED,
                500 => RpcCode::INTERNAL,
                502..=504 => RpcCode::UNAVAILABLE,
                _ => RpcCode(2),
            };
            let text = String::from_utf8_lossy(body);
            let text: String = text.trim().chars().take(200).collect();
            (code, text, true)
        }
    };
    // INTERNAL is a server-side failure like a bare 500: worth another try (DESIGN: retry 5xx).
    let transient = matches!(
        code,
        RpcCode::UNAVAILABLE
            | RpcCode::RESOURCE_EXHAUSTED
            | RpcCode::DEADLINE_EXCEEDED
            | RpcCode::INTERNAL
    )
        || matches!(http_status, 429 | 502..=504)
        // A bare 5xx without a status in it is a server or proxy failure: worth another try.
        || (from_status && (500..600).contains(&http_status));
    let message = if message.is_empty() {
        "(no message)".to_string()
    } else {
        message
    };
    NamespaceError::Api {
        method,
        code,
        message,
        http_status,
        transient,
        attempts: 1,
    }
}

/// RFC 3986 unreserved characters stay; everything else is %-encoded.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// `grpc-message` is percent-encoded; a malformed escape stays as it is.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

/// An error and its sources, joined: "error sending request: connection refused".
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const M: &str = methods::ISSUE_ID_TOKEN;

    fn api(e: NamespaceError) -> (RpcCode, String, bool) {
        match e {
            NamespaceError::Api {
                code,
                message,
                transient,
                ..
            } => (code, message, transient),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_read_in_the_documented_order() {
        let h = HeaderMap::new();
        assert_eq!(
            api(read_error(
                M,
                403,
                &h,
                br#"{"code":16,"message":"bad token"}"#
            )),
            (RpcCode::UNAUTHENTICATED, "bad token".into(), false)
        );
        assert_eq!(
            api(read_error(
                M,
                500,
                &h,
                br#"{"code":"unavailable","message":"later"}"#
            )),
            (RpcCode::UNAVAILABLE, "later".into(), true)
        );
        let mut h2 = HeaderMap::new();
        h2.insert("grpc-status", HeaderValue::from_static("7"));
        h2.insert("grpc-message", HeaderValue::from_static("no%20way"));
        assert_eq!(
            api(read_error(M, 200, &h2, b"")),
            (RpcCode::PERMISSION_DENIED, "no way".into(), false)
        );
        // The body wins over the headers.
        assert_eq!(
            api(read_error(M, 400, &h2, br#"{"code":3,"message":"x"}"#)).0,
            RpcCode::INVALID_ARGUMENT
        );
        assert_eq!(
            api(read_error(M, 401, &h, b"nope")).0,
            RpcCode::UNAUTHENTICATED
        );
        assert_eq!(api(read_error(M, 404, &h, b"")).0, RpcCode::NOT_FOUND);
        assert!(api(read_error(M, 503, &h, b"down")).2);
        assert!(
            api(read_error(M, 500, &h, b"oops")).2,
            "a bare 500 is retried"
        );
        assert!(
            api(read_error(M, 500, &h, br#"{"code":13,"message":"bug"}"#)).2,
            "INTERNAL is retried"
        );
        let mut h3 = HeaderMap::new();
        h3.insert("grpc-status", HeaderValue::from_static("13"));
        assert!(
            api(read_error(M, 200, &h3, b"")).2,
            "INTERNAL in headers too"
        );
        assert!(api(read_error(M, 429, &h, b"")).2);
        assert!(!api(read_error(M, 418, &h, b"")).2);
    }

    #[test]
    fn refusals_and_transients_are_told_apart() {
        let h = HeaderMap::new();
        assert!(read_error(M, 403, &h, b"").is_refusal());
        assert!(!read_error(M, 503, &h, b"").is_refusal());
        assert!(!read_error(M, 500, &h, br#"{"code":13}"#).is_refusal());
    }

    #[test]
    fn backoff_is_bounded() {
        for attempt in 1..20 {
            let d = RetryPolicy::backoff(attempt);
            assert!(d <= Duration::from_secs(5));
            assert!(d >= Duration::from_millis(250) || attempt == 0);
        }
    }

    #[test]
    fn an_unreadable_answer_is_described_not_quoted() {
        #[derive(Debug, Deserialize)]
        struct Answer {
            #[allow(dead_code)]
            tenant: Vec<u8>,
        }
        let read = |body: &[u8]| {
            let e = serde_json::from_slice::<Answer>(body).unwrap_err();
            unreadable_json(body, &e)
        };
        // serde would say: invalid type: string "nsct_secret…", expected a sequence.
        let shown = read(br#"{"tenant": "nsct_secretvalue"}"#);
        assert!(!shown.contains("nsct_"), "{shown}");
        assert!(
            shown.starts_with("its JSON is not the answer's shape (line 1, column "),
            "{shown}"
        );
        assert!(read(br#"{"tenant": "nsct_sec"#).starts_with("it is cut short"));
        assert!(read(b"<html>").starts_with("it is not JSON"));
        assert_eq!(read(b" \n"), "the body is empty");
    }

    #[test]
    fn url_helpers() {
        assert_eq!(
            percent_encode("nscloud.dev/inline-token"),
            "nscloud.dev%2Finline-token"
        );
        assert_eq!(percent_decode("a%20b%zz%2"), "a b%zz%2");
        assert_eq!(strip_query("http://h/p?x=1"), "http://h/p");
    }

    /// How many times a policy of `max_attempts` within `deadline_in` calls
    /// an operation that always fails with HTTP `status`, and the last error.
    async fn attempts(
        max_attempts: u32,
        deadline_in: Duration,
        status: u16,
    ) -> (u32, NamespaceError) {
        let policy = RetryPolicy {
            max_attempts,
            deadline: Instant::now() + deadline_in,
        };
        let mut calls = 0;
        let err = policy
            .run("test", || {
                calls += 1;
                async move { Err::<(), _>(read_error(M, status, &HeaderMap::new(), b"")) }
            })
            .await
            .unwrap_err();
        (calls, err)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn retry_stops_at_max_attempts_and_never_retries_refusals() {
        let (calls, err) = attempts(2, Duration::from_secs(30), 403).await;
        assert_eq!(calls, 1);
        assert!(err.is_refusal());
        let (calls, _) = attempts(1, Duration::from_secs(30), 503).await;
        assert_eq!(calls, 1, "one attempt means no retry");
        // A deadline that a wait would pass ends the retries at once.
        let (calls, _) = attempts(5, Duration::from_millis(10), 503).await;
        assert_eq!(calls, 1, "no retry when the wait would pass the deadline");
    }
}
