//! The GitHub Actions OIDC token endpoint (`GET /github/token?…&audience=…`).

use crate::server::{Req, Resp, Shared, json, parse_pairs};
use hyper::Method;
use serde_json::json;

/// Non-secret fields: the requested audience.
pub fn params(req: &Req) -> Vec<(String, String)> {
    parse_pairs(req.query.as_bytes())
        .into_iter()
        .filter(|(k, _)| k == "audience")
        .collect()
}

/// Answers a token request as GitHub's endpoint does: `{"value": "<JWT>"}`.
pub fn handle(shared: &Shared, req: &Req) -> Resp {
    if req.method != Method::GET {
        return json(405, &json!({"message": "use GET"}));
    }
    let token = req
        .header("authorization")
        .strip_prefix("Bearer ")
        .unwrap_or("")
        .trim();
    let repository = shared.lock().github_tokens.get(token).cloned();
    let Some(repository) = repository else {
        return json(
            403,
            &json!({"message": "Bad credentials: ACTIONS_ID_TOKEN_REQUEST_TOKEN is not valid for this job"}),
        );
    };
    // Without an audience GitHub uses the repository owner's URL.
    let owner = repository.split('/').next().unwrap_or("");
    let audience = parse_pairs(req.query.as_bytes())
        .into_iter()
        .find(|(k, _)| k == "audience")
        .map(|(_, v)| v)
        .unwrap_or_else(|| format!("https://github.com/{owner}"));
    let value = crate::tokens::github_token(&repository, &audience, 300);
    json(200, &json!({"count": 2000, "value": value}))
}
