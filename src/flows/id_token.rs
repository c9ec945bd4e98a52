//! The Namespace half of Namespace → AWS, shared by assume-role and
//! web-identity: resolve the token chain, trade a session token for a tenant
//! token, name the session, and have Namespace issue the ID token.

use std::time::Instant;

use crate::config::{Audience, RoleSessionName, SessionDuration, TokenSourceSettings};
use crate::error::Error;
use crate::namespace::sources::TokenError;
use crate::namespace::token::{IdToken, NamespaceToken, TokenClaims, TokenKind};
use crate::namespace::{NamespaceClient, TokenChain};
use crate::timestamp::Timestamp;

/// Lifetime asked for the tenant token a session token is traded for: it is
/// used once, right away.
const EXCHANGED_TENANT_TOKEN_SECS: u32 = 600;

/// What [`issue`] asks Namespace for.
pub(crate) struct IdTokenRequest<'a> {
    /// Where the Namespace token comes from.
    pub tokens: &'a TokenSourceSettings,
    /// The ID token's audience.
    pub audience: &'a Audience,
    /// The ID token's lifetime (the session's).
    pub duration: SessionDuration,
    /// The session name asked for; `None` derives one from the token's claims.
    pub session_name: Option<&'a RoleSessionName>,
}

/// An ID token and the session name that goes with it.
pub(crate) struct IssuedIdToken {
    /// The ID token (secret; registered when it arrived).
    pub id_token: IdToken,
    /// The session name asked for, else the default one.
    pub session_name: RoleSessionName,
    /// The ID token's expiry, when readable.
    pub expires: Option<Timestamp>,
}

/// Token chain → bearer token → session name → `IssueIdToken`, timed in the log.
pub(crate) async fn issue(
    req: IdTokenRequest<'_>,
    namespace: &NamespaceClient,
) -> Result<IssuedIdToken, Error> {
    let (chain, ctx) = TokenChain::from_settings(req.tokens);
    let found = chain.resolve(namespace, &ctx).await?;
    let token = bearer_token(found.token, namespace).await?;
    let session_name = req
        .session_name
        .cloned()
        .unwrap_or_else(|| default_session_name(token.claims()));

    let started = Instant::now();
    let id_token = namespace
        .issue_id_token(token.secret(), req.audience.as_str(), req.duration.secs())
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
    Ok(IssuedIdToken {
        id_token,
        session_name,
        expires,
    })
}

/// A token usable as Bearer for tenant-scoped calls: session tokens are
/// exchanged for a tenant token first.
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
