//! `aws web-identity`: a Namespace ID token for AWS SDKs, which then assume
//! the role themselves (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE), as
//! `nsc aws setup-web-identity` does.

use std::path::PathBuf;

use super::id_token::{self, IdTokenRequest};
use crate::config::{RoleArn, RoleSessionName, TokenSourceSettings, WebIdentitySettings};
use crate::error::Error;
use crate::namespace::NamespaceClient;
use crate::namespace::token::IdToken;
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
    let issued = id_token::issue(
        IdTokenRequest {
            tokens,
            audience: &settings.audience,
            duration: settings.duration,
            session_name: settings.session_name.as_ref(),
        },
        namespace,
    )
    .await?;
    Ok(WebIdentity {
        id_token: issued.id_token,
        role_arn: settings.role_arn.clone(),
        session_name: issued.session_name,
        token_file: settings.token_file.clone(),
        expires: issued.expires,
    })
}
