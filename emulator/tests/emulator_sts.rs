//! The emulated STS `AssumeRoleWithWebIdentity`: response shape, token and
//! trust-policy checks with STS's own error codes, parameter validation, and
//! the real aws-sdk-sts against it.

use base64::Engine;
use ns_federate_emulator::{Config, DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator, Role};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    /// Text of the first `<tag>…</tag>`.
    fn tag(&self, tag: &str) -> Option<String> {
        let open = format!("<{tag}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{tag}>"))? + start;
        Some(self.body[start..end].to_string())
    }

    fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "status for {code}");
        assert!(
            self.body
                .starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">")
        );
        assert_eq!(self.tag("Code").as_deref(), Some(code));
        assert_eq!(self.tag("Type").as_deref(), Some("Sender"));
        assert!(self.tag("RequestId").is_some());
    }
}

fn assume(emu: &Emulator, extra: &[(&str, &str)], token: &str) -> Answer {
    let mut form: Vec<(&str, &str)> = vec![
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", DEFAULT_ROLE_ARN),
        ("RoleSessionName", "nsc.tenant=tnt_emulator01"),
        ("WebIdentityToken", token),
    ];
    for (k, v) in extra {
        form.retain(|(n, _)| n != k);
        form.push((k, v));
    }
    let body = serde_urlencoded::to_string(&form).unwrap();
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/", emu.url()))
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(body)
        .send()
        .expect("emulator answers");
    Answer {
        status: r.status().as_u16(),
        body: r.text().unwrap(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SSZ`.
fn parse_iso(s: &str) -> i64 {
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19)
}

#[test]
fn happy_path_looks_like_sts() {
    let emu = Emulator::start();
    let token = emu.id_token(DEFAULT_TENANT, "sts.amazonaws.com", HOUR);
    let a = assume(&emu, &[("DurationSeconds", "7200")], &token);
    assert_eq!(a.status, 200);
    assert!(a.body.starts_with(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    let key = a.tag("AccessKeyId").unwrap();
    assert!(
        key.len() == 20 && key.starts_with("ASIA"),
        "access key id shape"
    );
    assert!(
        key[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "access key id charset"
    );
    let secret = a.tag("SecretAccessKey").unwrap();
    assert!(
        secret.len() == 40 && secret.contains('+') && secret.contains('/'),
        "secret shape"
    );
    let session = a.tag("SessionToken").unwrap();
    assert!(session.len() > 300, "session token length");
    let exp = parse_iso(&a.tag("Expiration").unwrap());
    assert!(
        (exp - (now() + 7200)).abs() <= 60,
        "expiration is now + DurationSeconds"
    );
    assert_eq!(
        a.tag("Arn").as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/ns-federate-test/nsc.tenant=tnt_emulator01")
    );
    let rid = a.tag("AssumedRoleId").unwrap();
    assert!(rid.starts_with("AROA") && rid.ends_with(":nsc.tenant=tnt_emulator01"));
    assert_eq!(
        a.tag("SubjectFromWebIdentityToken").unwrap(),
        format!("{DEFAULT_TENANT}/tenant")
    );
    assert_eq!(
        a.tag("Provider").as_deref(),
        Some("federation.namespaceapis.com")
    );
    assert_eq!(a.tag("Audience").as_deref(), Some("sts.amazonaws.com"));
    assert!(a.tag("RequestId").is_some());

    let r = &emu.requests()[0];
    assert_eq!(r.method, "sts:AssumeRoleWithWebIdentity");
    assert_eq!(r.param("RoleArn"), Some(DEFAULT_ROLE_ARN));
    assert_eq!(r.param("DurationSeconds"), Some("7200"));
    assert_eq!(
        r.param("RoleSessionName"),
        Some("nsc.tenant=tnt_emulator01")
    );
    assert!(
        r.param("WebIdentityToken").is_none(),
        "the token is not recorded"
    );
    assert_eq!(emu.count("sts:AssumeRoleWithWebIdentity"), 1);
}

#[test]
fn default_duration_is_an_hour_and_policies_are_accepted() {
    let emu = Emulator::start();
    let token = emu.id_token(DEFAULT_TENANT, "sts.amazonaws.com", HOUR);
    let a = assume(
        &emu,
        &[
            ("Policy", r#"{"Version":"2012-10-17","Statement":[]}"#),
            (
                "PolicyArns.member.1.arn",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ),
        ],
        &token,
    );
    assert_eq!(a.status, 200);
    let exp = parse_iso(&a.tag("Expiration").unwrap());
    assert!((exp - (now() + 3600)).abs() <= 60);
    assert!(a.tag("PackedPolicySize").is_some());
}

#[test]
fn tokens_that_the_trust_policy_rejects_are_access_denied() {
    let emu = Emulator::start();
    let other_tenant = emu.id_token("tnt_other", "sts.amazonaws.com", HOUR);
    assume(&emu, &[], &other_tenant).assert_error(403, "AccessDenied");
    let other_audience = emu.id_token(DEFAULT_TENANT, "something-else", HOUR);
    let a = assume(&emu, &[], &other_audience);
    a.assert_error(403, "AccessDenied");
    assert_eq!(
        a.tag("Message").as_deref(),
        Some("Not authorized to perform sts:AssumeRoleWithWebIdentity")
    );
    // A tenant whose id merely starts with the trusted one.
    let prefix_tenant = emu.id_token(&format!("{DEFAULT_TENANT}x"), "sts.amazonaws.com", HOUR);
    assume(&emu, &[], &prefix_tenant).assert_error(403, "AccessDenied");
    let good = emu.id_token(DEFAULT_TENANT, "sts.amazonaws.com", HOUR);
    assume(
        &emu,
        &[("RoleArn", "arn:aws:iam::123456789012:role/unknown")],
        &good,
    )
    .assert_error(403, "AccessDenied");
}

#[test]
fn bad_tokens_get_sts_error_codes() {
    let emu = Emulator::start();
    let good = emu.id_token(DEFAULT_TENANT, "sts.amazonaws.com", HOUR);

    // Expired: a zero lifetime makes exp == iat == now, which STS already refuses.
    let expired = emu.id_token(DEFAULT_TENANT, "sts.amazonaws.com", Duration::ZERO);
    let a = assume(&emu, &[], &expired);
    a.assert_error(400, "ExpiredTokenException");
    assert!(
        a.tag("Message")
            .unwrap()
            .starts_with("Token expired: current date/time ")
    );

    // Forged: claims changed to another tenant, signature kept.
    let parts: Vec<&str> = good.split('.').collect();
    let mut claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap(),
    )
    .unwrap();
    claims["sub"] = "tnt_emulator01/evil".into();
    claims["exp"] = (now() + 99_999).into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assume(&emu, &[], &forged).assert_error(400, "InvalidIdentityToken");

    // Not a JWT at all.
    assume(&emu, &[], "not-a-jwt-token").assert_error(400, "InvalidIdentityToken");

    // An issuer with no registered OIDC provider.
    let gh = emu.github_id_token("emulator-org/demo-repo", "sts.amazonaws.com", HOUR);
    let a = assume(&emu, &[], &gh);
    a.assert_error(400, "InvalidIdentityToken");
    assert_eq!(
        a.tag("Message").as_deref(),
        Some(
            "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com"
        )
    );
    // Registered, but the role does not trust that provider.
    emu.add_oidc_provider("https://token.actions.githubusercontent.com");
    assume(&emu, &[], &gh).assert_error(403, "AccessDenied");
}

#[test]
fn unknown_issuer_when_configured_issuer_differs() {
    let emu = Emulator::start_with(Config {
        issuer: "https://other-issuer.example.test".into(),
        ..Config::default()
    });
    let other = Emulator::start();
    let token = other.id_token(DEFAULT_TENANT, "sts.amazonaws.com", HOUR);
    let a = assume(&emu, &[], &token);
    a.assert_error(400, "InvalidIdentityToken");
    assert!(
        a.tag("Message")
            .unwrap()
            .contains("https://federation.namespaceapis.com")
    );
}

#[test]
fn parameters_are_validated_like_sts() {
    let emu = Emulator::start();
    let t = emu.id_token(DEFAULT_TENANT, "sts.amazonaws.com", HOUR);
    for (k, v) in [
        ("DurationSeconds", "899"),
        ("DurationSeconds", "43201"),
        ("DurationSeconds", "abc"),
        ("RoleSessionName", "a"),
        ("RoleSessionName", "has space"),
        ("RoleSessionName", "slash/not-allowed"),
        ("RoleArn", "short"),
        ("RoleArn", "arn:aws:iam::123456789012:user/someone"),
        ("RoleArn", "arn:aws:iam::12345:role/x-too-short-account"),
    ] {
        let a = assume(&emu, &[(k, v)], &t);
        a.assert_error(400, "ValidationError");
    }
    let long = "x".repeat(65);
    let a = assume(&emu, &[("RoleSessionName", &long)], &t);
    a.assert_error(400, "ValidationError");
    assert!(
        a.tag("Message")
            .unwrap()
            .contains("less than or equal to 64")
    );
    let a = assume(&emu, &[("DurationSeconds", "100")], &t);
    assert!(
        a.tag("Message")
            .unwrap()
            .contains("greater than or equal to 900")
    );

    assume(&emu, &[("Policy", "{not json")], &t).assert_error(400, "MalformedPolicyDocument");
    assume(
        &emu,
        &[(
            "PolicyArns.member.1.arn",
            "arn:aws:iam::aws:role/NotAPolicy",
        )],
        &t,
    )
    .assert_error(400, "InvalidParameterValue");

    let a = assume(&emu, &[("Action", "AssumeRole")], &t);
    a.assert_error(400, "InvalidAction");
}

#[test]
fn duration_above_the_roles_maximum_is_refused() {
    let emu = Emulator::start();
    emu.add_role(Role {
        arn: "arn:aws:iam::210987654321:role/short".into(),
        trusted_tenant: "tnt_short".into(),
        audience: "sts.amazonaws.com".into(),
        max_session_duration: 3600,
    });
    let t = emu.id_token("tnt_short", "sts.amazonaws.com", HOUR);
    let role = ("RoleArn", "arn:aws:iam::210987654321:role/short");
    let a = assume(&emu, &[role, ("DurationSeconds", "7200")], &t);
    a.assert_error(400, "ValidationError");
    assert_eq!(
        a.tag("Message").as_deref(),
        Some("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    );
    let a = assume(&emu, &[role, ("DurationSeconds", "3600")], &t);
    assert_eq!(a.status, 200);
    assert_eq!(
        a.tag("Arn").as_deref(),
        Some("arn:aws:sts::210987654321:assumed-role/short/nsc.tenant=tnt_emulator01")
    );
}

fn sts_client(emu: &Emulator) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(emu.url())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

#[tokio::test]
async fn aws_sdk_sts_assumes_the_role() {
    // SAFETY: set before any SDK client exists in this test; every test sets the same value.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    let emu = Emulator::start();
    let token = emu.id_token(DEFAULT_TENANT, "sts.amazonaws.com", HOUR);
    let out = sts_client(&emu)
        .assume_role_with_web_identity()
        .role_arn(DEFAULT_ROLE_ARN)
        .role_session_name("nsc.tenant=tnt_emulator01")
        .web_identity_token(token)
        .duration_seconds(900)
        .send()
        .await
        .expect("the SDK parses the emulator's answer");
    let creds = out.credentials().expect("credentials");
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert!(creds.secret_access_key().len() == 40, "secret length");
    assert!(creds.session_token().len() > 300, "session token length");
    let exp = creds.expiration().secs();
    assert!((exp - (now() + 900)).abs() <= 60);
    assert_eq!(
        out.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::123456789012:assumed-role/ns-federate-test/nsc.tenant=tnt_emulator01"
    );
    assert_eq!(
        out.subject_from_web_identity_token(),
        Some("tnt_emulator01/tenant")
    );
    assert_eq!(out.provider(), Some("federation.namespaceapis.com"));
    assert_eq!(out.audience(), Some("sts.amazonaws.com"));
    assert_eq!(emu.count("sts:AssumeRoleWithWebIdentity"), 1);
    let r = &emu.requests()[0];
    assert_eq!(r.param("Action"), Some("AssumeRoleWithWebIdentity"));
    assert_eq!(r.param("Version"), Some("2011-06-15"));
}

#[tokio::test]
async fn aws_sdk_sts_sees_sts_error_codes() {
    // SAFETY: see aws_sdk_sts_assumes_the_role.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    use aws_sdk_sts::error::ProvideErrorMetadata;
    let emu = Emulator::start();
    let client = sts_client(&emu);
    let cases = [
        (
            emu.id_token("tnt_other", "sts.amazonaws.com", HOUR),
            3600,
            "AccessDenied",
        ),
        (
            emu.id_token(DEFAULT_TENANT, "sts.amazonaws.com", Duration::ZERO),
            3600,
            "ExpiredTokenException",
        ),
        (
            emu.github_id_token("a/b", "sts.amazonaws.com", HOUR),
            3600,
            "InvalidIdentityToken",
        ),
        (
            emu.id_token(DEFAULT_TENANT, "sts.amazonaws.com", HOUR),
            50_000,
            "ValidationError",
        ),
    ];
    for (token, duration, code) in cases {
        let err = client
            .assume_role_with_web_identity()
            .role_arn(DEFAULT_ROLE_ARN)
            .role_session_name("s1")
            .web_identity_token(token)
            .duration_seconds(duration)
            .send()
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Some(code));
        assert!(err.message().is_some_and(|m| !m.is_empty()));
    }
}
