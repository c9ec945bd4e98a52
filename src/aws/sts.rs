//! STS `AssumeRoleWithWebIdentity`, unsigned, with a client built directly
//! from `aws_sdk_sts::Config::builder()`: no shared-config loading, no
//! credentials provider (so no metadata-service probe), an explicit region.

use std::time::Duration;

use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Region as SdkRegion};
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sts::types::PolicyDescriptorType;
use secrecy::{ExposeSecret, SecretString};

use super::AwsCredentials;
use super::trust_policy;
use crate::config::{
    AccountId, Endpoint, InlinePolicy, PolicyArn, Region, RoleArn, RoleSessionName, SessionDuration,
};
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
        "AWS STS could not be reached or was unavailable, after {attempts} attempt(s): {detail}"
    )]
    Transient {
        /// What happened.
        detail: String,
        /// Attempts configured.
        attempts: u32,
    },
    /// An answer that cannot be read.
    #[error("AWS STS's answer could not be used: {detail}")]
    Unexpected {
        /// What was wrong.
        detail: String,
    },
}

impl StsError {
    /// Refused by AWS (exit 3), as opposed to transient or unreadable (exit 4).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Self::Transient { .. } | Self::Unexpected { .. })
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
            Self::Transient { .. } | Self::Unexpected { .. } => {
                "Run again, or raise retry-max-attempts / timeout-seconds; check AWS_ENDPOINT_URL(_STS) and the network.".into()
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
    max_attempts: u32,
}

impl StsClient {
    /// Builds the client: explicit region, optional endpoint, standard retries.
    pub fn new(
        region: &Region,
        endpoint: Option<&Endpoint>,
        max_attempts: u32,
        timeout: Duration,
    ) -> Self {
        let mut builder = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(SdkRegion::new(region.as_str().to_string()))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(max_attempts)
                    .with_initial_backoff(Duration::from_millis(500)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(timeout)
                    .operation_attempt_timeout(timeout.min(Duration::from_secs(30)))
                    .connect_timeout(Duration::from_secs(10))
                    .build(),
            );
        if let Some(client) = super::http_client_for(endpoint) {
            builder = builder.http_client(client);
        }
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint.base());
        }
        Self {
            client: aws_sdk_sts::Client::from_conf(builder.build()),
            max_attempts,
        }
    }

    /// `AssumeRoleWithWebIdentity`.
    pub async fn assume_role_with_web_identity(
        &self,
        req: AssumeRoleRequest<'_>,
    ) -> Result<AssumedRoleSession, StsError> {
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
        let out = result.map_err(|e| self.classify(e, &req))?;
        let unexpected = |what: &str| StsError::Unexpected {
            detail: format!("the answer has no {what}"),
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
            })?;
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

    fn classify<E, R>(&self, err: SdkError<E, R>, req: &AssumeRoleRequest<'_>) -> StsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HasStatus,
    {
        let role = req.role_arn.clone();
        match &err {
            SdkError::ServiceError(ctx) => {
                let code = ctx.err().code().unwrap_or("Unknown").to_string();
                let message = ctx.err().message().unwrap_or("(no message)").to_string();
                let status = ctx.raw().status_code();
                classify_service_error(role, &code, message, status, req, self.max_attempts)
            }
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => StsError::Transient {
                detail: DisplayErrorContext(&err).to_string(),
                attempts: self.max_attempts,
            },
            _ => StsError::Unexpected {
                detail: DisplayErrorContext(&err).to_string(),
            },
        }
    }
}

/// The HTTP status of a raw response.
pub trait HasStatus {
    /// The status code.
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_sdk_sts::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

fn classify_service_error(
    role: RoleArn,
    code: &str,
    message: String,
    status: u16,
    req: &AssumeRoleRequest<'_>,
    attempts: u32,
) -> StsError {
    let transient_codes = [
        "IDPCommunicationError",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalError",
    ];
    if transient_codes.contains(&code) || status >= 500 || status == 429 {
        return StsError::Transient {
            detail: format!("{code}: {message}"),
            attempts,
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

    fn classify(code: &str, message: &str, status: u16) -> StsError {
        with_req(|req| {
            classify_service_error(
                req.role_arn.clone(),
                code,
                message.to_string(),
                status,
                req,
                3,
            )
        })
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
