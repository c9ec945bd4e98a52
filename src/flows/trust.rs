//! Setup helpers: let a workspace trust a Cognito identity pool, and the IAM
//! role trust policy that accepts a workspace's ID tokens.

use std::time::Instant;

use super::id_token::bearer_token;
use crate::aws::cognito::CognitoError;
use crate::aws::trust_policy;
use crate::config::cognito::DEVELOPER_PROVIDER;
use crate::config::{TokenSourceSettings, TrustPolicySettings, TrustPoolSettings};
use crate::error::Error;
use crate::namespace::client::methods::GET_TENANT;
use crate::namespace::{NamespaceClient, NamespaceError, TokenChain};

/// A pool the workspace now trusts.
#[derive(Debug)]
pub struct PoolTrusted {
    /// `<region>:<uuid>`.
    pub pool: String,
    /// The workspace.
    pub tenant_id: String,
}

/// `TrustAWSCognitoIdentityPool`, after checking that the caller's token
/// belongs to the workspace named (from its claims; API keys have none, so
/// `GetTenant` tells).
pub async fn trust_pool(
    settings: &TrustPoolSettings,
    tokens: &TokenSourceSettings,
    namespace: &NamespaceClient,
) -> Result<PoolTrusted, Error> {
    let (chain, ctx) = TokenChain::from_settings(tokens);
    let found = chain.resolve(namespace, &ctx).await?;
    let (token_tenant, asked_namespace) = match found.token.claims().tenant_id.clone() {
        Some(t) if !t.is_empty() => (t, false),
        _ => {
            let tenant = namespace.get_tenant(found.token.secret()).await?;
            // An answer that names no workspace proves nothing: not a mismatch to report.
            if tenant.tenant_id.trim().is_empty() {
                return Err(NamespaceError::Unreadable {
                    method: GET_TENANT,
                    detail: "it names no tenant_id, so the token's workspace is unknown".into(),
                    attempts: 1,
                }
                .into());
            }
            // From the network, into a message: one line.
            let id = tenant
                .tenant_id
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            (id, true)
        }
    };
    if token_tenant != settings.tenant_id.as_str() {
        return Err(CognitoError::WrongTenant {
            source_name: found.source,
            token_tenant,
            tenant_id: settings.tenant_id.clone(),
            asked_namespace,
        }
        .into());
    }

    let bearer = bearer_token(found.token, namespace).await?;

    let started = Instant::now();
    let pool = settings.pool.as_string();
    namespace
        .trust_aws_cognito_identity_pool(bearer.secret(), &pool, DEVELOPER_PROVIDER)
        .await?;
    tracing::info!(
        "Workspace {} now trusts Cognito identity pool {pool} with developer provider {DEVELOPER_PROVIDER} ({} ms)",
        settings.tenant_id,
        started.elapsed().as_millis()
    );
    Ok(PoolTrusted {
        pool,
        tenant_id: settings.tenant_id.to_string(),
    })
}

/// The role trust policy document for the workspace (no network, no token).
pub fn trust_policy(settings: &TrustPolicySettings) -> serde_json::Value {
    trust_policy::document(
        settings.provider_arn.as_str(),
        settings.tenant_id.as_str(),
        settings.audience.as_str(),
    )
}
