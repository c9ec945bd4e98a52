//! Namespace → AWS: token → (session exchange) → IssueIdToken → STS
//! AssumeRoleWithWebIdentity → credentials.

use std::time::Instant;

use super::id_token::{self, IdTokenRequest, IssuedIdToken};
use crate::aws::AwsCredentials;
use crate::aws::sts::{AssumeRoleRequest, StsClient};
use crate::config::{AccountId, AssumeRoleSettings, RoleArn, RoleSessionName, TokenSourceSettings};
use crate::error::Error;
use crate::namespace::NamespaceClient;

/// The credentials of an assumed role and what to say about them.
#[derive(Debug)]
pub struct AssumedRole {
    /// The temporary credentials.
    pub credentials: AwsCredentials,
    /// The role asked for.
    pub role_arn: RoleArn,
    /// `AssumedRoleUser.Arn`.
    pub assumed_role_arn: String,
    /// The account, from that ARN.
    pub account_id: AccountId,
    /// The session name used.
    pub session_name: RoleSessionName,
}

/// Runs the flow.
pub async fn run(
    settings: &AssumeRoleSettings,
    tokens: &TokenSourceSettings,
    namespace: &NamespaceClient,
    sts: &StsClient,
) -> Result<AssumedRole, Error> {
    let IssuedIdToken {
        id_token,
        session_name,
        ..
    } = id_token::issue(
        IdTokenRequest {
            tokens,
            audience: &settings.audience,
            duration: settings.duration,
            session_name: settings.session_name.as_ref(),
        },
        namespace,
    )
    .await?;

    let started = Instant::now();
    let session = sts
        .assume_role_with_web_identity(AssumeRoleRequest {
            role_arn: &settings.role_arn,
            session_name: &session_name,
            duration: settings.duration,
            id_token: &id_token,
            inline_policy: settings.inline_policy.as_ref(),
            policy_arns: &settings.policy_arns,
            audience: settings.audience.as_str(),
        })
        .await?;
    let c = &session.credentials;
    for s in [&c.access_key_id, &c.secret_access_key, &c.session_token] {
        crate::secrets::register(s);
    }
    tracing::info!(
        "Assumed {} until {} ({} ms)",
        session.assumed_role_arn,
        session.credentials.expiration.rfc3339(),
        started.elapsed().as_millis()
    );

    if let Some(allowed) = &settings.allowed_account_ids
        && !allowed.allows(&session.account_id)
    {
        return Err(Error::AccountNotAllowed {
            account: session.account_id,
            allowed: allowed.ids().to_vec(),
        });
    }

    Ok(AssumedRole {
        credentials: session.credentials,
        role_arn: settings.role_arn.clone(),
        assumed_role_arn: session.assumed_role_arn,
        account_id: session.account_id,
        session_name,
    })
}
