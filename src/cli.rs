//! Command-line flags, as the user writes them (clap derive). Values stay raw
//! strings here; [`crate::config`] turns them into typed settings.
//!
//! Environment fallbacks (`NSC_AWS_ROLE_ARN`, …) are read by
//! [`crate::config::raw::Layer::from_env`], not by clap, so that a value that
//! is not UTF-8 gets an error naming the variable.
//!
//! nsc's underscore spellings (`--role_arn`, `--write_env`, …) are visible
//! aliases, so an `nsc` line works with `ns-federate` in its place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

/// Trade a Namespace identity for short-lived AWS credentials, and AWS
/// credentials for a Namespace token, with no long-lived keys.
#[derive(Debug, Parser)]
#[command(name = "ns-federate", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// `aws credential-process`: run by an AWS SDK, which reads stdout and
    /// quotes stderr inside its own messages (where a workflow command is
    /// no command, so a mask line would show the secret it masks).
    pub fn is_run_by_an_sdk(&self) -> bool {
        matches!(
            self.command,
            Command::Aws {
                command: AwsCommand::CredentialProcess(_)
            }
        )
    }
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// GitHub Action entrypoint: reads the action's INPUT_* variables.
    Action,
    /// Namespace → AWS: assume IAM roles with a Namespace identity.
    Aws {
        /// The AWS command.
        #[command(subcommand)]
        command: AwsCommand,
    },
    /// AWS → Namespace: Namespace tokens from AWS identities.
    Auth {
        /// The auth command.
        #[command(subcommand)]
        command: AuthCommand,
    },
}

/// `ns-federate aws …`
#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// Assume an IAM role with a Namespace ID token and print or write the credentials.
    AssumeRole(AssumeRoleArgs),
    /// Print credentials in the AWS credential_process JSON (for ~/.aws/config).
    CredentialProcess(CredentialProcessArgs),
    /// Write a Namespace ID token to a file so that AWS SDKs assume the role themselves.
    WebIdentity(WebIdentityArgs),
    /// Print the IAM role trust policy that accepts a Namespace workspace.
    TrustPolicy(TrustPolicyArgs),
}

/// `ns-federate auth …`
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Trade this machine's AWS identity (Cognito developer identity) for a Namespace token.
    ExchangeAwsCognitoToken(CognitoExchangeArgs),
    /// Let a Cognito identity pool issue Namespace tokens for a workspace.
    TrustAwsCognitoIdentityPool(TrustPoolArgs),
}

/// How to reach Namespace and which token to use (shared by every command).
#[derive(Debug, Args, Default)]
pub struct NamespaceArgs {
    /// Namespace API endpoint [env: NSC_IAM_ENDPOINT] [default: Namespace's global endpoint].
    #[arg(long, value_name = "URL")]
    pub namespace_endpoint: Option<String>,
    /// An explicit Namespace token (nsct_/nscw_/st_/nsrt_). Prefer --namespace-token-file or NSC_TOKEN_SPEC: command lines are visible to other processes.
    #[arg(long, value_name = "TOKEN", hide_env_values = true)]
    pub namespace_token: Option<SecretString>,
    /// A token.json, token spec or raw token file.
    #[arg(long, value_name = "PATH")]
    pub namespace_token_file: Option<PathBuf>,
    /// Attempts for transient failures (throttling, 5xx, connection errors) [default: 3].
    #[arg(long, value_name = "N")]
    pub retry_max_attempts: Option<String>,
    /// Bound on the whole run: seconds or 90s/5m [default: 60].
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
}

/// Where and how results are handed over.
#[derive(Debug, Args, Default)]
pub struct OutputArgs {
    /// shell | json | dotenv | credential-process | github [default: github under GitHub Actions, else shell].
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Write the output to FILE (0600, atomically) instead of stdout.
    #[arg(long, visible_alias = "write_env", value_name = "FILE")]
    pub write_env: Option<PathBuf>,
}

/// The role to assume and how (shared by assume-role, credential-process, web-identity).
#[derive(Debug, Args, Default)]
pub struct RoleArgs {
    /// ARN of the IAM role to assume [env: NSC_AWS_ROLE_ARN].
    #[arg(long, visible_alias = "role_arn", value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Session lifetime: 900..43200 seconds, or 15m/1h/12h [default: 1h].
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Role session name [default: nsc.instance=<id>, else nsc.tenant=<id>].
    #[arg(long, visible_alias = "session_name", value_name = "NAME")]
    pub session_name: Option<String>,
    /// AWS region for STS [default: $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1].
    #[arg(long, visible_aliases = ["aws-region", "aws_region"], value_name = "REGION")]
    pub region: Option<String>,
    /// Audience of the Namespace ID token [default: sts.amazonaws.com].
    #[arg(long, value_name = "AUDIENCE")]
    pub audience: Option<String>,
}

/// What the credentials may do and for which accounts (shared by
/// assume-role and credential-process).
#[derive(Debug, Args, Default)]
pub struct LimitArgs {
    /// Inline session policy (JSON).
    #[arg(long, visible_alias = "session_policy", value_name = "JSON")]
    pub session_policy: Option<String>,
    /// Managed session policy ARN (repeatable).
    #[arg(long, visible_alias = "policy_arn", value_name = "ARN")]
    pub policy_arn: Vec<String>,
    /// Comma-separated account ids; refuse credentials for any other account.
    #[arg(long, value_name = "IDS")]
    pub allowed_account_ids: Option<String>,
}

/// A Cognito identity pool and the workspace it serves (shared by the auth commands).
#[derive(Debug, Args, Default)]
pub struct PoolArgs {
    /// AWS region of the identity pool.
    #[arg(long, visible_alias = "aws_region", value_name = "REGION")]
    pub aws_region: Option<String>,
    /// Cognito identity pool: <region>:<uuid>, or the uuid alone [env: NSC_AWS_IDENTITY_POOL].
    #[arg(long, visible_alias = "identity_pool", value_name = "POOL")]
    pub identity_pool: Option<String>,
    /// Namespace workspace (tenant) id [env: NSC_TENANT_ID].
    #[arg(long, visible_alias = "tenant_id", value_name = "TENANT")]
    pub tenant_id: Option<String>,
}

/// `aws assume-role`
#[derive(Debug, Args)]
pub struct AssumeRoleArgs {
    /// The role.
    #[command(flatten)]
    pub role: RoleArgs,
    /// Session policies and account checks.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Write a named AWS profile (~/.aws/credentials and config) instead.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Output.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Namespace.
    #[command(flatten)]
    pub namespace: NamespaceArgs,
}

/// `aws credential-process`
#[derive(Debug, Args)]
pub struct CredentialProcessArgs {
    /// The role.
    #[command(flatten)]
    pub role: RoleArgs,
    /// Session policies and account checks.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Namespace.
    #[command(flatten)]
    pub namespace: NamespaceArgs,
}

/// `aws web-identity`
#[derive(Debug, Args)]
pub struct WebIdentityArgs {
    /// The role.
    #[command(flatten)]
    pub role: RoleArgs,
    /// Where to write the ID token (0600).
    #[arg(long, visible_alias = "token_file", value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Output.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Namespace.
    #[command(flatten)]
    pub namespace: NamespaceArgs,
}

/// `aws trust-policy`
#[derive(Debug, Args)]
pub struct TrustPolicyArgs {
    /// Namespace workspace (tenant) id [env: NSC_TENANT_ID].
    #[arg(long, visible_alias = "tenant_id", value_name = "TENANT")]
    pub tenant_id: Option<String>,
    /// AWS account that holds the OIDC provider.
    #[arg(long, visible_alias = "account_id", value_name = "ACCOUNT")]
    pub account_id: Option<String>,
    /// ARN of the IAM OIDC provider for federation.namespaceapis.com.
    #[arg(long, visible_alias = "provider_arn", value_name = "ARN")]
    pub provider_arn: Option<String>,
    /// Audience [default: sts.amazonaws.com].
    #[arg(long, value_name = "AUDIENCE")]
    pub audience: Option<String>,
}

/// `auth exchange-aws-cognito-token`
#[derive(Debug, Args)]
// A Namespace token is never AWS credentials: credential-process is not offered.
#[command(mut_arg("format", |a| a.help(
    "shell | json | dotenv | github [default: github under GitHub Actions, else the nsc login file]"
)))]
pub struct CognitoExchangeArgs {
    /// The identity pool and the workspace.
    #[command(flatten)]
    pub pool: PoolArgs,
    /// Do nothing while the current token stays valid this long (e.g. 10m).
    #[arg(long, value_name = "DURATION")]
    pub ensure: Option<String>,
    /// Where to store the token (token.json, 0600) [default: the nsc login location].
    #[arg(long, visible_alias = "token_file", value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Output.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Namespace.
    #[command(flatten)]
    pub namespace: NamespaceArgs,
}

/// `auth trust-aws-cognito-identity-pool`
#[derive(Debug, Args)]
pub struct TrustPoolArgs {
    /// The identity pool and the workspace.
    #[command(flatten)]
    pub pool: PoolArgs,
    /// Namespace.
    #[command(flatten)]
    pub namespace: NamespaceArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn nsc_spellings_are_accepted() {
        let cli = Cli::try_parse_from([
            "ns-federate",
            "aws",
            "assume-role",
            "--role_arn",
            "arn:aws:iam::123456789012:role/x",
            "--write_env",
            "aws.env",
            "--duration",
            "1h",
            "--aws_region",
            "eu-west-1",
        ])
        .unwrap();
        let Command::Aws {
            command: AwsCommand::AssumeRole(args),
        } = cli.command
        else {
            panic!("wrong command")
        };
        assert_eq!(
            args.role.role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/x")
        );
        assert_eq!(args.output.write_env, Some(PathBuf::from("aws.env")));
        assert_eq!(args.role.region.as_deref(), Some("eu-west-1"));
        let cli = Cli::try_parse_from([
            "ns-federate",
            "auth",
            "exchange-aws-cognito-token",
            "--aws_region",
            "us-east-1",
            "--identity_pool",
            "p",
            "--tenant_id",
            "t",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Auth {
                command: AuthCommand::ExchangeAwsCognitoToken(_)
            }
        ));
    }
}
