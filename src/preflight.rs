//! Checks made before anything is sent: a problem that the input and the
//! local files already show must not cost a token exchange or leave freshly
//! minted credentials with nowhere to go.

use std::path::Path;

use crate::config::{Command, Config, OutputFormat, TokenDestination};
use crate::error::Error;
use crate::sinks::SinkError;
use crate::sinks::file::{check_appendable, check_dir_writable, check_target};

/// Runs every check that needs no network.
pub fn check(config: &Config) -> Result<(), Error> {
    if let Command::AssumeRole(s) = &config.command
        && let Some(allowed) = &s.allowed_account_ids
        && !allowed.allows(s.role_arn.account_id())
    {
        return Err(Error::RoleAccountNotAllowed {
            role: s.role_arn.as_str().to_string(),
            account: s.role_arn.account_id().clone(),
            allowed: allowed.ids().to_vec(),
        });
    }
    check_targets(config)?;
    Ok(())
}

/// The files the sink will write, for the command and format configured.
fn check_targets(config: &Config) -> Result<(), SinkError> {
    let sink = &config.sink;
    // Commands that hand variables over (the others print or write nothing, or only a token file).
    let hands_over = match &config.command {
        Command::AssumeRole(_) | Command::WebIdentity(_) => true,
        Command::CognitoExchange(s) => !matches!(s.destination, TokenDestination::TokenFile(_)),
        _ => false,
    };

    if let Command::WebIdentity(s) = &config.command {
        target(&s.token_file, "the web identity token file")?;
        directory(&s.token_file, "the web identity token file")?;
    }
    if let Command::CognitoExchange(s) = &config.command
        && let TokenDestination::TokenFile(path) = &s.destination
    {
        // Its directory is created when missing, as nsc does.
        target(path, "the token file")?;
    }
    if let Some(profile) = &sink.profile {
        // Under GitHub AWS_PROFILE still goes to GITHUB_ENV: the checks below apply too.
        crate::sinks::profile::preflight(profile)?;
    }
    if !hands_over {
        return Ok(());
    }
    if sink.format == OutputFormat::Github {
        let github = &sink.github;
        if github.export_env {
            let path = github
                .env_file
                .as_deref()
                .ok_or(SinkError::GithubEnvMissing)?;
            appendable(path, "GITHUB_ENV")?;
        }
        if let Some(path) = github.output_file.as_deref() {
            appendable(path, "GITHUB_OUTPUT")?;
        }
    } else if let Some(path) = &sink.write_env {
        target(path, "the output file")?;
        directory(path, "the output file")?;
    }
    Ok(())
}

fn write_error(what: &'static str, path: &Path, detail: String) -> SinkError {
    SinkError::Write {
        what,
        path: path.to_path_buf(),
        detail,
    }
}

fn target(path: &Path, what: &'static str) -> Result<(), SinkError> {
    check_target(path).map_err(|d| write_error(what, path, d))
}

fn directory(path: &Path, what: &'static str) -> Result<(), SinkError> {
    check_dir_writable(path).map_err(|d| write_error(what, path, d))
}

fn appendable(path: &Path, what: &'static str) -> Result<(), SinkError> {
    check_appendable(path).map_err(|d| write_error(what, path, d))
}
