//! `auth trust-aws-cognito-identity-pool` against the emulator: the caller's
//! token must belong to the workspace named (checked from its claims before
//! anything is sent), then `TrustAWSCognitoIdentityPool` with `<region>:<uuid>`
//! and `namespace.so`; after it, the exchange through that pool works.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{HOUR, cli, output_text};
use ns_federate::sinks::nsc_token::token_spec;
use ns_federate_emulator::{DEFAULT_TENANT, Emulator, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY};
use secrecy::{ExposeSecret, SecretString};

const TRUST: &str = "nsl.tenants.TenantsService/TrustAWSCognitoIdentityPool";
const POOL: &str = "eu-west-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const POOL_UUID: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/// The pool and workspace flags most tests trust with.
const POOL_ARGS: [&str; 4] = ["--identity-pool", POOL, "--tenant-id", DEFAULT_TENANT];

/// `auth trust-aws-cognito-identity-pool ARGS` with no token given.
fn trust_without_token(emu: &Emulator, home: &Path, args: &[&str]) -> Command {
    let mut cmd = cli(emu, home);
    cmd.args(["auth", "trust-aws-cognito-identity-pool"])
        .args(args);
    cmd
}

fn trust(emu: &Emulator, home: &Path, token: &str, args: &[&str]) -> Command {
    let spec = token_spec(&SecretString::from(token.to_string()));
    let mut cmd = trust_without_token(emu, home, args);
    cmd.env("NSC_TOKEN_SPEC", spec.expose_secret());
    cmd
}

/// Runs `cmd`; returns its output and its text with `token` redacted.
fn run_redacted(mut cmd: Command, token: &str) -> (Output, String) {
    let out = cmd.output().unwrap();
    let t = output_text(&out).replace(token, "***");
    (out, t)
}

/// Runs [`trust`] with [`POOL_ARGS`] and asserts it succeeded.
fn trust_ok(emu: &Emulator, home: &Path, token: &str) {
    let (out, t) = run_redacted(trust(emu, home, token, &POOL_ARGS), token);
    assert_eq!(out.status.code(), Some(0), "{t}");
}

#[test]
fn trusts_the_pool_with_a_token_of_the_same_workspace() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let token = emu.tenant_token(DEFAULT_TENANT, None, HOUR);
    let args = [
        "--aws-region",
        "eu-west-1",
        "--identity-pool",
        POOL_UUID,
        "--tenant-id",
        DEFAULT_TENANT,
    ];
    let (out, t) = run_redacted(trust(&emu, home.path(), &token, &args), &token);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains(&format!(
            "Workspace {DEFAULT_TENANT} now trusts Cognito identity pool {POOL}"
        )),
        "{t}"
    );
    assert!(
        !output_text(&out).contains(&token),
        "the token appears in the output"
    );
    assert!(emu.is_pool_trusted(DEFAULT_TENANT, POOL));
    let reqs = emu.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, TRUST);
    assert_eq!(reqs[0].param("aws_cognito_identity_pool"), Some(POOL));
    assert_eq!(reqs[0].param("identity_provider"), Some("namespace.so"));
    assert!(
        reqs[0]
            .header("authorization")
            .is_some_and(|a| a.starts_with("Bearer ")),
        "authenticated with the caller's token"
    );
}

#[test]
fn refuses_a_token_of_another_workspace_before_sending() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let token = emu.tenant_token("tnt_other", None, HOUR);
    let (out, t) = run_redacted(trust(&emu, home.path(), &token, &POOL_ARGS), &token);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("tnt_other") && t.contains(DEFAULT_TENANT), "{t}");
    assert!(t.contains("Nothing was sent"), "{t}");
    assert_eq!(emu.request_count(), 0, "nothing sent");
    assert!(!emu.is_pool_trusted(DEFAULT_TENANT, POOL));
    assert!(!emu.is_pool_trusted("tnt_other", POOL));
}

#[test]
fn a_session_token_is_exchanged_first() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let session = emu.session_token(DEFAULT_TENANT, HOUR);
    trust_ok(&emu, home.path(), &session);
    assert_eq!(
        emu.count("nsl.signin.SigninService/IssueTenantTokenFromSession"),
        1
    );
    assert_eq!(emu.count(TRUST), 1);
    assert!(emu.is_pool_trusted(DEFAULT_TENANT, POOL));
}

#[test]
fn the_users_nsc_login_is_used_and_no_token_lists_the_sources() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let out = trust_without_token(&emu, home.path(), &POOL_ARGS)
        .output()
        .unwrap();
    let t = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("No Namespace token found") && t.contains("NSC_TOKEN_SPEC"),
        "{t}"
    );
    assert_eq!(emu.request_count(), 0);

    let dir = home.path().join(".config/ns");
    std::fs::create_dir_all(&dir).unwrap();
    let token = emu.tenant_token(DEFAULT_TENANT, None, HOUR);
    std::fs::write(
        dir.join("token.json"),
        format!("{{\"bearer_token\":\"{token}\"}}"),
    )
    .unwrap();
    let cmd = trust_without_token(
        &emu,
        home.path(),
        &["--identity_pool", POOL, "--tenant_id", DEFAULT_TENANT],
    );
    let (out, t) = run_redacted(cmd, &token);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(emu.is_pool_trusted(DEFAULT_TENANT, POOL));
}

#[test]
fn bad_pool_or_tenant_is_refused_before_sending() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let token = emu.tenant_token(DEFAULT_TENANT, None, HOUR);
    for (args, needle) in [
        (
            vec![
                "--identity-pool",
                "eu-west-1:nope",
                "--tenant-id",
                DEFAULT_TENANT,
            ],
            "--identity-pool",
        ),
        (
            vec![
                "--aws-region",
                "us-east-1",
                "--identity-pool",
                POOL,
                "--tenant-id",
                DEFAULT_TENANT,
            ],
            "contradicts",
        ),
        (vec!["--identity-pool", POOL], "--tenant-id"),
        (vec!["--tenant-id", DEFAULT_TENANT], "--identity-pool"),
    ] {
        let (out, t) = run_redacted(trust(&emu, home.path(), &token, &args), &token);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {t}");
        assert!(t.contains(needle), "{args:?}: {t}");
    }
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn after_trusting_the_exchange_through_the_pool_works() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    emu.add_pool(POOL, "namespace.so");
    let exchange = || {
        let mut cmd = cli(&emu, home.path());
        cmd.env("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY)
            .args([
                "auth",
                "exchange-aws-cognito-token",
                "--identity-pool",
                POOL,
                "--tenant-id",
                DEFAULT_TENANT,
                "--format",
                "json",
            ]);
        cmd.output().unwrap()
    };
    let before = exchange();
    assert_eq!(before.status.code(), Some(3), "{}", output_text(&before));
    assert!(output_text(&before).contains("trust-aws-cognito-identity-pool"));

    let token = emu.tenant_token(DEFAULT_TENANT, None, HOUR);
    trust_ok(&emu, home.path(), &token);

    let after = exchange();
    assert!(
        after.status.code() == Some(0),
        "exit {:?}",
        after.status.code()
    );
    let v: serde_json::Value = serde_json::from_slice(&after.stdout).expect("JSON");
    assert_eq!(v["tenant_id"], DEFAULT_TENANT);
}
