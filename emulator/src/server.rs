//! The HTTP server: accept loop, routing, request recording, latency and faults.

use crate::faults::{self, method_matches};
use crate::{Config, ErrorForm, Fault, RecordedRequest, Role, tokens};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A complete response.
pub type Resp = Response<Full<Bytes>>;

/// Returned by a handler to close the connection without answering.
#[derive(Debug)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("emulated connection drop")
    }
}
impl std::error::Error for DropConnection {}

/// A request with its body read.
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    /// A header as text ("" when absent or not UTF-8).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// Mutable emulator state.
pub struct State {
    pub roles: HashMap<String, Role>,
    pub pools: HashMap<String, String>,
    pub trusts: HashSet<(String, String)>,
    pub oidc_providers: HashSet<String>,
    pub faults: Vec<(String, u32, Fault)>,
    pub latency: HashMap<String, Duration>,
    pub requests: Vec<RecordedRequest>,
    /// GitHub request token → repository.
    pub github_tokens: HashMap<String, String>,
    /// GitHub owner → tenant.
    pub github_owners: HashMap<String, String>,
    /// STS-issued access key id → (secret, session token), so Cognito accepts them too.
    pub sts_creds: HashMap<String, (String, String)>,
    pub error_form: ErrorForm,
}

impl State {
    /// Clears records, faults and latency (not roles, pools or trusts).
    pub fn reset(&mut self) {
        self.requests.clear();
        self.faults.clear();
        self.latency.clear();
    }
}

/// What the server threads and the [`crate::Emulator`] handle share.
pub struct Shared {
    pub config: Config,
    pub port: u16,
    pub default_github_request_token: String,
    state: Mutex<State>,
}

impl Shared {
    pub fn new(config: Config, port: u16) -> Shared {
        let mut roles = HashMap::new();
        roles.insert(
            crate::DEFAULT_ROLE_ARN.to_string(),
            Role {
                arn: crate::DEFAULT_ROLE_ARN.to_string(),
                trusted_tenant: crate::DEFAULT_TENANT.to_string(),
                audience: "sts.amazonaws.com".to_string(),
                max_session_duration: 43_200,
            },
        );
        let mut pools = HashMap::new();
        pools.insert(crate::DEFAULT_POOL.to_string(), "namespace.so".to_string());
        let mut trusts = HashSet::new();
        trusts.insert((
            crate::DEFAULT_TENANT.to_string(),
            crate::DEFAULT_POOL.to_string(),
        ));
        let mut oidc_providers = HashSet::new();
        oidc_providers.insert(config.issuer.trim_end_matches('/').to_string());
        let default_token = format!("ghrt_{}", tokens::random_from(tokens::UPPER_ALNUM, 32));
        let mut github_tokens = HashMap::new();
        github_tokens.insert(default_token.clone(), config.github_repository.clone());
        let state = State {
            roles,
            pools,
            trusts,
            oidc_providers,
            faults: config.faults.clone(),
            latency: config.latency.iter().cloned().collect(),
            requests: Vec::new(),
            github_tokens,
            github_owners: config.github_owners.iter().cloned().collect(),
            sts_creds: HashMap::new(),
            error_form: config.error_form,
        };
        Shared {
            config,
            port,
            default_github_request_token: default_token,
            state: Mutex::new(state),
        }
    }

    /// Locks the state, surviving a poisoned lock (a panicking test must not wedge others).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn new_github_request_token(&self, repository: &str) -> String {
        let t = format!("ghrt_{}", tokens::random_from(tokens::UPPER_ALNUM, 32));
        self.lock()
            .github_tokens
            .insert(t.clone(), repository.to_string());
        t
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Serves until `shutdown` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { handle(shared, req).await }
                    });
                    // An Err from the service makes hyper close the socket without a response,
                    // which is how DropConnection is emulated.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<hyper::body::Incoming>,
) -> Result<Resp, DropConnection> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(DropConnection),
    };
    let req = Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body,
    };

    // Not counted: discovery and admin.
    match (req.method.clone(), req.path.as_str()) {
        (Method::GET, "/.well-known/jwks.json") => return Ok(json(200, &crate::keys::jwks())),
        (Method::GET, "/.well-known/openid-configuration") => {
            return Ok(json(200, &openid_configuration(&shared)));
        }
        (_, p) if p.starts_with("/_emulator/") => return Ok(faults::admin(&shared, &req)),
        _ => {}
    }

    let kind = classify(&req);
    let name = kind.method_name(&req);
    let params = match &kind {
        Kind::Namespace => crate::namespace::params(&req),
        Kind::Sts => crate::sts::params(&req),
        Kind::Cognito => crate::cognito::params(&req),
        Kind::Github => crate::github::params(&req),
        Kind::Unknown => Vec::new(),
    };
    let (latency, fault, error_form) = {
        let mut st = shared.lock();
        st.requests.push(RecordedRequest {
            method: name.clone(),
            headers: redact_headers(&req.headers),
            params,
        });
        let latency = st
            .latency
            .iter()
            .filter(|(m, _)| method_matches(m, &name))
            .map(|(_, d)| *d)
            .max();
        let fault = st
            .faults
            .iter_mut()
            .find(|(m, n, _)| *n > 0 && method_matches(m, &name))
            .map(|(_, n, f)| {
                *n -= 1;
                f.clone()
            });
        st.faults.retain(|(_, n, _)| *n > 0);
        (latency, fault, st.error_form)
    };
    if let Some(d) = latency {
        tokio::time::sleep(d).await;
    }
    if let Some(f) = fault {
        return faults::render(&f, &kind);
    }
    Ok(match kind {
        Kind::Namespace => crate::namespace::handle(&shared, &req, &name, error_form),
        Kind::Sts => crate::sts::handle(&shared, &req),
        Kind::Cognito => crate::cognito::handle(&shared, &req),
        Kind::Github => crate::github::handle(&shared, &req),
        Kind::Unknown => text(
            404,
            "emulator: no such endpoint; see the crate docs for the paths it answers",
        ),
    })
}

/// Which emulated service a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Namespace,
    Sts,
    Cognito,
    Github,
    Unknown,
}

impl Kind {
    fn method_name(&self, req: &Req) -> String {
        match self {
            Kind::Namespace | Kind::Unknown => req.path.trim_start_matches('/').to_string(),
            Kind::Sts => {
                let action = crate::sts::form(req)
                    .into_iter()
                    .find(|(k, _)| k == "Action")
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                format!("sts:{action}")
            }
            Kind::Cognito => {
                let target = req.header("x-amz-target");
                let op = target.rsplit('.').next().unwrap_or(target);
                format!("cognito-identity:{op}")
            }
            Kind::Github => "github:token".to_string(),
        }
    }
}

fn classify(req: &Req) -> Kind {
    let path = req.path.as_str();
    if path == "/" || path.is_empty() {
        if !req.header("x-amz-target").is_empty() {
            return Kind::Cognito;
        }
        return Kind::Sts;
    }
    if path == "/github/token" {
        return Kind::Github;
    }
    let p = path.trim_start_matches('/');
    if p.starts_with("nsl.") || p.contains("Service/") {
        return Kind::Namespace;
    }
    Kind::Unknown
}

fn openid_configuration(shared: &Shared) -> serde_json::Value {
    serde_json::json!({
        "issuer": shared.config.issuer,
        // The discovery names the emulator's own JWKS so that a verifier can fetch it on loopback.
        "jwks_uri": format!("{}/.well-known/jwks.json", shared.url()),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "aud", "exp", "iat", "iss", "tenant_id", "instance_id"],
    })
}

const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "x-amz-security-token",
    "cookie",
    "proxy-authorization",
];

fn redact_headers(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            let name = k.as_str().to_ascii_lowercase();
            let value = if SECRET_HEADERS.contains(&name.as_str()) {
                let v = v.to_str().unwrap_or("");
                // Keep the scheme: tests may check "Bearer" vs "AWS4-HMAC-SHA256".
                match v.split_once(' ') {
                    Some((scheme, _)) => format!("{scheme} <redacted>"),
                    None => "<redacted>".to_string(),
                }
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (name, value)
        })
        .collect()
}

/// A response with a body and content type.
pub fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if !content_type.is_empty() {
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).expect("static content type"),
        );
    }
    r
}

/// A JSON response.
pub fn json(status: u16, v: &serde_json::Value) -> Resp {
    respond(
        status,
        "application/json",
        serde_json::to_vec(v).expect("JSON value serializes"),
    )
}

/// A plain-text response.
pub fn text(status: u16, body: &str) -> Resp {
    respond(status, "text/plain; charset=utf-8", body.to_string())
}

/// `application/x-www-form-urlencoded` or query pairs.
pub fn parse_pairs(s: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(s).unwrap_or_default()
}
