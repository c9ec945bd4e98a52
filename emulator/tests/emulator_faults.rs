//! Fault injection (every `Fault` kind, from Rust, the admin HTTP endpoint and
//! the CLI), latency, request counting, and the standalone binary's output.

use ns_federate_emulator::{DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator, ErrorForm, Fault};
use serde_json::{Value, json};
use std::io::BufRead;
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);
const ISSUE: &str = "nsl.tenants.TenantsService/IssueIdToken";

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

fn issue(emu: &Emulator) -> Result<Answer, reqwest::Error> {
    let t = emu.tenant_token(DEFAULT_TENANT, None, HOUR);
    // A fresh client per call: a dropped connection must not poison a pooled one.
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/{ISSUE}", emu.url()))
        .header("authorization", format!("Bearer {t}"))
        .json(&json!({"audience": "sts.amazonaws.com", "version": 1}))
        .send()?;
    Ok(Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text()?,
    })
}

fn assume(emu: &Emulator) -> Answer {
    let token = emu.id_token(DEFAULT_TENANT, "sts.amazonaws.com", HOUR);
    let body = serde_urlencoded::to_string([
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", DEFAULT_ROLE_ARN),
        ("RoleSessionName", "faults"),
        ("WebIdentityToken", token.as_str()),
    ])
    .unwrap();
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/", emu.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .unwrap();
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().unwrap(),
    }
}

#[test]
fn grpc_faults_in_each_form_then_success() {
    let emu = Emulator::start();
    emu.fail_next(
        ISSUE,
        1,
        Fault::Grpc {
            code: 14,
            form: ErrorForm::NumericJson,
        },
    );
    emu.fail_next(
        "IssueIdToken",
        1,
        Fault::Grpc {
            code: 8,
            form: ErrorForm::StringJson,
        },
    );
    emu.fail_next(
        ISSUE,
        1,
        Fault::Grpc {
            code: 7,
            form: ErrorForm::Headers,
        },
    );

    let a = issue(&emu).unwrap();
    assert_eq!(a.status, 503);
    assert_eq!(serde_json::from_str::<Value>(&a.body).unwrap()["code"], 14);
    let a = issue(&emu).unwrap();
    assert_eq!(a.status, 429);
    assert_eq!(
        serde_json::from_str::<Value>(&a.body).unwrap()["code"],
        "resource_exhausted"
    );
    let a = issue(&emu).unwrap();
    assert_eq!(a.status, 403);
    assert_eq!(a.headers["grpc-status"], "7");
    let a = issue(&emu).unwrap();
    assert_eq!(a.status, 200);
    assert_eq!(emu.count(ISSUE), 4);
    assert_eq!(emu.request_count(), 4);
}

#[test]
fn http_malformed_and_empty_bodies() {
    let emu = Emulator::start();
    emu.fail_next(ISSUE, 2, Fault::Http(502));
    emu.fail_next(ISSUE, 1, Fault::MalformedBody);
    emu.fail_next(ISSUE, 1, Fault::EmptyBody);
    for _ in 0..2 {
        let a = issue(&emu).unwrap();
        assert_eq!(a.status, 502);
        assert!(serde_json::from_str::<Value>(&a.body).is_err());
    }
    let a = issue(&emu).unwrap();
    assert_eq!(a.status, 200);
    assert!(
        serde_json::from_str::<Value>(&a.body).is_err(),
        "malformed body does not parse"
    );
    let a = issue(&emu).unwrap();
    assert_eq!(a.status, 200);
    assert!(a.body.is_empty());
    assert_eq!(issue(&emu).unwrap().status, 200);
}

#[test]
fn dropped_connection_then_recovery() {
    let emu = Emulator::start();
    emu.fail_next(ISSUE, 1, Fault::DropConnection);
    let err = issue(&emu)
        .err()
        .expect("connection closed without an answer");
    assert!(!err.is_status(), "no HTTP status was received");
    assert_eq!(issue(&emu).unwrap().status, 200);
    assert_eq!(emu.count(ISSUE), 2);
}

#[test]
fn sts_and_cognito_error_faults() {
    let emu = Emulator::start();
    emu.fail_next(
        "sts:AssumeRoleWithWebIdentity",
        1,
        Fault::Sts("IDPCommunicationError".into()),
    );
    emu.fail_next(
        "AssumeRoleWithWebIdentity",
        1,
        Fault::Sts("InternalFailure".into()),
    );
    let a = assume(&emu);
    assert_eq!(a.status, 400);
    assert!(a.body.contains("<Code>IDPCommunicationError</Code>"));
    let a = assume(&emu);
    assert_eq!(a.status, 500);
    assert!(a.body.contains("<Type>Receiver</Type>"));
    assert_eq!(assume(&emu).status, 200);

    emu.fail_next(
        "cognito-identity:GetOpenIdTokenForDeveloperIdentity",
        1,
        Fault::Cognito("TooManyRequestsException".into()),
    );
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/", emu.url()))
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            "AWSCognitoIdentityService.GetOpenIdTokenForDeveloperIdentity",
        )
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().unwrap();
    assert_eq!(v["__type"], "TooManyRequestsException");
    assert_eq!(
        emu.count("cognito-identity:GetOpenIdTokenForDeveloperIdentity"),
        1
    );
}

#[test]
fn malformed_and_empty_sts_bodies() {
    let emu = Emulator::start();
    emu.fail_next("sts:AssumeRoleWithWebIdentity", 1, Fault::MalformedBody);
    emu.fail_next("sts:AssumeRoleWithWebIdentity", 1, Fault::EmptyBody);
    let a = assume(&emu);
    assert_eq!(a.status, 200);
    assert!(
        a.body.starts_with("<AssumeRoleWithWebIdentityResponse")
            && !a.body.contains("</Credentials>")
    );
    let a = assume(&emu);
    assert_eq!(a.status, 200);
    assert!(a.body.is_empty());
}

#[test]
fn latency_delays_the_answer() {
    let emu = Emulator::start();
    emu.set_latency("IssueIdToken", Duration::from_millis(300));
    let start = Instant::now();
    assert_eq!(issue(&emu).unwrap().status, 200);
    // A lower bound only: the answer cannot come before the injected delay.
    assert!(start.elapsed() >= Duration::from_millis(300));
    emu.set_latency("IssueIdToken", Duration::ZERO);
    assert_eq!(issue(&emu).unwrap().status, 200);
}

#[test]
fn admin_endpoints_arm_faults_list_and_reset_without_being_counted() {
    let emu = Emulator::start();
    let c = reqwest::blocking::Client::new();
    let r = c
        .post(format!("{}/_emulator/faults", emu.url()))
        .json(&json!({"spec": "IssueIdToken:1:unavailable"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = c
        .post(format!("{}/_emulator/faults", emu.url()))
        .json(&json!({"method": ISSUE, "count": 1, "fault": "http=504"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = c
        .post(format!("{}/_emulator/faults", emu.url()))
        .json(&json!({"spec": "IssueIdToken:1:nonsense"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    assert_eq!(issue(&emu).unwrap().status, 503);
    assert_eq!(issue(&emu).unwrap().status, 504);
    assert_eq!(issue(&emu).unwrap().status, 200);
    let _ = c
        .get(format!("{}/.well-known/jwks.json", emu.url()))
        .send()
        .unwrap();

    let listed: Value = c
        .get(format!("{}/_emulator/requests", emu.url()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(listed["count"], 3);
    assert_eq!(listed["requests"][0]["method"], ISSUE);
    let text = listed.to_string();
    assert!(
        !text.contains("nsct_"),
        "no bearer token in the recorded requests"
    );
    assert_eq!(emu.request_count(), 3);

    emu.fail_next(ISSUE, 5, Fault::Http(500));
    let r = c
        .post(format!("{}/_emulator/reset", emu.url()))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(emu.request_count(), 0);
    assert_eq!(issue(&emu).unwrap().status, 200, "reset cleared the faults");

    emu.reset();
    assert!(emu.requests().is_empty());
}

#[test]
fn binary_prints_eval_lines_and_honours_fail_flags() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ns-federate-emulator"))
        .args([
            "--fail",
            "IssueIdToken:1:grpc=14/headers",
            "--print-aws-test-creds",
        ])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("emulator binary starts");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut vars = std::collections::HashMap::new();
    for _ in 0..8 {
        let line = lines.next().expect("a line").expect("utf-8");
        let (k, v) = line
            .strip_prefix("export ")
            .expect("export line")
            .split_once('=')
            .unwrap();
        vars.insert(k.to_string(), v.to_string());
    }
    let url = vars["NSC_IAM_ENDPOINT"].clone();
    assert!(url.starts_with("http://127.0.0.1:"));
    assert_eq!(vars["AWS_ENDPOINT_URL"], url);
    assert_eq!(vars["DEMO_ROLE_ARN"], DEFAULT_ROLE_ARN);
    assert!(
        vars["AWS_ACCESS_KEY_ID"] == ns_federate_emulator::TEST_ACCESS_KEY_ID,
        "test key printed"
    );
    use base64::Engine;
    let spec = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&vars["NSC_TOKEN_SPEC"])
        .expect("unpadded standard base64");
    let spec: Value = serde_json::from_slice(&spec).unwrap();
    assert_eq!(spec["version"], "v1");
    let token = spec["inline_token"].as_str().unwrap().to_string();
    assert!(token.starts_with("nsct_"));

    let call = || {
        reqwest::blocking::Client::new()
            .post(format!("{url}/{ISSUE}"))
            .header("authorization", format!("Bearer {token}"))
            .json(&json!({"audience": "sts.amazonaws.com"}))
            .send()
            .unwrap()
    };
    let r = call();
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(r.headers()["grpc-status"], "14");
    assert_eq!(call().status().as_u16(), 200);
    child.kill().expect("stop the emulator we started");
    let _ = child.wait();
}
