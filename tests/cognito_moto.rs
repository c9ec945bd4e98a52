//! The Cognito side against moto, an independent implementation of Cognito
//! Identity: the pool is created with the AWS SDK as an administrator would,
//! then `auth exchange-aws-cognito-token` gets moto's OpenID token with the
//! default chain's credentials. moto's token is not a JWT (it is
//! `<region>:<uuid>`), so the emulated Namespace refuses it as a Cognito
//! token: the refusal must be reported cleanly (exit 3), nothing written.
//! Needs moto (`scripts/setup-moto`).

mod common;

use aws_sdk_cognitoidentity::config::{BehaviorVersion, Credentials, Region};
use common::{cli, output_text};
use ns_federate_emulator::Emulator;
use ns_federate_emulator::moto::Moto;

/// Creates an identity pool with the developer provider `namespace.so` in moto.
fn create_pool(moto: &Moto) -> String {
    let config = aws_sdk_cognitoidentity::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto.url())
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .build();
    let client = aws_sdk_cognitoidentity::Client::from_conf(config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = runtime
        .block_on(
            client
                .create_identity_pool()
                .identity_pool_name("namespace")
                .allow_unauthenticated_identities(false)
                .developer_provider_name("namespace.so")
                .send(),
        )
        .expect("moto creates the identity pool");
    assert_eq!(out.developer_provider_name(), Some("namespace.so"));
    out.identity_pool_id().to_string()
}

#[test]
fn moto_issues_the_cognito_token_and_namespace_refusal_is_reported_cleanly() {
    let moto = Moto::start();
    let emu = Emulator::start();
    let pool = create_pool(&moto);
    assert!(
        pool.starts_with("us-east-1:"),
        "moto names pools <region>:<uuid>"
    );
    let home = tempfile::tempdir().unwrap();

    let mut cmd = cli(&emu, home.path());
    cmd.env("AWS_ENDPOINT_URL", moto.url())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args([
            "auth",
            "exchange-aws-cognito-token",
            "--aws-region",
            "us-east-1",
            "--identity-pool",
            &pool,
            "--tenant-id",
            "tnt_moto01",
        ]);
    let before = moto.log().matches("POST / HTTP/1.1\" 200").count();
    let out = cmd.output().expect("run ns-federate");
    let t = output_text(&out);

    // moto answered GetOpenIdTokenForDeveloperIdentity...
    assert!(
        t.contains(&format!(
            "Got a Cognito OpenID token from identity pool {pool}"
        )),
        "{t}"
    );
    assert_eq!(
        moto.log().matches("POST / HTTP/1.1\" 200").count(),
        before + 1,
        "one successful Cognito request reached moto"
    );
    assert_eq!(
        emu.count("cognito-identity:GetOpenIdTokenForDeveloperIdentity"),
        0,
        "Cognito went to moto, not the emulator"
    );
    // ...and Namespace refused its token: a clean refusal, nothing written.
    assert_eq!(
        emu.count("nsl.tenants.TenantsService/ExchangeAWSCognitoJWT"),
        1
    );
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("Namespace refused the Cognito token"), "{t}");
    assert!(t.contains("not a valid AWS Cognito token"), "{t}");
    assert!(
        t.contains("AWS_ENDPOINT_URL"),
        "the hint names the endpoint: {t}"
    );
    assert!(out.stdout.is_empty());
    assert!(!home.path().join(".config/ns/token.json").exists());
}
