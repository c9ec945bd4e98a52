//! The one error type at the top of a run, and the one place where errors
//! become exit codes and a message that ends with what to do next.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::aws::cognito::CognitoError;
use crate::aws::sts::StsError;
use crate::config::{AccountId, ConfigError};
use crate::namespace::{NamespaceError, TokenError};
use crate::sinks::SinkError;

/// Exit codes (DESIGN.md).
pub mod exit {
    /// Done.
    pub const OK: u8 = 0;
    /// Bad input or configuration; nothing was sent.
    pub const BAD_INPUT: u8 = 2;
    /// Refused by Namespace or AWS.
    pub const REFUSED: u8 = 3;
    /// Transient failure that outlived the retries or the time bound.
    pub const TRANSIENT: u8 = 4;
    /// Could not write the result locally.
    pub const WRITE: u8 = 5;
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input the user wrote is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No usable Namespace token.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A Namespace API call failed.
    #[error(transparent)]
    Namespace(#[from] NamespaceError),
    /// STS failed (boxed: its explanations are large).
    #[error(transparent)]
    Sts(Box<StsError>),
    /// AWS → Namespace failed: AWS credentials, Cognito, or Namespace's exchange (boxed: large).
    #[error(transparent)]
    Cognito(Box<CognitoError>),
    /// The role's account is not in `allowed-account-ids`; nothing was exported.
    #[error(
        "Refusing the credentials: they are for AWS account {account}, which is not in allowed-account-ids ({}). Nothing was exported.",
        allowed.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
    )]
    AccountNotAllowed {
        /// The role's account.
        account: AccountId,
        /// The accounts allowed.
        allowed: Vec<AccountId>,
    },
    /// `allowed-account-ids` does not hold the role's account: known from
    /// the input alone, so refused before anything is sent.
    #[error(
        "The role {role} is in AWS account {account}, which is not in allowed-account-ids ({}). Nothing was sent.",
        allowed.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
    )]
    RoleAccountNotAllowed {
        /// The role asked for.
        role: String,
        /// Its account.
        account: AccountId,
        /// The accounts allowed.
        allowed: Vec<AccountId>,
    },
    /// The whole run took longer than its bound.
    #[error("Gave up after {} seconds ({}).", .0.as_secs(), timeout_knob())]
    Timeout(Duration),
    /// The result could not be written.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

impl Error {
    /// The process exit code: the one mapping.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) | Self::RoleAccountNotAllowed { .. } => exit::BAD_INPUT,
            Self::Token(TokenError::Fetch { error, .. }) | Self::Namespace(error) => {
                namespace_exit(error)
            }
            Self::Token(_) => exit::BAD_INPUT,
            Self::Sts(e) if e.is_refusal() => exit::REFUSED,
            Self::Sts(_) => exit::TRANSIENT,
            Self::AccountNotAllowed { .. } => exit::REFUSED,
            Self::Cognito(e) => e.exit_code(),
            Self::Timeout(_) => exit::TRANSIENT,
            Self::Sink(_) => exit::WRITE,
        }
    }

    /// A short title (GitHub annotation title).
    pub fn title(&self) -> &'static str {
        match self {
            Self::Config(_) => "Invalid input",
            Self::Token(TokenError::NotFound { .. }) => "No Namespace token",
            Self::Token(TokenError::Fetch { .. }) => "Could not get a Namespace token",
            Self::Token(_) => "Unusable Namespace token",
            Self::Namespace(e) if e.is_refusal() => "Refused by Namespace",
            Self::Namespace(_) => "Namespace unavailable",
            Self::Sts(e) => e.title(),
            Self::AccountNotAllowed { .. } | Self::RoleAccountNotAllowed { .. } => {
                "Account not allowed"
            }
            Self::Cognito(e) => e.title(),
            Self::Timeout(_) => "Timed out",
            Self::Sink(_) => "Could not write the result",
        }
    }

    /// One line: what to do next.
    pub fn hint(&self) -> String {
        match self {
            Self::Config(e) => e.hint.clone(),
            Self::Token(e) => e.hint(),
            Self::Namespace(e) => e.hint(),
            Self::Sts(e) => e.hint(),
            Self::Cognito(e) => e.hint(),
            Self::AccountNotAllowed { .. } | Self::RoleAccountNotAllowed { .. } => {
                "Assume a role in an allowed account, or add this account to allowed-account-ids."
                    .to_string()
            }
            Self::Timeout(_) => {
                format!(
                    "Run again; if it keeps happening, raise {} or check the network.",
                    timeout_knob()
                )
            }
            Self::Sink(e) => e.hint(),
        }
    }

    /// The full message: what happened, then one line with the next step.
    /// Every registered secret is redacted: upstream messages may quote what
    /// was sent to them.
    pub fn report(&self) -> String {
        crate::secrets::redact(&format!("{self}\n{}", self.hint()))
    }

    /// Standard output was closed by its reader (`… | head`): nothing left
    /// to say to anyone, so the run ends quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Sink(SinkError::BrokenPipe))
    }
}

impl From<CognitoError> for Error {
    fn from(e: CognitoError) -> Self {
        Self::Cognito(Box::new(e))
    }
}

impl From<StsError> for Error {
    fn from(e: StsError) -> Self {
        Self::Sts(Box::new(e))
    }
}

/// Whether this run is the GitHub Docker action, so that hints name action
/// inputs there and command-line flags elsewhere; set by [`set_in_action`].
static IN_ACTION: AtomicBool = AtomicBool::new(false);

/// Says whether this run is the GitHub Docker action (`ns-federate action`).
pub fn set_in_action(in_action: bool) {
    IN_ACTION.store(in_action, Ordering::Relaxed);
}

/// Whether this run is the GitHub Docker action.
pub(crate) fn in_action() -> bool {
    IN_ACTION.load(Ordering::Relaxed)
}

/// The setting that bounds the whole run, as the user writes it here.
fn timeout_knob() -> &'static str {
    if in_action() {
        "timeout-seconds"
    } else {
        "--timeout"
    }
}

/// The settings that bound retries, as the user writes them here.
pub(crate) fn retry_knobs() -> &'static str {
    if in_action() {
        "retry-max-attempts / timeout-seconds"
    } else {
        "--retry-max-attempts / --timeout"
    }
}

/// The next step after an AWS service kept failing transiently; `endpoint`
/// names the variables that override its address.
pub(crate) fn aws_transient_hint(endpoint: &str) -> String {
    format!(
        "Run again (after a pause when throttled: fewer jobs at once), or raise {}; check {endpoint} and the network.",
        retry_knobs()
    )
}

/// The setting that names the Namespace endpoint, as the user writes it here.
pub(crate) fn namespace_endpoint_knob() -> &'static str {
    if in_action() {
        "the namespace-endpoint input, else NSC_IAM_ENDPOINT"
    } else {
        "--namespace-endpoint, else NSC_IAM_ENDPOINT"
    }
}

fn namespace_exit(e: &NamespaceError) -> u8 {
    if e.is_refusal() {
        exit::REFUSED
    } else {
        exit::TRANSIENT
    }
}
