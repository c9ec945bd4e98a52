//! `aws web-identity`: a Namespace ID token for AWS SDKs, which then assume
//! the role themselves (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE), as
//! `nsc aws setup-web-identity` does.

use std::path::PathBuf;
use std::time::Instant;

use super::assume_role::{bearer_token, default_session_name};
use crate::config::{RoleArn, RoleSessionName, TokenSourceSettings, WebIdentitySettings};
use crate::error::Error;
use crate::namespace::token::IdToken;
use crate::namespace::{NamespaceClient, TokenChain};
use crate::timestamp::Timestamp;

/// An ID token and where the sink is to write it.
#[derive(Debug)]
pub struct WebIdentity {
    /// The ID token (secret).
    pub id_token: IdToken,
    /// The role.
    pub role_arn: RoleArn,
    /// The session name SDKs will use.
    pub session_name: RoleSessionName,
    /// The file to write the token to.
    pub token_file: PathBuf,
    /// The token's expiry, when readable.
    pub expires: Option<Timestamp>,
}

/// Runs the flow.
pub async fn run(
    settings: &WebIdentitySettings,
    tokens: &TokenSourceSettings,
    namespace: &NamespaceClient,
) -> Result<WebIdentity, Error> {
    let (chain, ctx) = TokenChain::from_settings(tokens);
    let found = chain.resolve(namespace, &ctx).await?;
    let token = bearer_token(found.token, namespace).await?;
    let session_name = settings
        .session_name
        .clone()
        .unwrap_or_else(|| default_session_name(token.claims()));
    let started = Instant::now();
    let id_token = namespace
        .issue_id_token(
            token.secret(),
            settings.audience.as_str(),
            settings.duration.secs(),
        )
        .await?;
    let expires = id_token
        .claims()
        .and_then(|c| c.exp)
        .map(Timestamp::from_unix_secs);
    tracing::info!(
        "Got an ID token from Namespace{} ({} ms)",
        expires
            .map(|e| format!(", valid until {}", e.rfc3339()))
            .unwrap_or_default(),
        started.elapsed().as_millis()
    );
    Ok(WebIdentity {
        id_token,
        role_arn: settings.role_arn.clone(),
        session_name,
        token_file: settings.token_file.clone(),
        expires,
    })
}
