//! Settings of the AWS → Namespace commands (cognito-exchange, trust-pool)
//! and of `aws trust-policy`, typed from the merged raw layer.

use std::path::PathBuf;
use std::time::Duration;

use super::values::{self, Invalid, OidcProviderArn};
use super::{
    AccountId, Audience, ConfigError, Endpoint, IdentityPoolId, Layer, Origin, OutputFormat, Raw,
    Region, TenantId, parse, parse_opt,
};
use crate::env::Env;

/// The Cognito developer provider name Namespace trusts.
pub const DEVELOPER_PROVIDER: &str = "namespace.so";

/// Settings of `auth exchange-aws-cognito-token` and action mode `cognito-exchange`.
#[derive(Debug, Clone)]
pub struct CognitoExchangeSettings {
    /// The identity pool (its region is the Cognito region).
    pub pool: IdentityPoolId,
    /// The workspace to get a token for (the `namespace.so` login).
    pub tenant_id: TenantId,
    /// `--ensure` / `ensure-valid-for`: skip while the current token stays valid this long.
    pub ensure: Option<Duration>,
    /// Where the tenant token goes (and where `--ensure` reads the current one).
    pub destination: TokenDestination,
    /// Cognito endpoint override (`AWS_ENDPOINT_URL_COGNITO_IDENTITY`, `AWS_ENDPOINT_URL`).
    pub cognito_endpoint: Option<Endpoint>,
}

/// Where an exchanged tenant token is handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenDestination {
    /// GitHub Actions: `NSC_TOKEN_SPEC` exported masked, plus step outputs.
    Github,
    /// A `token.json` as `nsc` writes it (the user's login file, or `--token-file`).
    TokenFile(PathBuf),
    /// `--format shell|json|dotenv` to stdout.
    Print,
    /// `--format shell|json|dotenv` to `--write-env FILE` (where `--ensure` reads the current token).
    WriteEnv(PathBuf),
}

/// Settings of `auth trust-aws-cognito-identity-pool`.
#[derive(Debug, Clone)]
pub struct TrustPoolSettings {
    /// The identity pool to trust.
    pub pool: IdentityPoolId,
    /// The workspace that trusts it; the caller's token must belong to it.
    pub tenant_id: TenantId,
}

/// Settings of `aws trust-policy`.
#[derive(Debug, Clone)]
pub struct TrustPolicySettings {
    /// The workspace whose ID tokens the role accepts.
    pub tenant_id: TenantId,
    /// The IAM OIDC provider for Namespace's issuer.
    pub provider_arn: OidcProviderArn,
    /// The audience condition.
    pub audience: Audience,
}

/// Builds the cognito-exchange settings.
pub(super) fn exchange_settings(
    layer: &Layer,
    env: &Env,
    is_action: bool,
) -> Result<CognitoExchangeSettings, ConfigError> {
    let pool = pool(layer)?;
    let tenant_id = tenant(layer)?;
    let ensure = parse_opt(layer.ensure_valid_for.as_ref(), parse_ensure)?;
    let destination = destination(layer, env, is_action)?;
    // As aws-config: AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns the variables off.
    let ignore = env.is_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    let endpoint = ["AWS_ENDPOINT_URL_COGNITO_IDENTITY", "AWS_ENDPOINT_URL"]
        .into_iter()
        .filter(|_| !ignore)
        .find_map(|name| {
            env.get(name).map(|v| Raw {
                value: v.to_string(),
                origin: Origin::Env(name),
            })
        });
    Ok(CognitoExchangeSettings {
        pool,
        tenant_id,
        ensure,
        destination,
        cognito_endpoint: parse_opt(endpoint.as_ref(), Endpoint::parse)?,
    })
}

/// Builds the trust-pool settings.
pub(super) fn trust_pool_settings(layer: &Layer) -> Result<TrustPoolSettings, ConfigError> {
    Ok(TrustPoolSettings {
        pool: pool(layer)?,
        tenant_id: tenant(layer)?,
    })
}

/// Builds the trust-policy settings: exactly one of `--account-id` and `--provider-arn`.
pub(super) fn trust_policy_settings(layer: &Layer) -> Result<TrustPolicySettings, ConfigError> {
    let tenant_id = tenant(layer)?;
    let provider_arn = match (&layer.account_id, &layer.provider_arn) {
        (Some(account), None) => OidcProviderArn::for_account(&parse(account, AccountId::parse)?),
        (None, Some(arn)) => parse(arn, OidcProviderArn::parse)?,
        (Some(_), Some(_)) => {
            return Err(ConfigError::missing(
                "Both --account-id and --provider-arn are given; they name the same thing.",
                "Keep one: --account-id 123456789012, or --provider-arn for another partition.",
            ));
        }
        (None, None) => {
            return Err(ConfigError::missing(
                "No AWS account: the trust policy names the account's IAM OIDC provider for Namespace.",
                "Add --account-id 123456789012 (or --provider-arn arn:aws:iam::123456789012:oidc-provider/federation.namespaceapis.com).",
            ));
        }
    };
    Ok(TrustPolicySettings {
        tenant_id,
        provider_arn,
        audience: parse_opt(layer.audience.as_ref(), Audience::parse)?
            .unwrap_or_else(Audience::sts),
    })
}

/// The pool, typed against the region given explicitly (flag or input); the
/// environment's region is only a fallback for a pool written without one,
/// since the machine's region need not be the pool's.
fn pool(layer: &Layer) -> Result<IdentityPoolId, ConfigError> {
    let explicit = parse_opt(layer.region.as_ref(), Region::parse)?;
    let Some(raw) = &layer.identity_pool else {
        return Err(ConfigError::missing(
            "No Cognito identity pool: flag --identity-pool / input `identity-pool` / NSC_AWS_IDENTITY_POOL is not set.",
            "Give the pool as <region>:<uuid>, e.g. --identity-pool us-east-1:5f2a7c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b.",
        ));
    };
    let region = if explicit.is_some() || raw.value.contains(':') {
        explicit
    } else {
        parse_opt(layer.env_region.as_ref(), Region::parse)?
    };
    parse(raw, |s| IdentityPoolId::parse(s, region.as_ref()))
}

fn tenant(layer: &Layer) -> Result<TenantId, ConfigError> {
    match &layer.tenant_id {
        Some(raw) => parse(raw, TenantId::parse),
        None => Err(ConfigError::missing(
            "No Namespace workspace: flag --tenant-id / input `tenant-id` / NSC_TENANT_ID is not set (or empty).",
            "Give the workspace's tenant id, e.g. --tenant-id tnt_abc123 (`nsc workspace describe` shows it).",
        )),
    }
}

fn parse_ensure(s: &str) -> Result<Duration, Invalid> {
    values::parse_duration(s).ok_or_else(|| {
        // Well-formed but too many seconds to count: the same text with
        // every number made 1 parses.
        let mut shape = String::new();
        for c in s.trim().chars() {
            if !c.is_ascii_digit() {
                shape.push(c);
            } else if !shape.ends_with('1') {
                shape.push('1');
            }
        }
        let problem = if values::parse_duration(&shape).is_some() {
            "it is out of range (more seconds than can be counted)"
        } else {
            "it is not a duration"
        };
        Invalid {
            problem: problem.into(),
            expected: "seconds or a duration like 10m, 1h, 90s".into(),
        }
    })
}

/// Where the token goes: GitHub under the action (or a GitHub job), else the
/// user's `token.json` unless `--token-file`, `--format` or `--write-env` says otherwise.
fn destination(layer: &Layer, env: &Env, is_action: bool) -> Result<TokenDestination, ConfigError> {
    if is_action {
        return Ok(TokenDestination::Github);
    }
    let format = parse_opt(layer.format.as_ref(), OutputFormat::parse)?;
    if let Some(file) = &layer.token_file {
        if let Some(other) = layer.format.as_ref().or(layer.write_env.as_ref()) {
            return Err(ConfigError::missing(
                format!(
                    "--token-file does not go with {}: the token goes to one place.",
                    other.origin
                ),
                "Keep --token-file (a token.json), or --format/--write-env (export lines).",
            ));
        }
        return Ok(TokenDestination::TokenFile(PathBuf::from(&file.value)));
    }
    match format {
        Some(OutputFormat::Github) => return Ok(TokenDestination::Github),
        Some(OutputFormat::CredentialProcess) => {
            return Err(ConfigError::missing(
                "--format credential-process is only for AWS credentials, not for a Namespace token.",
                "Use --format shell or json, --token-file, or no --format (the nsc login file).",
            ));
        }
        _ => {}
    }
    if let Some(file) = &layer.write_env {
        return Ok(TokenDestination::WriteEnv(PathBuf::from(&file.value)));
    }
    if format.is_some() {
        return Ok(TokenDestination::Print);
    }
    if env.under_github_actions() {
        return Ok(TokenDestination::Github);
    }
    user_token_json(env)
        .map(TokenDestination::TokenFile)
        .ok_or_else(|| {
            ConfigError::missing(
                "Neither XDG_CONFIG_HOME nor HOME is set, so there is no nsc login file (ns/token.json) to write.",
                "Set HOME, or pass --token-file PATH, or --format shell.",
            )
        })
}

/// The user's `token.json` as `nsc` places it: `$XDG_CONFIG_HOME/ns/token.json`, else `~/.config/ns/token.json`.
pub fn user_token_json(env: &Env) -> Option<PathBuf> {
    xdg_config_home(env)
        .map(|x| x.join("ns/token.json"))
        .or_else(|| {
            env.get("HOME")
                .map(|h| PathBuf::from(h).join(".config/ns/token.json"))
        })
}

/// `XDG_CONFIG_HOME` when it is an absolute path: the XDG spec says a
/// relative one is invalid and must be ignored.
pub fn xdg_config_home(env: &Env) -> Option<PathBuf> {
    env.get("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}
