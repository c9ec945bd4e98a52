//! Sinks: hand a run's result over in the form the caller needs. Secrets are
//! exposed here and nowhere else.
//!
//! A flow's result is first described as a [`Handover`] (variables, outputs,
//! summary rows, JSON fields); each format then renders that description.

pub mod file;
pub mod github;
pub mod handover;
pub mod nsc_token;
pub mod profile;
pub mod shell;

use std::io::Write;
use std::path::PathBuf;

use crate::config::{OutputFormat, SinkSettings};
use crate::error::in_action;
use crate::flows::Outcome;
pub use handover::{Handover, Value, Var};

/// The result could not be written (exit 5).
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Under GitHub, `GITHUB_ENV` is not set.
    #[error("GITHUB_ENV is not set, so the results cannot be handed to later steps.")]
    GithubEnvMissing,
    /// A file could not be written.
    #[error("Could not write {what} {}: {detail}", path.display())]
    Write {
        /// What the file is for (`GITHUB_ENV`, `--write-env file`).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// Standard output is full or failing.
    #[error("Could not write to standard output: {0}")]
    Stdout(String),
    /// Standard output was closed by its reader (`… | head`); the run ends quietly.
    #[error("Standard output was closed.")]
    BrokenPipe,
    /// This format cannot carry this result, or a value cannot be written in it.
    #[error("{0}")]
    Unsupported(String),
}

impl SinkError {
    /// What to do next.
    pub fn hint(&self) -> String {
        match self {
            Self::GithubEnvMissing if in_action() => "Run the action in a GitHub Actions job (the runner sets GITHUB_ENV), or set export-env: false and use the step outputs.".into(),
            Self::GithubEnvMissing => "Use --format shell (or json, dotenv) outside GitHub Actions, or set GITHUB_ENV to the file that later steps read.".into(),
            Self::Write { .. } if in_action() => "Use a path that is a regular file or does not exist yet, in a directory that exists and is writable by this process (Docker actions run as root).".into(),
            Self::Write { .. } => "Use a path that is a regular file or does not exist yet, in a directory that exists and is writable by this process.".into(),
            Self::Stdout(_) | Self::BrokenPipe => "Check where standard output goes (a closed pipe, a full disk).".into(),
            Self::Unsupported(_) => "Choose another --format.".into(),
        }
    }
}

/// Hands the outcome over as `settings` say.
pub fn deliver(outcome: &Outcome, settings: &SinkSettings) -> Result<(), SinkError> {
    let handover = match outcome {
        Outcome::AssumedRole(a) if settings.profile.is_some() => {
            return profile::deliver(a, settings);
        }
        Outcome::AssumedRole(a) => handover::assumed_role(a, &settings.github),
        Outcome::CognitoExchanged(t) => match &t.destination {
            crate::config::TokenDestination::TokenFile(path) => {
                return nsc_token::write_token_json(t, path);
            }
            _ => nsc_token::handover(t),
        },
        // The current token stays: under GitHub the outputs still describe it.
        Outcome::TokenStillValid(v) if v.destination == crate::config::TokenDestination::Github => {
            github::deliver_outputs(&nsc_token::still_valid_outputs(v), &settings.github)?;
            tracing::info!(
                "Set outputs tenant-id and namespace-token-expiration from the current token; workspace-name is left unset (the token does not carry the workspace's name)"
            );
            return Ok(());
        }
        // Nothing to hand over: the flow said what it did (or found nothing to do).
        Outcome::TokenStillValid(_) | Outcome::PoolTrusted(_) => return Ok(()),
        Outcome::WebIdentity(w) => {
            let token = secrecy::ExposeSecret::expose_secret(w.id_token.secret())
                .as_bytes()
                .to_vec();
            crate::secrets::register(w.id_token.secret());
            file::write_atomic(&w.token_file, &token).map_err(|detail| SinkError::Write {
                what: "the web identity token file",
                path: w.token_file.clone(),
                detail,
            })?;
            handover::web_identity(w)
        }
        Outcome::TrustPolicy(doc) => {
            let text = serde_json::to_string_pretty(doc).unwrap_or_default();
            return write_stdout(format!("{text}\n").as_bytes());
        }
    };
    // Under GitHub, masks for whatever any format is about to print.
    handover::register_secrets(&handover);
    let text = match settings.format {
        OutputFormat::Github => return github::deliver(&handover, &settings.github),
        OutputFormat::Shell => shell::render_exports(&handover.env),
        OutputFormat::Dotenv => shell::render_dotenv(&handover.env)?,
        OutputFormat::Json => handover::render_json(&handover.json),
        OutputFormat::CredentialProcess => match &handover.credential_process {
            Some(fields) => handover::render_json(fields),
            None => {
                return Err(SinkError::Unsupported(
                    "The credential-process format is only for AWS credentials.".into(),
                ));
            }
        },
    };
    match &settings.write_env {
        Some(path) => {
            file::write_atomic(path, text.as_bytes()).map_err(|detail| SinkError::Write {
                what: "the output file",
                path: path.clone(),
                detail,
            })?;
            tracing::info!("{} to {}", handover.log_line, path.display());
            Ok(())
        }
        None => write_stdout(text.as_bytes()),
    }
}

/// Writes `bytes` to stdout and flushes; a reader that went away is
/// [`SinkError::BrokenPipe`], not a failure to report.
pub fn write_stdout(bytes: &[u8]) -> Result<(), SinkError> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => SinkError::BrokenPipe,
            _ => SinkError::Stdout(e.to_string()),
        })
}
