//! STS `AssumeRoleWithWebIdentity`, unsigned, with a client built directly
//! from `aws_sdk_sts::Config::builder()`: no shared-config loading, no
//! credentials provider (so no metadata-service probe), an explicit region.

use std::time::{Duration, Instant};

use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::{BehaviorVersion, Region as SdkRegion};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput;
use aws_sdk_sts::types::PolicyDescriptorType;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use secrecy::{ExposeSecret, SecretString};

use super::{AwsCredentials, Failure, attempts_text, failure, is_transient_answer, trust_policy};
use crate::config::{
    AccountId, Endpoint, InlinePolicy, PolicyArn, Region, RoleArn, RoleSessionName, SessionDuration,
};
use crate::namespace::RetryPolicy;
use crate::namespace::client::Retryable;
use crate::namespace::token::{IdToken, IdTokenClaims};
use crate::timestamp::Timestamp;

/// What STS is asked for.
pub struct AssumeRoleRequest<'a> {
    /// The role.
    pub role_arn: &'a RoleArn,
    /// The session name.
    pub session_name: &'a RoleSessionName,
    /// The session lifetime.
    pub duration: SessionDuration,
    /// The Namespace ID token.
    pub id_token: &'a IdToken,
    /// Inline session policy.
    pub inline_policy: Option<&'a InlinePolicy>,
    /// Managed session policies.
    pub policy_arns: &'a [PolicyArn],
    /// The audience the ID token was issued for (for explanations).
    pub audience: &'a str,
}

/// What STS answered.
#[derive(Debug)]
pub struct AssumedRoleSession {
    /// The credentials.
    pub credentials: AwsCredentials,
    /// `AssumedRoleUser.Arn` (`arn:aws:sts::<account>:assumed-role/<role>/<session>`).
    pub assumed_role_arn: String,
    /// The account, read from that ARN (no GetCallerIdentity call).
    pub account_id: AccountId,
}

/// STS said no, or could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum StsError {
    /// AccessDenied: the role's trust policy does not accept this token.
    #[error("{}", access_denied_message(role, message, claims.as_ref(), audience))]
    AccessDenied {
        /// The role.
        role: RoleArn,
        /// STS's message.
        message: String,
        /// The ID token's non-secret claims.
        claims: Option<IdTokenClaims>,
        /// The audience asked for.
        audience: String,
    },
    /// InvalidIdentityToken "No OpenIDConnect provider found".
    #[error(
        "AWS STS refused the ID token: the account of {role} has no IAM OIDC identity provider for Namespace ({message}).\n  Register one: provider URL {url}, audience {audience}, thumbprint {thumb}.",
        url = trust_policy::ISSUER_URL,
        thumb = trust_policy::THUMBPRINT
    )]
    NoOidcProvider {
        /// The role.
        role: RoleArn,
        /// STS's message.
        message: String,
        /// The audience to register.
        audience: String,
    },
    /// The duration is above the role's MaxSessionDuration.
    #[error(
        "AWS STS refused a session of {requested} seconds for {role}: {message}\n  Durations go from 900 to 43200 seconds, and no higher than the role's MaxSessionDuration (1 hour unless raised in IAM)."
    )]
    DurationTooLong {
        /// The role.
        role: RoleArn,
        /// Seconds asked for.
        requested: u32,
        /// STS's message.
        message: String,
    },
    /// The ID token expired before STS saw it.
    #[error(
        "AWS STS says the ID token has expired: {message}\n  This machine's clock says {local_clock}."
    )]
    ExpiredToken {
        /// STS's message.
        message: String,
        /// The local clock when the answer came.
        local_clock: Timestamp,
    },
    /// Any other refusal.
    #[error("AWS STS refused AssumeRoleWithWebIdentity for {role}: {code}: {message}")]
    Refused {
        /// The role.
        role: RoleArn,
        /// STS's error code.
        code: String,
        /// STS's message.
        message: String,
    },
    /// Throttling, IDPCommunicationError, 5xx, connection errors, timeouts, after the retries.
    #[error(
        "AWS STS was unreachable, unavailable or throttling ({}): {detail}",
        attempts_text(*attempts)
    )]
    Transient {
        /// What happened.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// An answer that cannot be read (empty, cut short, missing fields), after the retries.
    #[error(
        "AWS STS's answer could not be used ({}): {detail}",
        attempts_text(*attempts)
    )]
    Unexpected {
        /// What was wrong.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The request could not be built (nothing was sent).
    #[error("Could not make the AWS STS request: {detail}")]
    Request {
        /// What was wrong.
        detail: String,
    },
    /// STS handed out credentials whose Expiration has already passed.
    #[error(
        "AWS STS returned credentials that already expired at {expired_at}; check the local clock (now {now})."
    )]
    AlreadyExpired {
        /// The credentials' Expiration.
        expired_at: Timestamp,
        /// The local clock when the answer came.
        now: Timestamp,
    },
}

impl Retryable for StsError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. } | Self::Unexpected { .. })
    }
    fn set_attempts(&mut self, n: u32) {
        if let Self::Transient { attempts, .. } | Self::Unexpected { attempts, .. } = self {
            *attempts = n;
        }
    }
}

impl StsError {
    /// Refused by AWS (exit 3), as opposed to transient or unreadable (exit 4).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            Self::Transient { .. }
                | Self::Unexpected { .. }
                | Self::Request { .. }
                | Self::AlreadyExpired { .. }
        )
    }

    /// A short title (GitHub annotation title).
    pub fn title(&self) -> &'static str {
        match self {
            Self::Transient { .. } | Self::Unexpected { .. } => "AWS STS unavailable or throttling",
            Self::Request { .. } => "Could not call AWS STS",
            Self::AlreadyExpired { .. } => "Expired credentials from AWS STS",
            Self::AccessDenied { .. }
            | Self::NoOidcProvider { .. }
            | Self::DurationTooLong { .. }
            | Self::ExpiredToken { .. }
            | Self::Refused { .. } => "Refused by AWS STS",
        }
    }

    /// What to do next.
    pub fn hint(&self) -> String {
        match self {
            Self::AccessDenied { .. } => {
                "Make the role's trust policy accept these claims (the policy above), or assume a role that does.".into()
            }
            Self::NoOidcProvider { .. } => format!(
                "Create the IAM OIDC provider in that account (IAM → Identity providers → OpenID Connect, URL {}) and run again.",
                trust_policy::ISSUER_URL
            ),
            Self::DurationTooLong { .. } => {
                "Lower role-duration-seconds / --duration, or raise the role's MaxSessionDuration in IAM.".into()
            }
            Self::ExpiredToken { .. } => "Check this machine's clock (NTP), then run again.".into(),
            Self::Refused { .. } => "Check the role ARN, the session policies and the role's trust policy.".into(),
            Self::Transient { .. } | Self::Unexpected { .. } | Self::Request { .. } => {
                crate::error::aws_transient_hint("AWS_ENDPOINT_URL(_STS)")
            }
            Self::AlreadyExpired { .. } => {
                "Check this machine's clock (NTP): credentials that look expired are refused by every AWS SDK. Then run again.".into()
            }
        }
    }
}

fn access_denied_message(
    role: &RoleArn,
    message: &str,
    claims: Option<&IdTokenClaims>,
    audience: &str,
) -> String {
    let mut s = format!("AWS STS denied AssumeRoleWithWebIdentity for {role}: {message}");
    match claims {
        Some(c) => {
            let none = || "(none)".to_string();
            s.push_str("\n  The Namespace ID token presented:");
            s.push_str(&format!(
                "\n    iss: {}",
                c.iss.clone().unwrap_or_else(none)
            ));
            s.push_str(&format!("\n    aud: {}", c.aud_text()));
            s.push_str(&format!(
                "\n    sub: {}",
                c.sub.clone().unwrap_or_else(none)
            ));
            s.push_str(&format!(
                "\n    tenant_id: {}",
                c.tenant_id.clone().unwrap_or_else(none)
            ));
            s.push_str(&format!(
                "\n    exp: {}",
                c.exp
                    .map(|e| Timestamp::from_unix_secs(e).to_string())
                    .unwrap_or_else(none)
            ));
            let tenant = c
                .tenant_id
                .clone()
                .or_else(|| {
                    c.sub
                        .as_deref()
                        .and_then(|s| s.split('/').next())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "<tenant_id>".into());
            let provider = trust_policy::provider_arn(role.partition(), role.account_id().as_str());
            s.push_str("\n  A trust policy on the role that accepts them:\n");
            for line in trust_policy::render(&provider, &tenant, audience).lines() {
                s.push_str("    ");
                s.push_str(line);
                s.push('\n');
            }
            s.pop();
        }
        None => s.push_str("\n  (The ID token's claims could not be read.)"),
    }
    s
}

/// An STS client for one run.
#[derive(Clone, Debug)]
pub struct StsClient {
    client: aws_sdk_sts::Client,
    retry: RetryPolicy,
}

impl StsClient {
    /// Builds the client: explicit region, optional endpoint, FIPS when asked
    /// (and no endpoint is given), retries of transient failures bounded by
    /// `max_attempts` and by `timeout` from now.
    pub fn new(
        region: &Region,
        endpoint: Option<&Endpoint>,
        use_fips: bool,
        max_attempts: u32,
        timeout: Duration,
    ) -> Self {
        Self::build(
            region,
            endpoint,
            use_fips,
            max_attempts,
            timeout,
            super::http_client_for(endpoint),
        )
    }

    fn build(
        region: &Region,
        endpoint: Option<&Endpoint>,
        use_fips: bool,
        max_attempts: u32,
        timeout: Duration,
        http_client: Option<SharedHttpClient>,
    ) -> Self {
        let mut builder = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(SdkRegion::new(region.as_str().to_string()))
            // Retries are ours (`RetryPolicy`): the SDK's would not retry an
            // unreadable 200, and the message must say how many attempts were made.
            .retry_config(RetryConfig::disabled())
            .timeout_config(super::timeout_config(timeout));
        if let Some(client) = http_client {
            builder = builder.http_client(client);
        }
        match endpoint {
            Some(endpoint) => builder = builder.endpoint_url(endpoint.base()),
            None if use_fips => builder = builder.use_fips(true),
            None => {}
        }
        Self {
            client: aws_sdk_sts::Client::from_conf(builder.build()),
            retry: RetryPolicy {
                max_attempts: max_attempts.max(1),
                deadline: Instant::now() + timeout,
            },
        }
    }

    /// `AssumeRoleWithWebIdentity`, retrying transient failures and unreadable answers.
    pub async fn assume_role_with_web_identity(
        &self,
        req: AssumeRoleRequest<'_>,
    ) -> Result<AssumedRoleSession, StsError> {
        let session = self
            .retry
            .run("AssumeRoleWithWebIdentity", || self.attempt(&req))
            .await?;
        let now = Timestamp::now();
        if session.credentials.expiration <= now {
            return Err(StsError::AlreadyExpired {
                expired_at: session.credentials.expiration,
                now,
            });
        }
        Ok(session)
    }

    /// One call and the reading of its answer.
    async fn attempt(&self, req: &AssumeRoleRequest<'_>) -> Result<AssumedRoleSession, StsError> {
        let policy_arns: Vec<PolicyDescriptorType> = req
            .policy_arns
            .iter()
            .map(|p| PolicyDescriptorType::builder().arn(p.as_str()).build())
            .collect();
        let result = self
            .client
            .assume_role_with_web_identity()
            .role_arn(req.role_arn.as_str())
            .role_session_name(req.session_name.as_str())
            .web_identity_token(req.id_token.secret().expose_secret())
            .duration_seconds(req.duration.secs() as i32)
            .set_policy(req.inline_policy.map(|p| p.as_str().to_string()))
            .set_policy_arns(if policy_arns.is_empty() {
                None
            } else {
                Some(policy_arns)
            })
            .send()
            .await;
        let out = result.map_err(|e| classify(e, req))?;
        read_answer(&out)
    }
}

/// The session in a successful answer; an answer without one is unreadable.
// Large errors are fine here: one per run, boxed once it leaves this module.
#[allow(clippy::result_large_err)]
fn read_answer(out: &AssumeRoleWithWebIdentityOutput) -> Result<AssumedRoleSession, StsError> {
    let unexpected = |what: &str| StsError::Unexpected {
        detail: format!("the answer has no {what}"),
        attempts: 1,
    };
    let creds = out.credentials().ok_or_else(|| unexpected("Credentials"))?;
    let user = out
        .assumed_role_user()
        .ok_or_else(|| unexpected("AssumedRoleUser"))?;
    let assumed_role_arn = user.arn().to_string();
    let account_id = assumed_role_arn
        .split(':')
        .nth(4)
        .and_then(|a| AccountId::parse(a).ok())
        .ok_or_else(|| StsError::Unexpected {
            detail: format!("AssumedRoleUser.Arn {assumed_role_arn:?} has no account id"),
            attempts: 1,
        })?;
    for (name, value) in [
        ("AccessKeyId", creds.access_key_id()),
        ("SecretAccessKey", creds.secret_access_key()),
        ("SessionToken", creds.session_token()),
    ] {
        if value.trim().is_empty() {
            return Err(unexpected(&format!("Credentials.{name}")));
        }
    }
    let expiration = std::time::SystemTime::try_from(*creds.expiration())
        .map(Timestamp::from)
        .map_err(|_| unexpected("readable Expiration"))?;
    Ok(AssumedRoleSession {
        credentials: AwsCredentials {
            access_key_id: SecretString::from(creds.access_key_id().to_string()),
            secret_access_key: SecretString::from(creds.secret_access_key().to_string()),
            session_token: SecretString::from(creds.session_token().to_string()),
            expiration,
        },
        assumed_role_arn,
        account_id,
    })
}

fn classify<E>(
    err: SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
    req: &AssumeRoleRequest<'_>,
) -> StsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    from_failure(failure(&err), req)
}

fn from_failure(failure: Failure, req: &AssumeRoleRequest<'_>) -> StsError {
    let role = req.role_arn.clone();
    match failure {
        Failure::Coded {
            code,
            message,
            status,
        } => classify_service_error(role, &code, message, status, req),
        Failure::Unreadable(detail) => StsError::Unexpected {
            detail: format!("{detail} (not an AssumeRoleWithWebIdentity answer)"),
            attempts: 1,
        },
        Failure::Transient(detail) => StsError::Transient {
            detail,
            attempts: 1,
        },
        Failure::Uncoded { status, snippet } => StsError::Refused {
            role,
            code: format!("HTTP {status}"),
            message: snippet,
        },
        Failure::NotSent(detail) => StsError::Request { detail },
    }
}

fn classify_service_error(
    role: RoleArn,
    code: &str,
    message: String,
    status: u16,
    req: &AssumeRoleRequest<'_>,
) -> StsError {
    const TRANSIENT: [&str; 7] = [
        "IDPCommunicationError",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalError",
    ];
    if is_transient_answer(code, status, &TRANSIENT) {
        return StsError::Transient {
            detail: format!("{code}: {message}"),
            attempts: 1,
        };
    }
    let audience = req.audience.to_string();
    match code {
        "AccessDenied" | "AccessDeniedException" => StsError::AccessDenied {
            role,
            message,
            claims: req.id_token.claims(),
            audience,
        },
        _ if message.contains("Not authorized to perform sts:AssumeRoleWithWebIdentity") => {
            StsError::AccessDenied {
                role,
                message,
                claims: req.id_token.claims(),
                audience,
            }
        }
        "InvalidIdentityToken" if message.contains("No OpenIDConnect provider found") => {
            StsError::NoOidcProvider {
                role,
                message,
                audience,
            }
        }
        "ValidationError"
            if message.contains("DurationSeconds") || message.contains("MaxSessionDuration") =>
        {
            StsError::DurationTooLong {
                role,
                requested: req.duration.secs(),
                message,
            }
        }
        "ExpiredTokenException" | "ExpiredToken" => StsError::ExpiredToken {
            message,
            local_clock: Timestamp::now(),
        },
        _ => StsError::Refused {
            role,
            code: code.to_string(),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_req<T>(f: impl FnOnce(&AssumeRoleRequest<'_>) -> T) -> T {
        let role = RoleArn::parse("arn:aws:iam::123456789012:role/r").unwrap();
        let name = RoleSessionName::parse("nsc.tenant=t").unwrap();
        let jwt = crate::namespace::token::tests::jwt(serde_json::json!({
            "iss": "https://federation.namespaceapis.com", "aud": "sts.amazonaws.com",
            "sub": "tnt_a/inst", "tenant_id": "tnt_a", "exp": 1_900_000_000u64
        }));
        let id = IdToken::new(SecretString::from(jwt));
        let req = AssumeRoleRequest {
            role_arn: &role,
            session_name: &name,
            duration: SessionDuration::parse("2h").unwrap(),
            id_token: &id,
            inline_policy: None,
            policy_arns: &[],
            audience: "sts.amazonaws.com",
        };
        f(&req)
    }

    /// An answer without an STS error code, by its HTTP status (the role is `with_req`'s).
    fn classify_uncoded(status: u16, snippet: String, _role: RoleArn) -> StsError {
        with_req(|req| from_failure(crate::aws::uncoded(status, snippet), req))
    }

    fn classify(code: &str, message: &str, status: u16) -> StsError {
        with_req(|req| {
            classify_service_error(req.role_arn.clone(), code, message.to_string(), status, req)
        })
    }

    use std::sync::{Arc, Mutex};

    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

    /// A transport that records each request's URI and sends nothing.
    #[derive(Debug, Clone, Default)]
    struct Capture(Arc<Mutex<Vec<String>>>);

    impl HttpConnector for Capture {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            self.0.lock().unwrap().push(request.uri().to_string());
            HttpConnectorFuture::ready(Err(ConnectorError::user("captured, not sent".into())))
        }
    }

    impl HttpClient for Capture {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    /// The URI the SDK would send AssumeRoleWithWebIdentity to, and the error.
    fn resolved_uri(region: &str, use_fips: bool) -> (Vec<String>, StsError) {
        let capture = Capture::default();
        let sts = StsClient::build(
            &Region::parse(region).unwrap(),
            None,
            use_fips,
            3,
            Duration::from_secs(5),
            Some(SharedHttpClient::new(capture.clone())),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = with_req(|req| {
            let req = AssumeRoleRequest {
                role_arn: req.role_arn,
                session_name: req.session_name,
                duration: req.duration,
                id_token: req.id_token,
                inline_policy: None,
                policy_arns: &[],
                audience: req.audience,
            };
            runtime
                .block_on(sts.assume_role_with_web_identity(req))
                .unwrap_err()
        });
        let uris = capture.0.lock().unwrap().clone();
        (uris, err)
    }

    #[test]
    fn the_endpoint_follows_region_partition_and_fips() {
        for (region, fips, uri) in [
            ("us-east-1", false, "https://sts.us-east-1.amazonaws.com"),
            (
                "us-east-1",
                true,
                "https://sts-fips.us-east-1.amazonaws.com",
            ),
            (
                "us-gov-west-1",
                false,
                "https://sts.us-gov-west-1.amazonaws.com",
            ),
            (
                "cn-north-1",
                false,
                "https://sts.cn-north-1.amazonaws.com.cn",
            ),
        ] {
            let (uris, err) = resolved_uri(region, fips);
            assert_eq!(uris.len(), 1, "{region}: a user error is not retried");
            assert!(
                uris[0].starts_with(uri),
                "{region} fips={fips}: {}",
                uris[0]
            );
            assert!(matches!(err, StsError::Request { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains("captured, not sent"), "{text}");
            assert!(!text.contains("DispatchFailure"), "a Debug dump: {text}");
        }
    }

    #[test]
    fn titles_tell_refusals_from_failures_and_expired_credentials() {
        assert_eq!(
            classify("AccessDenied", "no", 403).title(),
            "Refused by AWS STS"
        );
        assert_eq!(
            classify("Throttling", "slow down", 400).title(),
            "AWS STS unavailable or throttling"
        );
        let expired = StsError::AlreadyExpired {
            expired_at: Timestamp::from_unix_secs(1_000_000_000),
            now: Timestamp::from_unix_secs(1_000_000_100),
        };
        assert!(!expired.is_refusal());
        assert_eq!(expired.title(), "Expired credentials from AWS STS");
    }

    #[test]
    fn answers_without_an_error_code_are_told_by_status() {
        let role = RoleArn::parse("arn:aws:iam::123456789012:role/r").unwrap();
        let e = classify_uncoded(200, crate::aws::body_snippet(200, Some(b"")), role.clone());
        assert!(matches!(e, StsError::Unexpected { .. }), "{e:?}");
        assert!(e.to_string().contains("HTTP 200: the body is empty"), "{e}");
        let e = classify_uncoded(
            503,
            crate::aws::body_snippet(503, Some(b"upstream down")),
            role.clone(),
        );
        assert!(Retryable::is_transient(&e));
        assert!(e.to_string().contains("HTTP 503: upstream down"), "{e}");
        let e = classify_uncoded(
            403,
            crate::aws::body_snippet(403, Some(b"<html>no</html>")),
            role,
        );
        assert!(e.is_refusal());
        assert!(e.to_string().contains("HTTP 403: <html>no</html>"), "{e}");
        let long = "x".repeat(500);
        let snippet = crate::aws::body_snippet(502, Some(long.as_bytes()));
        assert_eq!(snippet.chars().count(), 201);
    }

    #[test]
    fn access_denied_explains_claims_and_trust_policy() {
        let e = classify(
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            403,
        );
        assert!(e.is_refusal());
        let text = e.to_string();
        for needle in [
            "iss: https://federation.namespaceapis.com",
            "aud: sts.amazonaws.com",
            "sub: tnt_a/inst",
            "tenant_id: tnt_a",
            "exp: 2030-03-17T17:46:40Z",
            "\"federation.namespaceapis.com:sub\": \"tnt_a/*\"",
            "arn:aws:iam::123456789012:oidc-provider/federation.namespaceapis.com",
        ] {
            assert!(text.contains(needle), "missing {needle}: {text}");
        }
    }

    #[test]
    fn other_sts_errors_are_explained() {
        let e = classify(
            "InvalidIdentityToken",
            "No OpenIDConnect provider found in your account for https://x",
            400,
        );
        assert!(
            e.to_string()
                .contains("https://federation.namespaceapis.com")
        );
        assert!(
            e.to_string()
                .contains("a053375bfe84e8b748782c7cee15827a6af5a405")
        );
        let e = classify(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            400,
        );
        assert!(e.to_string().contains("900 to 43200"));
        assert!(e.to_string().contains("7200 seconds"));
        let e = classify("ExpiredTokenException", "Token expired", 400);
        assert!(e.to_string().contains("clock says"));
        for (code, status) in [
            ("IDPCommunicationError", 400),
            ("Throttling", 400),
            ("Whatever", 503),
        ] {
            assert!(!classify(code, "m", status).is_refusal(), "{code}");
        }
        assert!(matches!(
            classify("InvalidIdentityToken", "bad signature", 400),
            StsError::Refused { .. }
        ));
    }
}
