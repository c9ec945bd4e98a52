//! Checks made before anything is sent: a problem that the input and the
//! local files already show must not cost a token exchange or leave freshly
//! minted credentials with nowhere to go.

use std::path::Path;

use crate::config::{Command, Config, OutputFormat, TokenDestination};
use crate::error::Error;
use crate::flows::cognito_exchange::still_valid;
use crate::sinks::SinkError;
use crate::sinks::file::{
    check_appendable, check_dir_writable, check_target, create_private_parent,
};

/// Runs every check that needs no network.
pub fn check(config: &Config) -> Result<(), Error> {
    // Hints name action inputs in the action and flags elsewhere.
    crate::error::set_in_action(config.namespace.tokens.in_action_container);
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
    if let Command::AssumeRole(_) = &config.command {
        warn_if_nothing_receives_credentials(&config.sink);
    }
    check_targets(config)?;
    Ok(())
}

/// Under GitHub with `export-env: false`, `output-credentials: false` and no
/// profile, the credentials reach no later step. That still proves the role
/// can be assumed (the outputs say which session), so it is a warning, not
/// an error.
fn warn_if_nothing_receives_credentials(sink: &crate::config::SinkSettings) {
    let g = &sink.github;
    if sink.format == OutputFormat::Github
        && !g.export_env
        && !g.output_credentials
        && sink.profile.is_none()
    {
        tracing::warn!(
            "export-env and output-credentials are false and no aws-profile is given: the credentials will reach no later step (set export-env: true, or output-credentials: true)"
        );
    }
}

/// The files the sink will write, for the command and format configured.
fn check_targets(config: &Config) -> Result<(), SinkError> {
    let sink = &config.sink;
    // `--ensure` with a current token that stays: no token is written (under
    // GitHub only the outputs are), so where it would go does not matter.
    let keeps_current = match &config.command {
        Command::CognitoExchange(s) => s.ensure.is_some_and(|ensure| {
            still_valid(s, config.namespace.tokens.spec.as_ref(), ensure).is_ok()
        }),
        _ => false,
    };
    // Commands that hand variables over (the others print or write nothing, or only a token file).
    let hands_over = match &config.command {
        Command::AssumeRole(_) | Command::WebIdentity(_) => true,
        Command::CognitoExchange(s) => match s.destination {
            TokenDestination::TokenFile(_) => false,
            TokenDestination::WriteEnv(_) => !keeps_current,
            TokenDestination::Github | TokenDestination::Print => true,
        },
        _ => false,
    };

    if let Command::WebIdentity(s) = &config.command {
        target(&s.token_file, "the web identity token file")?;
        directory(&s.token_file, "the web identity token file")?;
    }
    if let Command::CognitoExchange(s) = &config.command
        && let TokenDestination::TokenFile(path) = &s.destination
        && !keeps_current
    {
        target(path, "the token file")?;
        // Created when missing (0700, as nsc does), then tried with a file.
        create_private_parent(path).map_err(|d| write_error("the token file", path, d))?;
        directory(path, "the token file")?;
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
