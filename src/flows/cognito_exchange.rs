//! AWS → Namespace: (`--ensure`: is the current token good for long enough?)
//! → AWS default credential chain → Cognito `GetOpenIdTokenForDeveloperIdentity`
//! → Namespace `ExchangeAWSCognitoJWT` → a tenant token.

use std::path::Path;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use crate::aws::cognito::{CognitoClient, CognitoError};
use crate::config::{CognitoExchangeSettings, IdentityPoolId, TokenDestination};
use crate::error::Error;
use crate::namespace::token::{
    NamespaceToken, TokenKind, TokenSpec, parse_token_json, parse_token_spec,
};
use crate::namespace::{NamespaceClient, TenantTokenResponse};
use crate::timestamp::Timestamp;

/// A tenant token obtained with the machine's AWS identity.
#[derive(Debug)]
pub struct ExchangedToken {
    /// The tenant token (Debug is redacted).
    pub token: NamespaceToken,
    /// The workspace it belongs to.
    pub tenant_id: String,
    /// The workspace's name (empty when Namespace did not say).
    pub workspace_name: String,
    /// When it expires.
    pub expires_at: Timestamp,
    /// The pool it came through.
    pub pool: IdentityPoolId,
    /// Where it goes.
    pub destination: TokenDestination,
}

/// `--ensure`: the current token stays valid long enough; nothing was done.
#[derive(Debug)]
pub struct StillValid {
    /// Where the current token is (for the log line).
    pub location: String,
    /// When it expires.
    pub expires_at: Timestamp,
    /// Its workspace (its `tenant_id` claim, which is the one asked for).
    pub tenant_id: String,
    /// Where a new token would have gone (under GitHub the outputs still describe the current one).
    pub destination: TokenDestination,
}

/// What the flow did.
// One value per run: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Exchange {
    /// A new token.
    Exchanged(ExchangedToken),
    /// The current token is good for long enough.
    StillValid(StillValid),
}

/// Runs the flow. `current_spec` is `NSC_TOKEN_SPEC`, where `--ensure`
/// looks under GitHub and for output printed to stdout (a token file or a
/// `--write-env` file is read where the destination says); `timeout`
/// bounds the AWS calls.
pub async fn run(
    settings: &CognitoExchangeSettings,
    current_spec: Option<&SecretString>,
    namespace: &NamespaceClient,
    max_attempts: u32,
    timeout: Duration,
) -> Result<Exchange, Error> {
    if let Some(ensure) = settings.ensure {
        match still_valid(settings, current_spec, ensure) {
            Ok(still) => {
                tracing::info!(
                    "The Namespace token in {} stays valid until {}, at least {} s more: nothing to do",
                    still.location,
                    still.expires_at,
                    ensure.as_secs()
                );
                return Ok(Exchange::StillValid(still));
            }
            Err(why) => tracing::info!("{why}: getting a new one"),
        }
    }

    let pool = &settings.pool;
    let cognito = CognitoClient::new(
        pool.region(),
        settings.cognito_endpoint.as_ref(),
        max_attempts,
        timeout,
    )
    .await?;
    let started = Instant::now();
    let cognito_token = cognito.open_id_token(pool, &settings.tenant_id).await?;
    crate::secrets::register(cognito_token.secret());
    tracing::info!(
        "Got a Cognito OpenID token from identity pool {pool} ({} ms)",
        started.elapsed().as_millis()
    );

    let started = Instant::now();
    let answer = namespace
        .exchange_aws_cognito_jwt(settings.tenant_id.as_str(), cognito_token.secret())
        .await
        .map_err(|error| {
            if error.is_refusal() {
                Error::from(CognitoError::ExchangeRefused {
                    error,
                    pool: pool.clone(),
                    tenant_id: settings.tenant_id.clone(),
                })
            } else {
                Error::Namespace(error)
            }
        })?;
    // Masked before anything else can mention it, even when it is refused below.
    crate::secrets::register_value(answer.tenant_token.expose_secret().trim());
    let (token, expires_at, workspace_name) =
        check_answer(&answer, settings.tenant_id.as_str(), Timestamp::now())?;
    let tenant_id = settings.tenant_id.to_string();
    tracing::info!(
        "Got a Namespace token for workspace {tenant_id}, valid until {} ({} ms)",
        expires_at.rfc3339(),
        started.elapsed().as_millis()
    );
    if let Some(ensure) = settings.ensure
        && expires_at.remaining() < ensure
    {
        tracing::warn!(
            "The new token is valid for {} s, less than the {} s asked for with --ensure / ensure-valid-for: every run will exchange again (lower it below the token's lifetime)",
            expires_at.remaining().as_secs(),
            ensure.as_secs()
        );
    }
    Ok(Exchange::Exchanged(ExchangedToken {
        token,
        tenant_id,
        workspace_name,
        expires_at,
        pool: pool.clone(),
        destination: settings.destination.clone(),
    }))
}

/// What Namespace's exchange answered, checked before it goes anywhere: a
/// readable tenant token (`nsct_`) of the workspace asked for, not expired,
/// and a `tenant` that does not name another workspace. Returns the token,
/// its expiry and the workspace's name made one line (it becomes an output
/// and a summary row).
fn check_answer(
    answer: &TenantTokenResponse,
    asked: &str,
    now: Timestamp,
) -> Result<(NamespaceToken, Timestamp, String), Error> {
    let refused = |problem: String| Error::from(CognitoError::TenantTokenRefused { problem });
    let token = NamespaceToken::parse(&answer.tenant_token).map_err(|p| {
        Error::from(CognitoError::UnusableTenantToken {
            problem: p.to_string(),
        })
    })?;
    if token.kind() != TokenKind::Tenant {
        return Err(refused(format!(
            "Namespace returned a {}, not a tenant token (nsct_…), for workspace {asked}",
            token.kind().describe()
        )));
    }
    let claimed = token.claims().tenant_id.as_deref().unwrap_or_default();
    if claimed != asked {
        return Err(refused(if claimed.is_empty() {
            format!("Namespace returned a token that names no workspace, not one for {asked}")
        } else {
            format!(
                "Namespace returned a token for workspace {}, not {asked}",
                one_line(claimed)
            )
        }));
    }
    let tenant = answer.tenant.clone().unwrap_or_default();
    if !tenant.tenant_id.is_empty() && tenant.tenant_id != asked {
        return Err(refused(format!(
            "Namespace's answer names workspace {}, not {asked}",
            one_line(&tenant.tenant_id)
        )));
    }
    if let Err(p) = token.check_not_expired(now) {
        return Err(refused(format!(
            "The tenant token Namespace returned cannot be used: {p}"
        )));
    }
    let expires_at = token
        .claims()
        .expires_at()
        .ok_or_else(|| refused("The tenant token Namespace returned has no expiry".into()))?;
    let name = one_line(&tenant.name);
    if name != tenant.name {
        tracing::warn!(
            "The workspace name Namespace returned holds control characters; they were replaced by spaces: {name}"
        );
    }
    Ok((token, expires_at, name))
}

/// `s` on one line: control characters (line breaks, escapes) become
/// spaces, so that a value from the network cannot add lines to a log, an
/// output or the job summary.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// The current token, when it belongs to the workspace and stays valid for
/// `ensure` more; otherwise why a new one is needed (one sentence, no secret).
/// Reads only local state: pre-flight uses it too.
pub fn still_valid(
    settings: &CognitoExchangeSettings,
    current_spec: Option<&SecretString>,
    ensure: Duration,
) -> Result<StillValid, String> {
    let (location, current) = match &settings.destination {
        TokenDestination::TokenFile(path) => (path.display().to_string(), read_token_json(path)),
        TokenDestination::WriteEnv(path) => (path.display().to_string(), read_env_file(path)),
        TokenDestination::Github | TokenDestination::Print => {
            let Some(spec) = current_spec else {
                return Err("NSC_TOKEN_SPEC is not set".to_string());
            };
            ("NSC_TOKEN_SPEC".to_string(), token_of_spec(spec))
        }
    };
    let in_location = |why: String| format!("The Namespace token in {location} {why}");
    let token = current.map_err(|why| match why {
        Unusable::Missing(what) => format!("{location} {what}"),
        Unusable::Bad(why) => in_location(why),
    })?;
    let claims = token.claims();
    if claims.tenant_id.as_deref() != Some(settings.tenant_id.as_str()) {
        return Err(in_location(format!(
            "belongs to another workspace than {}",
            settings.tenant_id
        )));
    }
    let expires_at = claims
        .expires_at()
        .ok_or_else(|| in_location("has no expiry".to_string()))?;
    if expires_at <= Timestamp::now() {
        return Err(in_location(format!("expired at {expires_at}")));
    }
    if expires_at.remaining() < ensure {
        return Err(in_location(format!(
            "expires at {expires_at}, within {} s",
            ensure.as_secs()
        )));
    }
    Ok(StillValid {
        location,
        expires_at,
        tenant_id: settings.tenant_id.to_string(),
        destination: settings.destination.clone(),
    })
}

/// Why there is no current token to keep.
enum Unusable {
    /// There is none ("does not exist", "holds no NSC_TOKEN_SPEC").
    Missing(String),
    /// There is one, and this is what is wrong with it.
    Bad(String),
}

fn read_small(path: &Path) -> Result<String, Unusable> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(Unusable::Missing("does not exist".to_string()))
        }
        Err(e) => Err(Unusable::Missing(format!("cannot be read ({e})"))),
    }
}

fn read_token_json(path: &Path) -> Result<NamespaceToken, Unusable> {
    let text = read_small(path)?;
    let secret =
        parse_token_json(&text).map_err(|p| Unusable::Bad(format!("cannot be used: {p}")))?;
    NamespaceToken::parse(&secret).map_err(|p| Unusable::Bad(format!("cannot be used: {p}")))
}

fn token_of_spec(spec: &SecretString) -> Result<NamespaceToken, Unusable> {
    match parse_token_spec(spec) {
        Ok(TokenSpec::Inline(t)) => {
            NamespaceToken::parse(&t).map_err(|p| Unusable::Bad(format!("cannot be used: {p}")))
        }
        Ok(TokenSpec::Metadata(_)) => Err(Unusable::Bad(
            "is fetched from a metadata URL, so its expiry is unknown".to_string(),
        )),
        Err(p) => Err(Unusable::Bad(format!("cannot be used: {p}"))),
    }
}

/// The token in a `--write-env` file as this tool writes it: `export
/// NSC_TOKEN_SPEC=…` (shell), `NSC_TOKEN_SPEC=…` (dotenv), or the JSON
/// object with `token_spec` / `bearer_token`.
fn read_env_file(path: &Path) -> Result<NamespaceToken, Unusable> {
    let text = read_small(path)?;
    let missing = || Unusable::Missing("holds no NSC_TOKEN_SPEC".to_string());
    if text.trim_start().starts_with('{') {
        #[derive(serde::Deserialize)]
        struct Json {
            token_spec: Option<SecretString>,
            bearer_token: Option<SecretString>,
        }
        let json: Json = serde_json::from_str(&text).map_err(|_| {
            Unusable::Bad("cannot be used: the file is not the expected JSON".into())
        })?;
        return match (json.bearer_token, json.token_spec) {
            (Some(token), _) => NamespaceToken::parse(&token)
                .map_err(|p| Unusable::Bad(format!("cannot be used: {p}"))),
            (None, Some(spec)) => token_of_spec(&spec),
            (None, None) => Err(missing()),
        };
    }
    // The last assignment wins, as in a shell.
    let value = text
        .lines()
        .rev()
        .find_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
            line.strip_prefix("NSC_TOKEN_SPEC=")
        })
        .ok_or_else(missing)?;
    // Shell lines quote a value with `'…'` when it needs it; a spec never does.
    let value = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .unwrap_or(value);
    token_of_spec(&SecretString::from(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespace::Tenant;
    use crate::namespace::token::tests::jwt;

    fn answer(
        prefix: &str,
        claims: serde_json::Value,
        tenant: Option<Tenant>,
    ) -> TenantTokenResponse {
        TenantTokenResponse {
            tenant_token: SecretString::from(format!("{prefix}{}", jwt(claims))),
            tenant,
        }
    }

    fn soon() -> u64 {
        Timestamp::now().unix_secs() + 3600
    }

    #[test]
    fn the_exchange_answer_must_be_a_current_tenant_token_of_the_workspace() {
        let now = Timestamp::now();
        let ok = answer(
            "nsct_",
            serde_json::json!({"tenant_id": "tnt_a", "exp": soon()}),
            Some(Tenant {
                tenant_id: "tnt_a".into(),
                name: "Team\nA\u{1b}[31m".into(),
                ..Tenant::default()
            }),
        );
        let (_, _, name) = check_answer(&ok, "tnt_a", now).unwrap();
        assert_eq!(name, "Team A [31m");

        let refused = |a: &TenantTokenResponse| match check_answer(a, "tnt_a", now) {
            Err(Error::Cognito(e)) if e.exit_code() == crate::error::exit::REFUSED => e.to_string(),
            other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
        };
        let other = answer(
            "nsct_",
            serde_json::json!({"tenant_id": "tnt_b", "exp": soon()}),
            None,
        );
        assert_eq!(
            refused(&other),
            "Namespace returned a token for workspace tnt_b, not tnt_a; nothing was written."
        );
        let unnamed = answer("nsct_", serde_json::json!({"exp": soon()}), None);
        assert!(refused(&unnamed).contains("names no workspace"));
        let session = answer(
            "st_",
            serde_json::json!({"tenant_id": "tnt_a", "exp": soon()}),
            None,
        );
        assert!(refused(&session).contains("a session token, not a tenant token"));
        let tenant_disagrees = answer(
            "nsct_",
            serde_json::json!({"tenant_id": "tnt_a", "exp": soon()}),
            Some(Tenant {
                tenant_id: "tnt_b".into(),
                ..Tenant::default()
            }),
        );
        assert!(refused(&tenant_disagrees).contains("names workspace tnt_b, not tnt_a"));
        let expired = answer(
            "nsct_",
            serde_json::json!({"tenant_id": "tnt_a", "exp": 1_000_000_000}),
            None,
        );
        assert!(refused(&expired).contains("expired at 2001-09-09T01:46:40Z"));
        let garbled = TenantTokenResponse {
            tenant_token: SecretString::from("nsct_garbled".to_string()),
            tenant: None,
        };
        assert!(matches!(
            check_answer(&garbled, "tnt_a", now),
            Err(Error::Cognito(e)) if matches!(*e, CognitoError::UnusableTenantToken { .. })
        ));
    }

    #[test]
    fn env_files_in_each_format_give_back_their_token() {
        use crate::sinks::nsc_token::token_spec;
        let dir = tempfile::tempdir().unwrap();
        let raw = format!(
            "nsct_{}",
            jwt(serde_json::json!({"tenant_id": "tnt_a", "exp": soon()}))
        );
        let spec = token_spec(&SecretString::from(raw.clone()));
        let spec = spec.expose_secret();
        let cases = [
            format!("export NSC_TOKEN_SPEC={spec}\n"),
            format!("export NSC_TOKEN_SPEC='{spec}'\n"),
            format!("OTHER=1\nNSC_TOKEN_SPEC={spec}\n"),
            serde_json::json!({"token_spec": spec, "tenant_id": "tnt_a"}).to_string(),
            serde_json::json!({"bearer_token": raw, "token_spec": "junk"}).to_string(),
        ];
        for (i, text) in cases.iter().enumerate() {
            let p = dir.path().join(format!("f{i}"));
            std::fs::write(&p, text).unwrap();
            let Ok(t) = read_env_file(&p) else {
                panic!("case {i} did not give a token")
            };
            assert!(t.secret().expose_secret() == raw, "case {i}: another token");
        }
        let p = dir.path().join("none");
        assert!(matches!(read_env_file(&p), Err(Unusable::Missing(w)) if w == "does not exist"));
        std::fs::write(&p, "export AWS_REGION=x\n").unwrap();
        assert!(
            matches!(read_env_file(&p), Err(Unusable::Missing(w)) if w == "holds no NSC_TOKEN_SPEC")
        );
    }
}
