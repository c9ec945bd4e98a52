//! Where the Namespace token comes from: a chain of small sources, tried in
//! order, in the shape of aws-config's credential provider chain.
//!
//! A source that finds a token ends the search; one with nothing for us
//! ([`Lookup::NotHere`]) passes to the next with its reason; one that fails
//! for real (a named file that cannot be read, a malformed or expired token)
//! stops the chain with that error. When no source has a token, the error
//! lists every source with its reason.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Instant;

use secrecy::SecretString;

use super::NamespaceError;
use super::client::NamespaceClient;
use super::token::{NamespaceToken, TokenProblem, TokenSpec, parse_token_json, parse_token_spec};
use crate::config::{Endpoint, Origin, TokenSourceSettings};
use crate::timestamp::Timestamp;

/// The audience GitHub's OIDC token must have for `ExchangeGithubToken`.
pub const GITHUB_OIDC_AUDIENCE: &str = "nscloud.dev/inline-token";

/// What one source has to say.
pub enum Lookup {
    /// A token (not yet parsed or checked).
    Found(SecretString),
    /// Nothing here; the reason goes into the "nothing found" list.
    NotHere(String),
}

/// A future returned by a source (the run is single-threaded: no `Send`).
pub type LookupFuture<'a> = Pin<Box<dyn Future<Output = Result<Lookup, TokenError>> + 'a>>;

/// One place a Namespace token may be.
pub trait TokenSource {
    /// The name shown in logs and errors (`NSC_TOKEN_FILE`, `input namespace-token`).
    fn name(&self) -> String;
    /// Looks for a token.
    fn lookup<'a>(&'a self, client: &'a NamespaceClient) -> LookupFuture<'a>;
}

/// Why no usable Namespace token was obtained.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No source had a token.
    #[error("{}", not_found_message(tried))]
    NotFound {
        /// Each source tried, with its reason.
        tried: Vec<(String, String)>,
        /// Under GitHub Actions (mention `permissions: id-token: write`).
        under_github: bool,
        /// A missing NSC_TOKEN_FILE/NSC_TOKEN_SPEC_FILE inside the Docker action.
        host_path_missing_in_container: bool,
    },
    /// A token was found but cannot be used (malformed, expired).
    #[error("The Namespace token from {source_name} cannot be used: {problem}.")]
    Unusable {
        /// Where it came from.
        source_name: String,
        /// What is wrong.
        problem: TokenProblem,
    },
    /// A file that was named explicitly cannot be read.
    #[error("Cannot read the Namespace token file {} ({source_name}): {detail}.", path.display())]
    Unreadable {
        /// Which source named it.
        source_name: String,
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// Fetching or exchanging the token failed.
    #[error("Getting a Namespace token from {source_name} failed: {error}")]
    Fetch {
        /// Which source.
        source_name: String,
        /// The failure.
        error: NamespaceError,
    },
    /// A URL that a secret would be sent to is not acceptable.
    #[error("{source_name}: {detail}")]
    Insecure {
        /// Which source.
        source_name: String,
        /// Why.
        detail: String,
    },
}

fn not_found_message(tried: &[(String, String)]) -> String {
    let mut s = String::from("No Namespace token found. Tried, in order:");
    for (name, reason) in tried {
        s.push_str(&format!("\n  - {name}: {reason}"));
    }
    s
}

impl TokenError {
    /// What to do next.
    pub fn hint(&self) -> String {
        match self {
            Self::NotFound { under_github: true, host_path_missing_in_container, .. } => {
                let mut s = String::from(
                    "Give the job `permissions: id-token: write` (GitHub OIDC is then traded with Namespace), or pass a token with the `namespace-token` input from a secret, or set NSC_TOKEN_SPEC.",
                );
                if *host_path_missing_in_container {
                    s.push_str(" Host paths such as /var/run/nsc are not visible inside the Docker action: pass the token's value, not its path.");
                }
                s
            }
            Self::NotFound { .. } => {
                "Run `nsc login`, or pass --namespace-token-file / NSC_TOKEN_SPEC / NSC_TOKEN_FILE.".to_string()
            }
            Self::Unusable { problem: TokenProblem::Expired { .. }, .. } => {
                "Get a fresh token (`nsc login`, or a new token from the workspace) and run again; if it should still be valid, check this machine's clock.".to_string()
            }
            Self::Unusable { .. } => {
                "Pass a Namespace token (nsct_…, nscw_…, st_… or nsrt_…), a token.json or a token spec, without extra quoting.".to_string()
            }
            Self::Unreadable { .. } => "Check the path and its permissions, or pass the token another way.".to_string(),
            Self::Fetch { error, .. } => error.hint(),
            Self::Insecure { .. } => "Use an https:// URL.".to_string(),
        }
    }

    /// Whether the problem is ours to fix before anything is sent (exit 2).
    pub fn is_input_problem(&self) -> bool {
        !matches!(self, Self::Fetch { .. })
    }
}

/// A token and where it was found.
#[derive(Debug)]
pub struct FoundToken {
    /// The token.
    pub token: NamespaceToken,
    /// The source's name.
    pub source: String,
}

/// The sources, in order.
pub struct TokenChain {
    sources: Vec<Box<dyn TokenSource>>,
}

impl fmt::Debug for TokenChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.sources.iter().map(|s| s.name()))
            .finish()
    }
}

impl TokenChain {
    /// A chain that starts with `source`.
    pub fn first_try(source: impl TokenSource + 'static) -> Self {
        Self {
            sources: vec![Box::new(source)],
        }
    }

    /// Adds a source after the others.
    pub fn or_else(mut self, source: impl TokenSource + 'static) -> Self {
        self.sources.push(Box::new(source));
        self
    }

    /// The chain DESIGN.md describes, in its order.
    pub fn from_settings(s: &TokenSourceSettings) -> (Self, ChainContext) {
        let (token_name, file_name) = if s.in_action_container {
            ("input `namespace-token`", "input `namespace-token-file`")
        } else {
            ("--namespace-token", "--namespace-token-file")
        };
        let chain = Self::first_try(ExplicitToken(s.explicit_token.clone(), token_name))
            .or_else(ExplicitFile(s.explicit_file.clone(), file_name))
            .or_else(SpecEnv(s.spec.clone()))
            .or_else(EnvFile {
                var: "NSC_TOKEN_SPEC_FILE",
                path: s.spec_file.clone(),
                in_container: s.in_action_container,
            })
            .or_else(EnvFile {
                var: "NSC_TOKEN_FILE",
                path: s.token_file.clone(),
                in_container: s.in_action_container,
            })
            .or_else(RunnerToken {
                path: s.runner_token_path.clone(),
                in_container: s.in_action_container,
            })
            .or_else(GithubOidc {
                url: s.github_oidc_url.clone(),
                request_token: s.github_oidc_request_token.clone(),
                under_github: s.under_github,
            })
            .or_else(UserLogin(s.user_login_paths.clone()));
        let ctx = ChainContext {
            under_github: s.under_github,
            env_file_missing_in_container: s.in_action_container
                && [&s.spec_file, &s.token_file]
                    .into_iter()
                    .flatten()
                    .any(|p| !p.exists()),
        };
        (chain, ctx)
    }

    /// Tries each source in order; parses and checks the first token found.
    pub async fn resolve(
        &self,
        client: &NamespaceClient,
        ctx: &ChainContext,
    ) -> Result<FoundToken, TokenError> {
        let mut tried = Vec::new();
        for source in &self.sources {
            let name = source.name();
            let started = Instant::now();
            match source.lookup(client).await? {
                Lookup::NotHere(reason) => {
                    tracing::debug!("Namespace token source {name}: {reason}");
                    tried.push((name, reason));
                }
                Lookup::Found(secret) => {
                    let unusable = |problem| TokenError::Unusable {
                        source_name: name.clone(),
                        problem,
                    };
                    let token = NamespaceToken::parse(&secret).map_err(unusable)?;
                    token
                        .check_not_expired(Timestamp::now())
                        .map_err(unusable)?;
                    crate::secrets::register(token.secret());
                    let tenant = token
                        .claims()
                        .tenant_id
                        .as_deref()
                        .map(|t| format!(", workspace {t}"))
                        .unwrap_or_default();
                    tracing::info!(
                        "Using the Namespace {} from {name}{tenant} ({} ms)",
                        token.kind().describe(),
                        started.elapsed().as_millis()
                    );
                    return Ok(FoundToken {
                        token,
                        source: name,
                    });
                }
            }
        }
        Err(TokenError::NotFound {
            tried,
            under_github: ctx.under_github,
            host_path_missing_in_container: ctx.env_file_missing_in_container,
        })
    }
}

/// Facts about the run that shape the "nothing found" error.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChainContext {
    /// Under GitHub Actions.
    pub under_github: bool,
    /// NSC_TOKEN_FILE / NSC_TOKEN_SPEC_FILE name a file missing inside the Docker action.
    pub env_file_missing_in_container: bool,
}

fn ready<'a>(r: Result<Lookup, TokenError>) -> LookupFuture<'a> {
    Box::pin(std::future::ready(r))
}

/// Reads a small text file; Ok(None) when it does not exist.
fn read_small(path: &Path) -> std::io::Result<Option<String>> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    const LIMIT: u64 = 1 << 20;
    let mut text = String::new();
    // One byte past the limit tells a large file from one that fits.
    file.take(LIMIT + 1).read_to_string(&mut text)?;
    if text.len() as u64 > LIMIT {
        return Err(std::io::Error::other(
            "it is larger than 1 MiB, far more than any token",
        ));
    }
    // Editors on Windows start UTF-8 files with a byte-order mark; it is not part of the token.
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        text = rest.to_string();
    }
    Ok(Some(text))
}

/// What a token file holds: token.json, a raw token, or a token spec.
enum FileContent {
    Token(SecretString),
    Spec(TokenSpec),
}

fn classify_file(text: &str) -> Result<FileContent, TokenProblem> {
    let t = text.trim();
    if t.starts_with('{') {
        return parse_token_json(t).map(FileContent::Token);
    }
    if ["nsct_", "nscw_", "st_", "nsrt_"]
        .iter()
        .any(|p| t.starts_with(p))
    {
        return Ok(FileContent::Token(SecretString::from(t.to_string())));
    }
    parse_token_spec(&SecretString::from(t.to_string())).map(FileContent::Spec)
}

/// Resolves a token spec to a token (fetching from the metadata URL when needed).
async fn from_spec(
    spec: TokenSpec,
    name: &str,
    client: &NamespaceClient,
) -> Result<Lookup, TokenError> {
    match spec {
        TokenSpec::Inline(t) => Ok(Lookup::Found(t)),
        TokenSpec::Metadata(url) => {
            let started = Instant::now();
            let token =
                client
                    .fetch_workload_token(&url)
                    .await
                    .map_err(|error| TokenError::Fetch {
                        source_name: name.to_string(),
                        error,
                    })?;
            tracing::info!(
                "Fetched the workload token from the metadata service ({} ms)",
                started.elapsed().as_millis()
            );
            Ok(Lookup::Found(token))
        }
    }
}

async fn from_file_text(
    text: &str,
    name: &str,
    client: &NamespaceClient,
) -> Result<Lookup, TokenError> {
    match classify_file(text) {
        Ok(FileContent::Token(t)) => Ok(Lookup::Found(t)),
        Ok(FileContent::Spec(spec)) => from_spec(spec, name, client).await,
        Err(problem) => Err(TokenError::Unusable {
            source_name: name.to_string(),
            problem,
        }),
    }
}

/// 1. `namespace-token` input / `--namespace-token`.
struct ExplicitToken(Option<(SecretString, Origin)>, &'static str);

impl TokenSource for ExplicitToken {
    fn name(&self) -> String {
        match &self.0 {
            Some((_, origin)) => origin.to_string(),
            None => self.1.to_string(),
        }
    }
    fn lookup<'a>(&'a self, _: &'a NamespaceClient) -> LookupFuture<'a> {
        ready(Ok(match &self.0 {
            Some((t, _)) => Lookup::Found(t.clone()),
            None => Lookup::NotHere("not given".into()),
        }))
    }
}

/// 2. `namespace-token-file` input / `--namespace-token-file`: named explicitly, so a missing file is an error.
struct ExplicitFile(Option<(PathBuf, Origin)>, &'static str);

impl TokenSource for ExplicitFile {
    fn name(&self) -> String {
        match &self.0 {
            Some((_, origin)) => origin.to_string(),
            None => self.1.to_string(),
        }
    }
    fn lookup<'a>(&'a self, client: &'a NamespaceClient) -> LookupFuture<'a> {
        Box::pin(async move {
            let Some((path, _)) = &self.0 else {
                return Ok(Lookup::NotHere("not given".into()));
            };
            let name = self.name();
            let unreadable = |detail: String| TokenError::Unreadable {
                source_name: name.clone(),
                path: path.clone(),
                detail,
            };
            match read_small(path) {
                Ok(Some(text)) => from_file_text(&text, &name, client).await,
                Ok(None) => Err(unreadable("no such file".into())),
                Err(e) => Err(unreadable(e.to_string())),
            }
        })
    }
}

/// 3. `NSC_TOKEN_SPEC`: an inline token spec.
struct SpecEnv(Option<SecretString>);

impl TokenSource for SpecEnv {
    fn name(&self) -> String {
        "NSC_TOKEN_SPEC".to_string()
    }
    fn lookup<'a>(&'a self, client: &'a NamespaceClient) -> LookupFuture<'a> {
        Box::pin(async move {
            let Some(spec) = &self.0 else {
                return Ok(Lookup::NotHere("not set".into()));
            };
            let spec = parse_token_spec(spec).map_err(|problem| TokenError::Unusable {
                source_name: self.name(),
                problem,
            })?;
            from_spec(spec, "NSC_TOKEN_SPEC", client).await
        })
    }
}

/// 4./5. `NSC_TOKEN_SPEC_FILE`, `NSC_TOKEN_FILE`: a file named by an environment variable.
///
/// On a host the variable was set for this machine, so a missing file stops
/// the chain: a typo must not quietly switch to another source (and maybe
/// another workspace). Inside the Docker action a host path is expected to
/// be missing (the job's env reaches the container, its files do not), so
/// there it passes to the next source, with a warning and a reason that
/// says why.
struct EnvFile {
    var: &'static str,
    path: Option<PathBuf>,
    in_container: bool,
}

impl TokenSource for EnvFile {
    fn name(&self) -> String {
        self.var.to_string()
    }
    fn lookup<'a>(&'a self, client: &'a NamespaceClient) -> LookupFuture<'a> {
        Box::pin(async move {
            let Some(path) = &self.path else {
                return Ok(Lookup::NotHere("not set".into()));
            };
            match read_small(path) {
                Ok(Some(text)) => from_file_text(&text, self.var, client).await,
                Ok(None) if self.in_container => {
                    tracing::warn!(
                        "{} names {}, which does not exist inside this container; trying the next token source",
                        self.var,
                        path.display()
                    );
                    Ok(Lookup::NotHere(format!(
                        "names {}, which does not exist inside this container: host paths such as /var/run/nsc are not visible inside the Docker action (pass the token with the `namespace-token` input from a secret, or NSC_TOKEN_SPEC)",
                        path.display()
                    )))
                }
                Ok(None) => Err(TokenError::Unreadable {
                    source_name: self.var.to_string(),
                    path: path.clone(),
                    detail: format!(
                        "no such file (so no later source was tried: fix or unset {})",
                        self.var
                    ),
                }),
                Err(e) => Err(TokenError::Unreadable {
                    source_name: self.var.to_string(),
                    path: path.clone(),
                    detail: e.to_string(),
                }),
            }
        })
    }
}

/// 6. The runner's workload token, `/var/run/nsc/token.json` (host mode).
struct RunnerToken {
    path: PathBuf,
    in_container: bool,
}

impl TokenSource for RunnerToken {
    fn name(&self) -> String {
        self.path.display().to_string()
    }
    fn lookup<'a>(&'a self, client: &'a NamespaceClient) -> LookupFuture<'a> {
        Box::pin(async move {
            match read_small(&self.path) {
                Ok(Some(text)) => from_file_text(&text, &self.name(), client).await,
                Ok(None) if self.in_container => Ok(Lookup::NotHere(
                    "not present (host paths are not mounted into the Docker action)".into(),
                )),
                Ok(None) => Ok(Lookup::NotHere(
                    "not present (only on Namespace instances and runners)".into(),
                )),
                Err(e) => Ok(Lookup::NotHere(format!("not readable: {e}"))),
            }
        })
    }
}

/// 7. GitHub Actions OIDC, traded with `ExchangeGithubToken`.
struct GithubOidc {
    url: Option<String>,
    request_token: Option<SecretString>,
    under_github: bool,
}

impl TokenSource for GithubOidc {
    fn name(&self) -> String {
        "GitHub Actions OIDC".to_string()
    }
    fn lookup<'a>(&'a self, client: &'a NamespaceClient) -> LookupFuture<'a> {
        Box::pin(async move {
            let (Some(url), Some(request_token)) = (&self.url, &self.request_token) else {
                if !self.under_github {
                    return Ok(Lookup::NotHere("not running under GitHub Actions".into()));
                }
                return Ok(Lookup::NotHere(
                    "ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set (GitHub sets them only when the job has `permissions: id-token: write`)".into(),
                ));
            };
            // The request token is a secret: only over https, or http to loopback.
            Endpoint::parse(url).map_err(|e| TokenError::Insecure {
                source_name: self.name(),
                detail: format!("ACTIONS_ID_TOKEN_REQUEST_URL: {}", e.problem),
            })?;
            let fetch = |error| TokenError::Fetch {
                source_name: self.name(),
                error,
            };
            crate::secrets::register(request_token);
            let started = Instant::now();
            let github_token = client
                .fetch_github_oidc_token(url, request_token, GITHUB_OIDC_AUDIENCE)
                .await
                .map_err(fetch)?;
            tracing::info!(
                "Got a GitHub OIDC token ({} ms)",
                started.elapsed().as_millis()
            );
            let started = Instant::now();
            let resp = client
                .exchange_github_token(&github_token)
                .await
                .map_err(fetch)?;
            let workspace = resp
                .tenant
                .as_ref()
                .map(|t| format!(" for workspace {}", t.tenant_id))
                .unwrap_or_default();
            tracing::info!(
                "Traded it with Namespace for a tenant token{workspace} ({} ms)",
                started.elapsed().as_millis()
            );
            Ok(Lookup::Found(resp.tenant_token))
        })
    }
}

/// 8. The user's `nsc login`.
struct UserLogin(Vec<PathBuf>);

impl TokenSource for UserLogin {
    fn name(&self) -> String {
        "nsc login".to_string()
    }
    fn lookup<'a>(&'a self, client: &'a NamespaceClient) -> LookupFuture<'a> {
        Box::pin(async move {
            for path in &self.0 {
                match read_small(path) {
                    Ok(Some(text)) => {
                        let name = format!("nsc login ({})", path.display());
                        return from_file_text(&text, &name, client).await;
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        return Err(TokenError::Unreadable {
                            source_name: self.name(),
                            path: path.clone(),
                            detail: e.to_string(),
                        });
                    }
                }
            }
            let places: Vec<String> = self.0.iter().map(|p| p.display().to_string()).collect();
            Ok(Lookup::NotHere(if places.is_empty() {
                "neither XDG_CONFIG_HOME nor HOME is set".into()
            } else {
                format!("no {}", places.join(" or "))
            }))
        })
    }
}
