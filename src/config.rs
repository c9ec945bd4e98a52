//! From what the user wrote to what the run means.
//!
//! [`raw`] collects flags, action inputs and environment variables into one
//! merged [`raw::Layer`] (flag > input > env); [`Config::build`] turns it into
//! typed settings in one place, and its errors name the input the user wrote
//! and the form that was expected. Nothing is sent before this succeeds.

pub mod cognito;
pub mod raw;
pub mod values;

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::cli::{self, AuthCommand, AwsCommand, Cli};
use crate::env::Env;
pub use cognito::{
    CognitoExchangeSettings, TokenDestination, TrustPolicySettings, TrustPoolSettings,
};
pub use raw::{Layer, Origin, Raw};
pub use values::{
    AccountId, AllowedAccountIds, Audience, Endpoint, InlinePolicy, Invalid, Mode, OutputFormat,
    PolicyArn, Region, RoleArn, RoleSessionName, SessionDuration,
};
pub use values::{IdentityPoolId, OidcProviderArn, TenantId};

/// An input the user wrote that cannot be used. Nothing was sent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// Where the value came from (`None` when the problem is a missing value or a combination).
    pub origin: Option<Origin>,
    /// The whole message: what is wrong and the expected form.
    pub message: String,
    /// What to do next.
    pub hint: String,
}

impl ConfigError {
    /// A value that does not parse. Secret values are never echoed.
    pub fn invalid(raw: &Raw, invalid: Invalid) -> Self {
        let shown: String = raw.value.trim().chars().take(120).collect();
        Self {
            origin: Some(raw.origin.clone()),
            message: format!(
                "Invalid {} {:?}: {}. Expected {}.",
                raw.origin, shown, invalid.problem, invalid.expected
            ),
            hint: format!("Fix {} and run again.", raw.origin),
        }
    }

    /// A value that does not parse, whose content must not be shown.
    pub fn invalid_secret(origin: &Origin, invalid: Invalid) -> Self {
        Self {
            origin: Some(origin.clone()),
            message: format!(
                "Invalid {origin}: {}. Expected {}.",
                invalid.problem, invalid.expected
            ),
            hint: format!("Fix {origin} and run again."),
        }
    }

    /// A required value that is missing, or inputs that do not go together.
    pub fn missing(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            origin: None,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

fn parse<T>(raw: &Raw, f: impl FnOnce(&str) -> Result<T, Invalid>) -> Result<T, ConfigError> {
    f(&raw.value).map_err(|e| ConfigError::invalid(raw, e))
}

fn parse_opt<T>(
    raw: Option<&Raw>,
    f: impl FnOnce(&str) -> Result<T, Invalid>,
) -> Result<Option<T>, ConfigError> {
    raw.map(|r| parse(r, f)).transpose()
}

/// Everything a run needs, typed and validated.
#[derive(Debug)]
pub struct Config {
    /// What to do.
    pub command: Command,
    /// How to reach Namespace and where its token comes from.
    pub namespace: NamespaceSettings,
    /// Attempts for transient failures (1..=10).
    pub retry_max_attempts: u32,
    /// Bound on the whole run.
    pub timeout: Duration,
    /// Where results go.
    pub sink: SinkSettings,
}

/// The work a run does.
// One value per run: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Command {
    /// Namespace → AWS: `aws assume-role`, `aws credential-process`, action mode assume-role.
    AssumeRole(AssumeRoleSettings),
    /// AWS → Namespace: `auth exchange-aws-cognito-token`, action mode cognito-exchange.
    CognitoExchange(CognitoExchangeSettings),
    /// `auth trust-aws-cognito-identity-pool`.
    TrustPool(TrustPoolSettings),
    /// `aws trust-policy`: print the role trust policy (no network).
    TrustPolicy(TrustPolicySettings),
    /// `aws web-identity`: write an ID token for SDKs to assume the role themselves.
    WebIdentity(WebIdentitySettings),
}

/// Settings of `aws web-identity`.
#[derive(Debug, Clone)]
pub struct WebIdentitySettings {
    /// The role the SDKs will assume.
    pub role_arn: RoleArn,
    /// Session name; `None` = derive from the token.
    pub session_name: Option<RoleSessionName>,
    /// Lifetime of the ID token.
    pub duration: SessionDuration,
    /// ID token audience.
    pub audience: Audience,
    /// Where to write the ID token (0600).
    pub token_file: PathBuf,
}

/// Settings of the assume-role flow.
#[derive(Debug, Clone)]
pub struct AssumeRoleSettings {
    /// The role to assume.
    pub role_arn: RoleArn,
    /// Session name given by the user; `None` = derive from the token (`nsc.instance=…`).
    pub session_name: Option<RoleSessionName>,
    /// Session and ID-token lifetime.
    pub duration: SessionDuration,
    /// Region of the STS endpoint.
    pub sts_region: Region,
    /// STS endpoint override (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`).
    pub sts_endpoint: Option<Endpoint>,
    /// `AWS_USE_FIPS_ENDPOINT=true` and no endpoint override: use STS's FIPS endpoint.
    pub sts_use_fips: bool,
    /// ID token audience.
    pub audience: Audience,
    /// Inline session policy.
    pub inline_policy: Option<InlinePolicy>,
    /// Managed session policies.
    pub policy_arns: Vec<PolicyArn>,
    /// Refuse credentials for any other account.
    pub allowed_account_ids: Option<AllowedAccountIds>,
}

/// How to reach Namespace.
#[derive(Debug)]
pub struct NamespaceSettings {
    /// API endpoint.
    pub endpoint: Endpoint,
    /// Where the Namespace token comes from.
    pub tokens: TokenSourceSettings,
}

/// The places a Namespace token may come from, read once from flags, inputs and env.
#[derive(Debug, Default)]
pub struct TokenSourceSettings {
    /// `namespace-token` input / `--namespace-token`.
    pub explicit_token: Option<(SecretString, Origin)>,
    /// `namespace-token-file` input / `--namespace-token-file`.
    pub explicit_file: Option<(PathBuf, Origin)>,
    /// `NSC_TOKEN_SPEC`.
    pub spec: Option<SecretString>,
    /// `NSC_TOKEN_SPEC_FILE`.
    pub spec_file: Option<PathBuf>,
    /// `NSC_TOKEN_FILE`.
    pub token_file: Option<PathBuf>,
    /// The runner's workload token (`/var/run/nsc/token.json`; internal override
    /// `NS_FEDERATE_RUNNER_TOKEN_PATH`, for tests).
    pub runner_token_path: PathBuf,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
    pub github_oidc_url: Option<String>,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub github_oidc_request_token: Option<SecretString>,
    /// The user's `nsc login` files, in order.
    pub user_login_paths: Vec<PathBuf>,
    /// Running inside the GitHub Docker action (host paths are not visible).
    pub in_action_container: bool,
    /// Running under GitHub Actions.
    pub under_github: bool,
}

/// Where and how results are handed over.
#[derive(Debug, Clone)]
pub struct SinkSettings {
    /// The output form.
    pub format: OutputFormat,
    /// `--write-env FILE`: write the output there (0600, atomically) instead of stdout.
    pub write_env: Option<PathBuf>,
    /// GitHub specifics (used by the `github` format).
    pub github: GithubSettings,
    /// `--profile` / `aws-profile`: write an AWS profile instead of exporting credentials.
    pub profile: Option<crate::sinks::profile::ProfileSettings>,
}

/// What the `github` sink needs.
#[derive(Debug, Clone, Default)]
pub struct GithubSettings {
    /// `GITHUB_ENV`.
    pub env_file: Option<PathBuf>,
    /// `GITHUB_OUTPUT`.
    pub output_file: Option<PathBuf>,
    /// `GITHUB_STEP_SUMMARY`.
    pub summary_file: Option<PathBuf>,
    /// `export-env`: write exports to `GITHUB_ENV`.
    pub export_env: bool,
    /// `output-credentials`: also set the credentials as outputs.
    pub output_credentials: bool,
    /// `mask-aws-account-id`.
    pub mask_account_id: bool,
    /// `aws-region`, when given: exported as `AWS_REGION` and `AWS_DEFAULT_REGION`.
    pub export_region: Option<Region>,
}

/// The default path of the runner's workload token.
pub const RUNNER_TOKEN_PATH: &str = "/var/run/nsc/token.json";

/// Environment variables this tool reads (besides `INPUT_*` in the action):
/// a value that is not UTF-8 is an input error naming the variable, rather
/// than a variable silently treated as unset.
const VARIABLES_READ: &[&str] = &[
    "NSC_AWS_ROLE_ARN",
    "NSC_TENANT_ID",
    "NSC_AWS_IDENTITY_POOL",
    "NSC_IAM_ENDPOINT",
    "NSC_GLOBAL_ENDPOINT",
    "NSC_TOKEN_SPEC",
    "NSC_TOKEN_SPEC_FILE",
    "NSC_TOKEN_FILE",
    "NS_FEDERATE_RUNNER_TOKEN_PATH",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITHUB_ACTIONS",
    "GITHUB_ENV",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "RUNNER_DEBUG",
    "XDG_CONFIG_HOME",
    "HOME",
];

/// Refuses a variable this run reads whose value is not UTF-8 (never shown: it may be a secret).
fn check_utf8(env: &Env, is_action: bool) -> Result<(), ConfigError> {
    let bad = env
        .non_utf8_names()
        .find(|name| VARIABLES_READ.contains(name) || (is_action && name.starts_with("INPUT_")));
    match bad {
        Some(name) => {
            let what = match name.strip_prefix("INPUT_") {
                Some(input) if is_action => {
                    format!("{name} (input `{}`)", input.to_ascii_lowercase())
                }
                _ => name.to_string(),
            };
            Err(ConfigError::missing(
                format!("{what} is not valid UTF-8."),
                format!("Set {name} to a UTF-8 value, or unset it, and run again."),
            ))
        }
        None => Ok(()),
    }
}

impl Config {
    /// Merges flags, action inputs and environment, and types every value.
    pub fn build(cli: &Cli, env: &Env) -> Result<Config, ConfigError> {
        let is_action = matches!(cli.command, cli::Command::Action);
        check_utf8(env, is_action)?;
        let inputs = if is_action {
            Layer::from_action_inputs(env)
        } else {
            Layer::default()
        };
        let layer = Layer::from_flags(&cli.command)
            .over(inputs)
            .over(Layer::from_env(env));

        let command = match &cli.command {
            cli::Command::Action => match action_mode(&layer)? {
                Mode::AssumeRole => {
                    warn_ignored_inputs(&layer, Mode::AssumeRole);
                    Command::AssumeRole(assume_role_settings(&layer, env, is_action)?)
                }
                _ => {
                    warn_ignored_inputs(&layer, Mode::CognitoExchange);
                    Command::CognitoExchange(cognito::exchange_settings(&layer, env, true)?)
                }
            },
            cli::Command::Aws { command } => match command {
                AwsCommand::AssumeRole(_) | AwsCommand::CredentialProcess(_) => {
                    Command::AssumeRole(assume_role_settings(&layer, env, is_action)?)
                }
                AwsCommand::WebIdentity(_) => Command::WebIdentity(web_identity_settings(&layer)?),
                AwsCommand::TrustPolicy(_) => {
                    Command::TrustPolicy(cognito::trust_policy_settings(&layer)?)
                }
            },
            cli::Command::Auth { command } => match command {
                AuthCommand::ExchangeAwsCognitoToken(_) => {
                    Command::CognitoExchange(cognito::exchange_settings(&layer, env, false)?)
                }
                AuthCommand::TrustAwsCognitoIdentityPool(_) => {
                    Command::TrustPool(cognito::trust_pool_settings(&layer)?)
                }
            },
        };

        let default_format = if is_action {
            OutputFormat::Github
        } else if layer.write_env.is_some() {
            // The nsc line `--write_env FILE` means shell lines, even inside a GitHub job.
            OutputFormat::Shell
        } else if matches!(
            cli.command,
            cli::Command::Aws {
                command: AwsCommand::CredentialProcess(_)
            }
        ) {
            OutputFormat::CredentialProcess
        } else if env.under_github_actions() {
            OutputFormat::Github
        } else {
            OutputFormat::Shell
        };
        let format =
            parse_opt(layer.format.as_ref(), OutputFormat::parse)?.unwrap_or(default_format);
        let profile = crate::sinks::profile::settings(
            &layer,
            env,
            matches!(command, Command::AssumeRole(_)),
            format,
        )?;
        if matches!(command, Command::WebIdentity(_)) && format == OutputFormat::CredentialProcess {
            return Err(ConfigError::missing(
                "aws web-identity does not go with --format credential-process: it hands over a token file for SDKs, not credentials.",
                "Use --format shell, dotenv, json or github with aws web-identity, or `aws credential-process` for credential_process.",
            ));
        }
        if format == OutputFormat::Github && layer.write_env.is_some() {
            return Err(ConfigError::missing(
                "--write-env does not go with --format github (results go to GITHUB_ENV).",
                "Choose --format shell (or json, dotenv, credential-process) with --write-env.",
            ));
        }
        let github = GithubSettings {
            env_file: env.get("GITHUB_ENV").map(PathBuf::from),
            output_file: env.get("GITHUB_OUTPUT").map(PathBuf::from),
            summary_file: env.get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            export_env: parse_opt(layer.export_env.as_ref(), values::parse_bool)?.unwrap_or(true),
            output_credentials: parse_opt(layer.output_credentials.as_ref(), values::parse_bool)?
                .unwrap_or(false),
            mask_account_id: parse_opt(layer.mask_account_id.as_ref(), values::parse_bool)?
                .unwrap_or(false),
            export_region: parse_opt(layer.region.as_ref(), Region::parse)?,
        };
        if let Command::CognitoExchange(s) = &command
            && s.destination == TokenDestination::Github
        {
            if !github.export_env {
                return Err(ConfigError::missing(
                    "export-env: false leaves the Namespace token nowhere: the runner drops outputs that hold secrets, so the token reaches later steps only as NSC_TOKEN_SPEC in GITHUB_ENV.",
                    "Remove `export-env: false` from the cognito-exchange step (the token is exported masked).",
                ));
            }
            if github.output_credentials {
                tracing::warn!(
                    "Input output-credentials applies to assume-role only: ignored in mode cognito-exchange (the Namespace token is never a step output)"
                );
            }
        }

        Ok(Config {
            command,
            namespace: NamespaceSettings {
                endpoint: parse_opt(layer.namespace_endpoint.as_ref(), Endpoint::parse)?
                    .unwrap_or_else(|| {
                        Endpoint::parse(Endpoint::NAMESPACE_DEFAULT)
                            .expect("default endpoint parses")
                    }),
                tokens: token_source_settings(&layer, env, is_action),
            },
            retry_max_attempts: parse_opt(
                layer.retry_max_attempts.as_ref(),
                values::parse_attempts,
            )?
            .unwrap_or(3),
            timeout: parse_opt(layer.timeout.as_ref(), values::parse_timeout)?
                .unwrap_or(Duration::from_secs(60)),
            sink: SinkSettings {
                format,
                write_env: layer.write_env.as_ref().map(|r| PathBuf::from(&r.value)),
                github,
                profile,
            },
        })
    }
}

/// `mode: auto` picks from the inputs given; both or neither is an error.
fn action_mode(layer: &Layer) -> Result<Mode, ConfigError> {
    let mode = parse_opt(layer.mode.as_ref(), Mode::parse)?.unwrap_or(Mode::Auto);
    if mode != Mode::Auto {
        return Ok(mode);
    }
    let role = layer.role_arn.is_some();
    let cognito = layer.identity_pool.is_some();
    match (role, cognito) {
        (true, false) => Ok(Mode::AssumeRole),
        (false, true) => Ok(Mode::CognitoExchange),
        (true, true) => Err(ConfigError::missing(
            "Both role-to-assume (assume-role) and identity-pool (cognito-exchange) are given, so mode auto cannot choose.",
            "Set the `mode` input to assume-role or cognito-exchange, or remove one of them.",
        )),
        (false, false) => Err(ConfigError::missing(
            "Nothing to do: give input `role-to-assume` (Namespace → AWS) or `identity-pool` and `tenant-id` (AWS → Namespace).",
            "Add `with: role-to-assume: arn:aws:iam::<account>:role/<name>` to the step.",
        )),
    }
}

/// One warning line naming the action inputs that the chosen mode does not
/// read (environment variables are shared by every mode: not named).
fn warn_ignored_inputs(layer: &Layer, mode: Mode) {
    let (raws, token, mode_name, other) = match mode {
        Mode::AssumeRole => (
            vec![
                &layer.identity_pool,
                &layer.tenant_id,
                &layer.ensure_valid_for,
            ],
            None,
            "assume-role",
            "cognito-exchange",
        ),
        _ => (
            vec![
                &layer.role_arn,
                &layer.session_name,
                &layer.inline_policy,
                &layer.policy_arns,
                &layer.allowed_account_ids,
                &layer.namespace_token_file,
            ],
            layer.namespace_token.as_ref().map(|(_, origin)| origin),
            "cognito-exchange",
            "assume-role",
        ),
    };
    let names: Vec<&str> = raws
        .into_iter()
        .flatten()
        .map(|r| &r.origin)
        .chain(token)
        .filter_map(|origin| match origin {
            Origin::Input(name) => Some(*name),
            _ => None,
        })
        .collect();
    let (noun, verb) = match names.len() {
        0 => return,
        1 => ("Input", "is"),
        _ => ("Inputs", "are"),
    };
    tracing::warn!(
        "{noun} {} {verb} ignored in mode {mode_name} (used by {other} only)",
        names.join(", ")
    );
}

/// The "no role" error, naming what the user can give in this mode.
fn no_role(is_action: bool) -> ConfigError {
    if is_action {
        ConfigError::missing(
            "No role to assume: input `role-to-assume` is empty.",
            "Add `with: role-to-assume: arn:aws:iam::<account>:role/<name>` to the step.",
        )
    } else {
        ConfigError::missing(
            "No role to assume: give --role-arn ARN (or set NSC_AWS_ROLE_ARN).",
            "Give the IAM role ARN, e.g. --role-arn arn:aws:iam::123456789012:role/deploy.",
        )
    }
}

/// The STS region: the one given (flag/input, then AWS_REGION/AWS_DEFAULT_REGION),
/// which must be in the role's partition, else the partition's default.
fn sts_region(layer: &Layer, role: &RoleArn) -> Result<Region, ConfigError> {
    let partition = role.partition();
    let default = Region::default_for_partition(partition).unwrap_or_else(Region::default_for_sts);
    let Some(raw) = layer.region.as_ref().or(layer.env_region.as_ref()) else {
        return Ok(default);
    };
    let region = parse(raw, Region::parse)?;
    if region.partition() != partition {
        return Err(ConfigError::invalid(
            raw,
            Invalid {
                problem: format!(
                    "{region} is a region of partition {}, but the role {role} is in partition {partition}, whose STS answers only in its own regions",
                    region.partition()
                ),
                expected: format!("a region of {partition}, like {default}"),
            },
        ));
    }
    Ok(region)
}

fn assume_role_settings(
    layer: &Layer,
    env: &Env,
    is_action: bool,
) -> Result<AssumeRoleSettings, ConfigError> {
    let role_arn = match &layer.role_arn {
        Some(raw) => parse(raw, RoleArn::parse)?,
        None => return Err(no_role(is_action)),
    };
    let sts_region = sts_region(layer, &role_arn)?;
    let sts_endpoint = ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
        .into_iter()
        .find_map(|name| {
            env.get(name).map(|v| Raw {
                value: v.to_string(),
                origin: Origin::Env(name),
            })
        });
    // An endpoint override wins over FIPS, as in the SDKs.
    let sts_use_fips = env.is_true("AWS_USE_FIPS_ENDPOINT") && sts_endpoint.is_none();
    if sts_use_fips && role_arn.partition() == "aws-cn" {
        return Err(ConfigError::missing(
            "AWS_USE_FIPS_ENDPOINT is true, but the China partition (aws-cn) has no FIPS endpoints.",
            "Unset AWS_USE_FIPS_ENDPOINT for roles in aws-cn.",
        ));
    }
    Ok(AssumeRoleSettings {
        role_arn,
        session_name: parse_opt(layer.session_name.as_ref(), RoleSessionName::parse)?,
        duration: parse_opt(layer.duration.as_ref(), SessionDuration::parse)?
            .unwrap_or(SessionDuration::default_hour()),
        sts_region,
        sts_endpoint: parse_opt(sts_endpoint.as_ref(), Endpoint::parse)?,
        sts_use_fips,
        audience: parse_opt(layer.audience.as_ref(), Audience::parse)?
            .unwrap_or_else(Audience::sts),
        inline_policy: parse_opt(layer.inline_policy.as_ref(), InlinePolicy::parse)?,
        policy_arns: parse_opt(layer.policy_arns.as_ref(), PolicyArn::parse_list)?
            .unwrap_or_default(),
        allowed_account_ids: parse_opt(
            layer.allowed_account_ids.as_ref(),
            AllowedAccountIds::parse,
        )?,
    })
}

fn web_identity_settings(layer: &Layer) -> Result<WebIdentitySettings, ConfigError> {
    let Some(role) = &layer.role_arn else {
        return Err(no_role(false));
    };
    let Some(token_file) = &layer.token_file else {
        return Err(ConfigError::missing(
            "No --token-file: aws web-identity writes the ID token there for AWS_WEB_IDENTITY_TOKEN_FILE.",
            "Add --token-file PATH (a path later steps can read).",
        ));
    };
    Ok(WebIdentitySettings {
        role_arn: parse(role, RoleArn::parse)?,
        session_name: parse_opt(layer.session_name.as_ref(), RoleSessionName::parse)?,
        duration: parse_opt(layer.duration.as_ref(), SessionDuration::parse)?
            .unwrap_or(SessionDuration::default_hour()),
        audience: parse_opt(layer.audience.as_ref(), Audience::parse)?
            .unwrap_or_else(Audience::sts),
        // Absolute: later steps and SDKs may run from another directory.
        token_file: std::path::absolute(&token_file.value).map_err(|e| {
            ConfigError::invalid(
                token_file,
                Invalid {
                    problem: format!("it cannot be made absolute ({e})"),
                    expected: "a path later steps can read".into(),
                },
            )
        })?,
    })
}

fn token_source_settings(layer: &Layer, env: &Env, is_action: bool) -> TokenSourceSettings {
    let path = |name: &str| env.get(name).map(PathBuf::from);
    let mut user_login_paths = Vec::new();
    if let Some(xdg) = cognito::xdg_config_home(env) {
        user_login_paths.push(xdg.join("ns/token.json"));
    }
    if let Some(home) = env.get("HOME") {
        let p = PathBuf::from(home).join(".config/ns/token.json");
        if !user_login_paths.contains(&p) {
            user_login_paths.push(p);
        }
    }
    TokenSourceSettings {
        explicit_token: layer.namespace_token.clone(),
        explicit_file: layer
            .namespace_token_file
            .as_ref()
            .map(|r| (PathBuf::from(&r.value), r.origin.clone())),
        spec: env
            .get("NSC_TOKEN_SPEC")
            .map(|s| SecretString::from(s.to_string())),
        spec_file: path("NSC_TOKEN_SPEC_FILE"),
        token_file: path("NSC_TOKEN_FILE"),
        runner_token_path: path("NS_FEDERATE_RUNNER_TOKEN_PATH")
            .unwrap_or_else(|| PathBuf::from(RUNNER_TOKEN_PATH)),
        github_oidc_url: env.get("ACTIONS_ID_TOKEN_REQUEST_URL").map(str::to_string),
        github_oidc_request_token: env
            .get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
            .map(|s| SecretString::from(s.to_string())),
        user_login_paths,
        in_action_container: is_action,
        under_github: env.under_github_actions(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    const ARN: &str = "arn:aws:iam::123456789012:role/ns-federate-test";

    fn action(inputs: &[(&str, &str)], extra_env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let cli = Cli::parse_from(["ns-federate", "action"]);
        let pairs = inputs
            .iter()
            .map(|(k, v)| (format!("INPUT_{}", k.to_uppercase()), v.to_string()))
            .chain(
                extra_env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
        Config::build(&cli, &Env::from_pairs(pairs))
    }

    fn assume(config: &Config) -> &AssumeRoleSettings {
        match &config.command {
            Command::AssumeRole(s) => s,
            other => panic!("expected assume-role, got {other:?}"),
        }
    }

    #[test]
    fn action_defaults() {
        let c = action(
            &[
                ("role-to-assume", ARN),
                ("role-duration-seconds", "3600"),
                ("audience", "sts.amazonaws.com"),
            ],
            &[],
        )
        .unwrap();
        let s = assume(&c);
        assert_eq!(s.role_arn.as_str(), ARN);
        assert_eq!(s.duration.secs(), 3600);
        assert_eq!(s.sts_region.as_str(), "us-east-1");
        assert_eq!(c.sink.format, OutputFormat::Github);
        assert!(c.sink.github.export_env);
        assert_eq!(c.sink.github.export_region, None);
        assert_eq!(c.retry_max_attempts, 3);
        assert_eq!(c.namespace.endpoint.base(), Endpoint::NAMESPACE_DEFAULT);
    }

    #[test]
    fn region_from_env_is_used_but_not_exported() {
        let c = action(
            &[("role-to-assume", ARN)],
            &[("AWS_DEFAULT_REGION", "eu-west-1")],
        )
        .unwrap();
        assert_eq!(assume(&c).sts_region.as_str(), "eu-west-1");
        assert_eq!(c.sink.github.export_region, None);
        let c = action(
            &[("role-to-assume", ARN), ("aws-region", "eu-west-2")],
            &[("AWS_REGION", "eu-west-1")],
        )
        .unwrap();
        assert_eq!(assume(&c).sts_region.as_str(), "eu-west-2");
        assert_eq!(c.sink.github.export_region.unwrap().as_str(), "eu-west-2");
    }

    #[test]
    fn errors_name_the_input_and_the_expected_form() {
        // (input, its bad value, the expected form the message must show);
        // every other case has a valid role-to-assume beside it.
        let cases = [
            (
                "role-to-assume",
                "arn:aws:iam::12:role/x",
                "arn:aws:iam::123456789012:role/NAME",
            ),
            ("role-duration-seconds", "100", "900..43200"),
            ("role-duration-seconds", "forever", "900..43200"),
            ("role-session-name", "a b", "2 to 64"),
            ("mode", "sideways", "auto, assume-role, cognito-exchange"),
            ("export-env", "maybe", "true, false, yes, no, 1, 0"),
            ("inline-session-policy", "{nope", "JSON"),
            ("namespace-endpoint", "http://example.com", "https://"),
            ("retry-max-attempts", "0", "1 to 10"),
        ];
        for (name, value, form) in cases {
            let mut inputs = vec![(name, value)];
            if name != "role-to-assume" {
                inputs.insert(0, ("role-to-assume", ARN));
            }
            let err = action(&inputs, &[]).expect_err(name);
            assert!(
                err.message.contains(&format!("input `{name}`")),
                "{name}: {}",
                err.message
            );
            assert!(err.message.contains(form), "{name}: {}", err.message);
            assert!(err.hint.contains(name), "{name}: {}", err.hint);
        }
    }

    #[test]
    fn auto_mode_needs_exactly_one_direction() {
        assert!(
            action(&[], &[])
                .unwrap_err()
                .message
                .contains("role-to-assume")
        );
        let err = action(
            &[("role-to-assume", ARN), ("identity-pool", "us-east-1:x")],
            &[],
        )
        .unwrap_err();
        assert!(err.message.contains("Both"));
        assert!(matches!(
            action(
                &[
                    (
                        "identity-pool",
                        "us-east-1:5f2a7c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b"
                    ),
                    ("tenant-id", "tnt_x")
                ],
                &[]
            )
            .unwrap()
            .command,
            Command::CognitoExchange(_)
        ));
    }

    #[test]
    fn sts_endpoint_refuses_cleartext_off_loopback() {
        let err = action(
            &[("role-to-assume", ARN)],
            &[("AWS_ENDPOINT_URL", "http://sts.example.com")],
        )
        .unwrap_err();
        assert!(err.message.contains("AWS_ENDPOINT_URL"));
        assert!(
            err.message
                .contains("refusing to send a token over cleartext HTTP")
        );
        let c = action(
            &[("role-to-assume", ARN)],
            &[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")],
        )
        .unwrap();
        assert_eq!(
            assume(&c).sts_endpoint.as_ref().unwrap().base(),
            "http://127.0.0.1:5000"
        );
    }

    #[test]
    fn secret_token_input_is_never_echoed() {
        let c = action(
            &[
                ("role-to-assume", ARN),
                ("namespace-token", "nsct_secretvalue"),
            ],
            &[],
        )
        .unwrap();
        let (_, origin) = c.namespace.tokens.explicit_token.as_ref().unwrap();
        assert_eq!(origin, &Origin::Input("namespace-token"));
        assert!(!format!("{:?}", c.namespace.tokens).contains("secretvalue"));
    }

    fn cli(args: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let cli = Cli::try_parse_from(std::iter::once("ns-federate").chain(args.iter().copied()))
            .expect("flags parse");
        Config::build(&cli, &Env::from_pairs(env.iter().copied()))
    }

    #[test]
    fn sts_region_defaults_to_the_role_partition() {
        for (arn, region) in [
            ("arn:aws:iam::123456789012:role/x", "us-east-1"),
            ("arn:aws-cn:iam::123456789012:role/x", "cn-north-1"),
            ("arn:aws-us-gov:iam::123456789012:role/x", "us-gov-west-1"),
        ] {
            let c = action(&[("role-to-assume", arn)], &[]).unwrap();
            assert_eq!(assume(&c).sts_region.as_str(), region, "{arn}");
            let c = cli(&["aws", "assume-role", "--role-arn", arn], &[]).unwrap();
            assert_eq!(assume(&c).sts_region.as_str(), region, "{arn}");
        }
        let c = action(
            &[
                ("role-to-assume", "arn:aws-cn:iam::123456789012:role/x"),
                ("aws-region", "cn-northwest-1"),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(assume(&c).sts_region.as_str(), "cn-northwest-1");
    }

    #[test]
    fn a_region_of_another_partition_is_refused() {
        let err = action(
            &[("role-to-assume", ARN), ("aws-region", "cn-north-1")],
            &[],
        )
        .unwrap_err();
        assert!(
            err.message.contains("input `aws-region`"),
            "{}",
            err.message
        );
        assert!(err.message.contains("partition aws-cn"), "{}", err.message);
        assert!(err.message.contains("like us-east-1"), "{}", err.message);
        let err = cli(
            &[
                "aws",
                "assume-role",
                "--role-arn",
                "arn:aws-us-gov:iam::123456789012:role/x",
            ],
            &[("AWS_REGION", "us-east-1")],
        )
        .unwrap_err();
        assert!(err.message.contains("AWS_REGION"), "{}", err.message);
        assert!(err.message.contains("us-gov-west-1"), "{}", err.message);
    }

    #[test]
    fn fips_is_used_only_without_an_endpoint_override() {
        let c = action(
            &[("role-to-assume", ARN)],
            &[("AWS_USE_FIPS_ENDPOINT", "true")],
        )
        .unwrap();
        assert!(assume(&c).sts_use_fips);
        let c = action(&[("role-to-assume", ARN)], &[]).unwrap();
        assert!(!assume(&c).sts_use_fips);
        let c = action(
            &[("role-to-assume", ARN)],
            &[
                ("AWS_USE_FIPS_ENDPOINT", "true"),
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1"),
            ],
        )
        .unwrap();
        assert!(!assume(&c).sts_use_fips);
        let err = action(
            &[("role-to-assume", "arn:aws-cn:iam::123456789012:role/x")],
            &[("AWS_USE_FIPS_ENDPOINT", "true")],
        )
        .unwrap_err();
        assert!(err.message.contains("FIPS"), "{}", err.message);
    }

    #[test]
    fn missing_role_names_what_this_mode_takes() {
        let err = cli(&["aws", "assume-role"], &[]).unwrap_err();
        assert!(err.message.contains("--role-arn"), "{}", err.message);
        assert!(err.message.contains("NSC_AWS_ROLE_ARN"), "{}", err.message);
        assert!(!err.message.contains("role-to-assume"), "{}", err.message);
        let err = cli(&["aws", "web-identity", "--token-file", "t"], &[]).unwrap_err();
        assert!(err.message.contains("--role-arn"), "{}", err.message);
        let err = action(&[("mode", "assume-role")], &[]).unwrap_err();
        assert!(
            err.message.contains("input `role-to-assume`"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("--role-arn"), "{}", err.message);
        // The environment variable still works for the CLI (read by config, not clap).
        let c = cli(&["aws", "assume-role"], &[("NSC_AWS_ROLE_ARN", ARN)]).unwrap();
        assert_eq!(assume(&c).role_arn.as_str(), ARN);
    }

    #[test]
    fn web_identity_token_file_is_absolute_and_formats_are_checked() {
        let c = cli(
            &[
                "aws",
                "web-identity",
                "--role-arn",
                ARN,
                "--token-file",
                "wi.jwt",
            ],
            &[],
        )
        .unwrap();
        let Command::WebIdentity(w) = &c.command else {
            panic!("expected web-identity")
        };
        assert!(w.token_file.is_absolute(), "{}", w.token_file.display());
        assert_eq!(
            w.token_file,
            std::env::current_dir().unwrap().join("wi.jwt")
        );
        let err = cli(
            &[
                "aws",
                "web-identity",
                "--role-arn",
                ARN,
                "--token-file",
                "wi.jwt",
                "--format",
                "credential-process",
            ],
            &[],
        )
        .unwrap_err();
        assert!(
            err.message.contains("credential-process"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_non_utf8_variable_this_tool_reads_is_named() {
        use std::ffi::OsString;
        use std::os::unix::ffi::OsStringExt;
        let env = |name: &str| {
            Env::from_os_pairs([
                (OsString::from(name), OsString::from_vec(vec![b'a', 0xff])),
                (OsString::from("UNRELATED"), OsString::from_vec(vec![0xff])),
            ])
        };
        let cli_ = Cli::parse_from(["ns-federate", "aws", "assume-role", "--role-arn", ARN]);
        for name in ["NSC_AWS_ROLE_ARN", "NSC_TOKEN_SPEC", "AWS_REGION", "HOME"] {
            let err = Config::build(&cli_, &env(name)).unwrap_err();
            assert_eq!(err.message, format!("{name} is not valid UTF-8."));
        }
        // INPUT_* matter only to the action.
        assert!(Config::build(&cli_, &env("INPUT_ROLE-TO-ASSUME")).is_ok());
        let action_ = Cli::parse_from(["ns-federate", "action"]);
        let err = Config::build(&action_, &env("INPUT_ROLE-TO-ASSUME")).unwrap_err();
        assert!(
            err.message
                .contains("INPUT_ROLE-TO-ASSUME (input `role-to-assume`) is not valid UTF-8"),
            "{}",
            err.message
        );
        // Variables it does not read are none of its business.
        assert!(Config::build(&cli_, &env("UNRELATED2")).is_ok());
    }

    const POOL: &str = "us-east-1:5f2a7c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b";

    /// `auth exchange-aws-cognito-token` for [`POOL`] and workspace `tnt_x`, plus `extra`.
    fn cognito_cli(extra: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut args = vec![
            "auth",
            "exchange-aws-cognito-token",
            "--identity-pool",
            POOL,
            "--tenant-id",
            "tnt_x",
        ];
        args.extend_from_slice(extra);
        cli(&args, env)
    }

    #[test]
    fn cognito_exchange_refuses_export_env_false() {
        let inputs = [("identity-pool", POOL), ("tenant-id", "tnt_x")];
        let mut off = inputs.to_vec();
        off.push(("export-env", "false"));
        let err = action(&off, &[]).unwrap_err();
        assert!(
            err.message
                .contains("export-env: false leaves the Namespace token nowhere"),
            "{}",
            err.message
        );
        assert!(err.hint.contains("export-env"), "{}", err.hint);
        assert!(action(&inputs, &[]).is_ok());
        // assume-role may hand its credentials over as outputs instead.
        assert!(action(&[("role-to-assume", ARN), ("export-env", "false")], &[]).is_ok());
    }

    #[test]
    fn a_relative_xdg_config_home_is_ignored() {
        let exchange =
            |xdg: &str| cognito_cli(&[], &[("HOME", "/home/u"), ("XDG_CONFIG_HOME", xdg)]).unwrap();
        let destination = |c: &Config| match &c.command {
            Command::CognitoExchange(s) => s.destination.clone(),
            other => panic!("expected cognito-exchange, got {other:?}"),
        };
        let c = exchange("rel/config");
        assert_eq!(
            destination(&c),
            TokenDestination::TokenFile(PathBuf::from("/home/u/.config/ns/token.json"))
        );
        assert_eq!(
            c.namespace.tokens.user_login_paths,
            [PathBuf::from("/home/u/.config/ns/token.json")]
        );
        let c = exchange("/xdg");
        assert_eq!(
            destination(&c),
            TokenDestination::TokenFile(PathBuf::from("/xdg/ns/token.json"))
        );
        assert_eq!(
            c.namespace.tokens.user_login_paths[0],
            PathBuf::from("/xdg/ns/token.json")
        );
    }

    #[test]
    fn ensure_too_large_to_count_is_out_of_range() {
        let ensure = |d: &str| cognito_cli(&["--ensure", d], &[("HOME", "/home/u")]);
        for huge in [
            "99999999999999999999999",
            "99999999999999999999h",
            "1h99999999999999999999s",
        ] {
            let err = ensure(huge).unwrap_err();
            assert!(
                err.message.contains("out of range"),
                "{huge}: {}",
                err.message
            );
        }
        for garbled in ["soon", "1x", "h1", "1m1h"] {
            let err = ensure(garbled).unwrap_err();
            assert!(
                err.message.contains("not a duration"),
                "{garbled}: {}",
                err.message
            );
        }
        assert!(ensure("10m").is_ok());
    }

    #[test]
    fn cli_format_defaults() {
        let cli = Cli::parse_from([
            "ns-federate",
            "aws",
            "assume-role",
            "--role_arn",
            ARN,
            "--write_env",
            "aws.env",
        ]);
        let c = Config::build(&cli, &Env::default()).unwrap();
        assert_eq!(c.sink.format, OutputFormat::Shell);
        assert_eq!(c.sink.write_env, Some(PathBuf::from("aws.env")));
        let c = Config::build(&cli, &Env::from_pairs([("GITHUB_ACTIONS", "true")])).unwrap();
        assert_eq!(
            c.sink.format,
            OutputFormat::Shell,
            "--write-env means shell lines even under GitHub"
        );
        let cli = Cli::parse_from([
            "ns-federate",
            "aws",
            "credential-process",
            "--role-arn",
            ARN,
        ]);
        assert_eq!(
            Config::build(&cli, &Env::default()).unwrap().sink.format,
            OutputFormat::CredentialProcess
        );
    }
}
