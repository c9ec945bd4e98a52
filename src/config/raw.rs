//! Raw configuration layers: what the user literally wrote, and where.
//!
//! Three layers exist: command-line flags, GitHub Action inputs (`INPUT_*`,
//! hyphens kept), and plain environment variables (`NSC_*`, `AWS_*`). They
//! are merged field by field with the precedence flag > input > env; the
//! result still holds strings, each remembering its [`Origin`] so that an
//! error can name the input the user wrote.

use std::fmt;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use crate::cli::{self, AuthCommand, AwsCommand};
use crate::env::Env;

/// Where a raw value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag, possibly filled by clap from its environment variable.
    Flag {
        /// The flag, e.g. `--role-arn`.
        flag: &'static str,
        /// The environment variable clap reads for it, if any.
        env: Option<&'static str>,
    },
    /// A GitHub Action input (action.yml name, e.g. `role-to-assume`).
    Input(&'static str),
    /// A plain environment variable.
    Env(&'static str),
}

impl Origin {
    /// A flag with no environment fallback.
    pub const fn flag(flag: &'static str) -> Self {
        Self::Flag { flag, env: None }
    }

    /// A flag that clap also fills from environment variable `env`.
    pub const fn flag_or_env(flag: &'static str, env: &'static str) -> Self {
        Self::Flag {
            flag,
            env: Some(env),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag { flag, env: None } => write!(f, "flag {flag}"),
            Self::Flag {
                flag,
                env: Some(env),
            } => write!(f, "flag {flag} (or {env})"),
            Self::Input(name) => write!(f, "input `{name}`"),
            Self::Env(name) => write!(f, "environment variable {name}"),
        }
    }
}

/// One raw value and its origin.
#[derive(Clone, Debug)]
pub struct Raw {
    /// The string as written (never empty, except an explicit `--profile ""`).
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

fn raw(value: Option<String>, origin: Origin) -> Option<Raw> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|value| Raw { value, origin })
}

fn raw_path(value: Option<PathBuf>, origin: Origin) -> Option<Raw> {
    raw(value.map(|p| p.to_string_lossy().into_owned()), origin)
}

/// The settings every command draws from, as raw strings with origins.
#[derive(Debug, Default)]
pub struct Layer {
    /// `mode` input.
    pub mode: Option<Raw>,
    /// Role ARN.
    pub role_arn: Option<Raw>,
    /// Role session name.
    pub session_name: Option<Raw>,
    /// Session duration.
    pub duration: Option<Raw>,
    /// AWS region, only as given explicitly (flag or input).
    pub region: Option<Raw>,
    /// Region from the environment (`AWS_REGION`, `AWS_DEFAULT_REGION`).
    pub env_region: Option<Raw>,
    /// ID token audience.
    pub audience: Option<Raw>,
    /// Inline session policy JSON.
    pub inline_policy: Option<Raw>,
    /// Managed session policy ARNs (comma/newline separated).
    pub policy_arns: Option<Raw>,
    /// Explicit Namespace token (secret: never echoed).
    pub namespace_token: Option<(SecretString, Origin)>,
    /// Explicit Namespace token file.
    pub namespace_token_file: Option<Raw>,
    /// Namespace endpoint.
    pub namespace_endpoint: Option<Raw>,
    /// Cognito identity pool.
    pub identity_pool: Option<Raw>,
    /// Namespace tenant id.
    pub tenant_id: Option<Raw>,
    /// cognito-exchange: skip while the token stays valid this long.
    pub ensure_valid_for: Option<Raw>,
    /// Write exports to `GITHUB_ENV`.
    pub export_env: Option<Raw>,
    /// Also set credentials as step outputs.
    pub output_credentials: Option<Raw>,
    /// Mask the account id.
    pub mask_account_id: Option<Raw>,
    /// AWS profile to write.
    pub aws_profile: Option<Raw>,
    /// Allowed account ids.
    pub allowed_account_ids: Option<Raw>,
    /// Attempts for transient failures.
    pub retry_max_attempts: Option<Raw>,
    /// Bound on the whole run.
    pub timeout: Option<Raw>,
    /// Output format.
    pub format: Option<Raw>,
    /// Output file.
    pub write_env: Option<Raw>,
    /// Token file (web-identity, cognito-exchange).
    pub token_file: Option<Raw>,
    /// AWS account id (trust-policy).
    pub account_id: Option<Raw>,
    /// OIDC provider ARN (trust-policy).
    pub provider_arn: Option<Raw>,
}

impl Layer {
    /// Field by field: a value in `self` wins over one in `lower`.
    pub fn over(self, lower: Layer) -> Layer {
        Layer {
            mode: self.mode.or(lower.mode),
            role_arn: self.role_arn.or(lower.role_arn),
            session_name: self.session_name.or(lower.session_name),
            duration: self.duration.or(lower.duration),
            region: self.region.or(lower.region),
            env_region: self.env_region.or(lower.env_region),
            audience: self.audience.or(lower.audience),
            inline_policy: self.inline_policy.or(lower.inline_policy),
            policy_arns: self.policy_arns.or(lower.policy_arns),
            namespace_token: self.namespace_token.or(lower.namespace_token),
            namespace_token_file: self.namespace_token_file.or(lower.namespace_token_file),
            namespace_endpoint: self.namespace_endpoint.or(lower.namespace_endpoint),
            identity_pool: self.identity_pool.or(lower.identity_pool),
            tenant_id: self.tenant_id.or(lower.tenant_id),
            ensure_valid_for: self.ensure_valid_for.or(lower.ensure_valid_for),
            export_env: self.export_env.or(lower.export_env),
            output_credentials: self.output_credentials.or(lower.output_credentials),
            mask_account_id: self.mask_account_id.or(lower.mask_account_id),
            aws_profile: self.aws_profile.or(lower.aws_profile),
            allowed_account_ids: self.allowed_account_ids.or(lower.allowed_account_ids),
            retry_max_attempts: self.retry_max_attempts.or(lower.retry_max_attempts),
            timeout: self.timeout.or(lower.timeout),
            format: self.format.or(lower.format),
            write_env: self.write_env.or(lower.write_env),
            token_file: self.token_file.or(lower.token_file),
            account_id: self.account_id.or(lower.account_id),
            provider_arn: self.provider_arn.or(lower.provider_arn),
        }
    }

    /// The environment layer: the `NSC_*`/`AWS_*` variables DESIGN.md lists.
    pub fn from_env(env: &Env) -> Layer {
        let var = |name: &'static str| raw(env.get(name).map(str::to_string), Origin::Env(name));
        Layer {
            role_arn: var("NSC_AWS_ROLE_ARN"),
            env_region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            namespace_endpoint: var("NSC_IAM_ENDPOINT").or_else(|| var("NSC_GLOBAL_ENDPOINT")),
            identity_pool: var("NSC_AWS_IDENTITY_POOL"),
            tenant_id: var("NSC_TENANT_ID"),
            ..Layer::default()
        }
    }

    /// The action-input layer: `INPUT_<NAME>` with hyphens kept, empty = not given.
    pub fn from_action_inputs(env: &Env) -> Layer {
        // envy lower-cases the names after the prefix: INPUT_ROLE-TO-ASSUME → role-to-assume.
        let inputs: ActionInputs = envy::prefixed("INPUT_")
            .from_iter(env.iter())
            .unwrap_or_default();
        let i = |v: Option<String>, name: &'static str| raw(v, Origin::Input(name));
        Layer {
            mode: i(inputs.mode, "mode"),
            role_arn: i(inputs.role_to_assume, "role-to-assume"),
            session_name: i(inputs.role_session_name, "role-session-name"),
            duration: i(inputs.role_duration_seconds, "role-duration-seconds"),
            region: i(inputs.aws_region, "aws-region"),
            env_region: None,
            audience: i(inputs.audience, "audience"),
            inline_policy: i(inputs.inline_session_policy, "inline-session-policy"),
            policy_arns: i(inputs.managed_session_policies, "managed-session-policies"),
            namespace_token: inputs
                .namespace_token
                .filter(|t| !secrecy::ExposeSecret::expose_secret(t).trim().is_empty())
                .map(|t| (t, Origin::Input("namespace-token"))),
            namespace_token_file: i(inputs.namespace_token_file, "namespace-token-file"),
            namespace_endpoint: i(inputs.namespace_endpoint, "namespace-endpoint"),
            identity_pool: i(inputs.identity_pool, "identity-pool"),
            tenant_id: i(inputs.tenant_id, "tenant-id"),
            ensure_valid_for: i(inputs.ensure_valid_for, "ensure-valid-for"),
            export_env: i(inputs.export_env, "export-env"),
            output_credentials: i(inputs.output_credentials, "output-credentials"),
            mask_account_id: i(inputs.mask_aws_account_id, "mask-aws-account-id"),
            aws_profile: i(inputs.aws_profile, "aws-profile"),
            allowed_account_ids: i(inputs.allowed_account_ids, "allowed-account-ids"),
            retry_max_attempts: i(inputs.retry_max_attempts, "retry-max-attempts"),
            timeout: i(inputs.timeout_seconds, "timeout-seconds"),
            format: None,
            write_env: None,
            token_file: None,
            account_id: None,
            provider_arn: None,
        }
    }

    /// The flag layer of one command.
    pub fn from_flags(command: &cli::Command) -> Layer {
        match command {
            cli::Command::Action => Layer::default(),
            cli::Command::Aws { command } => match command {
                AwsCommand::AssumeRole(a) => Layer {
                    // An explicit empty --profile (e.g. "$UNSET_VAR") is kept to be
                    // refused: dropping it would print credentials to stdout instead.
                    aws_profile: a.profile.clone().map(|value| Raw {
                        value,
                        origin: Origin::flag("--profile"),
                    }),
                    ..role_layer(&a.role)
                        .over(limit_layer(&a.limits))
                        .over(output_layer(&a.output))
                        .over(namespace_layer(&a.namespace))
                },
                AwsCommand::CredentialProcess(a) => role_layer(&a.role)
                    .over(limit_layer(&a.limits))
                    .over(namespace_layer(&a.namespace)),
                AwsCommand::WebIdentity(a) => Layer {
                    token_file: raw_path(a.token_file.clone(), Origin::flag("--token-file")),
                    ..role_layer(&a.role)
                        .over(output_layer(&a.output))
                        .over(namespace_layer(&a.namespace))
                },
                AwsCommand::TrustPolicy(a) => Layer {
                    tenant_id: raw(
                        a.tenant_id.clone(),
                        Origin::flag_or_env("--tenant-id", "NSC_TENANT_ID"),
                    ),
                    account_id: raw(a.account_id.clone(), Origin::flag("--account-id")),
                    provider_arn: raw(a.provider_arn.clone(), Origin::flag("--provider-arn")),
                    audience: raw(a.audience.clone(), Origin::flag("--audience")),
                    ..Layer::default()
                },
            },
            cli::Command::Auth { command } => match command {
                AuthCommand::ExchangeAwsCognitoToken(a) => Layer {
                    ensure_valid_for: raw(a.ensure.clone(), Origin::flag("--ensure")),
                    token_file: raw_path(a.token_file.clone(), Origin::flag("--token-file")),
                    ..pool_layer(&a.pool)
                        .over(output_layer(&a.output))
                        .over(namespace_layer(&a.namespace))
                },
                AuthCommand::TrustAwsCognitoIdentityPool(a) => {
                    pool_layer(&a.pool).over(namespace_layer(&a.namespace))
                }
            },
        }
    }
}

fn limit_layer(a: &cli::LimitArgs) -> Layer {
    Layer {
        inline_policy: raw(a.session_policy.clone(), Origin::flag("--session-policy")),
        policy_arns: raw(Some(a.policy_arn.join(",")), Origin::flag("--policy-arn")),
        allowed_account_ids: raw(
            a.allowed_account_ids.clone(),
            Origin::flag("--allowed-account-ids"),
        ),
        ..Layer::default()
    }
}

fn pool_layer(a: &cli::PoolArgs) -> Layer {
    Layer {
        region: raw(a.aws_region.clone(), Origin::flag("--aws-region")),
        identity_pool: raw(
            a.identity_pool.clone(),
            Origin::flag_or_env("--identity-pool", "NSC_AWS_IDENTITY_POOL"),
        ),
        tenant_id: raw(
            a.tenant_id.clone(),
            Origin::flag_or_env("--tenant-id", "NSC_TENANT_ID"),
        ),
        ..Layer::default()
    }
}

fn role_layer(a: &cli::RoleArgs) -> Layer {
    Layer {
        role_arn: raw(
            a.role_arn.clone(),
            Origin::flag_or_env("--role-arn", "NSC_AWS_ROLE_ARN"),
        ),
        duration: raw(a.duration.clone(), Origin::flag("--duration")),
        session_name: raw(a.session_name.clone(), Origin::flag("--session-name")),
        region: raw(a.region.clone(), Origin::flag("--region")),
        audience: raw(a.audience.clone(), Origin::flag("--audience")),
        ..Layer::default()
    }
}

fn output_layer(a: &cli::OutputArgs) -> Layer {
    Layer {
        format: raw(a.format.clone(), Origin::flag("--format")),
        write_env: raw_path(a.write_env.clone(), Origin::flag("--write-env")),
        ..Layer::default()
    }
}

fn namespace_layer(a: &cli::NamespaceArgs) -> Layer {
    Layer {
        namespace_endpoint: raw(
            a.namespace_endpoint.clone(),
            Origin::flag_or_env("--namespace-endpoint", "NSC_IAM_ENDPOINT"),
        ),
        namespace_token: a
            .namespace_token
            .clone()
            .filter(|t| !secrecy::ExposeSecret::expose_secret(t).trim().is_empty())
            .map(|t| (t, Origin::flag("--namespace-token"))),
        namespace_token_file: raw_path(
            a.namespace_token_file.clone(),
            Origin::flag("--namespace-token-file"),
        ),
        retry_max_attempts: raw(
            a.retry_max_attempts.clone(),
            Origin::flag("--retry-max-attempts"),
        ),
        timeout: raw(a.timeout.clone(), Origin::flag("--timeout")),
        ..Layer::default()
    }
}

/// The inputs action.yml declares, as the runner passes them (`INPUT_ROLE-TO-ASSUME`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
struct ActionInputs {
    mode: Option<String>,
    role_to_assume: Option<String>,
    role_session_name: Option<String>,
    role_duration_seconds: Option<String>,
    aws_region: Option<String>,
    audience: Option<String>,
    inline_session_policy: Option<String>,
    managed_session_policies: Option<String>,
    namespace_token: Option<SecretString>,
    namespace_token_file: Option<String>,
    namespace_endpoint: Option<String>,
    identity_pool: Option<String>,
    tenant_id: Option<String>,
    ensure_valid_for: Option<String>,
    export_env: Option<String>,
    output_credentials: Option<String>,
    mask_aws_account_id: Option<String>,
    aws_profile: Option<String>,
    allowed_account_ids: Option<String>,
    retry_max_attempts: Option<String>,
    timeout_seconds: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn action_inputs_keep_hyphens_and_empty_means_not_given() {
        let env = Env::from_pairs([
            ("INPUT_ROLE-TO-ASSUME", "arn:aws:iam::123456789012:role/x"),
            ("INPUT_ROLE-SESSION-NAME", ""),
            ("INPUT_NAMESPACE-TOKEN", "nsrt_abc"),
            ("INPUT_MASK-AWS-ACCOUNT-ID", "true"),
        ]);
        let layer = Layer::from_action_inputs(&env);
        let role = layer.role_arn.unwrap();
        assert_eq!(role.value, "arn:aws:iam::123456789012:role/x");
        assert_eq!(role.origin, Origin::Input("role-to-assume"));
        assert!(layer.session_name.is_none());
        assert!(layer.namespace_token.unwrap().0.expose_secret() == "nsrt_abc");
        assert_eq!(layer.mask_account_id.unwrap().value, "true");
    }

    #[test]
    fn precedence_is_flag_then_input_then_env() {
        let env = Env::from_pairs([
            ("INPUT_ROLE-TO-ASSUME", "from-input"),
            ("NSC_AWS_ROLE_ARN", "from-env"),
            ("NSC_IAM_ENDPOINT", "http://127.0.0.1:1"),
        ]);
        let flags = Layer {
            role_arn: raw(Some("from-flag".into()), Origin::flag("--role-arn")),
            ..Layer::default()
        };
        let merged = flags
            .over(Layer::from_action_inputs(&env))
            .over(Layer::from_env(&env));
        assert_eq!(merged.role_arn.unwrap().value, "from-flag");
        let merged = Layer::from_action_inputs(&env).over(Layer::from_env(&env));
        assert_eq!(merged.role_arn.unwrap().value, "from-input");
        assert_eq!(
            merged.namespace_endpoint.unwrap().origin,
            Origin::Env("NSC_IAM_ENDPOINT")
        );
        let merged = Layer::from_env(&env);
        assert_eq!(merged.role_arn.unwrap().value, "from-env");
    }
}
