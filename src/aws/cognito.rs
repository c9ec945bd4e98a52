//! AWS Cognito Identity `GetOpenIdTokenForDeveloperIdentity`, signed with
//! the credentials of the AWS default chain (environment, shared profile,
//! web identity, ECS/EKS container credentials, instance metadata).
//!
//! The region is always given explicitly, so no metadata request is spent
//! on finding it. The chain is resolved once, before the Cognito call, so
//! that "no credentials" is reported as such (with the sources tried) and
//! the credentials are not looked up a second time by the client.

use std::fmt;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_cognitoidentity::config::http::HttpResponse;
use aws_sdk_cognitoidentity::config::retry::RetryConfig;
use aws_sdk_cognitoidentity::config::{ProvideCredentials, Region as SdkRegion};
use aws_sdk_cognitoidentity::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use secrecy::SecretString;

use super::{error_message, is_transient_answer};
use crate::config::cognito::DEVELOPER_PROVIDER;
use crate::config::{Endpoint, IdentityPoolId, Region, TenantId};
use crate::error::exit;
use crate::namespace::{NamespaceError, RpcCode};

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
        "AWS Cognito could not be reached or was unavailable, after {attempts} attempt(s): {detail}"
    )]
    Transient {
        /// What happened.
        detail: String,
        /// Attempts configured.
        attempts: u32,
    },
    /// An answer that cannot be used.
    #[error("AWS Cognito's answer could not be used: {detail}")]
    Unexpected {
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
    /// The caller's Namespace token belongs to another workspace than `--tenant-id`; nothing was sent.
    #[error(
        "The Namespace token from {source_name} belongs to workspace {token_tenant}, not {tenant_id}: refusing to change the trust of {tenant_id} with it. Nothing was sent."
    )]
    WrongTenant {
        /// Where the token came from.
        source_name: String,
        /// The token's `tenant_id` claim.
        token_tenant: String,
        /// The workspace named with `--tenant-id`.
        tenant_id: TenantId,
    },
}

impl CognitoError {
    /// The exit code (see `error.rs`): 2 configuration, 3 refused, 4 transient.
    pub fn exit_code(&self) -> u8 {
        match self {
            // No identity, or a broken one: fix the machine's configuration; nothing was sent to Cognito.
            Self::NoCredentials { .. } | Self::CredentialsMisconfigured { .. } => exit::BAD_INPUT,
            // A local check of the token's claims: nothing was sent.
            Self::WrongTenant { .. } => exit::BAD_INPUT,
            Self::Denied { .. } | Self::Refused { .. } | Self::ExchangeRefused { .. } => {
                exit::REFUSED
            }
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
            Self::Denied { .. } | Self::Refused { .. } => "Refused by AWS Cognito",
            Self::Transient { .. } | Self::Unexpected { .. } => "AWS Cognito unavailable",
            Self::ExchangeRefused { .. } => "Refused by Namespace",
            Self::UnusableTenantToken { .. } => "Unusable answer from Namespace",
            Self::WrongTenant { .. } => "Token of another workspace",
        }
    }

    /// What to do next.
    pub fn hint(&self) -> String {
        match self {
            Self::NoCredentials { .. } => "Give this job an AWS identity: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role attached to the CodeBuild project, ECS/EKS task or EC2 instance.".into(),
            Self::CredentialsMisconfigured { .. } => "Fix the AWS profile or environment named above (AWS_PROFILE, ~/.aws/config, AWS_WEB_IDENTITY_TOKEN_FILE).".into(),
            Self::CredentialsUnavailable { .. } => "Run again; if it persists, check the credentials source named above (its endpoint, its role).".into(),
            Self::Denied { pool, .. } => format!(
                "Allow {PERMISSION} on arn:aws:cognito-identity:{}:<account>:identitypool/{pool} for this AWS identity, and check the pool id and region.",
                pool.region()
            ),
            Self::Refused { .. } => "Check the pool id and region, and this machine's clock (signatures expire).".into(),
            Self::Transient { .. } | Self::Unexpected { .. } => "Run again, or raise retry-max-attempts / timeout-seconds; check AWS_ENDPOINT_URL(_COGNITO_IDENTITY) and the network.".into(),
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
    let imds = if std::env::var("AWS_EC2_METADATA_DISABLED")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"))
    {
        "disabled by AWS_EC2_METADATA_DISABLED=true".to_string()
    } else {
        "no instance role answered".to_string()
    };
    format!(
        "No AWS credentials found by the default chain. Tried, in order:\n  \
         - environment AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: {}\n  \
         - shared profile in ~/.aws/credentials and ~/.aws/config (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE: {}): no credentials\n  \
         - web identity AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN: {}\n  \
         - container credentials AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI (ECS, EKS Pod Identity): {}\n  \
         - instance metadata (EC2 instance profile): {imds}",
        state(&["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]),
        state(&[
            "AWS_PROFILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_CONFIG_FILE"
        ]),
        state(&["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"]),
        state(&[
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI"
        ]),
    )
}

/// A Cognito Identity client signed with the default chain's credentials.
pub struct CognitoClient {
    client: aws_sdk_cognitoidentity::Client,
    max_attempts: u32,
}

impl CognitoClient {
    /// Resolves the default credential chain (once) and builds the client:
    /// explicit region, optional endpoint, standard retries of transient failures.
    pub async fn new(
        region: &Region,
        endpoint: Option<&Endpoint>,
        max_attempts: u32,
        timeout: Duration,
    ) -> Result<Self, CognitoError> {
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .region(SdkRegion::new(region.as_str().to_string()))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(max_attempts)
                    .with_initial_backoff(Duration::from_millis(500)),
            )
            .timeout_config(super::timeout_config(timeout))
            .load()
            .await;
        let provider = sdk
            .credentials_provider()
            .ok_or_else(|| CognitoError::NoCredentials {
                detail: "no credentials provider configured".into(),
            })?;
        let started = std::time::Instant::now();
        let credentials = provider
            .provide_credentials()
            .await
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
        let mut builder =
            aws_sdk_cognitoidentity::config::Builder::from(&sdk).credentials_provider(credentials);
        if let Some(client) = super::http_client_for(endpoint) {
            builder = builder.http_client(client);
        }
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint.base());
        }
        Ok(Self {
            client: aws_sdk_cognitoidentity::Client::from_conf(builder.build()),
            max_attempts,
        })
    }

    /// `GetOpenIdTokenForDeveloperIdentity` with `Logins = {"namespace.so": tenant}`.
    pub async fn open_id_token(
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
            .map_err(|e| self.classify(e, pool))?;
        match out.token() {
            Some(t) if !t.is_empty() => Ok(CognitoToken(SecretString::from(t.to_string()))),
            _ => Err(CognitoError::Unexpected {
                detail: "the answer has no Token".into(),
            }),
        }
    }

    fn classify<E>(&self, err: SdkError<E, HttpResponse>, pool: &IdentityPoolId) -> CognitoError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match &err {
            SdkError::ServiceError(ctx) => classify_service_error(
                pool,
                ctx.err().code().unwrap_or("Unknown").to_string(),
                error_message(ctx.err()),
                ctx.raw().status().as_u16(),
                self.max_attempts,
            ),
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => CognitoError::Transient {
                detail: DisplayErrorContext(&err).to_string(),
                attempts: self.max_attempts,
            },
            _ => CognitoError::Unexpected {
                detail: DisplayErrorContext(&err).to_string(),
            },
        }
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
    let pool = pool.clone();
    if is_transient_answer(&code, status, &TRANSIENT) {
        CognitoError::Transient {
            detail: format!("{code}: {message}"),
            attempts,
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

fn credentials_error(e: CredentialsError) -> CognitoError {
    let detail = DisplayErrorContext(&e).to_string();
    match e {
        CredentialsError::CredentialsNotLoaded(_) => {
            tracing::debug!("AWS default credential chain: {detail}");
            CognitoError::NoCredentials { detail }
        }
        CredentialsError::InvalidConfiguration(_) => {
            CognitoError::CredentialsMisconfigured { detail }
        }
        _ => CognitoError::CredentialsUnavailable { detail },
    }
}

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
    fn token_debug_is_redacted() {
        let t = CognitoToken(SecretString::from("eyJsecret".to_string()));
        assert!(!format!("{t:?}").contains("eyJsecret"));
    }
}
