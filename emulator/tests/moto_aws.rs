//! moto (an independent STS and Cognito Identity) answers the SDK calls
//! ns-federate makes. Needs moto_server: run scripts/setup-moto or scripts/test.

use aws_sdk_cognitoidentity::config::{BehaviorVersion, Credentials, Region};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ns_federate_emulator::moto::Moto;

/// A JWT-shaped token; moto does not verify it.
fn jwt() -> String {
    let part = |s: &str| URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.{}",
        part(r#"{"alg":"RS256","typ":"JWT"}"#),
        part(
            r#"{"iss":"https://federation.namespaceapis.com","sub":"tnt_x/tenant","aud":"sts.amazonaws.com","exp":4102444800}"#
        ),
        part("not-a-real-signature")
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn moto_answers_assume_role_with_web_identity_unsigned() {
    let moto = Moto::start();
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(moto.url())
        .build();
    let sts = aws_sdk_sts::Client::from_conf(conf);
    let out = runtime()
        .block_on(
            sts.assume_role_with_web_identity()
                .role_arn("arn:aws:iam::123456789012:role/ns-federate-test")
                .role_session_name("nsc.tenant=tnt_x")
                .web_identity_token(jwt())
                .duration_seconds(900)
                .send(),
        )
        .unwrap_or_else(|e| panic!("AssumeRoleWithWebIdentity against moto: {e:?}"));
    let creds = out.credentials().expect("credentials in the answer");
    assert!(
        creds.access_key_id().starts_with("ASIA"),
        "access key id is not an ASIA key"
    );
    assert!(creds.access_key_id().len() >= 16, "access key id too short");
    assert!(
        !creds.secret_access_key().is_empty(),
        "empty secret access key"
    );
    assert!(!creds.session_token().is_empty(), "empty session token");
    let expires = creds.expiration().secs();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(expires > now, "expiration is not in the future");
    let user = out
        .assumed_role_user()
        .expect("AssumedRoleUser in the answer");
    assert!(
        user.arn()
            .starts_with("arn:aws:sts::123456789012:assumed-role/ns-federate-test/"),
        "unexpected assumed-role ARN {}",
        user.arn()
    );
}

#[test]
fn moto_answers_get_open_id_token_for_developer_identity() {
    let moto = Moto::start();
    let conf = aws_sdk_cognitoidentity::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto.url())
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .build();
    let cognito = aws_sdk_cognitoidentity::Client::from_conf(conf);
    let rt = runtime();
    let pool = rt
        .block_on(
            cognito
                .create_identity_pool()
                .identity_pool_name("ns_federate_test")
                .allow_unauthenticated_identities(false)
                .developer_provider_name("namespace.so")
                .send(),
        )
        .unwrap_or_else(|e| panic!("CreateIdentityPool against moto: {e:?}"));
    assert!(
        pool.identity_pool_id().starts_with("us-east-1:"),
        "pool id {}",
        pool.identity_pool_id()
    );
    assert_eq!(pool.developer_provider_name(), Some("namespace.so"));
    let out = rt
        .block_on(
            cognito
                .get_open_id_token_for_developer_identity()
                .identity_pool_id(pool.identity_pool_id())
                .logins("namespace.so", "tnt_x")
                .token_duration(900)
                .send(),
        )
        .unwrap_or_else(|e| panic!("GetOpenIdTokenForDeveloperIdentity against moto: {e:?}"));
    assert!(
        out.token().is_some_and(|t| !t.is_empty()),
        "no Token in the answer"
    );
    assert!(
        out.identity_id().is_some_and(|i| !i.is_empty()),
        "no IdentityId in the answer"
    );
}

/// What a credentials answer looks like, with the values themselves left out.
#[derive(Debug, PartialEq)]
struct Shape {
    key_prefix: String,
    key_len: usize,
    secret_len: usize,
    session_token_long: bool,
    lifetime_secs: i64,
    assumed_role_arn: String,
    assumed_role_id_suffix: String,
}

fn assume_with_sdk(endpoint: &str, token: &str) -> Shape {
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .build();
    let out = runtime()
        .block_on(
            aws_sdk_sts::Client::from_conf(conf)
                .assume_role_with_web_identity()
                .role_arn(ns_federate_emulator::DEFAULT_ROLE_ARN)
                .role_session_name("nsc.tenant=tnt_emulator01")
                .web_identity_token(token)
                .duration_seconds(1800)
                .send(),
        )
        .unwrap_or_else(|e| panic!("AssumeRoleWithWebIdentity against {endpoint}: {e:?}"));
    let creds = out.credentials().expect("credentials in the answer");
    let user = out.assumed_role_user().expect("AssumedRoleUser");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    Shape {
        key_prefix: creds.access_key_id()[..4].to_string(),
        key_len: creds.access_key_id().len(),
        secret_len: creds.secret_access_key().len(),
        session_token_long: creds.session_token().len() > 100,
        // rounded to the minute: the two answers are a few ms apart
        lifetime_secs: (creds.expiration().secs() - now + 30) / 60 * 60,
        assumed_role_arn: user.arn().to_string(),
        assumed_role_id_suffix: user
            .assumed_role_id()
            .split_once(':')
            .map(|(_, s)| s.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn sdk_gets_the_same_shaped_credentials_from_the_emulator_and_from_moto() {
    let emulator = ns_federate_emulator::Emulator::start();
    let moto = Moto::start();
    // A token the emulator's STS accepts (signed by its issuer, trusted by the role); moto takes any.
    let token = emulator.id_token(
        ns_federate_emulator::DEFAULT_TENANT,
        "sts.amazonaws.com",
        std::time::Duration::from_secs(600),
    );
    let from_emulator = assume_with_sdk(&emulator.url(), &token);
    let from_moto = assume_with_sdk(&moto.url(), &token);
    assert_eq!(from_emulator, from_moto);
    assert_eq!(from_emulator.key_prefix, "ASIA");
    assert_eq!(from_emulator.secret_len, 40);
    assert_eq!(from_emulator.lifetime_secs, 1800);
    assert_eq!(
        from_emulator.assumed_role_arn,
        "arn:aws:sts::123456789012:assumed-role/ns-federate-test/nsc.tenant=tnt_emulator01"
    );
}
