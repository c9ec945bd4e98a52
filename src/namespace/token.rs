//! Namespace tokens, token specs and `token.json` files: parsing only.
//!
//! Claims are read from the JWT payload without verifying the signature
//! (Namespace verifies it); they tell us the tenant, the instance and `exp`,
//! so that an expired token is reported instead of sent.

use std::fmt;

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::timestamp::Timestamp;

/// What kind of Namespace token this is, by prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// `nsct_`: tenant token, used as a Bearer token as is.
    Tenant,
    /// `nscw_`: workload token (instances, runners), used as is.
    Workload,
    /// `st_`: session token from `nsc login`; exchanged for a tenant token first.
    Session,
    /// `nsrt_`: revocable API key; no claims, no expiry check.
    ApiKey,
}

impl TokenKind {
    fn from_token(s: &str) -> Option<(Self, &str)> {
        [
            ("nsct_", Self::Tenant),
            ("nscw_", Self::Workload),
            ("st_", Self::Session),
            ("nsrt_", Self::ApiKey),
        ]
        .into_iter()
        .find_map(|(prefix, kind)| s.strip_prefix(prefix).map(|rest| (kind, rest)))
    }

    /// A short name for log lines.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Tenant => "tenant token",
            Self::Workload => "workload token",
            Self::Session => "session token",
            Self::ApiKey => "API key",
        }
    }
}

/// Non-secret claims of a Namespace token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TokenClaims {
    /// The workspace.
    pub tenant_id: Option<String>,
    /// The instance (runner), when the token belongs to one.
    pub instance_id: Option<String>,
    /// The actor.
    pub actor_id: Option<String>,
    /// The owner.
    pub owner_id: Option<String>,
    /// The workspace's primary region.
    pub primary_region: Option<String>,
    /// The workload's region.
    pub workload_region: Option<String>,
    /// Expiry, seconds since the epoch (required for JWT kinds). A value no
    /// clock can hold (negative, past u64, > year 9999) reads as `u64::MAX`; a
    /// fraction is floored.
    #[serde(default, deserialize_with = "lenient_exp")]
    pub exp: Option<u64>,
}

impl TokenClaims {
    /// Expiry as a timestamp (clamped at year 9999; [`NamespaceToken::parse`] refuses more).
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.exp.map(Timestamp::from_unix_secs)
    }
}

/// Reads `exp` as any JSON number: whole seconds stay as they are, and a
/// JWT NumericDate with a fraction (`1.9e9`, `1900000000.5`, allowed by RFC
/// 7519) is floored; anything else (negative, not finite, not a number)
/// becomes `u64::MAX` so that a range check can name it instead of the
/// claims failing to parse as a whole.
fn lenient_exp<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v: Option<serde_json::Value> = Option::deserialize(d)?;
    Ok(match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => Some(n.as_u64().unwrap_or_else(|| {
            n.as_f64()
                // Below 2^64: the cast is exact after floor and does not saturate.
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
                .map_or(u64::MAX, |f| f.floor() as u64)
        })),
        Some(_) => Some(u64::MAX),
    })
}

/// Why a token (or spec, or token.json) cannot be used. Never holds the token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenProblem {
    /// Nothing there.
    #[error("it is empty")]
    Empty,
    /// Not one of the known prefixes.
    #[error(
        "it is not a Namespace token (expected a token starting with nsct_, nscw_, st_ or nsrt_)"
    )]
    UnknownPrefix,
    /// The part after the prefix is not a JWT with readable claims.
    #[error("it is not a well-formed Namespace token (its claims cannot be read: {0})")]
    BadClaims(String),
    /// No `exp` claim.
    #[error("it has no expiry (`exp` claim)")]
    MissingExp,
    /// An `exp` no clock can hold (past year 9999, negative, not a number).
    #[error("its exp claim is out of range (it must be seconds since 1970, before year 10000)")]
    ExpOutOfRange,
    /// Past its `exp`.
    #[error("it expired at {expired_at} (the local clock says {now})")]
    Expired {
        /// The token's `exp`.
        expired_at: Timestamp,
        /// The local clock when checked.
        now: Timestamp,
    },
    /// A token spec that cannot be decoded.
    #[error(
        "it is not a token spec (base64 of {{\"version\":\"v1\",\"inline_token\":…}} or metadata_url): {0}"
    )]
    BadSpec(String),
    /// A token.json that cannot be read.
    #[error("it is not a token.json ({{\"bearer_token\":…}} or {{\"session_token\":…}}): {0}")]
    BadTokenJson(String),
}

/// A Namespace token: the secret, its kind and its claims.
#[derive(Clone)]
pub struct NamespaceToken {
    secret: SecretString,
    kind: TokenKind,
    claims: TokenClaims,
}

impl fmt::Debug for NamespaceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamespaceToken")
            .field("kind", &self.kind)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl NamespaceToken {
    /// Parses a token string (surrounding whitespace ignored) and reads its claims.
    pub fn parse(token: &SecretString) -> Result<Self, TokenProblem> {
        let s = token.expose_secret().trim();
        if s.is_empty() {
            return Err(TokenProblem::Empty);
        }
        let (kind, rest) = TokenKind::from_token(s).ok_or(TokenProblem::UnknownPrefix)?;
        let claims = match kind {
            TokenKind::ApiKey => TokenClaims::default(),
            _ => {
                let claims: TokenClaims =
                    decode_jwt_payload(rest).map_err(TokenProblem::BadClaims)?;
                match claims.exp {
                    None => return Err(TokenProblem::MissingExp),
                    Some(exp) if Timestamp::try_from_unix_secs(exp).is_none() => {
                        return Err(TokenProblem::ExpOutOfRange);
                    }
                    Some(_) => {}
                }
                claims
            }
        };
        Ok(Self {
            secret: SecretString::from(s.to_string()),
            kind,
            claims,
        })
    }

    /// Refuses a token past its `exp` (API keys carry none).
    pub fn check_not_expired(&self, now: Timestamp) -> Result<(), TokenProblem> {
        match self.claims.expires_at() {
            Some(exp) if exp <= now => Err(TokenProblem::Expired {
                expired_at: exp,
                now,
            }),
            _ => Ok(()),
        }
    }

    /// The kind.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The claims (empty for API keys).
    pub fn claims(&self) -> &TokenClaims {
        &self.claims
    }

    /// The token, for an `Authorization: Bearer` header.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }
}

/// Decodes the payload of a JWT (`header.payload.signature`) without verifying it.
pub fn decode_jwt_payload<T: DeserializeOwned>(jwt: &str) -> Result<T, String> {
    let mut parts = jwt.split('.');
    let (Some(_header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not three dot-separated parts".to_string());
    };
    // JWTs use unpadded base64url; tolerate padding anyway.
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| "payload is not base64url".to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("payload is not the expected JSON: {e}"))
}

/// Where a token spec says the token is.
#[derive(Debug)]
pub enum TokenSpec {
    /// The token itself.
    Inline(SecretString),
    /// Fetch it from `{metadata_url}/workload_token`.
    Metadata(String),
}

/// Parses a token spec: standard base64 (padding optional) of
/// `{"version":"v1","metadata_url":"…","inline_token":"…"}`. ASCII
/// whitespace anywhere is ignored, as Go's decoder ignores line breaks
/// (`base64` wraps its output at 76 columns).
pub fn parse_token_spec(spec: &SecretString) -> Result<TokenSpec, TokenProblem> {
    #[derive(Deserialize)]
    struct Spec {
        version: Option<String>,
        metadata_url: Option<String>,
        inline_token: Option<SecretString>,
    }
    const STANDARD_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let text: String = spec
        .expose_secret()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if text.is_empty() {
        return Err(TokenProblem::Empty);
    }
    let bytes = STANDARD_ANY_PAD
        .decode(&text)
        .map_err(|_| TokenProblem::BadSpec("not base64".into()))?;
    let spec: Spec = serde_json::from_slice(&bytes)
        .map_err(|_| TokenProblem::BadSpec("not the expected JSON".into()))?;
    if let Some(token) = spec.inline_token.filter(|t| !t.expose_secret().is_empty()) {
        return Ok(TokenSpec::Inline(token));
    }
    if spec.version.as_deref() != Some("v1") {
        return Err(TokenProblem::BadSpec(format!(
            "version {:?} is not v1",
            spec.version.unwrap_or_default()
        )));
    }
    match spec.metadata_url.filter(|u| !u.is_empty()) {
        Some(url) => Ok(TokenSpec::Metadata(url)),
        None => Err(TokenProblem::BadSpec(
            "neither inline_token nor metadata_url is set".into(),
        )),
    }
}

/// Reads the token out of a `token.json`: a legacy `tenant_token` wins over
/// `bearer_token`, then `session_token`.
pub fn parse_token_json(text: &str) -> Result<SecretString, TokenProblem> {
    #[derive(Deserialize)]
    struct TokenJson {
        tenant_token: Option<SecretString>,
        bearer_token: Option<SecretString>,
        session_token: Option<SecretString>,
    }
    let json: TokenJson =
        serde_json::from_str(text).map_err(|e| TokenProblem::BadTokenJson(e.to_string()))?;
    [json.tenant_token, json.bearer_token, json.session_token]
        .into_iter()
        .flatten()
        .find(|t| !t.expose_secret().trim().is_empty())
        .ok_or_else(|| {
            TokenProblem::BadTokenJson("no tenant_token, bearer_token or session_token".into())
        })
}

/// Non-secret claims of a Namespace ID token, for explaining STS refusals.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct IdTokenClaims {
    /// Issuer.
    pub iss: Option<String>,
    /// Audience (a string or a list).
    pub aud: Option<serde_json::Value>,
    /// Subject (`<tenant_id>/…`).
    pub sub: Option<String>,
    /// Workspace.
    pub tenant_id: Option<String>,
    /// Expiry.
    #[serde(default, deserialize_with = "lenient_exp")]
    pub exp: Option<u64>,
}

impl IdTokenClaims {
    /// The audience as text.
    pub fn aud_text(&self) -> String {
        match &self.aud {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => "(none)".to_string(),
        }
    }
}

/// An OIDC ID token issued by Namespace for AWS.
#[derive(Clone)]
pub struct IdToken(SecretString);

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdToken([REDACTED])")
    }
}

impl IdToken {
    /// Wraps the JWT.
    pub fn new(jwt: SecretString) -> Self {
        Self(jwt)
    }

    /// The JWT, to hand to STS.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    /// The non-secret claims, when readable.
    pub fn claims(&self) -> Option<IdTokenClaims> {
        decode_jwt_payload(self.0.expose_secret()).ok()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

    /// An unsigned JWT with `claims`, for tests.
    pub fn jwt(claims: serde_json::Value) -> String {
        let enc = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.sig",
            enc(&serde_json::json!({"alg":"RS256"})),
            enc(&claims)
        )
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[test]
    fn kinds_by_prefix_and_claims() {
        let exp = Timestamp::now().unix_secs() + 600;
        let t = NamespaceToken::parse(&secret(&format!(
            "nsct_{}\n",
            jwt(serde_json::json!({"tenant_id":"tnt_1","instance_id":"i1","exp":exp}))
        )))
        .unwrap();
        assert_eq!(t.kind(), TokenKind::Tenant);
        assert_eq!(t.claims().tenant_id.as_deref(), Some("tnt_1"));
        assert_eq!(t.claims().instance_id.as_deref(), Some("i1"));
        assert!(t.check_not_expired(Timestamp::now()).is_ok());
        assert!(!t.secret().expose_secret().ends_with('\n'));
        assert!(!format!("{t:?}").contains("nsct_"));

        let w = format!(
            "nscw_{}",
            jwt(serde_json::json!({"tenant_id":"t","exp":exp}))
        );
        assert_eq!(
            NamespaceToken::parse(&secret(&w)).unwrap().kind(),
            TokenKind::Workload
        );
        let s = format!("st_{}", jwt(serde_json::json!({"tenant_id":"t","exp":exp})));
        assert_eq!(
            NamespaceToken::parse(&secret(&s)).unwrap().kind(),
            TokenKind::Session
        );
        let k = NamespaceToken::parse(&secret("nsrt_opaque")).unwrap();
        assert_eq!(k.kind(), TokenKind::ApiKey);
        assert!(k.check_not_expired(Timestamp::now()).is_ok());
    }

    #[test]
    fn malformed_and_expired_tokens_are_refused() {
        assert_eq!(
            NamespaceToken::parse(&secret("  ")).unwrap_err(),
            TokenProblem::Empty
        );
        assert_eq!(
            NamespaceToken::parse(&secret("ghp_abc")).unwrap_err(),
            TokenProblem::UnknownPrefix
        );
        assert!(matches!(
            NamespaceToken::parse(&secret("nsct_notajwt")).unwrap_err(),
            TokenProblem::BadClaims(_)
        ));
        let no_exp = format!("nsct_{}", jwt(serde_json::json!({"tenant_id":"t"})));
        assert_eq!(
            NamespaceToken::parse(&secret(&no_exp)).unwrap_err(),
            TokenProblem::MissingExp
        );
        let old = format!(
            "nsct_{}",
            jwt(serde_json::json!({"tenant_id":"t","exp":1_000_000_000}))
        );
        let t = NamespaceToken::parse(&secret(&old)).unwrap();
        let err = t.check_not_expired(Timestamp::now()).unwrap_err();
        assert!(
            err.to_string().contains("expired at 2001-09-09T01:46:40Z"),
            "{err}"
        );
        assert!(err.to_string().contains("local clock"));
    }

    #[test]
    fn token_specs_with_and_without_padding() {
        let json = r#"{"version":"v1","inline_token":"nsct_x"}"#;
        for enc in [STANDARD.encode(json), STANDARD_NO_PAD.encode(json)] {
            let TokenSpec::Inline(t) = parse_token_spec(&secret(&enc)).unwrap() else {
                panic!("inline")
            };
            assert!(t.expose_secret() == "nsct_x");
        }
        let meta =
            STANDARD_NO_PAD.encode(r#"{"version":"v1","metadata_url":"http://127.0.0.1:1/meta"}"#);
        assert!(
            matches!(parse_token_spec(&secret(&meta)).unwrap(), TokenSpec::Metadata(u) if u == "http://127.0.0.1:1/meta")
        );
        let v2 = STANDARD_NO_PAD.encode(r#"{"version":"v2","metadata_url":"x"}"#);
        assert!(parse_token_spec(&secret(&v2)).is_err());
        assert!(parse_token_spec(&secret("!!!")).is_err());
    }

    #[test]
    fn token_specs_wrapped_by_base64_still_parse() {
        let json = format!(
            r#"{{"version":"v1","inline_token":"nsct_{}"}}"#,
            "x".repeat(120)
        );
        let enc = STANDARD.encode(&json);
        // `base64` wraps at 76 columns; Windows tools add \r\n.
        let wrapped: String = enc
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n");
        for spec in [
            wrapped.clone(),
            format!(" {wrapped}\n"),
            format!("\u{feff}{wrapped}"),
        ] {
            let TokenSpec::Inline(t) = parse_token_spec(&secret(&spec)).expect("wrapped spec")
            else {
                panic!("inline")
            };
            assert!(t.expose_secret().starts_with("nsct_x"), "token differs");
        }
    }

    #[test]
    fn absurd_exp_is_refused_without_panicking() {
        for exp in [
            serde_json::json!(18446744073709551615u64),
            serde_json::json!(253402300800u64),
            serde_json::json!(1e30),
            serde_json::json!(-5),
            serde_json::json!("soon"),
        ] {
            let t = format!(
                "nsct_{}",
                jwt(serde_json::json!({"tenant_id":"t","exp":exp}))
            );
            let err = NamespaceToken::parse(&secret(&t)).unwrap_err();
            assert_eq!(err, TokenProblem::ExpOutOfRange, "{exp}");
            assert!(err.to_string().contains("exp claim is out of range"));
        }
    }

    #[test]
    fn fractional_exp_is_floored() {
        let soon = Timestamp::now().unix_secs() + 600;
        for (exp, want) in [
            (serde_json::json!(1.9e9), 1_900_000_000u64),
            (serde_json::json!(1_900_000_000.75), 1_900_000_000),
            (serde_json::json!(soon as f64 + 0.5), soon),
        ] {
            let t = format!(
                "nsct_{}",
                jwt(serde_json::json!({"tenant_id":"t","exp":exp}))
            );
            let parsed = NamespaceToken::parse(&secret(&t)).expect("fractional exp accepted");
            assert_eq!(parsed.claims().exp, Some(want), "{exp}");
        }
        for exp in [serde_json::json!(-1.5), serde_json::json!(1e300)] {
            let t = format!(
                "nsct_{}",
                jwt(serde_json::json!({"tenant_id":"t","exp":exp}))
            );
            assert_eq!(
                NamespaceToken::parse(&secret(&t)).unwrap_err(),
                TokenProblem::ExpOutOfRange,
                "{exp}"
            );
        }
    }

    #[test]
    fn token_json_precedence() {
        let t = parse_token_json(r#"{"bearer_token":"b","tenant_token":"t"}"#).unwrap();
        assert!(t.expose_secret() == "t");
        let t = parse_token_json(r#"{"bearer_token":"b"}"#).unwrap();
        assert!(t.expose_secret() == "b");
        let t = parse_token_json(r#"{"session_token":"st_x"}"#).unwrap();
        assert!(t.expose_secret() == "st_x");
        assert!(parse_token_json("{}").is_err());
        assert!(parse_token_json("nope").is_err());
    }
}
