//! AWS: STS `AssumeRoleWithWebIdentity` ([`sts`]) and the IAM trust policy
//! that accepts Namespace ID tokens ([`trust_policy`]).

pub mod cognito;
pub mod sts;
pub mod trust_policy;

use std::fmt;
use std::time::Duration;

use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::error::ProvideErrorMetadata;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use secrecy::SecretString;

use crate::config::Endpoint;
use crate::timestamp::Timestamp;

/// For a cleartext (loopback-only) endpoint, an HTTP client with an empty
/// trust store: the SDK's default client reads every system root certificate
/// at start-up, work that a plain `http` call never uses.
pub(crate) fn http_client_for(endpoint: Option<&Endpoint>) -> Option<SharedHttpClient> {
    if !endpoint?.base().starts_with("http://") {
        return None;
    }
    let context = TlsContext::builder()
        .with_trust_store(TrustStore::empty())
        .build()
        .expect("an empty trust store is a valid TLS context");
    Some(
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(context)
            .build_https(),
    )
}

/// Time bounds of an AWS client (both SDKs re-export smithy's
/// `TimeoutConfig`): the whole operation within `timeout`, one attempt within
/// 30 s of it, a connection within 10 s.
pub(crate) fn timeout_config(timeout: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .operation_timeout(timeout)
        .operation_attempt_timeout(timeout.min(Duration::from_secs(30)))
        .connect_timeout(Duration::from_secs(10))
        .build()
}

/// Whether an AWS error answer is worth another attempt: one of the
/// service's throttling or server-side `codes`, any 5xx, or 429.
pub(crate) fn is_transient_answer(code: &str, status: u16, codes: &[&str]) -> bool {
    codes.contains(&code) || is_transient_status(status)
}

/// HTTP statuses worth another attempt whatever the body says: 5xx and 429.
pub(crate) fn is_transient_status(status: u16) -> bool {
    status >= 500 || status == 429
}

/// The message of an AWS error answer (both SDKs re-export smithy's
/// `ProvideErrorMetadata`), or a placeholder that says there was none.
pub(crate) fn error_message(err: &impl ProvideErrorMetadata) -> String {
    err.message().unwrap_or("(no message)").to_string()
}

/// Temporary AWS credentials. Debug output is redacted.
#[derive(Clone)]
pub struct AwsCredentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: SecretString,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: SecretString,
    /// `AWS_SESSION_TOKEN`.
    pub session_token: SecretString,
    /// When they stop working.
    pub expiration: Timestamp,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}
