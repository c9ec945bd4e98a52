//! A loopback emulator of Namespace's federation API, AWS STS
//! (`AssumeRoleWithWebIdentity`), AWS Cognito Identity
//! (`GetOpenIdTokenForDeveloperIdentity`) and GitHub's Actions OIDC token
//! endpoint, all on one port, for testing ns-federate without leaving 127.0.0.1.
//!
//! Point both `NSC_IAM_ENDPOINT` and `AWS_ENDPOINT_URL` at [`Emulator::url`].
//! Namespace methods answer at `/<Service>/<Method>`; STS and Cognito share `/`
//! and are told apart as AWS does (STS: form-encoded `Action=…`; Cognito:
//! `X-Amz-Target: AWSCognitoIdentityService.…`).
//!
//! Method names as recorded in [`RecordedRequest::method`] and accepted by
//! [`Emulator::fail_next`] / [`Emulator::set_latency`] (a bare last component
//! such as `IssueIdToken` or `AssumeRoleWithWebIdentity` also matches, `*` matches all):
//! - `nsl.tenants.TenantsService/IssueIdToken`
//! - `nsl.tenants.TenantsService/ExchangeAWSCognitoJWT`
//! - `nsl.tenants.TenantsService/TrustAWSCognitoIdentityPool`
//! - `nsl.tenants.TenantsService/ExchangeGithubToken`
//! - `nsl.tenants.TenantsService/ExchangeOIDCToken`
//! - `nsl.tenants.TenantsService/GetTenant`
//! - `nsl.signin.SigninService/IssueTenantTokenFromSession`
//! - `sts:AssumeRoleWithWebIdentity`
//! - `cognito-identity:GetOpenIdTokenForDeveloperIdentity`
//! - `github:token`
//!
//! Not counted: `/.well-known/jwks.json`, `/.well-known/openid-configuration`
//! and the admin endpoints under `/_emulator/` (`POST /_emulator/faults`,
//! `POST /_emulator/latency`, `GET /_emulator/requests`, `POST /_emulator/reset`).
//! Faults are armed with `{"spec":"METHOD:N:CODE"}` or
//! `{"method":"…","count":N,"fault":"CODE"}` (CODE as in [`parse_fault_spec`]),
//! latency with `{"method":"…","ms":N}`.

pub mod fake;
pub mod moto;
pub mod runner;

mod cognito;
mod faults;
mod github;
pub mod keys;
mod namespace;
mod server;
mod sts;
mod tokens;

use std::sync::Arc;
use std::time::Duration;

pub use faults::{parse_fail_arg, parse_fault_spec, parse_latency_arg};

/// Tenant id trusted by [`DEFAULT_ROLE_ARN`] and [`DEFAULT_POOL`].
pub const DEFAULT_TENANT: &str = "tnt_emulator01";
/// Role with MaxSessionDuration 43200 that trusts `DEFAULT_TENANT/*` for audience `sts.amazonaws.com`.
pub const DEFAULT_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/ns-federate-test";
/// Cognito identity pool with developer provider `namespace.so`, trusted by [`DEFAULT_TENANT`].
pub const DEFAULT_POOL: &str = "us-east-1:5f2a7c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b";
/// Access key id of the known test credentials the emulated Cognito accepts.
pub const TEST_ACCESS_KEY_ID: &str = "AKIAEMULATORTEST0001";
/// Secret access key of the known test credentials (40 chars, test-only).
pub const TEST_SECRET_ACCESS_KEY: &str = "emulator/test+secret/0000000000000000000";
/// Default issuer of the ID tokens the emulated Namespace mints.
pub const ISSUER: &str = "https://federation.namespaceapis.com";
/// Audience GitHub OIDC tokens must carry for `ExchangeGithubToken`.
pub const GITHUB_AUDIENCE: &str = "nscloud.dev/inline-token";
/// Issuer of the emulated GitHub Actions OIDC tokens.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// Issuer of the emulated Cognito OpenID tokens.
pub const COGNITO_ISSUER: &str = "https://cognito-identity.amazonaws.com";
/// Repository the default GitHub request token mints tokens for; its owner maps to [`DEFAULT_TENANT`].
pub const DEFAULT_GITHUB_REPOSITORY: &str = "emulator-org/demo-repo";

/// How the emulator starts.
#[derive(Debug, Clone)]
pub struct Config {
    /// Loopback port; 0 picks a free one.
    pub port: u16,
    /// `iss` of minted ID tokens; also the one OIDC provider STS knows at start.
    pub issuer: String,
    /// Repository (`owner/repo`) of the default GitHub request token.
    pub github_repository: String,
    /// GitHub repository owner → tenant id, for `ExchangeGithubToken`.
    pub github_owners: Vec<(String, String)>,
    /// Form of Namespace errors that are not injected faults.
    pub error_form: ErrorForm,
    /// Faults armed at start: (method, count, fault).
    pub faults: Vec<(String, u32, Fault)>,
    /// Latency added at start: (method, delay).
    pub latency: Vec<(String, Duration)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 0,
            issuer: ISSUER.to_string(),
            github_repository: DEFAULT_GITHUB_REPOSITORY.to_string(),
            github_owners: vec![("emulator-org".to_string(), DEFAULT_TENANT.to_string())],
            error_form: ErrorForm::NumericJson,
            faults: Vec::new(),
            latency: Vec::new(),
        }
    }
}

/// An IAM role STS can assume, with the trust policy the emulator enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `arn:aws:iam::<account>:role/<name>`.
    pub arn: String,
    /// `sub` must match `StringLike "<trusted_tenant>/*"`.
    pub trusted_tenant: String,
    /// `aud` must be exactly this.
    pub audience: String,
    /// Longest DurationSeconds allowed (3600..43200).
    pub max_session_duration: u32,
}

/// An injected failure for the next calls of a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and a plain-text body.
    Http(u16),
    /// Answer with a gRPC status in one of the Namespace error forms.
    Grpc {
        /// gRPC code, e.g. 14 UNAVAILABLE.
        code: i32,
        /// How the code is carried.
        form: ErrorForm,
    },
    /// Answer with an STS error XML of this code (e.g. `Throttling`, `IDPCommunicationError`).
    Sts(String),
    /// Answer with a Cognito JSON error of this `__type`.
    Cognito(String),
    /// Close the connection without any response.
    DropConnection,
    /// HTTP 200 with a truncated, unparseable body.
    MalformedBody,
    /// HTTP 200 with an empty body.
    EmptyBody,
}

/// The three ways a Namespace error reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorForm {
    /// `{"code": 7, "message": "…", "details": []}` (google.rpc.Status).
    #[default]
    NumericJson,
    /// `{"code": "permission_denied", "message": "…"}`.
    StringJson,
    /// `grpc-status` / `grpc-message` headers and an empty body.
    Headers,
}

/// One counted request, with secrets redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Method name (see the crate docs).
    pub method: String,
    /// Request headers, lower-case names; Authorization and token values redacted.
    pub headers: Vec<(String, String)>,
    /// Non-secret request fields (STS RoleArn/DurationSeconds/RoleSessionName, IssueIdToken audience, …).
    pub params: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The first value of a recorded param.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a recorded header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A running emulator; dropping it shuts the server down.
pub struct Emulator {
    shared: Arc<server::Shared>,
    port: u16,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url())
            .finish()
    }
}

impl Emulator {
    /// Starts with [`Config::default`] on a random loopback port.
    pub fn start() -> Emulator {
        Self::start_with(Config::default())
    }

    /// Starts on its own thread and tokio runtime; returns once listening on 127.0.0.1.
    pub fn start_with(config: Config) -> Emulator {
        let listener =
            std::net::TcpListener::bind(("127.0.0.1", config.port)).unwrap_or_else(|e| {
                panic!(
                    "emulator: cannot listen on 127.0.0.1:{}: {e}; pick another --port or 0",
                    config.port
                )
            });
        let port = listener
            .local_addr()
            .expect("bound socket has an address")
            .port();
        listener
            .set_nonblocking(true)
            .expect("set_nonblocking on the listener");
        let shared = Arc::new(server::Shared::new(config, port));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("ns-federate-emulator".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("emulator tokio runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("emulator listener into tokio");
                    server::serve(listener, thread_shared, rx).await;
                });
                rt.shutdown_background();
            })
            .expect("spawn emulator thread");
        Emulator {
            shared,
            port,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `iss` of the ID tokens it mints.
    pub fn issuer(&self) -> String {
        self.shared.config.issuer.clone()
    }

    /// A valid tenant token, `nsct_<jwt>`.
    pub fn tenant_token(
        &self,
        tenant_id: &str,
        instance_id: Option<&str>,
        ttl: Duration,
    ) -> String {
        tokens::namespace_token(
            "nsct_",
            tenant_id,
            instance_id,
            tokens::now() as i64 + ttl.as_secs() as i64,
        )
    }

    /// A valid workload token, `nscw_<jwt>`.
    pub fn workload_token(&self, tenant_id: &str, instance_id: &str, ttl: Duration) -> String {
        tokens::namespace_token(
            "nscw_",
            tenant_id,
            Some(instance_id),
            tokens::now() as i64 + ttl.as_secs() as i64,
        )
    }

    /// A valid session token, `st_<jwt>`, to exchange with `IssueTenantTokenFromSession`.
    pub fn session_token(&self, tenant_id: &str, ttl: Duration) -> String {
        tokens::namespace_token(
            "st_",
            tenant_id,
            None,
            tokens::now() as i64 + ttl.as_secs() as i64,
        )
    }

    /// A validly signed tenant token whose `exp` is an hour in the past.
    pub fn expired_tenant_token(&self, tenant_id: &str) -> String {
        tokens::namespace_token("nsct_", tenant_id, None, tokens::now() as i64 - 3600)
    }

    /// An ID token exactly as `IssueIdToken` would mint it (sub `<tenant>/tenant`).
    pub fn id_token(&self, tenant_id: &str, audience: &str, ttl: Duration) -> String {
        tokens::id_token(
            &self.shared.config.issuer,
            tenant_id,
            None,
            audience,
            ttl.as_secs(),
        )
    }

    /// A Cognito OpenID token as `GetOpenIdTokenForDeveloperIdentity` would mint it.
    pub fn cognito_token(&self, pool_id: &str, login: &str, ttl: Duration) -> String {
        tokens::cognito_token(pool_id, login, ttl.as_secs())
    }

    /// A GitHub Actions OIDC token for `repository` (`owner/repo`) and `audience`.
    pub fn github_id_token(&self, repository: &str, audience: &str, ttl: Duration) -> String {
        tokens::github_token(repository, audience, ttl.as_secs())
    }

    /// Value for `ACTIONS_ID_TOKEN_REQUEST_URL` (already has a query string).
    pub fn github_oidc_url(&self) -> String {
        format!("{}/github/token?api-version=2.0", self.url())
    }

    /// Value for `ACTIONS_ID_TOKEN_REQUEST_TOKEN`; its tokens are for [`Config::github_repository`].
    pub fn github_request_token(&self) -> String {
        self.shared.default_github_request_token.clone()
    }

    /// A new request token whose OIDC tokens name `repository` (`owner/repo`).
    pub fn github_request_token_for(&self, repository: &str) -> String {
        self.shared.new_github_request_token(repository)
    }

    /// Makes `ExchangeGithubToken` map GitHub `owner` to `tenant_id`.
    pub fn map_github_owner(&self, owner: &str, tenant_id: &str) {
        self.shared
            .lock()
            .github_owners
            .insert(owner.to_string(), tenant_id.to_string());
    }

    /// Adds (or replaces) a role STS can assume.
    pub fn add_role(&self, role: Role) {
        self.shared.lock().roles.insert(role.arn.clone(), role);
    }

    /// Registers an OIDC provider (issuer URL) with the emulated IAM.
    pub fn add_oidc_provider(&self, issuer: &str) {
        self.shared
            .lock()
            .oidc_providers
            .insert(issuer.trim_end_matches('/').to_string());
    }

    /// Adds a Cognito identity pool with this developer provider name.
    pub fn add_pool(&self, pool_id: &str, developer_provider: &str) {
        self.shared
            .lock()
            .pools
            .insert(pool_id.to_string(), developer_provider.to_string());
    }

    /// Records that `tenant_id` trusts the Cognito pool (as `TrustAWSCognitoIdentityPool` does).
    pub fn trust_pool(&self, tenant_id: &str, pool_id: &str) {
        self.shared
            .lock()
            .trusts
            .insert((tenant_id.to_string(), pool_id.to_string()));
    }

    /// Whether `tenant_id` trusts the Cognito pool.
    pub fn is_pool_trusted(&self, tenant_id: &str, pool_id: &str) -> bool {
        self.shared
            .lock()
            .trusts
            .contains(&(tenant_id.to_string(), pool_id.to_string()))
    }

    /// Fails the next `n` calls of `method` with `fault`.
    pub fn fail_next(&self, method: &str, n: u32, fault: Fault) {
        self.shared
            .lock()
            .faults
            .push((method.to_string(), n, fault));
    }

    /// Delays every answer to `method` by `latency` (zero removes it).
    pub fn set_latency(&self, method: &str, latency: Duration) {
        let mut st = self.shared.lock();
        if latency.is_zero() {
            st.latency.remove(method);
        } else {
            st.latency.insert(method.to_string(), latency);
        }
    }

    /// Form of Namespace errors that are not injected faults.
    pub fn set_error_form(&self, form: ErrorForm) {
        self.shared.lock().error_form = form;
    }

    /// Every counted request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Number of counted requests.
    pub fn request_count(&self) -> usize {
        self.shared.lock().requests.len()
    }

    /// Number of counted requests of `method` (same matching as [`Emulator::fail_next`]).
    pub fn count(&self, method: &str) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| faults::method_matches(method, &r.method))
            .count()
    }

    /// Clears recorded requests, armed faults and latency.
    pub fn reset(&self) {
        self.shared.lock().reset();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
