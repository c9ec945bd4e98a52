//! A flow's result described for the sinks: what to export, what to set as
//! outputs, what to summarize, what to put in JSON.

use secrecy::{ExposeSecret, SecretString};

use crate::config::GithubSettings;
use crate::flows::AssumedRole;
use crate::flows::web_identity::WebIdentity;

/// A value handed over: secret (masked, never logged) or plain.
#[derive(Clone)]
pub enum Value {
    /// A secret.
    Secret(SecretString),
    /// Not secret.
    Plain(String),
    /// A number (JSON only).
    Number(i64),
}

impl Value {
    /// The text, for the sink that writes it.
    pub fn expose(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Self::Secret(s) => s.expose_secret().into(),
            Self::Plain(s) => s.as_str().into(),
            Self::Number(n) => n.to_string().into(),
        }
    }

    /// Whether it must be masked.
    pub fn is_secret(&self) -> bool {
        matches!(self, Self::Secret(_))
    }
}

/// A named value.
#[derive(Clone)]
pub struct Var {
    /// The name (environment variable or output name).
    pub name: &'static str,
    /// The value.
    pub value: Value,
}

fn secret(name: &'static str, s: &SecretString) -> Var {
    Var {
        name,
        value: Value::Secret(s.clone()),
    }
}

fn plain(name: &'static str, s: impl Into<String>) -> Var {
    Var {
        name,
        value: Value::Plain(s.into()),
    }
}

/// Everything a sink may need to say about a result.
pub struct Handover {
    /// Environment variables for later steps, in order.
    pub env: Vec<Var>,
    /// GitHub step outputs (only names declared in action.yml).
    pub outputs: Vec<Var>,
    /// Non-secret values to mask as well (the account id, when asked).
    pub extra_masks: Vec<String>,
    /// Fields of the `json` format.
    pub json: Vec<Var>,
    /// Fields of the `credential-process` format, when the result is AWS credentials.
    pub credential_process: Option<Vec<Var>>,
    /// Job summary heading.
    pub summary_title: String,
    /// Job summary rows (nothing secret).
    pub summary: Vec<(&'static str, String)>,
    /// One log line saying what was handed over ("Exported AWS credentials for …").
    pub log_line: String,
}

/// Describes assumed-role credentials.
pub fn assumed_role(a: &AssumedRole, github: &GithubSettings) -> Handover {
    let c = &a.credentials;
    let expiration = c.expiration.rfc3339();
    let mut env = vec![
        secret("AWS_ACCESS_KEY_ID", &c.access_key_id),
        secret("AWS_SECRET_ACCESS_KEY", &c.secret_access_key),
        secret("AWS_SESSION_TOKEN", &c.session_token),
        plain("AWS_CREDENTIAL_EXPIRATION", expiration.clone()),
    ];
    if let Some(region) = &github.export_region {
        env.push(plain("AWS_REGION", region.as_str()));
        env.push(plain("AWS_DEFAULT_REGION", region.as_str()));
    }
    let mut outputs = vec![
        plain("aws-account-id", a.account_id.as_str()),
        plain("authenticated-arn", a.assumed_role_arn.clone()),
        plain("aws-expiration", expiration.clone()),
        plain("role-session-name", a.session_name.as_str()),
    ];
    if github.output_credentials {
        outputs.push(secret("aws-access-key-id", &c.access_key_id));
        outputs.push(secret("aws-secret-access-key", &c.secret_access_key));
        outputs.push(secret("aws-session-token", &c.session_token));
    }
    let hide = |s: &str| {
        if github.mask_account_id {
            s.replace(a.account_id.as_str(), "***")
        } else {
            s.to_string()
        }
    };
    Handover {
        env,
        outputs,
        extra_masks: if github.mask_account_id {
            vec![a.account_id.as_str().to_string()]
        } else {
            Vec::new()
        },
        json: vec![
            secret("AccessKeyId", &c.access_key_id),
            secret("SecretAccessKey", &c.secret_access_key),
            secret("SessionToken", &c.session_token),
            plain("Expiration", expiration.clone()),
            plain("AssumedRoleArn", a.assumed_role_arn.clone()),
            plain("AccountId", a.account_id.as_str()),
            plain("RoleSessionName", a.session_name.as_str()),
        ],
        credential_process: Some(vec![
            Var {
                name: "Version",
                value: Value::Number(1),
            },
            secret("AccessKeyId", &c.access_key_id),
            secret("SecretAccessKey", &c.secret_access_key),
            secret("SessionToken", &c.session_token),
            plain("Expiration", expiration.clone()),
        ]),
        summary_title: "ns-federate: assumed an AWS role".into(),
        summary: vec![
            ("Role", hide(a.role_arn.as_str())),
            ("Session name", a.session_name.as_str().to_string()),
            ("Account", hide(a.account_id.as_str())),
            ("Expires", expiration),
        ],
        log_line: format!("Exported AWS credentials for {}", hide(&a.assumed_role_arn)),
    }
}

/// Describes a web identity set-up: the variables AWS SDKs read (the token
/// itself is in the file, written by the sink before this is rendered).
pub fn web_identity(w: &WebIdentity) -> Handover {
    let file = w.token_file.to_string_lossy().into_owned();
    let expires = w.expires.map(|t| t.rfc3339()).unwrap_or_default();
    Handover {
        env: vec![
            plain("AWS_ROLE_ARN", w.role_arn.as_str()),
            plain("AWS_ROLE_SESSION_NAME", w.session_name.as_str()),
            plain("AWS_WEB_IDENTITY_TOKEN_FILE", file.clone()),
        ],
        outputs: vec![plain("role-session-name", w.session_name.as_str())],
        extra_masks: Vec::new(),
        json: vec![
            plain("RoleArn", w.role_arn.as_str()),
            plain("RoleSessionName", w.session_name.as_str()),
            plain("WebIdentityTokenFile", file.clone()),
            plain("Expiration", expires.clone()),
        ],
        credential_process: None,
        summary_title: "ns-federate: web identity token".into(),
        summary: vec![
            ("Role", w.role_arn.as_str().to_string()),
            ("Session name", w.session_name.as_str().to_string()),
            ("Token file", file.clone()),
            ("Expires", expires),
        ],
        log_line: format!("Wrote the ID token for {} to {file}", w.role_arn),
    }
}

/// One JSON object with `fields` (keys sorted) and a final newline.
pub fn render_json(fields: &[Var]) -> String {
    let mut map = serde_json::Map::new();
    for f in fields {
        let v = match &f.value {
            Value::Number(n) => serde_json::Value::from(*n),
            other => serde_json::Value::String(other.expose().into_owned()),
        };
        map.insert(f.name.to_string(), v);
    }
    let mut s = serde_json::Value::Object(map).to_string();
    s.push('\n');
    s
}

/// Registers every secret `h` may show (variables, outputs, JSON fields,
/// credential-process fields, extra masks) before any of them is written.
pub fn register_secrets(h: &Handover) {
    let vars = h
        .env
        .iter()
        .chain(&h.outputs)
        .chain(&h.json)
        .chain(h.credential_process.iter().flatten());
    for v in vars {
        if let Value::Secret(s) = &v.value {
            crate::secrets::register(s);
        }
    }
    for m in &h.extra_masks {
        crate::secrets::register_value(m);
    }
}
