//! Edges of input validation and of the Namespace side: values that must be
//! refused before anything is sent (exit 2, zero requests), token forms that
//! must be accepted, and Namespace / GitHub OIDC answers that must be read
//! for what they are.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Output;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use ns_federate_emulator::fake::FakeServer;
use ns_federate_emulator::{DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator, ErrorForm, Fault};

const ISSUE_ID_TOKEN: &str = "nsl.tenants.TenantsService/IssueIdToken";
const STS: &str = "sts:AssumeRoleWithWebIdentity";

/// An unsigned `nsct_` token with these claims (nothing checks the
/// signature before it is sent, and these tests refuse it before that).
fn unsigned_tenant_token(claims: serde_json::Value) -> String {
    let enc = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "nsct_{}.{}.c2ln",
        enc(serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        enc(claims)
    )
}

// --- 5: a token whose exp no clock can hold ---

#[test]
fn a_token_with_an_absurd_exp_is_an_input_error_not_a_panic() {
    for exp in [
        serde_json::json!(18446744073709551615u64),
        serde_json::json!(253402300800u64),
    ] {
        let token =
            unsigned_tenant_token(serde_json::json!({"tenant_id": DEFAULT_TENANT, "exp": exp}));
        let emu = Emulator::start();
        let (r, _) = run_assume_role(&emu, &[("namespace-token", &token)], &[]);
        assert_fails(&r, 2, &["exp claim is out of range"]);
        assert!(!r.output.contains("panicked"), "it panicked");
        assert_eq!(emu.request_count(), 0, "the token was sent");
        assert!(!r.output.contains(&token), "the token was printed");
    }
}

// --- 6, 7: ARNs ---

#[test]
fn whitespace_inside_the_role_arn_is_refused() {
    for bad in [
        "arn:aws:iam:: 123456789012:role/ns-federate-test",
        "arn:aws:iam::123456789012 :role/ns-federate-test",
        "arn:aws:iam::123456789012:role/ns-federate test",
    ] {
        assert_input_refused(
            &[("role-to-assume", bad)],
            &["input `role-to-assume`", "whitespace inside"],
        );
    }
}

#[test]
fn malformed_managed_policy_arns_are_refused() {
    for bad in [
        "arn:aws:iam::123:policy/x",
        "arn:aws:iam:us-east-1:aws:policy/x",
        "arn:aws:iam::aws:policy/a b",
        "arn:aws:iam::aws:policy/a*b",
        "arn:aws:iam::aws:policy/ReadOnlyAccess,arn:aws:iam::aws:policy/",
    ] {
        assert_input_refused(
            &[("managed-session-policies", bad)],
            &["input `managed-session-policies`", "is not a policy ARN"],
        );
    }
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let out = cli(&emu, home.path())
        .args(["aws", "assume-role", "--role-arn", DEFAULT_ROLE_ARN])
        .args(["--policy-arn", "arn:aws:iam::123:policy/x"])
        .env("NSC_TOKEN_SPEC", "unused")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("--policy-arn"),
        "{}",
        output_text(&out)
    );
    assert_eq!(emu.request_count(), 0);
}

// --- 8: partitions ---

#[test]
fn a_region_outside_the_role_partition_is_refused_before_sending() {
    assert_input_refused(
        &[
            ("role-to-assume", "arn:aws-us-gov:iam::123456789012:role/x"),
            ("aws-region", "us-east-1"),
        ],
        &[
            "input `aws-region`",
            "partition aws-us-gov",
            "us-gov-west-1",
        ],
    );
    assert_input_refused(
        &[("aws-region", "cn-north-1")],
        &["input `aws-region`", "partition aws-cn"],
    );
}

// --- 9, 19: token specs wrapped by base64, files with a byte-order mark ---

#[test]
fn a_line_wrapped_token_spec_is_accepted() {
    let emu = Emulator::start();
    let token = tenant_token(&emu);
    let spec =
        STANDARD.encode(serde_json::json!({"version": "v1", "inline_token": token}).to_string());
    // As `base64` prints it: 76 columns, then a newline (and \r\n from Windows tools).
    let wrapped = spec
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n");
    assert!(wrapped.contains('\n'), "the spec is too short to wrap");
    let (r, _) = run_assume_role(
        &emu,
        &[("namespace-token", "")],
        &[("NSC_TOKEN_SPEC", &wrapped)],
    );
    assert_ok(&r, &[&token]);
    assert_eq!(emu.count(STS), 1);
}

#[test]
fn a_token_file_starting_with_a_byte_order_mark_is_accepted() {
    let emu = Emulator::start();
    let token = tenant_token(&emu);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token.txt");
    std::fs::write(&file, format!("\u{feff}{token}\r\n")).unwrap();
    let path = file.to_string_lossy().into_owned();
    let (r, _) = run_assume_role(
        &emu,
        &[("namespace-token", ""), ("namespace-token-file", &path)],
        &[],
    );
    assert_ok(&r, &[&token]);
    assert_eq!(emu.count(STS), 1);
}

// --- 11, 12: web-identity ---

/// `aws web-identity --token-file wi.jwt` run in `work` with `token` and then `extra`.
fn web_identity(
    emu: &Emulator,
    home: &std::path::Path,
    work: &std::path::Path,
    token: &str,
    extra: &[&str],
) -> Output {
    cli(emu, home)
        .current_dir(work)
        .args(["aws", "web-identity", "--role-arn", DEFAULT_ROLE_ARN])
        .args(["--token-file", "wi.jwt", "--namespace-token", token])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn web_identity_exports_an_absolute_token_file_path() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let token = tenant_token(&emu);
    let out = web_identity(&emu, home.path(), work.path(), &token, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "exit {:?}", out.status.code());
    let expected = work.path().join("wi.jwt");
    assert!(
        expected.is_file(),
        "the token file is not where it was asked for"
    );
    let line = stdout
        .lines()
        .find(|l| l.contains("AWS_WEB_IDENTITY_TOKEN_FILE="))
        .unwrap_or_else(|| panic!("no AWS_WEB_IDENTITY_TOKEN_FILE line in {stdout}"));
    assert!(
        line.contains(&expected.to_string_lossy().into_owned()),
        "not the absolute path {}: {line}",
        expected.display()
    );
}

#[test]
fn web_identity_with_a_format_it_cannot_serve_sends_nothing() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let token = tenant_token(&emu);
    let out = web_identity(
        &emu,
        home.path(),
        work.path(),
        &token,
        &["--format", "credential-process"],
    );
    let all = output_text(&out);
    let shown = all.replace(&token, "***");
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(all.contains("credential-process"), "{shown}");
    assert_eq!(emu.request_count(), 0, "an ID token was minted");
    assert!(
        !work.path().join("wi.jwt").exists(),
        "a token file was written"
    );
}

// --- 16: GitHub's OIDC endpoint is not Namespace ---

fn github_env(emu: &Emulator, url: &str) -> Vec<(String, String)> {
    vec![
        ("ACTIONS_ID_TOKEN_REQUEST_URL".into(), url.to_string()),
        (
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(),
            emu.github_request_token(),
        ),
    ]
}

#[test]
fn a_403_from_github_oidc_is_blamed_on_github_permissions() {
    let emu = Emulator::start();
    emu.fail_next("github:token", 1, Fault::Http(403));
    let env = github_env(&emu, &emu.github_oidc_url());
    let (r, _) = run_assume_role(&emu, &[("namespace-token", "")], &pairs(&env));
    assert_fails(
        &r,
        3,
        &[
            "GitHub's OIDC token endpoint answered 403",
            "permissions: id-token: write",
        ],
    );
    assert!(
        !r.output.contains("Namespace answered"),
        "blamed on Namespace"
    );
    assert_eq!(emu.count("github:token"), 1, "a refusal is not retried");
    assert_eq!(emu.count("ExchangeGithubToken"), 0);
}

#[test]
fn a_github_oidc_answer_without_value_is_github_side_and_not_retried() {
    let emu = Emulator::start();
    let github = FakeServer::fixed(200, "application/json", r#"{"count":1}"#);
    let url = format!("{}/token?api-version=2.0", github.url());
    let env = github_env(&emu, &url);
    let (r, _) = run_assume_role(
        &emu,
        &[("namespace-token", ""), ("retry-max-attempts", "3")],
        &pairs(&env),
    );
    assert_fails(
        &r,
        4,
        &["GitHub's OIDC token endpoint answered without a usable token: it has no `value`"],
    );
    assert!(
        !r.output.contains("Namespace's answer"),
        "blamed on Namespace"
    );
    assert_eq!(
        github.requests().len(),
        1,
        "retried an answer that will not change"
    );
    assert_eq!(emu.request_count(), 0);
}

// --- 18: environment values that are not UTF-8 ---

fn with_non_utf8(emu: &Emulator, args: &[&str], name: &str, extra: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = cli(emu, home.path());
    cmd.args(args)
        .env(name, OsStr::from_bytes(b"arn:\xff"))
        .envs(extra.iter().copied());
    cmd.output().unwrap()
}

#[test]
fn a_non_utf8_variable_is_named_in_the_error() {
    let emu = Emulator::start();
    let token = tenant_token(&emu);
    let out = with_non_utf8(&emu, &["aws", "assume-role"], "NSC_AWS_ROLE_ARN", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("NSC_AWS_ROLE_ARN is not valid UTF-8"),
        "{}",
        output_text(&out)
    );
    let out = with_non_utf8(
        &emu,
        &["aws", "assume-role", "--role-arn", DEFAULT_ROLE_ARN],
        "NSC_TOKEN_SPEC",
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("NSC_TOKEN_SPEC is not valid UTF-8"),
        "{}",
        output_text(&out)
    );
    // Under the action, with a valid token: the input is named.
    let out = with_non_utf8(
        &emu,
        &["action"],
        "INPUT_ROLE-TO-ASSUME",
        &[("INPUT_NAMESPACE-TOKEN", token.as_str())],
    );
    let all = output_text(&out).replace(&token, "***");
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("INPUT_ROLE-TO-ASSUME (input `role-to-assume`) is not valid UTF-8"),
        "{all}"
    );
    assert_eq!(emu.request_count(), 0);
}

// --- 20: messages ---

#[test]
fn messages_about_sizes_are_exact() {
    let long = "a".repeat(100_000);
    assert_input_refused(
        &[("audience", &long)],
        &["input `audience`", "it is longer than 256 characters"],
    );
    assert_input_refused(
        &[("role-duration-seconds", "99999999999999999999999")],
        &[
            "input `role-duration-seconds`",
            "out of range (900..43200 seconds)",
        ],
    );
    assert_input_refused(
        &[("role-session-name", "x")],
        &["input `role-session-name`", "it is 1 character long"],
    );
}

// --- 21: INTERNAL and bare 500 are retried ---

#[test]
fn grpc_internal_and_a_bare_500_from_namespace_are_retried() {
    for fault in [
        Fault::Grpc {
            code: 13,
            form: ErrorForm::NumericJson,
        },
        Fault::Grpc {
            code: 13,
            form: ErrorForm::Headers,
        },
        Fault::Http(500),
    ] {
        let emu = Emulator::start();
        emu.fail_next(ISSUE_ID_TOKEN, 1, fault.clone());
        let (r, _) = run_assume_role(&emu, &[], &[]);
        assert_ok(&r, &[]);
        assert_eq!(emu.count(ISSUE_ID_TOKEN), 2, "{fault:?} was not retried");
        assert_eq!(emu.count(STS), 1);
    }
    let emu = Emulator::start();
    emu.fail_next(
        ISSUE_ID_TOKEN,
        2,
        Fault::Grpc {
            code: 13,
            form: ErrorForm::NumericJson,
        },
    );
    let (r, _) = run_assume_role(&emu, &[("retry-max-attempts", "2")], &[]);
    assert_fails(&r, 4, &["internal (13)", "after 2 attempts"]);
    assert_eq!(emu.count(ISSUE_ID_TOKEN), 2);
}

// --- 22: an empty id_token is Namespace's unreadable answer ---

#[test]
fn an_empty_id_token_is_namespace_unreadable_and_never_reaches_sts() {
    let emu = Emulator::start();
    let namespace = FakeServer::fixed(200, "application/json", r#"{"id_token":""}"#);
    let url = namespace.url();
    let (r, _) = run_assume_role(
        &emu,
        &[("retry-max-attempts", "2")],
        &[("NSC_IAM_ENDPOINT", &url)],
    );
    assert_fails(
        &r,
        4,
        &[
            "Namespace's answer to nsl.tenants.TenantsService/IssueIdToken could not be read",
            "`id_token` is missing or empty",
            "after 2 attempts",
        ],
    );
    assert_eq!(namespace.requests().len(), 2, "not retried as transient");
    assert_eq!(emu.count(STS), 0, "the empty token was sent to STS");
    assert!(!r.output.contains("STS"), "blamed on AWS");
}

// --- 24: the missing role names what this mode takes ---

#[test]
fn a_missing_role_names_the_flag_on_the_cli_and_the_input_in_the_action() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let out = cli(&emu, home.path())
        .args(["aws", "assume-role"])
        .output()
        .unwrap();
    let all = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("--role-arn") && all.contains("NSC_AWS_ROLE_ARN"),
        "{all}"
    );
    assert!(
        !all.contains("role-to-assume"),
        "an action input on the CLI: {all}"
    );

    let (r, _) = run_assume_role(
        &emu,
        &[("role-to-assume", ""), ("mode", "assume-role")],
        &[],
    );
    assert_fails(&r, 2, &["input `role-to-assume`"]);
    assert!(!r.output.contains("--role-arn"), "a flag in the action");
    assert_eq!(emu.request_count(), 0);
}
