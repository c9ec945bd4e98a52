//! `aws trust-policy`: the IAM role trust policy of the seed, as valid,
//! pretty JSON ready for `aws iam create-role --assume-role-policy-document`.
//! No network and no token are needed.

mod common;

use std::process::{Command, Output};

use common::BIN;

fn run(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(BIN)
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Unreachable on purpose: the command must not need the network.
        .env("NSC_IAM_ENDPOINT", "http://127.0.0.1:9")
        .args(["aws", "trust-policy"])
        .args(args)
        .output()
        .expect("run ns-federate")
}

fn policy(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(text.contains("\n  "), "pretty-printed");
    serde_json::from_str(&text).expect("the policy is valid JSON")
}

#[test]
fn policy_for_an_account_matches_the_seed_conditions() {
    let doc = policy(&run(&[
        "--tenant-id",
        "tnt_abc123",
        "--account-id",
        "123456789012",
    ]));
    assert_eq!(doc["Version"], "2012-10-17");
    let statements = doc["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1);
    let s = &statements[0];
    assert_eq!(s["Effect"], "Allow");
    assert_eq!(s["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(
        s["Principal"]["Federated"],
        "arn:aws:iam::123456789012:oidc-provider/federation.namespaceapis.com"
    );
    assert_eq!(
        s["Condition"],
        serde_json::json!({
            "StringEquals": {"federation.namespaceapis.com:aud": "sts.amazonaws.com"},
            "StringLike": {"federation.namespaceapis.com:sub": "tnt_abc123/*"}
        })
    );
}

#[test]
fn provider_arn_of_another_partition_and_nsc_spellings() {
    let arn = "arn:aws-us-gov:iam::210987654321:oidc-provider/federation.namespaceapis.com";
    let doc = policy(&run(&["--tenant_id", "tnt_gov", "--provider_arn", arn]));
    assert_eq!(doc["Statement"][0]["Principal"]["Federated"], arn);
    assert_eq!(
        doc["Statement"][0]["Condition"]["StringLike"]["federation.namespaceapis.com:sub"],
        "tnt_gov/*"
    );
}

#[test]
fn tenant_from_the_environment() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NSC_TENANT_ID", "tnt_env")
        .args(["aws", "trust-policy", "--account-id", "123456789012"])
        .output()
        .unwrap();
    let doc = policy(&out);
    assert_eq!(
        doc["Statement"][0]["Condition"]["StringLike"]["federation.namespaceapis.com:sub"],
        "tnt_env/*"
    );
}

#[test]
fn bad_or_missing_inputs_are_input_errors() {
    for (args, needle) in [
        (vec!["--account-id", "123456789012"], "--tenant-id"),
        (vec!["--tenant-id", "tnt_x"], "--account-id"),
        (
            vec![
                "--tenant-id",
                "tnt_x",
                "--account-id",
                "123456789012",
                "--provider-arn",
                "arn:aws:iam::123456789012:oidc-provider/federation.namespaceapis.com",
            ],
            "Both",
        ),
        (
            vec!["--tenant-id", "tnt_x", "--account-id", "1234"],
            "12-digit",
        ),
        (
            vec!["--tenant-id", "tnt_*", "--account-id", "123456789012"],
            "--tenant-id",
        ),
        (
            vec![
                "--tenant-id",
                "tnt_x",
                "--provider-arn",
                "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            ],
            "federation.namespaceapis.com",
        ),
    ] {
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {needle:?} not in {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing printed");
    }
}
