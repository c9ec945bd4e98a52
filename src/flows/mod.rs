//! The flows: each takes typed settings, talks to Namespace and AWS, and
//! returns a result struct. Flows never format output; sinks do.

pub mod assume_role;
pub mod cognito_exchange;
pub mod id_token;
pub mod trust;
pub mod web_identity;

use std::time::{Duration, Instant};

use crate::aws::sts::StsClient;
use crate::config::{Command, Config};
use crate::error::Error;
use crate::namespace::{NamespaceClient, RetryPolicy};

pub use assume_role::AssumedRole;
pub use cognito_exchange::{Exchange, ExchangedToken, StillValid};
pub use trust::PoolTrusted;

/// What a run produced, for the sinks.
#[derive(Debug)]
pub enum Outcome {
    /// Namespace → AWS credentials.
    AssumedRole(AssumedRole),
    /// AWS → Namespace: a new tenant token.
    CognitoExchanged(ExchangedToken),
    /// AWS → Namespace with `--ensure`: the current token stays valid long enough.
    TokenStillValid(StillValid),
    /// A workspace now trusts a Cognito identity pool.
    PoolTrusted(PoolTrusted),
    /// The IAM role trust policy to print.
    TrustPolicy(serde_json::Value),
    /// An ID token for AWS SDKs to assume a role with themselves.
    WebIdentity(web_identity::WebIdentity),
}

/// Runs the flow the configuration asks for. `deadline` bounds retries.
pub async fn run(config: &Config, deadline: Instant) -> Result<Outcome, Error> {
    let retry = RetryPolicy {
        max_attempts: config.retry_max_attempts,
        deadline,
    };
    // Built before anything is known to need it: its HTTP clients are made on first use.
    let namespace = NamespaceClient::new(config.namespace.endpoint.clone(), retry);
    // What is left of the run's bound, for the AWS SDKs' own timeouts.
    let time_left = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(1))
    };
    match &config.command {
        Command::AssumeRole(settings) => {
            let sts = StsClient::new(
                &settings.sts_region,
                settings.sts_endpoint.as_ref(),
                settings.sts_use_fips,
                config.retry_max_attempts,
                time_left(),
            );
            let assumed =
                assume_role::run(settings, &config.namespace.tokens, &namespace, &sts).await?;
            Ok(Outcome::AssumedRole(assumed))
        }
        Command::CognitoExchange(settings) => {
            let exchange = cognito_exchange::run(
                settings,
                config.namespace.tokens.spec.as_ref(),
                &namespace,
                config.retry_max_attempts,
                time_left(),
            )
            .await?;
            Ok(match exchange {
                Exchange::Exchanged(t) => Outcome::CognitoExchanged(t),
                Exchange::StillValid(v) => Outcome::TokenStillValid(v),
            })
        }
        Command::TrustPool(settings) => {
            let trusted = trust::trust_pool(settings, &config.namespace.tokens, &namespace).await?;
            Ok(Outcome::PoolTrusted(trusted))
        }
        Command::TrustPolicy(settings) => Ok(Outcome::TrustPolicy(trust::trust_policy(settings))),
        Command::WebIdentity(settings) => {
            let w = web_identity::run(settings, &config.namespace.tokens, &namespace).await?;
            Ok(Outcome::WebIdentity(w))
        }
    }
}
