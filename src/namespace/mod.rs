//! Namespace: its tokens ([`token`]), where a token comes from ([`sources`]),
//! and its API ([`client`]). Errors of this boundary are [`NamespaceError`].

pub mod client;
pub mod sources;
pub mod token;

use client::methods;
use std::fmt;

pub use client::{NamespaceClient, RetryPolicy, Tenant, TenantTokenResponse};
pub use sources::{FoundToken, TokenChain, TokenError};
pub use token::{IdToken, NamespaceToken, TokenClaims, TokenKind, TokenProblem};

/// A gRPC status code as Namespace reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcCode(pub i32);

impl RpcCode {
    /// INVALID_ARGUMENT
    pub const INVALID_ARGUMENT: Self = Self(3);
    /// DEADLINE_EXCEEDED
    pub const DEADLINE_EXCEEDED: Self = Self(4);
    /// NOT_FOUND
    pub const NOT_FOUND: Self = Self(5);
    /// PERMISSION_DENIED
    pub const PERMISSION_DENIED: Self = Self(7);
    /// RESOURCE_EXHAUSTED
    pub const RESOURCE_EXHAUSTED: Self = Self(8);
    /// FAILED_PRECONDITION
    pub const FAILED_PRECONDITION: Self = Self(9);
    /// INTERNAL
    pub const INTERNAL: Self = Self(13);
    /// UNAVAILABLE
    pub const UNAVAILABLE: Self = Self(14);
    /// UNAUTHENTICATED
    pub const UNAUTHENTICATED: Self = Self(16);

    const NAMES: [&'static str; 17] = [
        "ok",
        "canceled",
        "unknown",
        "invalid_argument",
        "deadline_exceeded",
        "not_found",
        "already_exists",
        "permission_denied",
        "resource_exhausted",
        "failed_precondition",
        "aborted",
        "out_of_range",
        "unimplemented",
        "internal",
        "unavailable",
        "data_loss",
        "unauthenticated",
    ];

    /// The lower-case name (`permission_denied`).
    pub fn name(self) -> &'static str {
        usize::try_from(self.0)
            .ok()
            .and_then(|i| Self::NAMES.get(i))
            .copied()
            .unwrap_or("unknown")
    }

    /// Parses a lower- or upper-case code name (`"permission_denied"`, `"cancelled"` too).
    pub fn from_name(name: &str) -> Option<Self> {
        let n = name.trim().to_ascii_lowercase();
        let n = if n == "cancelled" {
            "canceled".to_string()
        } else {
            n
        };
        Self::NAMES
            .iter()
            .position(|c| *c == n)
            .map(|i| Self(i as i32))
    }
}

impl fmt::Display for RpcCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

/// A failed call to Namespace (or to the token endpoints next to it).
#[derive(Debug, thiserror::Error)]
pub enum NamespaceError {
    /// Namespace answered with an error status.
    #[error("Namespace answered {method} with {code}: {message} (HTTP {http_status}{})", attempts_note(*attempts))]
    Api {
        /// The method called (`nsl.tenants.TenantsService/IssueIdToken`).
        method: &'static str,
        /// The status code read from the answer.
        code: RpcCode,
        /// The message read from the answer.
        message: String,
        /// The HTTP status.
        http_status: u16,
        /// Whether the answer is worth retrying.
        transient: bool,
        /// Attempts made.
        attempts: u32,
    },
    /// The request did not get an answer (connection refused/reset, timeout).
    #[error("Could not reach {url} for {method}: {detail}{}", attempts_note(*attempts))]
    Transport {
        /// The method called.
        method: &'static str,
        /// Where (no secrets in it).
        url: String,
        /// What went wrong.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A 200 answer whose body cannot be read, or whose required fields are empty.
    #[error("Namespace's answer to {method} could not be read: {detail}{}", attempts_note(*attempts))]
    Unreadable {
        /// The method called.
        method: &'static str,
        /// What was wrong with it.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// GitHub's OIDC token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`) failed:
    /// GitHub's side, not Namespace's.
    #[error("{}{}", github_message(*http_status, message), attempts_note(*attempts))]
    GithubOidc {
        /// The HTTP status; 200 when the answer held no usable token.
        http_status: u16,
        /// GitHub's message (or what was wrong with the answer).
        message: String,
        /// Whether the answer is worth retrying.
        transient: bool,
        /// Attempts made.
        attempts: u32,
    },
}

fn github_message(http_status: u16, message: &str) -> String {
    match http_status {
        200 => format!("GitHub's OIDC token endpoint answered without a usable token: {message}"),
        401 | 403 | 404 => format!(
            "GitHub's OIDC token endpoint answered {http_status} ({message}); check that the job has `permissions: id-token: write`"
        ),
        _ => format!("GitHub's OIDC token endpoint answered {http_status} ({message})"),
    }
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(", after {attempts} attempts")
    } else {
        String::new()
    }
}

impl NamespaceError {
    /// Worth retrying: throttling, UNAVAILABLE, 502/503/504, connection errors, timeouts.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { transient, .. } | Self::GithubOidc { transient, .. } => *transient,
            Self::Transport { .. } | Self::Unreadable { .. } => true,
        }
    }

    /// Namespace said no (authentication, permission, argument): retrying cannot help.
    pub fn is_refusal(&self) -> bool {
        match self {
            Self::Api {
                code, transient, ..
            } => !*transient && !matches!(code.0, 2 | 13 | 15),
            Self::GithubOidc {
                http_status,
                transient,
                ..
            } => !*transient && *http_status != 200,
            _ => false,
        }
    }

    pub(crate) fn set_attempts(&mut self, n: u32) {
        match self {
            Self::Api { attempts, .. }
            | Self::Transport { attempts, .. }
            | Self::Unreadable { attempts, .. }
            | Self::GithubOidc { attempts, .. } => *attempts = n,
        }
    }

    /// What to do next.
    pub fn hint(&self) -> String {
        match self {
            Self::Api { code, method, .. } if *code == RpcCode::UNAUTHENTICATED => format!(
                "Namespace did not accept the token for {}: check that it is current and belongs to the right workspace (a fresh token, or `nsc login`).",
                short_method(method)
            ),
            Self::Api { code, .. } if *code == RpcCode::PERMISSION_DENIED => {
                "The token is valid but not allowed to do this: check the workspace and the token's permissions in Namespace.".to_string()
            }
            Self::GithubOidc { transient: false, http_status, .. } if *http_status != 200 => {
                "Add `permissions: id-token: write` to the job (or the workflow); without it GitHub refuses to issue OIDC tokens. Or pass a Namespace token with the `namespace-token` input.".to_string()
            }
            Self::GithubOidc { transient: false, .. } => {
                "GitHub's OIDC service gave no token: run again; if it persists, pass a Namespace token with the `namespace-token` input.".to_string()
            }
            Self::GithubOidc { .. } | Self::Transport { method: methods::GITHUB_TOKEN, .. } => format!(
                "GitHub's OIDC service (ACTIONS_ID_TOKEN_REQUEST_URL) looks unavailable: run again, or raise {}.",
                crate::error::retry_knobs()
            ),
            Self::Transport { method: methods::WORKLOAD_TOKEN, .. } => format!(
                "The metadata service named by the token spec's metadata_url did not answer: run again, or raise {}; or pass a token another way.",
                crate::error::retry_knobs()
            ),
            Self::Api { transient: true, .. } | Self::Transport { .. } | Self::Unreadable { .. } => format!(
                "This looks temporary: run again, or raise {}; check the Namespace endpoint ({}) and the network.",
                crate::error::retry_knobs(),
                crate::error::namespace_endpoint_knob()
            ),
            Self::Api { .. } => "Check the request's inputs; if it persists, contact Namespace support with the message above.".to_string(),
        }
    }
}

/// `nsl.tenants.TenantsService/IssueIdToken` → `IssueIdToken`.
pub fn short_method(method: &str) -> &str {
    method.rsplit('/').next().unwrap_or(method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_code_names() {
        assert_eq!(RpcCode(7).name(), "permission_denied");
        assert_eq!(
            RpcCode::from_name("UNAVAILABLE"),
            Some(RpcCode::UNAVAILABLE)
        );
        assert_eq!(RpcCode::from_name("cancelled"), Some(RpcCode(1)));
        assert_eq!(RpcCode(99).name(), "unknown");
        assert_eq!(RpcCode(16).to_string(), "unauthenticated (16)");
    }
}
