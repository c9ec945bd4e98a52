//! The emulated Namespace API: each method's happy path, its refusals, and the three error forms.

use base64::Engine;
use ns_federate_emulator::{
    Config, DEFAULT_POOL, DEFAULT_TENANT, Emulator, ErrorForm, GITHUB_AUDIENCE, ISSUER,
};
use serde_json::{Value, json};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

fn call(emu: &Emulator, method: &str, bearer: Option<&str>, body: Value) -> Answer {
    let client = reqwest::blocking::Client::new();
    let mut rb = client
        .post(format!("{}/{method}", emu.url()))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = bearer {
        rb = rb.header("authorization", format!("Bearer {t}"));
    }
    let r = rb.send().expect("emulator answers");
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().expect("body"),
    }
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("JWT has a payload");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&raw).expect("JSON claims")
}

fn header(jwt: &str) -> Value {
    let h = jwt.split('.').next().expect("JWT has a header");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(h)
        .expect("base64url");
    serde_json::from_slice(&raw).expect("JSON header")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const ISSUE: &str = "nsl.tenants.TenantsService/IssueIdToken";
const GET_TENANT: &str = "nsl.tenants.TenantsService/GetTenant";
const FROM_SESSION: &str = "nsl.signin.SigninService/IssueTenantTokenFromSession";
const TRUST: &str = "nsl.tenants.TenantsService/TrustAWSCognitoIdentityPool";
const EXCHANGE_COGNITO: &str = "nsl.tenants.TenantsService/ExchangeAWSCognitoJWT";
const EXCHANGE_GITHUB: &str = "nsl.tenants.TenantsService/ExchangeGithubToken";

#[test]
fn issue_id_token_mints_an_rs256_token_verifiable_with_the_served_jwks() {
    let emu = Emulator::start();
    let t = emu.tenant_token(DEFAULT_TENANT, None, HOUR);
    let a = call(
        &emu,
        ISSUE,
        Some(&t),
        json!({"audience": "sts.amazonaws.com", "version": 1}),
    );
    assert_eq!(a.status, 200);
    let id = a.json()["id_token"].as_str().expect("id_token").to_string();
    let h = header(&id);
    assert_eq!(h["alg"], "RS256");
    assert!(h["kid"].is_string());
    let c = claims(&id);
    assert_eq!(c["iss"], ISSUER);
    assert_eq!(c["aud"], "sts.amazonaws.com");
    assert_eq!(c["sub"], format!("{DEFAULT_TENANT}/tenant"));
    assert_eq!(c["tenant_id"], DEFAULT_TENANT);
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        3600
    );

    // Verify with the key from the JWKS endpoint, as an OIDC relying party would.
    let jwks: Value = reqwest::blocking::get(format!("{}/.well-known/jwks.json", emu.url()))
        .unwrap()
        .json()
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kid"], h["kid"]);
    let dk = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&["sts.amazonaws.com"]);
    v.set_issuer(&[ISSUER]);
    assert!(
        jsonwebtoken::decode::<Value>(&id, &dk, &v).is_ok(),
        "ID token verifies with the JWKS key"
    );

    let disco: Value =
        reqwest::blocking::get(format!("{}/.well-known/openid-configuration", emu.url()))
            .unwrap()
            .json()
            .unwrap();
    assert_eq!(disco["issuer"], ISSUER);
    assert_eq!(
        disco["jwks_uri"],
        format!("{}/.well-known/jwks.json", emu.url())
    );
    // Discovery and JWKS are not counted.
    assert_eq!(emu.request_count(), 1);
}

#[test]
fn issue_id_token_honours_duration_instance_and_configured_issuer() {
    let emu = Emulator::start_with(Config {
        issuer: "https://issuer.example.test".into(),
        ..Config::default()
    });
    let w = emu.workload_token("tnt_other", "inst-42", HOUR);
    let a = call(
        &emu,
        ISSUE,
        Some(&w),
        json!({"audience": "aud-x", "version": 1, "duration_secs": 900}),
    );
    assert_eq!(a.status, 200);
    let c = claims(a.json()["id_token"].as_str().unwrap());
    assert_eq!(c["iss"], "https://issuer.example.test");
    assert_eq!(c["aud"], "aud-x");
    assert_eq!(c["sub"], "tnt_other/inst-42");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 900);
    let r = &emu.requests()[0];
    assert_eq!(r.method, ISSUE);
    assert_eq!(r.param("audience"), Some("aud-x"));
    assert_eq!(r.param("duration_secs"), Some("900"));
    assert_eq!(r.header("authorization"), Some("Bearer <redacted>"));
}

#[test]
fn id_token_helper_matches_what_issue_id_token_mints() {
    let emu = Emulator::start();
    let c = claims(&emu.id_token("tnt_a", "sts.amazonaws.com", HOUR));
    assert_eq!(c["sub"], "tnt_a/tenant");
    assert_eq!(c["tenant_id"], "tnt_a");
    assert_eq!(c["iss"], ISSUER);
    let t = emu.tenant_token("tnt_a", Some("i1"), HOUR);
    let tc = claims(t.strip_prefix("nsct_").unwrap());
    assert_eq!(tc["tenant_id"], "tnt_a");
    assert_eq!(tc["instance_id"], "i1");
    assert!(tc["exp"].as_i64().unwrap() > now());
    assert!(emu.workload_token("tnt_a", "i", HOUR).starts_with("nscw_"));
    assert!(emu.session_token("tnt_a", HOUR).starts_with("st_"));
    let e = emu.expired_tenant_token("tnt_a");
    assert!(
        claims(e.strip_prefix("nsct_").unwrap())["exp"]
            .as_i64()
            .unwrap()
            < now()
    );
}

#[test]
fn bad_bearers_are_refused_as_unauthenticated_with_401() {
    let emu = Emulator::start();
    let body = json!({"audience": "sts.amazonaws.com"});
    let good = emu.tenant_token(DEFAULT_TENANT, None, HOUR);
    // Forge: same header and claims, signature of another token.
    let other = emu.tenant_token("tnt_evil", None, HOUR);
    let mut parts: Vec<&str> = good.split('.').collect();
    let other_sig = other.split('.').nth(2).unwrap();
    parts[2] = other_sig;
    let forged = parts.join(".");
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("not a namespace token", Some("ghp_abcdef".into())),
        ("forged signature", Some(forged)),
        ("expired", Some(emu.expired_tenant_token(DEFAULT_TENANT))),
        (
            "session token used directly",
            Some(emu.session_token(DEFAULT_TENANT, HOUR)),
        ),
        ("garbage after prefix", Some("nsct_not.a.jwt".into())),
    ];
    for (what, tok) in cases {
        let a = call(&emu, ISSUE, tok.as_deref(), body.clone());
        assert_eq!(a.status, 401, "{what}");
        assert_eq!(a.json()["code"], 16, "{what}");
        assert!(
            a.json()["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}"
        );
    }
}

#[test]
fn error_forms_numeric_string_and_headers() {
    let emu = Emulator::start();
    let a = call(&emu, GET_TENANT, None, json!({}));
    assert_eq!(a.status, 401);
    assert_eq!(a.json()["code"], 16);

    emu.set_error_form(ErrorForm::StringJson);
    let a = call(&emu, GET_TENANT, None, json!({}));
    assert_eq!(a.status, 401);
    assert_eq!(a.json()["code"], "unauthenticated");

    emu.set_error_form(ErrorForm::Headers);
    let a = call(&emu, GET_TENANT, None, json!({}));
    assert_eq!(a.status, 401);
    assert_eq!(a.headers["grpc-status"], "16");
    assert!(a.headers.contains_key("grpc-message"));
    assert!(a.body.is_empty());
}

#[test]
fn invalid_arguments_are_400_invalid_argument() {
    let emu = Emulator::start();
    let t = emu.tenant_token(DEFAULT_TENANT, None, HOUR);
    let a = call(&emu, ISSUE, Some(&t), json!({"version": 1}));
    assert_eq!((a.status, a.json()["code"].as_i64()), (400, Some(3)));
    let a = call(
        &emu,
        ISSUE,
        Some(&t),
        json!({"audience": "x", "duration_secs": -5}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (400, Some(3)));
    let a = call(
        &emu,
        "nsl.tenants.TenantsService/ExchangeOIDCToken",
        None,
        json!({"tenant_id": "t"}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (501, Some(12)));
}

#[test]
fn session_token_is_exchanged_for_a_tenant_token() {
    let emu = Emulator::start();
    let st = emu.session_token("tnt_s", HOUR);
    let a = call(
        &emu,
        FROM_SESSION,
        Some(&st),
        json!({"token_duration_secs": 600}),
    );
    assert_eq!(a.status, 200);
    let tt = a.json()["tenant_token"].as_str().unwrap().to_string();
    assert!(tt.starts_with("nsct_"));
    let c = claims(tt.strip_prefix("nsct_").unwrap());
    assert_eq!(c["tenant_id"], "tnt_s");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 600);
    // The minted tenant token works as a bearer.
    let a = call(&emu, GET_TENANT, Some(&tt), json!({}));
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["tenant"]["tenant_id"], "tnt_s");
    // A tenant token is not a session token.
    let a = call(&emu, FROM_SESSION, Some(&tt), json!({}));
    assert_eq!((a.status, a.json()["code"].as_i64()), (401, Some(16)));
}

#[test]
fn get_tenant_describes_the_workspace() {
    let emu = Emulator::start();
    let t = emu.tenant_token(DEFAULT_TENANT, None, HOUR);
    let a = call(&emu, GET_TENANT, Some(&t), json!({}));
    assert_eq!(a.status, 200);
    let tenant = &a.json()["tenant"];
    assert_eq!(tenant["tenant_id"], DEFAULT_TENANT);
    for k in ["name", "app_url", "primary_region"] {
        assert!(tenant[k].as_str().is_some_and(|v| !v.is_empty()), "{k}");
    }
}

#[test]
fn trust_pool_records_trust_for_the_bearer_tenant_only() {
    let emu = Emulator::start();
    let pool = "eu-west-1:11111111-2222-4333-8444-555555555555";
    let t = emu.tenant_token("tnt_t", None, HOUR);
    assert!(!emu.is_pool_trusted("tnt_t", pool));
    let a = call(
        &emu,
        TRUST,
        Some(&t),
        json!({"aws_cognito_identity_pool": pool, "identity_provider": "namespace.so"}),
    );
    assert_eq!(a.status, 200);
    assert!(emu.is_pool_trusted("tnt_t", pool));
    assert!(!emu.is_pool_trusted("tnt_other", pool));

    let a = call(
        &emu,
        TRUST,
        Some(&t),
        json!({"aws_cognito_identity_pool": "nope", "identity_provider": "namespace.so"}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (400, Some(3)));
    let a = call(
        &emu,
        TRUST,
        Some(&t),
        json!({"aws_cognito_identity_pool": pool, "identity_provider": "other"}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (400, Some(3)));
    // Naming another tenant than the token's is refused.
    let a = call(
        &emu,
        TRUST,
        Some(&t),
        json!({"tenant_id": "tnt_other", "aws_cognito_identity_pool": pool, "identity_provider": "namespace.so"}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (403, Some(7)));
    let a = call(
        &emu,
        TRUST,
        None,
        json!({"aws_cognito_identity_pool": pool, "identity_provider": "namespace.so"}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (401, Some(16)));
}

#[test]
fn cognito_jwt_exchange_needs_a_trusted_pool_and_matching_login() {
    let emu = Emulator::start();
    let tok = emu.cognito_token(DEFAULT_POOL, DEFAULT_TENANT, Duration::from_secs(900));
    let a = call(
        &emu,
        EXCHANGE_COGNITO,
        None,
        json!({"tenant_id": DEFAULT_TENANT, "aws_cognito_token": tok}),
    );
    assert_eq!(a.status, 200);
    let v = a.json();
    assert!(v["tenant_token"].as_str().unwrap().starts_with("nsct_"));
    assert_eq!(v["tenant"]["tenant_id"], DEFAULT_TENANT);
    // The secret token is not recorded.
    let r = &emu.requests()[0];
    assert_eq!(r.param("tenant_id"), Some(DEFAULT_TENANT));
    assert!(r.param("aws_cognito_token").is_none());

    // Login of another tenant.
    let a = call(
        &emu,
        EXCHANGE_COGNITO,
        None,
        json!({"tenant_id": "tnt_other", "aws_cognito_token": tok}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (403, Some(7)));

    // A pool the tenant does not trust.
    let pool = "us-east-1:99999999-2222-4333-8444-555555555555";
    emu.add_pool(pool, "namespace.so");
    let tok2 = emu.cognito_token(pool, DEFAULT_TENANT, Duration::from_secs(900));
    let a = call(
        &emu,
        EXCHANGE_COGNITO,
        None,
        json!({"tenant_id": DEFAULT_TENANT, "aws_cognito_token": tok2}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (403, Some(7)));
    assert!(
        a.json()["message"]
            .as_str()
            .unwrap()
            .contains("not trusted")
    );
    emu.trust_pool(DEFAULT_TENANT, pool);
    let a = call(
        &emu,
        EXCHANGE_COGNITO,
        None,
        json!({"tenant_id": DEFAULT_TENANT, "aws_cognito_token": tok2}),
    );
    assert_eq!(a.status, 200);

    // Not issued by (the emulated) Cognito.
    let not_cognito = emu.id_token(DEFAULT_TENANT, DEFAULT_POOL, HOUR);
    let a = call(
        &emu,
        EXCHANGE_COGNITO,
        None,
        json!({"tenant_id": DEFAULT_TENANT, "aws_cognito_token": not_cognito}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (401, Some(16)));
    let mut forged = tok.clone();
    forged.push('A');
    let a = call(
        &emu,
        EXCHANGE_COGNITO,
        None,
        json!({"tenant_id": DEFAULT_TENANT, "aws_cognito_token": forged}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (401, Some(16)));
}

fn github_token(emu: &Emulator, request_token: &str, audience: &str) -> (u16, Value) {
    let url = format!(
        "{}&audience={}",
        emu.github_oidc_url(),
        audience.replace('/', "%2F")
    );
    let r = reqwest::blocking::Client::new()
        .get(url)
        .header("authorization", format!("Bearer {request_token}"))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

#[test]
fn github_oidc_token_is_exchanged_for_the_mapped_tenant() {
    let emu = Emulator::start();
    assert!(emu.github_oidc_url().contains('?'));
    let (status, v) = github_token(&emu, &emu.github_request_token(), GITHUB_AUDIENCE);
    assert_eq!(status, 200);
    let jwt = v["value"].as_str().unwrap().to_string();
    let c = claims(&jwt);
    assert_eq!(c["iss"], "https://token.actions.githubusercontent.com");
    assert_eq!(c["aud"], GITHUB_AUDIENCE);
    assert_eq!(c["repository_owner"], "emulator-org");
    assert!(
        c["sub"]
            .as_str()
            .unwrap()
            .starts_with("repo:emulator-org/demo-repo:")
    );
    let a = call(&emu, EXCHANGE_GITHUB, None, json!({"github_token": jwt}));
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["tenant"]["tenant_id"], DEFAULT_TENANT);
    let tt = a.json()["tenant_token"].as_str().unwrap().to_string();
    assert_eq!(
        claims(tt.strip_prefix("nsct_").unwrap())["tenant_id"],
        DEFAULT_TENANT
    );
    assert_eq!(emu.count("github:token"), 1);
    assert_eq!(emu.requests()[0].param("audience"), Some(GITHUB_AUDIENCE));

    // Wrong request token.
    let (status, _) = github_token(&emu, "ghrt_wrong", GITHUB_AUDIENCE);
    assert_eq!(status, 403);
    // Wrong audience.
    let (_, v) = github_token(&emu, &emu.github_request_token(), "sts.amazonaws.com");
    let a = call(
        &emu,
        EXCHANGE_GITHUB,
        None,
        json!({"github_token": v["value"]}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (401, Some(16)));
    // An owner no workspace is linked to.
    let rt = emu.github_request_token_for("stranger/repo");
    let (_, v) = github_token(&emu, &rt, GITHUB_AUDIENCE);
    let a = call(
        &emu,
        EXCHANGE_GITHUB,
        None,
        json!({"github_token": v["value"]}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (403, Some(7)));
    emu.map_github_owner("stranger", "tnt_stranger");
    let a = call(
        &emu,
        EXCHANGE_GITHUB,
        None,
        json!({"github_token": v["value"]}),
    );
    assert_eq!(a.json()["tenant"]["tenant_id"], "tnt_stranger");
    // Not signed by the emulated GitHub.
    let not_github = emu.id_token(DEFAULT_TENANT, GITHUB_AUDIENCE, HOUR);
    let a = call(
        &emu,
        EXCHANGE_GITHUB,
        None,
        json!({"github_token": not_github}),
    );
    assert_eq!((a.status, a.json()["code"].as_i64()), (401, Some(16)));
}
