//! Namespace → AWS: token → (session exchange) → IssueIdToken → STS
//! AssumeRoleWithWebIdentity → credentials.

use std::time::Instant;

use crate::aws::AwsCredentials;
use crate::aws::sts::{AssumeRoleRequest, StsClient};
use crate::config::{AccountId, AssumeRoleSettings, RoleArn, RoleSessionName, TokenSourceSettings};
use crate::error::Error;
use crate::namespace::sources::TokenError;
use crate::namespace::token::{NamespaceToken, TokenClaims, TokenKind};
use crate::namespace::{NamespaceClient, TokenChain};
use crate::timestamp::Timestamp;

/// Lifetime asked for the tenant token a session token is traded for: it is
/// used once, right away, for IssueIdToken.
const EXCHANGED_TENANT_TOKEN_SECS: u32 = 600;

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
    tracing::info!(
        "Got an ID token from Namespace ({} ms)",
        started.elapsed().as_millis()
    );

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

/// A token usable as Bearer for IssueIdToken: session tokens are exchanged first.
pub(crate) async fn bearer_token(
    token: NamespaceToken,
    namespace: &NamespaceClient,
) -> Result<NamespaceToken, Error> {
    if token.kind() != TokenKind::Session {
        return Ok(token);
    }
    let started = Instant::now();
    let tenant_token = namespace
        .issue_tenant_token_from_session(token.secret(), EXCHANGED_TENANT_TOKEN_SECS)
        .await?;
    let unusable = |problem| TokenError::Unusable {
        source_name: "IssueTenantTokenFromSession".into(),
        problem,
    };
    let tenant = NamespaceToken::parse(&tenant_token).map_err(unusable)?;
    tenant
        .check_not_expired(Timestamp::now())
        .map_err(unusable)?;
    tracing::info!(
        "Exchanged the session token for a tenant token ({} ms)",
        started.elapsed().as_millis()
    );
    Ok(tenant)
}

/// As nsc names it: `nsc.instance=<instance_id>`, else `nsc.tenant=<tenant_id>`.
pub fn default_session_name(claims: &TokenClaims) -> RoleSessionName {
    match (&claims.instance_id, &claims.tenant_id) {
        (Some(instance), _) if !instance.is_empty() => {
            RoleSessionName::sanitized("nsc.instance=", instance)
        }
        (_, Some(tenant)) if !tenant.is_empty() => {
            RoleSessionName::sanitized("nsc.tenant=", tenant)
        }
        _ => RoleSessionName::sanitized("ns-federate", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_as_nsc() {
        let mut c = TokenClaims {
            tenant_id: Some("tnt_1".into()),
            instance_id: Some("abc".into()),
            ..Default::default()
        };
        assert_eq!(default_session_name(&c).as_str(), "nsc.instance=abc");
        c.instance_id = None;
        assert_eq!(default_session_name(&c).as_str(), "nsc.tenant=tnt_1");
        c.tenant_id = None;
        assert_eq!(default_session_name(&c).as_str(), "ns-federate");
    }
}
