//! AWS: STS `AssumeRoleWithWebIdentity` ([`sts`]) and the IAM trust policy
//! that accepts Namespace ID tokens ([`trust_policy`]).

pub mod cognito;
pub mod sts;
pub mod trust_policy;

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use aws_sdk_sts::config::ConfigBag;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_runtime_api::shared::IntoShared;
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

/// The HTTP client the SDK would build by default (rustls with aws-lc, the
/// system's roots, proxies from the environment), for the credential chain.
fn default_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut builder = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        builder.set_proxy_config(Some(ProxyConfig::from_env()));
        builder.build()
    })
}

/// The HTTP client of the AWS → Namespace direction (credential chain and
/// Cognito): [`http_client_for`] `endpoint`, else the SDK's default, behind
/// [`CleartextGuard`].
pub(crate) fn guarded_client_for(endpoint: Option<&Endpoint>) -> SharedHttpClient {
    CleartextGuard(http_client_for(endpoint).unwrap_or_else(default_https_client)).into_shared()
}

/// A request refused by [`CleartextGuard`]; it was never sent.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to send AWS credentials or tokens over cleartext HTTP to {target}, which is not this machine (check AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, and endpoint_url or services in the AWS profile)"
)]
pub struct CleartextRefused {
    /// `http://host:port` of the refused request (never its path or query).
    pub target: String,
}

/// Refuses every `http://` request to a host other than loopback and the
/// link-local addresses AWS serves instance metadata and container
/// credentials on. The credential chain (web identity, `role_arn` profiles,
/// SSO) builds its own STS clients from `AWS_ENDPOINT_URL_STS`,
/// `AWS_ENDPOINT_URL` and the profile's `endpoint_url`/`services`, even with
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (aws-config applies that flag
/// to its own endpoint only), and those clients sign or post secrets: this
/// is where a cleartext endpoint can still be refused before anything is sent.
#[derive(Debug)]
struct CleartextGuard(SharedHttpClient);

impl HttpClient for CleartextGuard {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        CleartextGuardConnector(self.0.http_connector(settings, components)).into_shared()
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.validate_base_client_config(components, cfg)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

#[derive(Debug)]
struct CleartextGuardConnector(SharedHttpConnector);

impl HttpConnector for CleartextGuardConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        match cleartext_refusal(request.uri()) {
            Some(refused) => HttpConnectorFuture::ready(Err(ConnectorError::user(refused.into()))),
            None => self.0.call(request),
        }
    }
}

/// Why a request to `uri` must not be sent, if it must not.
fn cleartext_refusal(uri: &str) -> Option<CleartextRefused> {
    let Ok(url) = reqwest::Url::parse(uri) else {
        // Not a URL the connector could send anywhere either.
        return None;
    };
    if url.scheme() != "http" {
        return None;
    }
    let host = url.host_str().unwrap_or_default();
    if cleartext_allowed(host) {
        return None;
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(CleartextRefused {
        target: format!("http://{host}{port}"),
    })
}

/// Hosts the SDK may reach over cleartext HTTP: loopback, and the fixed
/// link-local addresses of EC2 instance metadata (169.254.169.254,
/// fd00:ec2::254), ECS container credentials (169.254.170.2) and EKS Pod
/// Identity (169.254.170.23, fd00:ec2::23), which never leave the host's link.
fn cleartext_allowed(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if crate::config::values::is_loopback_host(bare) {
        return true;
    }
    const AWS_LINK_LOCAL: [&str; 5] = [
        "169.254.169.254",
        "169.254.170.2",
        "169.254.170.23",
        "fd00:ec2::254",
        "fd00:ec2::23",
    ];
    bare.parse::<IpAddr>()
        .is_ok_and(|ip| AWS_LINK_LOCAL.iter().any(|a| a.parse::<IpAddr>() == Ok(ip)))
}

/// What an AWS SDK error amounts to, for either service's own error type.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// An answer with the service's error code.
    Coded {
        /// The error code.
        code: String,
        /// The message.
        message: String,
        /// The HTTP status.
        status: u16,
    },
    /// A 2xx answer that is not the operation's answer (empty, cut short): worth another attempt.
    Unreadable(String),
    /// 5xx or 429 without a code, a timeout, a connection failure: worth another attempt.
    Transient(String),
    /// Another status without an error code (a proxy's or load balancer's page).
    Uncoded {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        snippet: String,
    },
    /// The request was not sent (refused locally, could not be built).
    NotSent(String),
}

/// Reads an SDK error: codes and statuses, and a human cause chain for the rest (no Debug dumps).
pub(crate) fn failure<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            match ctx.err().code() {
                Some(code) => Failure::Coded {
                    code: code.to_string(),
                    message: error_message(ctx.err()),
                    status,
                },
                // No error code: a proxy, a load balancer, or an answer cut short.
                None => uncoded(status, body_snippet(status, ctx.raw().body().bytes())),
            }
        }
        SdkError::ResponseError(ctx) => {
            let status = ctx.raw().status().as_u16();
            Failure::Unreadable(format!(
                "HTTP {status}: {} ({})",
                body_snippet(status, ctx.raw().body().bytes()),
                cause_chain(err)
            ))
        }
        SdkError::TimeoutError(_) => Failure::Transient(cause_chain(err)),
        SdkError::DispatchFailure(d) if d.is_user() => Failure::NotSent(cause_chain(err)),
        SdkError::DispatchFailure(_) => Failure::Transient(cause_chain(err)),
        _ => Failure::NotSent(cause_chain(err)),
    }
}

/// An answer without an error code, by its HTTP status.
pub(crate) fn uncoded(status: u16, snippet: String) -> Failure {
    if (200..300).contains(&status) {
        Failure::Unreadable(format!("HTTP {status}: {snippet}"))
    } else if is_transient_status(status) {
        Failure::Transient(format!("HTTP {status}: {snippet}"))
    } else {
        Failure::Uncoded { status, snippet }
    }
}

/// What a message about an answer without an error code may show of its
/// body: the start of an error page, but of a 2xx answer only its size,
/// since that is where the credentials or the token are (unparsed, so
/// not yet registered as secrets).
pub(crate) fn body_snippet(status: u16, body: Option<&[u8]>) -> String {
    let body = body.unwrap_or_default();
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "the body is empty".to_string();
    }
    if (200..300).contains(&status) {
        return format!("a body of {}", crate::secrets::withheld_body(body.len()));
    }
    let mut snippet: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        snippet.push('…');
    }
    snippet
}

/// An error's cause chain in words: each source's message once, without
/// the SDK's and aws-config's generic wrappers ("dispatch failure", "an
/// error occurred while loading credentials") and without Debug dumps.
pub(crate) fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    const WRAPPERS: [&str; 11] = [
        "the credential provider was not enabled",
        "the credentials provider was not properly configured",
        "an error occurred while loading credentials",
        "unexpected credentials error",
        "service error",
        "dispatch failure",
        "response error",
        "io error",
        "user error",
        "timeout",
        "other",
    ];
    let mut parts: Vec<String> = Vec::new();
    let mut cause = Some(e);
    while let Some(err) = cause {
        let text = err.to_string();
        let text = text.trim();
        if !text.is_empty() && !WRAPPERS.contains(&text) && !parts.iter().any(|p| p.contains(text))
        {
            parts.push(text.to_string());
        }
        cause = err.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// `1 attempt`, `3 attempts`.
pub(crate) fn attempts_text(n: u32) -> String {
    if n == 1 {
        "1 attempt".to_string()
    } else {
        format!("{n} attempts")
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleartext_goes_only_to_loopback_and_aws_link_local_addresses() {
        for uri in [
            "http://127.0.0.1:8080/",
            "http://localhost/x",
            "http://[::1]:9/",
            "http://169.254.169.254/latest/api/token",
            "http://169.254.170.2/v2/credentials/abc",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::254]/latest",
            "https://10.1.2.3:8080/",
            "https://sts.us-east-1.amazonaws.com/",
        ] {
            assert!(cleartext_refusal(uri).is_none(), "{uri} refused");
        }
        for (uri, target) in [
            ("http://10.1.2.3:8080/?Action=x", "http://10.1.2.3:8080"),
            (
                "http://sts.us-east-1.amazonaws.com/",
                "http://sts.us-east-1.amazonaws.com",
            ),
            ("http://169.254.1.1/", "http://169.254.1.1"),
            ("http://[fd00:ec2::1]:80/", "http://[fd00:ec2::1]"),
            (
                "http://localhost.example.com/",
                "http://localhost.example.com",
            ),
        ] {
            let refused = cleartext_refusal(uri).unwrap_or_else(|| panic!("{uri} allowed"));
            assert_eq!(refused.target, target);
            assert!(!refused.to_string().contains("Action"), "no path or query");
        }
    }

    /// A transport that counts calls and answers nothing.
    #[derive(Debug, Clone, Default)]
    struct Count(std::sync::Arc<std::sync::atomic::AtomicUsize>);

    impl HttpConnector for Count {
        fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            HttpConnectorFuture::ready(Err(ConnectorError::other("counted".into(), None)))
        }
    }

    #[test]
    fn the_guard_refuses_before_the_transport_sees_the_request() {
        let count = Count::default();
        let guard = CleartextGuardConnector(count.clone().into_shared());
        let call = |uri: &str| {
            let request = HttpRequest::get(uri).unwrap();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime.block_on(guard.call(request)).unwrap_err()
        };
        let err = call("http://10.1.2.3:8080/");
        assert!(err.is_user(), "{err}");
        assert!(
            cause_chain(&err).contains("http://10.1.2.3:8080"),
            "{}",
            cause_chain(&err)
        );
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        let err = call("http://127.0.0.1:1/");
        assert!(!err.is_user());
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn cause_chains_drop_generic_wrappers() {
        let inner = std::io::Error::other("connection refused");
        let err = ConnectorError::io(inner.into());
        assert_eq!(cause_chain(&err), "connection refused");
        let err = ConnectorError::user(
            CleartextRefused {
                target: "http://10.1.2.3".into(),
            }
            .into(),
        );
        assert!(
            cause_chain(&err).starts_with("refusing to send"),
            "{}",
            cause_chain(&err)
        );
    }

    #[test]
    fn answers_without_a_code_are_told_by_status() {
        assert!(matches!(uncoded(200, "x".into()), Failure::Unreadable(d) if d == "HTTP 200: x"));
        assert!(matches!(uncoded(503, "x".into()), Failure::Transient(_)));
        assert!(matches!(uncoded(429, "x".into()), Failure::Transient(_)));
        assert_eq!(
            uncoded(403, "no".into()),
            Failure::Uncoded {
                status: 403,
                snippet: "no".into()
            }
        );
        assert_eq!(body_snippet(200, Some(b"  ")), "the body is empty");
        assert_eq!(body_snippet(503, Some(b"  ")), "the body is empty");
        assert_eq!(
            body_snippet(502, Some("y".repeat(300).as_bytes()))
                .chars()
                .count(),
            201
        );
    }

    #[test]
    fn a_successful_answer_is_never_quoted() {
        // A 2xx answer the SDK could not read still holds the credentials.
        let body = b"<Credentials><SecretAccessKey>wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY</SecretAccessKey>";
        for status in [200, 204, 299] {
            let shown = body_snippet(status, Some(body));
            assert_eq!(
                shown,
                format!("a body of {}", crate::secrets::withheld_body(body.len()))
            );
        }
        assert!(body_snippet(500, Some(body)).contains("SecretAccessKey"));
    }
}
