//! The emulated Cognito Identity `GetOpenIdTokenForDeveloperIdentity`, driven by
//! the real aws-sdk-cognitoidentity (SigV4 signed, and checked by the emulator).

use aws_sdk_cognitoidentity::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentity::error::ProvideErrorMetadata;
use base64::Engine;
use ns_federate_emulator::{
    DEFAULT_POOL, DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator, TEST_ACCESS_KEY_ID,
    TEST_SECRET_ACCESS_KEY,
};
use serde_json::{Value, json};
use std::time::Duration;

fn metadata_off() {
    // SAFETY: set before any SDK client exists in the test; every test sets the same value.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
}

fn client(
    emu: &Emulator,
    key: &str,
    secret: &str,
    session: Option<String>,
) -> aws_sdk_cognitoidentity::Client {
    let conf = aws_sdk_cognitoidentity::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(emu.url())
        .credentials_provider(Credentials::new(
            key,
            secret,
            session,
            None,
            "emulator-test",
        ))
        .build();
    aws_sdk_cognitoidentity::Client::from_conf(conf)
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("JWT payload");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn signed_request_gets_a_developer_identity_token() {
    metadata_off();
    let emu = Emulator::start();
    let c = client(&emu, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, None);
    let out = c
        .get_open_id_token_for_developer_identity()
        .identity_pool_id(DEFAULT_POOL)
        .logins("namespace.so", DEFAULT_TENANT)
        .send()
        .await
        .expect("signature verified, token issued");
    let id = out.identity_id().unwrap().to_string();
    assert!(id.starts_with("us-east-1:"));
    let token = out.token().unwrap();
    let cl = claims(token);
    assert_eq!(cl["iss"], "https://cognito-identity.amazonaws.com");
    assert_eq!(cl["aud"], DEFAULT_POOL);
    assert_eq!(cl["sub"], id.as_str());
    assert_eq!(
        cl["amr"],
        json!([
            "authenticated",
            "namespace.so",
            format!("namespace.so:{DEFAULT_POOL}:{DEFAULT_TENANT}")
        ])
    );
    assert!(cl["exp"].as_i64().unwrap() > cl["iat"].as_i64().unwrap());

    // Stable per (pool, login).
    let again = c
        .get_open_id_token_for_developer_identity()
        .identity_pool_id(DEFAULT_POOL)
        .logins("namespace.so", DEFAULT_TENANT)
        .send()
        .await
        .unwrap();
    assert_eq!(again.identity_id(), Some(id.as_str()));

    let r = &emu.requests()[0];
    assert_eq!(
        r.method,
        "cognito-identity:GetOpenIdTokenForDeveloperIdentity"
    );
    assert_eq!(r.param("IdentityPoolId"), Some(DEFAULT_POOL));
    assert_eq!(r.param("Logins"), Some("namespace.so=tnt_emulator01"));
    assert!(
        r.param("AccessKeyId") == Some(TEST_ACCESS_KEY_ID),
        "access key id recorded"
    );
    assert!(
        r.header("authorization")
            .is_some_and(|h| h == "AWS4-HMAC-SHA256 <redacted>")
    );
    assert_eq!(
        emu.count("cognito-identity:GetOpenIdTokenForDeveloperIdentity"),
        2
    );

    // The token trades for a Namespace tenant token (the whole AWS → Namespace flow).
    let resp: Value = reqwest::Client::new()
        .post(format!(
            "{}/nsl.tenants.TenantsService/ExchangeAWSCognitoJWT",
            emu.url()
        ))
        .json(&json!({"tenant_id": DEFAULT_TENANT, "aws_cognito_token": token}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(resp["tenant_token"].as_str().unwrap().starts_with("nsct_"));
}

#[tokio::test]
async fn wrong_credentials_are_refused() {
    metadata_off();
    let emu = Emulator::start();
    let bad_secret = client(
        &emu,
        TEST_ACCESS_KEY_ID,
        "wrong/secret+0000000000000000000000000000",
        None,
    );
    let err = bad_secret
        .get_open_id_token_for_developer_identity()
        .identity_pool_id(DEFAULT_POOL)
        .logins("namespace.so", DEFAULT_TENANT)
        .send()
        .await
        .expect_err("bad signature");
    assert_eq!(err.code(), Some("InvalidSignatureException"));

    let unknown = client(&emu, "AKIAUNKNOWNKEY000000", TEST_SECRET_ACCESS_KEY, None);
    let err = unknown
        .get_open_id_token_for_developer_identity()
        .identity_pool_id(DEFAULT_POOL)
        .logins("namespace.so", DEFAULT_TENANT)
        .send()
        .await
        .expect_err("unknown key");
    assert_eq!(err.code(), Some("UnrecognizedClientException"));
}

#[tokio::test]
async fn pool_and_logins_are_checked() {
    metadata_off();
    let emu = Emulator::start();
    let c = client(&emu, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, None);
    let err = c
        .get_open_id_token_for_developer_identity()
        .identity_pool_id("us-east-1:00000000-0000-4000-8000-000000000000")
        .logins("namespace.so", DEFAULT_TENANT)
        .send()
        .await
        .expect_err("unknown pool");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));

    let err = c
        .get_open_id_token_for_developer_identity()
        .identity_pool_id(DEFAULT_POOL)
        .logins("login.example.com", DEFAULT_TENANT)
        .send()
        .await
        .expect_err("no namespace.so login");
    assert_eq!(err.code(), Some("NotAuthorizedException"));

    let other = "us-east-1:12121212-0000-4000-8000-000000000000";
    emu.add_pool(other, "other.example");
    let err = c
        .get_open_id_token_for_developer_identity()
        .identity_pool_id(other)
        .logins("namespace.so", DEFAULT_TENANT)
        .send()
        .await
        .expect_err("pool of another developer provider");
    assert_eq!(err.code(), Some("NotAuthorizedException"));
}

#[tokio::test]
async fn credentials_from_the_emulated_sts_also_sign_cognito_calls() {
    metadata_off();
    let emu = Emulator::start();
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(emu.url())
            .build(),
    );
    let out = sts
        .assume_role_with_web_identity()
        .role_arn(DEFAULT_ROLE_ARN)
        .role_session_name("chain")
        .web_identity_token(emu.id_token(
            DEFAULT_TENANT,
            "sts.amazonaws.com",
            Duration::from_secs(600),
        ))
        .send()
        .await
        .unwrap();
    let cr = out.credentials().unwrap();
    let c = client(
        &emu,
        cr.access_key_id(),
        cr.secret_access_key(),
        Some(cr.session_token().to_string()),
    );
    let got = c
        .get_open_id_token_for_developer_identity()
        .identity_pool_id(DEFAULT_POOL)
        .logins("namespace.so", DEFAULT_TENANT)
        .send()
        .await
        .expect("STS-issued credentials are known to the emulated Cognito");
    assert!(got.token().is_some());
    // Without the session token those credentials are not recognised.
    let c = client(&emu, cr.access_key_id(), cr.secret_access_key(), None);
    let err = c
        .get_open_id_token_for_developer_identity()
        .identity_pool_id(DEFAULT_POOL)
        .logins("namespace.so", DEFAULT_TENANT)
        .send()
        .await
        .expect_err("no session token");
    assert_eq!(err.code(), Some("UnrecognizedClientException"));
}

#[test]
fn unsigned_or_tampered_requests_are_refused() {
    let emu = Emulator::start();
    let post = |auth: Option<&str>| {
        let mut rb = reqwest::blocking::Client::new()
            .post(format!("{}/", emu.url()))
            .header("content-type", "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                "AWSCognitoIdentityService.GetOpenIdTokenForDeveloperIdentity",
            )
            .header("x-amz-date", "20260101T000000Z")
            .body(
                json!({"IdentityPoolId": DEFAULT_POOL, "Logins": {"namespace.so": DEFAULT_TENANT}})
                    .to_string(),
            );
        if let Some(a) = auth {
            rb = rb.header("authorization", a);
        }
        let r = rb.send().unwrap();
        (r.status().as_u16(), r.json::<Value>().unwrap())
    };
    let (status, v) = post(None);
    assert_eq!(status, 400);
    assert_eq!(v["__type"], "MissingAuthenticationTokenException");
    // A well-formed header with a made-up signature (and an old date).
    let forged = format!(
        "AWS4-HMAC-SHA256 Credential={TEST_ACCESS_KEY_ID}/20260101/us-east-1/cognito-identity/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
        "0".repeat(64)
    );
    let (status, v) = post(Some(&forged));
    assert_eq!(status, 400);
    assert_eq!(v["__type"], "InvalidSignatureException");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
}
