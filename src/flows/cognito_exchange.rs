//! AWS → Namespace: (`--ensure`: is the current token good for long enough?)
//! → AWS default credential chain → Cognito `GetOpenIdTokenForDeveloperIdentity`
//! → Namespace `ExchangeAWSCognitoJWT` → a tenant token.

use std::path::Path;
use std::time::{Duration, Instant};

use secrecy::SecretString;

use crate::aws::cognito::{CognitoClient, CognitoError};
use crate::config::{CognitoExchangeSettings, IdentityPoolId, TokenDestination};
use crate::error::Error;
use crate::namespace::NamespaceClient;
use crate::namespace::token::{NamespaceToken, TokenSpec, parse_token_json, parse_token_spec};
use crate::timestamp::Timestamp;

/// A tenant token obtained with the machine's AWS identity.
#[derive(Debug)]
pub struct ExchangedToken {
    /// The tenant token (Debug is redacted).
    pub token: NamespaceToken,
    /// The workspace it belongs to.
    pub tenant_id: String,
    /// The workspace's name (empty when Namespace did not say).
    pub workspace_name: String,
    /// When it expires.
    pub expires_at: Timestamp,
    /// The pool it came through.
    pub pool: IdentityPoolId,
    /// Where it goes.
    pub destination: TokenDestination,
}

/// `--ensure`: the current token stays valid long enough; nothing was done.
#[derive(Debug)]
pub struct StillValid {
    /// Where the current token is (for the log line).
    pub location: String,
    /// When it expires.
    pub expires_at: Timestamp,
}

/// What the flow did.
// One value per run: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Exchange {
    /// A new token.
    Exchanged(ExchangedToken),
    /// The current token is good for long enough.
    StillValid(StillValid),
}

/// Runs the flow. `current_spec` is `NSC_TOKEN_SPEC` (where `--ensure`
/// looks under GitHub and for printed output); `timeout` bounds the AWS calls.
pub async fn run(
    settings: &CognitoExchangeSettings,
    current_spec: Option<&SecretString>,
    namespace: &NamespaceClient,
    max_attempts: u32,
    timeout: Duration,
) -> Result<Exchange, Error> {
    if let Some(ensure) = settings.ensure
        && let Some(still) = still_valid(settings, current_spec, ensure)
    {
        tracing::info!(
            "The Namespace token in {} stays valid until {}, at least {} s more: nothing to do",
            still.location,
            still.expires_at,
            ensure.as_secs()
        );
        return Ok(Exchange::StillValid(still));
    }

    let pool = &settings.pool;
    let cognito = CognitoClient::new(
        pool.region(),
        settings.cognito_endpoint.as_ref(),
        max_attempts,
        timeout,
    )
    .await?;
    let started = Instant::now();
    let cognito_token = cognito.open_id_token(pool, &settings.tenant_id).await?;
    crate::secrets::register(cognito_token.secret());
    tracing::info!(
        "Got a Cognito OpenID token from identity pool {pool} ({} ms)",
        started.elapsed().as_millis()
    );

    let started = Instant::now();
    let answer = namespace
        .exchange_aws_cognito_jwt(settings.tenant_id.as_str(), cognito_token.secret())
        .await
        .map_err(|error| {
            if error.is_refusal() {
                Error::from(CognitoError::ExchangeRefused {
                    error,
                    pool: pool.clone(),
                    tenant_id: settings.tenant_id.clone(),
                })
            } else {
                Error::Namespace(error)
            }
        })?;
    let unusable = |problem: String| CognitoError::UnusableTenantToken { problem };
    let token = NamespaceToken::parse(&answer.tenant_token).map_err(|p| unusable(p.to_string()))?;
    token
        .check_not_expired(Timestamp::now())
        .map_err(|p| unusable(p.to_string()))?;
    let expires_at = token
        .claims()
        .expires_at()
        .ok_or_else(|| unusable("it has no expiry".into()))?;
    let tenant = answer.tenant.unwrap_or_default();
    let tenant_id = [
        Some(tenant.tenant_id),
        token.claims().tenant_id.clone(),
        Some(settings.tenant_id.to_string()),
    ]
    .into_iter()
    .flatten()
    .find(|t| !t.is_empty())
    .unwrap_or_default();
    if tenant_id != settings.tenant_id.as_str() {
        tracing::warn!(
            "Namespace returned a token for workspace {tenant_id}, not {}",
            settings.tenant_id
        );
    }
    tracing::info!(
        "Got a Namespace token for workspace {tenant_id}, valid until {} ({} ms)",
        expires_at.rfc3339(),
        started.elapsed().as_millis()
    );
    Ok(Exchange::Exchanged(ExchangedToken {
        token,
        tenant_id,
        workspace_name: tenant.name,
        expires_at,
        pool: pool.clone(),
        destination: settings.destination.clone(),
    }))
}

/// The current token, when it belongs to the workspace and stays valid for
/// `ensure` more; otherwise says (in a log line) why a new one is needed.
fn still_valid(
    settings: &CognitoExchangeSettings,
    current_spec: Option<&SecretString>,
    ensure: Duration,
) -> Option<StillValid> {
    let (location, current) = match &settings.destination {
        TokenDestination::TokenFile(path) => (path.display().to_string(), read_token_json(path)),
        TokenDestination::Github | TokenDestination::Print => (
            "NSC_TOKEN_SPEC".to_string(),
            current_spec
                .ok_or_else(|| "is not set".to_string())
                .and_then(|spec| match parse_token_spec(spec) {
                    Ok(TokenSpec::Inline(t)) => {
                        NamespaceToken::parse(&t).map_err(|p| format!("cannot be used: {p}"))
                    }
                    Ok(TokenSpec::Metadata(_)) => {
                        Err("names a metadata URL, whose token's expiry is unknown".to_string())
                    }
                    Err(p) => Err(format!("cannot be used: {p}")),
                }),
        ),
    };
    let verdict = current.and_then(|token| {
        let claims = token.claims();
        if claims.tenant_id.as_deref() != Some(settings.tenant_id.as_str()) {
            return Err(format!(
                "belongs to another workspace than {}",
                settings.tenant_id
            ));
        }
        let expires_at = claims
            .expires_at()
            .ok_or_else(|| "has no expiry".to_string())?;
        if expires_at.remaining() < ensure {
            return Err(format!(
                "expires at {expires_at}, within {} s",
                ensure.as_secs()
            ));
        }
        Ok(expires_at)
    });
    match verdict {
        Ok(expires_at) => Some(StillValid {
            location,
            expires_at,
        }),
        Err(why) => {
            tracing::info!("The Namespace token in {location} {why}: getting a new one");
            None
        }
    }
}

fn read_token_json(path: &Path) -> Result<NamespaceToken, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("does not exist".to_string());
        }
        Err(e) => return Err(format!("cannot be read ({e})")),
    };
    let secret = parse_token_json(&text).map_err(|p| format!("cannot be used: {p}"))?;
    NamespaceToken::parse(&secret).map_err(|p| format!("cannot be used: {p}"))
}
