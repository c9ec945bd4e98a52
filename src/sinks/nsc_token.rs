//! Handing a Namespace tenant token over: as an inline token spec
//! (`NSC_TOKEN_SPEC`, exported masked under GitHub, or printed), or as the
//! `token.json` that `nsc` reads (0600, atomic, its `token.cache` removed).
//! Also the printing of `aws trust-policy`.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::{Handover, SinkError, Value, Var, file};
use crate::flows::{ExchangedToken, StillValid};

/// The inline token spec of `token`: standard base64 without padding of
/// `{"version":"v1","inline_token":"…"}`, as `nsc` reads `NSC_TOKEN_SPEC`.
pub fn token_spec(token: &SecretString) -> SecretString {
    #[derive(Serialize)]
    struct Spec<'a> {
        version: &'static str,
        inline_token: &'a str,
    }
    let json = serde_json::to_string(&Spec {
        version: "v1",
        inline_token: token.expose_secret(),
    })
    .expect("a struct of strings serializes");
    SecretString::from(STANDARD_NO_PAD.encode(json))
}

/// Describes the token for the GitHub, shell, dotenv and json formats.
pub fn handover(t: &ExchangedToken) -> Handover {
    let secret = |name: &'static str, s: SecretString| Var {
        name,
        value: Value::Secret(s),
    };
    let plain = |name: &'static str, s: &str| Var {
        name,
        value: Value::Plain(s.to_string()),
    };
    let spec = token_spec(t.token.secret());
    let expiration = t.expires_at.rfc3339();
    let workspace = if t.workspace_name.is_empty() {
        t.tenant_id.clone()
    } else {
        format!("{} ({})", t.workspace_name, t.tenant_id)
    };
    Handover {
        env: vec![secret("NSC_TOKEN_SPEC", spec.clone())],
        outputs: vec![
            plain("tenant-id", &t.tenant_id),
            plain("workspace-name", &t.workspace_name),
            plain("namespace-token-expiration", &expiration),
        ],
        // The raw token too: a later step may print it decoded from the spec.
        extra_masks: vec![t.token.secret().expose_secret().to_string()],
        json: vec![
            secret("token_spec", spec),
            secret("bearer_token", t.token.secret().clone()),
            plain("tenant_id", &t.tenant_id),
            plain("workspace_name", &t.workspace_name),
            plain("expiration", &expiration),
        ],
        credential_process: None,
        summary_title: "ns-federate: got a Namespace token".into(),
        summary: vec![
            ("Workspace", workspace.clone()),
            ("Identity pool", t.pool.to_string()),
            ("Expires", expiration),
        ],
        log_line: format!("Exported a Namespace token for workspace {workspace}"),
    }
}

/// The step outputs for a current token that stays (`ensure-valid-for`):
/// workspace and expiry from its claims. The workspace's name is not in the
/// token, so `workspace-name` is not among them.
pub fn still_valid_outputs(v: &StillValid) -> Vec<Var> {
    vec![
        Var {
            name: "tenant-id",
            value: Value::Plain(v.tenant_id.clone()),
        },
        Var {
            name: "namespace-token-expiration",
            value: Value::Plain(v.expires_at.rfc3339()),
        },
    ]
}

/// Writes `{"bearer_token":"…"}` to `path` as `nsc` does: the directory
/// created 0700 when missing, the file 0600 through a temporary file and a
/// rename (a failure leaves the old file whole), then the sibling
/// `token.cache` removed so that `nsc` does not keep using an older token.
pub fn write_token_json(t: &ExchangedToken, path: &Path) -> Result<(), SinkError> {
    let fail = |detail: String| SinkError::Write {
        what: "the token file",
        path: path.to_path_buf(),
        detail,
    };
    file::create_private_parent(path).map_err(fail)?;
    #[derive(Serialize)]
    struct TokenJson<'a> {
        bearer_token: &'a str,
    }
    let json = serde_json::to_string(&TokenJson {
        bearer_token: t.token.secret().expose_secret(),
    })
    .expect("a struct of strings serializes");
    file::write_atomic(path, json.as_bytes()).map_err(fail)?;
    if path.file_name().is_some_and(|n| n == "token.json") {
        let cache = path.with_file_name("token.cache");
        match std::fs::remove_file(&cache) {
            Ok(()) => tracing::debug!("Removed {}", cache.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("Could not remove {}: {e}", cache.display()),
        }
    }
    tracing::info!(
        "Wrote the Namespace token for workspace {} (valid until {}) to {}",
        t.tenant_id,
        t.expires_at,
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespace::token::{TokenSpec, parse_token_spec};

    #[test]
    fn spec_is_unpadded_standard_base64_of_v1_inline() {
        let token = SecretString::from("nsct_abc.def-ghi".to_string());
        let spec = token_spec(&token);
        let text = spec.expose_secret();
        assert!(!text.ends_with('='));
        let json = STANDARD_NO_PAD.decode(text).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["version"], "v1");
        assert!(v["inline_token"] == "nsct_abc.def-ghi");
        let TokenSpec::Inline(back) = parse_token_spec(&spec).unwrap() else {
            panic!("inline spec expected")
        };
        assert!(back.expose_secret() == "nsct_abc.def-ghi");
    }
}
