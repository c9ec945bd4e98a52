//! AWS Cognito Identity `GetOpenIdTokenForDeveloperIdentity`, signed with
//! the credentials of the AWS default chain (environment, shared profile,
//! web identity, ECS/EKS container credentials, instance metadata).
//!
//! The region is always given explicitly, so no metadata request is spent
//! on finding it. The chain is resolved once, before the Cognito call, so
//! that "no credentials" is reported as such (with the sources tried) and
//! the credentials are not looked up a second time by the client.

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_cognitoidentity::config::http::HttpResponse;
use aws_sdk_cognitoidentity::config::retry::RetryConfig;
use aws_sdk_cognitoidentity::config::{ProvideCredentials, Region as SdkRegion};
use aws_sdk_cognitoidentity::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError;
use aws_smithy_runtime_api::client::result::ConnectorError;
use secrecy::SecretString;

use super::{CleartextRefused, Failure, attempts_text, failure, is_transient_answer};
use crate::config::cognito::DEVELOPER_PROVIDER;
use crate::config::{Endpoint, IdentityPoolId, Region, TenantId};
use crate::error::exit;
use crate::namespace::client::Retryable;
use crate::namespace::{NamespaceError, RetryPolicy, RpcCode};
use crate::timestamp::Timestamp;

/// The IAM action the job's AWS identity needs on the pool.
pub const PERMISSION: &str = "cognito-identity:GetOpenIdTokenForDeveloperIdentity";

/// A Cognito OpenID token (a bearer secret; Debug is redacted).
pub struct CognitoToken(SecretString);

impl CognitoToken {
    /// The token, to hand to `ExchangeAWSCognitoJWT`.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl fmt::Debug for CognitoToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CognitoToken([REDACTED])")
    }
}

/// Why the AWS → Namespace direction failed. Never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum CognitoError {
    /// The default chain found no credentials anywhere.
    #[error("{}", no_credentials_message())]
    NoCredentials {
        /// What the SDK said (debug log only: it repeats the list below).
        detail: String,
    },
    /// A credentials source is configured but wrong (bad profile, unreadable file).
    #[error("The AWS credentials are misconfigured: {detail}")]
    CredentialsMisconfigured {
        /// What the SDK said.
        detail: String,
    },
    /// A credentials source failed or timed out (STS for web identity, the container or metadata endpoint).
    #[error("Could not get AWS credentials: {detail}")]
    CredentialsUnavailable {
        /// What the SDK said.
        detail: String,
    },
    /// AWS STS refused the chain's role (web identity, a profile's `role_arn`).
    #[error("AWS refused the credentials source of this machine: {detail}")]
    CredentialsRefused {
        /// What the SDK said.
        detail: String,
    },
    /// Cognito did not accept the credentials that signed the call (wrong secret key, expired session, clock).
    #[error(
        "AWS Cognito did not accept the AWS credentials that signed GetOpenIdTokenForDeveloperIdentity for identity pool {pool}: {code}: {message}\n  This machine's clock says {local_clock}."
    )]
    BadCredentials {
        /// The pool.
        pool: IdentityPoolId,
        /// Cognito's error code.
        code: String,
        /// Cognito's message.
        message: String,
        /// The local clock when the answer came.
        local_clock: Timestamp,
    },
    /// Cognito refused for lack of permission, or the pool does not exist.
    #[error(
        "AWS Cognito refused {PERMISSION} for identity pool {pool}: {code}: {message}\n  The job's AWS identity needs {PERMISSION} on that pool, and the pool must exist in {region} with the developer provider {DEVELOPER_PROVIDER}.",
        region = pool.region()
    )]
    Denied {
        /// The pool.
        pool: IdentityPoolId,
        /// Cognito's error code.
        code: String,
        /// Cognito's message.
        message: String,
    },
    /// Any other refusal (bad signature, bad parameter, ...).
    #[error(
        "AWS Cognito refused GetOpenIdTokenForDeveloperIdentity for identity pool {pool}: {code}: {message}"
    )]
    Refused {
        /// The pool.
        pool: IdentityPoolId,
        /// Cognito's error code.
        code: String,
        /// Cognito's message.
        message: String,
    },
    /// Throttling, 5xx, connection errors and timeouts, after the retries.
    #[error(
        "AWS Cognito was unreachable, unavailable or throttling ({}): {detail}",
        attempts_text(*attempts)
    )]
    Transient {
        /// What happened.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// An answer that cannot be used (empty, cut short, no token), after the retries.
    #[error(
        "AWS Cognito's answer could not be used ({}): {detail}",
        attempts_text(*attempts)
    )]
    Unexpected {
        /// What was wrong.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The Cognito request was not sent (refused locally, could not be built).
    #[error("Could not make the AWS Cognito request: {detail}. Nothing was sent.")]
    Request {
        /// What was wrong.
        detail: String,
    },
    /// Namespace refused the Cognito token (pool not trusted, wrong tenant, ...).
    #[error(
        "Namespace refused the Cognito token of identity pool {pool} for workspace {tenant_id}: {error}"
    )]
    ExchangeRefused {
        /// The refusal.
        error: NamespaceError,
        /// The pool.
        pool: IdentityPoolId,
        /// The workspace asked for.
        tenant_id: TenantId,
    },
    /// Namespace's tenant token cannot be read (no claims, no expiry).
    #[error("The tenant token Namespace returned cannot be used: {problem}.")]
    UnusableTenantToken {
        /// What is wrong with it.
        problem: String,
    },
    /// The caller's Namespace token belongs to another workspace than `--tenant-id`; nothing was changed.
    #[error(
        "The Namespace token from {source_name} belongs to workspace {token_tenant}, not {tenant_id}: refusing to change the trust of {tenant_id} with it. {}",
        if *asked_namespace { "Nothing was changed (only GetTenant was asked, to learn the API key's workspace)." } else { "Nothing was sent." }
    )]
    WrongTenant {
        /// Where the token came from.
        source_name: String,
        /// The token's `tenant_id` claim (or GetTenant's answer for an API key).
        token_tenant: String,
        /// The workspace named with `--tenant-id`.
        tenant_id: TenantId,
        /// GetTenant was sent to learn the token's workspace (an API key has no claims).
        asked_namespace: bool,
    },
    /// Namespace's exchange returned a token this run must not hand over
    /// (another workspace's, not a tenant token, already expired).
    #[error("{problem}; nothing was written.")]
    TenantTokenRefused {
        /// What is wrong with it (never the token).
        problem: String,
    },
}

impl CognitoError {
    /// The exit code (see `error.rs`): 2 configuration, 3 refused, 4 transient.
    pub fn exit_code(&self) -> u8 {
        match self {
            // No identity, or a broken one: fix the machine's configuration; nothing was sent to Cognito.
            Self::NoCredentials { .. }
            | Self::CredentialsMisconfigured { .. }
            | Self::Request { .. } => exit::BAD_INPUT,
            // A local check of the token's claims: nothing was sent.
            Self::WrongTenant { .. } => exit::BAD_INPUT,
            Self::Denied { .. }
            | Self::Refused { .. }
            | Self::BadCredentials { .. }
            | Self::CredentialsRefused { .. }
            | Self::ExchangeRefused { .. }
            | Self::TenantTokenRefused { .. } => exit::REFUSED,
            Self::CredentialsUnavailable { .. }
            | Self::Transient { .. }
            | Self::Unexpected { .. }
            | Self::UnusableTenantToken { .. } => exit::TRANSIENT,
        }
    }

    /// A short title (GitHub annotation title).
    pub fn title(&self) -> &'static str {
        match self {
            Self::NoCredentials { .. } => "No AWS credentials",
            Self::CredentialsMisconfigured { .. } => "AWS credentials misconfigured",
            Self::CredentialsUnavailable { .. } => "AWS credentials unavailable",
            Self::CredentialsRefused { .. } => "AWS credentials refused",
            Self::BadCredentials { .. } => "AWS credentials not accepted",
            Self::Request { .. } => "Could not call AWS Cognito",
            Self::Denied { .. } | Self::Refused { .. } => "Refused by AWS Cognito",
            Self::Transient { .. } | Self::Unexpected { .. } => {
                "AWS Cognito unavailable or throttling"
            }
            Self::ExchangeRefused { .. } => "Refused by Namespace",
            Self::UnusableTenantToken { .. } => "Unusable answer from Namespace",
            Self::WrongTenant { .. } => "Token of another workspace",
            Self::TenantTokenRefused { .. } => "Unusable token from Namespace",
        }
    }

    /// What to do next.
    pub fn hint(&self) -> String {
        match self {
            Self::NoCredentials { .. } => "Give this job an AWS identity: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role attached to the CodeBuild project, ECS/EKS task or EC2 instance.".into(),
            Self::CredentialsRefused { detail } | Self::CredentialsUnavailable { detail } | Self::CredentialsMisconfigured { detail }
                if detail.starts_with(PROFILE_ROLE_FAILED) => "Check the role_arn and source_profile of that profile in the AWS config file (AWS_CONFIG_FILE, else ~/.aws/config): the source profile's credentials must be allowed to assume the role (sts:AssumeRole and the role's trust policy), and AWS_ENDPOINT_URL(_STS) must point at STS.".into(),
            Self::CredentialsMisconfigured { detail }
                if detail.contains("SSO") || detail.contains("/sso/cache/") => "Log in to AWS IAM Identity Center first: aws sso login --profile <the profile in AWS_PROFILE>; or put exported credentials in the environment: eval \"$(aws configure export-credentials --format env)\".".into(),
            Self::CredentialsMisconfigured { .. } => "Fix the AWS profile or environment named above (AWS_PROFILE, ~/.aws/config, credential_process, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ENDPOINT_URL_STS).".into(),
            Self::CredentialsUnavailable { .. } => "Run again; if it persists, check the credentials source named above (its endpoint, its role).".into(),
            Self::CredentialsRefused { .. } => "Check the role this machine assumes (AWS_ROLE_ARN or the profile's role_arn), its trust policy, and the web identity token.".into(),
            Self::BadCredentials { code, .. } if code.starts_with("ExpiredToken") => "The session token of these AWS credentials has expired: get fresh ones (a new AWS_SESSION_TOKEN, `aws sso login`, a new role session), and check this machine's clock.".into(),
            Self::BadCredentials { .. } => "Check the AWS credentials this job signs with: the secret key must belong to the access key id (AWS_SECRET_ACCESS_KEY with AWS_ACCESS_KEY_ID, or the profile's pair), temporary keys (ASIA…) need their AWS_SESSION_TOKEN and expire, and this machine's clock must be right (signatures are valid for 5 minutes).".into(),
            Self::Request { .. } => "Check AWS_ENDPOINT_URL(_COGNITO_IDENTITY) and the proxy settings (HTTPS_PROXY, NO_PROXY).".into(),
            Self::Denied { pool, .. } => format!(
                "Allow {PERMISSION} on arn:{}:cognito-identity:{}:<account>:identitypool/{pool} for this AWS identity, and check the pool id and region.",
                pool.region().partition(),
                pool.region()
            ),
            Self::Refused { .. } => "Check the pool id and region, and this machine's clock (signatures expire).".into(),
            Self::Transient { .. } | Self::Unexpected { .. } => crate::error::aws_transient_hint("AWS_ENDPOINT_URL(_COGNITO_IDENTITY)"),
            Self::ExchangeRefused {
                error: NamespaceError::Api { code, .. },
                ..
            } if *code == RpcCode::UNAUTHENTICATED || *code == RpcCode::INVALID_ARGUMENT => {
                "Namespace did not accept the Cognito token itself: check that AWS_ENDPOINT_URL(_COGNITO_IDENTITY) points at AWS Cognito (not a stand-in) and that this machine's clock is right.".into()
            }
            Self::ExchangeRefused { pool, tenant_id, .. } => format!(
                "Let workspace {tenant_id} trust the pool (once, as an admin of the workspace): ns-federate auth trust-aws-cognito-identity-pool --aws-region {} --identity-pool {pool} --tenant-id {tenant_id}",
                pool.region()
            ),
            Self::UnusableTenantToken { .. } => "Run again; if it persists, contact Namespace support with the message above.".into(),
            // The wrong kind of token: no clock can cause that.
            Self::TenantTokenRefused { problem } if problem.contains("not a tenant token") => "Check --tenant-id / input `tenant-id`; if it persists, contact Namespace support with the message above.".into(),
            Self::TenantTokenRefused { .. } => "Check --tenant-id / input `tenant-id` and the machine's clock; if it persists, contact Namespace support with the message above.".into(),
            Self::WrongTenant { tenant_id, .. } => format!(
                "Use a token of workspace {tenant_id}: `nsc login` to it, or pass --namespace-token-file / NSC_TOKEN_SPEC with one of its tokens."
            ),
        }
    }
}

fn no_credentials_message() -> String {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let state = |names: &[&str]| {
        let present: Vec<&str> = names.iter().copied().filter(|n| set(n)).collect();
        if present.is_empty() {
            "not set".to_string()
        } else {
            format!("{} set", present.join(", "))
        }
    };
    // Half a key pair is the commonest slip: say which half is missing.
    let keys = match (set("AWS_ACCESS_KEY_ID"), set("AWS_SECRET_ACCESS_KEY")) {
        (true, false) => {
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is missing".to_string()
        }
        (false, true) => {
            "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is missing".to_string()
        }
        _ => state(&["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]),
    };
    let profile = missing_profile()
        .map(|m| format!(": {m}"))
        .unwrap_or_else(|| {
            format!(
                " (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE: {}): no credentials",
                state(&[
                    "AWS_PROFILE",
                    "AWS_SHARED_CREDENTIALS_FILE",
                    "AWS_CONFIG_FILE"
                ])
            )
        });
    let imds = if std::env::var("AWS_EC2_METADATA_DISABLED")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"))
    {
        "disabled by AWS_EC2_METADATA_DISABLED=true".to_string()
    } else {
        "no instance role answered".to_string()
    };
    format!(
        "No AWS credentials found by the default chain. Tried, in order:\n  \
         - environment AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: {keys}\n  \
         - shared profile in ~/.aws/credentials and ~/.aws/config{profile}\n  \
         - web identity AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN: {}\n  \
         - container credentials AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI (ECS, EKS Pod Identity): {}\n  \
         - instance metadata (EC2 instance profile): {imds}",
        state(&["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"]),
        state(&[
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI"
        ]),
    )
}

/// The shared config and credentials files, where aws-config looks for them.
fn profile_files() -> [std::path::PathBuf; 2] {
    let home = std::env::var_os("HOME").unwrap_or_default();
    let path = |var: &str, default: &str| {
        let given = std::env::var(var).ok().filter(|v| !v.is_empty());
        match given {
            Some(v) => match v.strip_prefix("~/") {
                Some(rest) => std::path::Path::new(&home).join(rest),
                None => std::path::PathBuf::from(v),
            },
            None => std::path::Path::new(&home).join(default),
        }
    };
    [
        path("AWS_CONFIG_FILE", ".aws/config"),
        path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
    ]
}

/// Whether `[profile NAME]` (or `[NAME]`) heads a section of `text`.
fn defines_profile(text: &str, name: &str, config_file: bool) -> bool {
    text.lines().any(|line| {
        let Some(inner) = line
            .trim()
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
        else {
            return false;
        };
        let inner = inner.trim();
        let named = match inner.strip_prefix("profile") {
            Some(rest) if config_file && rest.starts_with(char::is_whitespace) => rest.trim(),
            _ => inner,
        };
        named == name
    })
}

/// When `AWS_PROFILE` names a profile that neither file defines: saying so.
fn missing_profile() -> Option<String> {
    let name = std::env::var("AWS_PROFILE")
        .ok()
        .filter(|n| !n.is_empty())?;
    let [config, credentials] = profile_files();
    let defined = |path: &std::path::Path, config_file: bool| {
        std::fs::read_to_string(path).is_ok_and(|t| defines_profile(&t, &name, config_file))
    };
    if defined(&config, true) || defined(&credentials, false) {
        return None;
    }
    Some(format!(
        "AWS_PROFILE names the profile `{name}`, which neither {} nor {} defines",
        config.display(),
        credentials.display()
    ))
}

/// The start of the message when a profile's `role_arn` could not be assumed.
const PROFILE_ROLE_FAILED: &str = "assuming role ";

/// "assuming role ARN for profile NAME failed: CODE: message", from the
/// profile in `AWS_PROFILE` (else `default`) and its config section.
fn profile_role_detail(sts: &Failure) -> String {
    let name = std::env::var("AWS_PROFILE")
        .ok()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "default".into());
    let [config, _] = profile_files();
    let role = std::fs::read_to_string(&config)
        .ok()
        .and_then(|t| profile_key(&t, &name, "role_arn"))
        .unwrap_or_else(|| "(the profile's role_arn)".into());
    let what = match sts {
        Failure::Coded { code, message, .. } if message.is_empty() => code.clone(),
        Failure::Coded { code, message, .. } => format!("{code}: {message}"),
        Failure::Uncoded { status, snippet } => format!("HTTP {status}: {snippet}"),
        Failure::Unreadable(d) | Failure::Transient(d) | Failure::NotSent(d) => d.clone(),
    };
    format!("{PROFILE_ROLE_FAILED}{role} for profile {name} failed: {what}")
}

/// The value of `key` in the config file's section of profile `name`.
fn profile_key(text: &str, name: &str, key: &str) -> Option<String> {
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = defines_profile(t, name, true);
        } else if inside
            && let Some((k, v)) = t.split_once('=')
            && k.trim() == key
        {
            return Some(v.trim().to_string());
        }
    }
    None
}

/// A Cognito Identity client signed with the default chain's credentials.
pub struct CognitoClient {
    client: aws_sdk_cognitoidentity::Client,
    retry: RetryPolicy,
}

impl CognitoClient {
    /// Resolves the default credential chain (once, within `timeout`) and
    /// builds the client: explicit region and credentials, the validated
    /// `endpoint` or AWS's own, retries of transient failures bounded by
    /// `max_attempts` and by `timeout` from now.
    ///
    /// Endpoints: the client takes only `endpoint`, which config validated
    /// (https, or http on loopback) from `AWS_ENDPOINT_URL_COGNITO_IDENTITY` /
    /// `AWS_ENDPOINT_URL` unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
    /// It is built from a bare `Config::builder()`, not from the loaded
    /// `SdkConfig`, so the profile's `endpoint_url`/`services` and any other
    /// variable are never followed. The credential chain's own STS clients do
    /// follow them (aws-config offers no way to stop that); every request
    /// they make goes through [`super::guarded_client_for`], which refuses
    /// cleartext off this machine before anything is sent.
    pub async fn new(
        region: &Region,
        endpoint: Option<&Endpoint>,
        max_attempts: u32,
        timeout: Duration,
    ) -> Result<Self, CognitoError> {
        let deadline = Instant::now() + timeout;
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .region(SdkRegion::new(region.as_str().to_string()))
            .http_client(super::guarded_client_for(None))
            .timeout_config(super::timeout_config(timeout))
            .load()
            .await;
        let provider = sdk
            .credentials_provider()
            .ok_or_else(|| CognitoError::NoCredentials {
                detail: "no credentials provider configured".into(),
            })?;
        let started = Instant::now();
        let credentials = tokio::time::timeout(timeout, provider.provide_credentials())
            .await
            .map_err(|_| CognitoError::CredentialsUnavailable {
                detail: format!(
                    "the default chain found none within {} s (timeout-seconds)",
                    timeout.as_secs()
                ),
            })?
            .map_err(credentials_error)?;
        // The machine's own AWS credentials are secrets like any other: masked
        // under GitHub, redacted from error reports that might quote them.
        for value in [
            Some(credentials.access_key_id()),
            Some(credentials.secret_access_key()),
            credentials.session_token(),
        ]
        .into_iter()
        .flatten()
        {
            crate::secrets::register_value(value);
        }
        tracing::info!(
            "Got AWS credentials from the default chain ({} ms)",
            started.elapsed().as_millis()
        );
        let mut builder = aws_sdk_cognitoidentity::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(SdkRegion::new(region.as_str().to_string()))
            .credentials_provider(credentials)
            // Retries are ours (`RetryPolicy`), as for STS: the SDK's would
            // not retry an unreadable 200, nor count attempts for the message.
            .retry_config(RetryConfig::disabled())
            .timeout_config(super::timeout_config(timeout))
            .http_client(super::guarded_client_for(endpoint));
        match endpoint {
            Some(endpoint) => builder = builder.endpoint_url(endpoint.base()),
            // AWS's own endpoint, FIPS or dual-stack as AWS_USE_FIPS_ENDPOINT etc. ask.
            None => {
                builder.set_use_fips(sdk.use_fips());
                builder.set_use_dual_stack(sdk.use_dual_stack());
            }
        }
        Ok(Self {
            client: aws_sdk_cognitoidentity::Client::from_conf(builder.build()),
            retry: RetryPolicy {
                max_attempts: max_attempts.max(1),
                deadline,
            },
        })
    }

    /// `GetOpenIdTokenForDeveloperIdentity` with `Logins = {"namespace.so": tenant}`,
    /// retrying transient failures and unreadable answers.
    pub async fn open_id_token(
        &self,
        pool: &IdentityPoolId,
        tenant_id: &TenantId,
    ) -> Result<CognitoToken, CognitoError> {
        self.retry
            .run("GetOpenIdTokenForDeveloperIdentity", || {
                self.attempt(pool, tenant_id)
            })
            .await
    }

    /// One call and the reading of its answer.
    async fn attempt(
        &self,
        pool: &IdentityPoolId,
        tenant_id: &TenantId,
    ) -> Result<CognitoToken, CognitoError> {
        let out = self
            .client
            .get_open_id_token_for_developer_identity()
            .identity_pool_id(pool.as_string())
            .logins(DEVELOPER_PROVIDER, tenant_id.as_str())
            .send()
            .await
            .map_err(|e| classify(&e, pool))?;
        match out.token() {
            Some(t) if !t.is_empty() => Ok(CognitoToken(SecretString::from(t.to_string()))),
            _ => Err(CognitoError::Unexpected {
                detail: "the answer has no Token".into(),
                attempts: 1,
            }),
        }
    }
}

impl Retryable for CognitoError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. } | Self::Unexpected { .. })
    }
    fn set_attempts(&mut self, n: u32) {
        if let Self::Transient { attempts, .. } | Self::Unexpected { attempts, .. } = self {
            *attempts = n;
        }
    }
}

fn classify<E>(err: &SdkError<E, HttpResponse>, pool: &IdentityPoolId) -> CognitoError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    match failure(err) {
        Failure::Coded {
            code,
            message,
            status,
        } => classify_service_error(pool, code, message, status, 1),
        Failure::Unreadable(detail) => CognitoError::Unexpected {
            detail: format!("{detail} (not a GetOpenIdTokenForDeveloperIdentity answer)"),
            attempts: 1,
        },
        Failure::Transient(detail) => CognitoError::Transient {
            detail,
            attempts: 1,
        },
        Failure::Uncoded { status, snippet } => CognitoError::Refused {
            pool: pool.clone(),
            code: format!("HTTP {status}"),
            message: snippet,
        },
        Failure::NotSent(detail) => CognitoError::Request { detail },
    }
}

/// Maps a Cognito error code to a refusal or a transient failure.
pub fn classify_service_error(
    pool: &IdentityPoolId,
    code: String,
    message: String,
    status: u16,
    attempts: u32,
) -> CognitoError {
    const TRANSIENT: [&str; 6] = [
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "InternalErrorException",
        "InternalFailure",
        "ServiceUnavailable",
    ];
    // The signing credentials, not the pool: wrong secret, expired session, clock.
    const BAD_CREDENTIALS: [&str; 9] = [
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignatureException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "ExpiredToken",
        "MissingAuthenticationTokenException",
        "MissingAuthenticationToken",
    ];
    let pool = pool.clone();
    if is_transient_answer(&code, status, &TRANSIENT) {
        CognitoError::Transient {
            detail: format!("{code}: {message}"),
            attempts,
        }
    } else if BAD_CREDENTIALS.contains(&code.as_str()) {
        CognitoError::BadCredentials {
            pool,
            code,
            message,
            local_clock: Timestamp::now(),
        }
    } else if matches!(
        code.as_str(),
        "NotAuthorizedException" | "ResourceNotFoundException" | "AccessDeniedException"
    ) {
        CognitoError::Denied {
            pool,
            code,
            message,
        }
    } else {
        CognitoError::Refused {
            pool,
            code,
            message,
        }
    }
}

/// A credential-chain failure, with the exit code its cause deserves:
/// configuration (2), refused by AWS (3), unreachable or timed out (4).
fn credentials_error(e: CredentialsError) -> CognitoError {
    let detail = super::cause_chain(&e);
    match &e {
        CredentialsError::CredentialsNotLoaded(_) => {
            tracing::debug!("AWS default credential chain: {detail}");
            CognitoError::NoCredentials { detail }
        }
        CredentialsError::InvalidConfiguration(_) => CognitoError::CredentialsMisconfigured {
            detail: missing_profile().unwrap_or(detail),
        },
        CredentialsError::ProviderTimedOut(_) => CognitoError::CredentialsUnavailable { detail },
        _ => provider_failure(&e, detail),
    }
}

/// An STS call the credential chain made (a profile's role, web identity) that
/// failed: refused, misconfigured, or unavailable.
fn chain_sts_failure(sts: Failure, detail: String) -> CognitoError {
    match sts {
        Failure::Coded { code, status, .. }
            if !is_transient_answer(&code, status, &STS_TRANSIENT) =>
        {
            CognitoError::CredentialsRefused { detail }
        }
        Failure::Uncoded { .. } => CognitoError::CredentialsRefused { detail },
        Failure::NotSent(_) => CognitoError::CredentialsMisconfigured { detail },
        _ => CognitoError::CredentialsUnavailable { detail },
    }
}

/// A provider that ran and failed: what its cause chain says.
fn provider_failure(e: &CredentialsError, detail: String) -> CognitoError {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cause {
        // A profile's role_arn (AssumeRole): say which role and profile, in words.
        if let Some(sts) = err
            .downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>()
            .map(failure)
        {
            let detail = profile_role_detail(&sts);
            return chain_sts_failure(sts, detail);
        }
        let sts = err
            .downcast_ref::<SdkError<AssumeRoleWithWebIdentityError, HttpResponse>>()
            .map(failure);
        if let Some(sts) = sts {
            return chain_sts_failure(sts, detail);
        }
        if err.is::<CleartextRefused>() {
            return CognitoError::CredentialsMisconfigured { detail };
        }
        if let Some(c) = err.downcast_ref::<ConnectorError>() {
            return if c.is_user() {
                CognitoError::CredentialsMisconfigured { detail }
            } else {
                CognitoError::CredentialsUnavailable { detail }
            };
        }
        cause = err.source();
    }
    match e {
        // A source that ran and answered unusably (credential_process's
        // output or exit status, a container endpoint's refusal): configuration.
        CredentialsError::ProviderError(_) => CognitoError::CredentialsMisconfigured { detail },
        _ => CognitoError::CredentialsUnavailable { detail },
    }
}

/// STS codes that say "try again" when the chain assumes a role.
const STS_TRANSIENT: [&str; 6] = [
    "IDPCommunicationError",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "InternalFailure",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> IdentityPoolId {
        IdentityPoolId::parse("us-east-1:5f2a7c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b", None).unwrap()
    }

    #[test]
    fn cognito_errors_map_to_exit_codes() {
        let c = |code: &str, status| {
            classify_service_error(&pool(), code.into(), "m".into(), status, 3).exit_code()
        };
        assert_eq!(c("NotAuthorizedException", 400), exit::REFUSED);
        assert_eq!(c("ResourceNotFoundException", 400), exit::REFUSED);
        assert_eq!(c("InvalidSignatureException", 400), exit::REFUSED);
        assert_eq!(c("TooManyRequestsException", 400), exit::TRANSIENT);
        assert_eq!(c("InternalErrorException", 500), exit::TRANSIENT);
        assert_eq!(c("Whatever", 503), exit::TRANSIENT);
    }

    #[test]
    fn denial_names_the_pool_and_the_permission() {
        let e = classify_service_error(
            &pool(),
            "NotAuthorizedException".into(),
            "nope".into(),
            400,
            3,
        );
        let text = format!("{e}\n{}", e.hint());
        assert!(text.contains("us-east-1:5f2a7c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b"));
        assert!(text.contains(PERMISSION));
    }

    #[test]
    fn denial_hint_uses_the_pools_partition() {
        for (region, arn) in [
            ("us-east-1", "arn:aws:cognito-identity:us-east-1:"),
            ("cn-north-1", "arn:aws-cn:cognito-identity:cn-north-1:"),
            (
                "us-gov-west-1",
                "arn:aws-us-gov:cognito-identity:us-gov-west-1:",
            ),
        ] {
            let pool = IdentityPoolId::parse(
                &format!("{region}:5f2a7c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b"),
                None,
            )
            .unwrap();
            let e = classify_service_error(
                &pool,
                "NotAuthorizedException".into(),
                "nope".into(),
                400,
                1,
            );
            assert!(e.hint().contains(arn), "{region}: {}", e.hint());
        }
    }

    #[test]
    fn rejected_credentials_are_about_the_credentials() {
        for code in [
            "InvalidSignatureException",
            "UnrecognizedClientException",
            "ExpiredTokenException",
            "InvalidClientTokenId",
            "SignatureDoesNotMatch",
        ] {
            let e = classify_service_error(&pool(), code.into(), "m".into(), 400, 1);
            assert!(matches!(e, CognitoError::BadCredentials { .. }), "{code}");
            assert_eq!(e.exit_code(), exit::REFUSED);
            assert!(e.to_string().contains("clock says"), "{e}");
            let hint = e.hint();
            if code.starts_with("ExpiredToken") {
                assert!(hint.contains("session token"), "{code}: {hint}");
            } else {
                assert!(hint.contains("AWS_SECRET_ACCESS_KEY"), "{code}: {hint}");
            }
        }
    }

    #[test]
    fn edge_answers_are_retried_and_counted() {
        for mut e in [
            CognitoError::Unexpected {
                detail: "HTTP 200: x".into(),
                attempts: 1,
            },
            classify_service_error(&pool(), "Whatever".into(), "m".into(), 429, 1),
        ] {
            assert!(Retryable::is_transient(&e));
            e.set_attempts(2);
            assert!(e.to_string().contains("(2 attempts)"), "{e}");
            assert_eq!(e.exit_code(), exit::TRANSIENT);
        }
        let e =
            classify_service_error(&pool(), "NotAuthorizedException".into(), "m".into(), 400, 1);
        assert!(!Retryable::is_transient(&e));
    }

    #[test]
    fn chain_failures_get_the_exit_code_of_their_cause() {
        let refused = CleartextRefused {
            target: "http://10.1.2.3:8080".into(),
        };
        for (err, code, needle) in [
            (
                CredentialsError::provider_error(ConnectorError::user(refused.into())),
                exit::BAD_INPUT,
                "cleartext HTTP to http://10.1.2.3:8080",
            ),
            (
                CredentialsError::provider_error(ConnectorError::io(
                    std::io::Error::from(std::io::ErrorKind::ConnectionRefused).into(),
                )),
                exit::TRANSIENT,
                "connection refused",
            ),
            (
                CredentialsError::provider_error(
                    "Error retrieving credentials: external process exited with code exit status: 3",
                ),
                exit::BAD_INPUT,
                "external process exited",
            ),
            (
                CredentialsError::invalid_configuration("profile `x` was not defined"),
                exit::BAD_INPUT,
                "profile `x` was not defined",
            ),
            (
                CredentialsError::provider_timed_out(Duration::from_secs(5)),
                exit::TRANSIENT,
                "timed out after 5 seconds",
            ),
        ] {
            let e = credentials_error(err);
            let text = e.to_string();
            assert_eq!(e.exit_code(), code, "{text}");
            assert!(
                text.to_lowercase().contains(&needle.to_lowercase()),
                "{text}"
            );
            for wrapper in [
                "an error occurred while loading credentials",
                "user error",
                "(Provider",
            ] {
                assert!(!text.contains(wrapper), "{text}");
            }
        }
    }

    #[test]
    fn a_wrong_kind_of_token_is_not_blamed_on_the_clock() {
        let wrong_kind = CognitoError::TenantTokenRefused {
            problem: "Namespace returned a session token, not a tenant token (nsct_…), for workspace tnt_a".into(),
        };
        assert!(
            !wrong_kind.hint().contains("clock"),
            "{}",
            wrong_kind.hint()
        );
        let expired = CognitoError::TenantTokenRefused {
            problem: "Namespace returned a token that has already expired".into(),
        };
        assert!(expired.hint().contains("clock"), "{}", expired.hint());
    }

    #[test]
    fn token_debug_is_redacted() {
        let t = CognitoToken(SecretString::from("eyJsecret".to_string()));
        assert!(!format!("{t:?}").contains("eyJsecret"));
    }
}
