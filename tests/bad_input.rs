//! Bad input gets a clear error naming the input and the expected form,
//! exit 2, and nothing is sent. A result that cannot be written exits 5.

mod common;

use std::process::Command;

use common::*;
use ns_federate_emulator::runner::{Job, action_inputs_env};
use ns_federate_emulator::{DEFAULT_ROLE_ARN, Emulator};

/// An assume-role step with `inputs` exits 2 naming the input and the
/// expected form, before anything is sent.
fn refused(inputs: &[(&str, &str)], input_name: &str, expected_form: &str) {
    assert_input_refused(inputs, &[&format!("input `{input_name}`"), expected_form]);
}

#[test]
fn malformed_role_arn() {
    for bad in [
        "deploy",
        "arn:aws:iam::12345:role/x",
        "arn:aws:iam::123456789012:user/x",
        "arn:aws:s3:::bucket",
    ] {
        refused(
            &[("role-to-assume", bad)],
            "role-to-assume",
            "arn:aws:iam::123456789012:role/NAME",
        );
    }
}

#[test]
fn duration_outside_900_to_43200_or_unparsable() {
    for bad in ["899", "43201", "13h", "an hour", "1h1h", "-5"] {
        refused(
            &[("role-duration-seconds", bad)],
            "role-duration-seconds",
            "900..43200",
        );
    }
}

#[test]
fn session_name_outside_2_to_64_or_with_characters_sts_refuses() {
    let long = "a".repeat(65);
    for bad in ["x", long.as_str(), "has space", "slash/no", "star*"] {
        refused(
            &[("role-session-name", bad)],
            "role-session-name",
            "2 to 64 characters of A-Z a-z 0-9 and _+=,.@-",
        );
    }
}

#[test]
fn unknown_mode() {
    refused(
        &[("mode", "assume")],
        "mode",
        "auto, assume-role, cognito-exchange",
    );
}

#[test]
fn boolean_inputs_other_than_the_six_spellings() {
    for input in ["export-env", "output-credentials", "mask-aws-account-id"] {
        for bad in ["on", "y", "2"] {
            refused(&[(input, bad)], input, "true, false, yes, no, 1, 0");
        }
    }
}

#[test]
fn inline_policy_that_is_not_json() {
    refused(
        &[("inline-session-policy", "{\"Version\": ")],
        "inline-session-policy",
        "IAM policy document in JSON",
    );
}

#[test]
fn cleartext_endpoint_off_loopback() {
    refused(
        &[("namespace-endpoint", "http://api.example.com")],
        "namespace-endpoint",
        "refusing to send a token over cleartext HTTP",
    );
}

#[test]
fn other_inputs_name_themselves() {
    refused(
        &[("retry-max-attempts", "many")],
        "retry-max-attempts",
        "1 to 10",
    );
    refused(&[("timeout-seconds", "0")], "timeout-seconds", "1 to 3600");
    refused(
        &[("allowed-account-ids", "12")],
        "allowed-account-ids",
        "12-digit",
    );
    refused(
        &[("managed-session-policies", "ReadOnly")],
        "managed-session-policies",
        "policy ARNs",
    );
    refused(&[("aws-region", "Mars")], "aws-region", "us-east-1");
}

#[test]
fn neither_or_both_directions_in_auto_mode() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let env = emulator_env(&emu);
    let r = job.run_action(bin(), &action_yml(), &[], &pairs(&env));
    assert_fails(&r, 2, &["role-to-assume", "identity-pool"]);
    let r = job.run_action(
        bin(),
        &action_yml(),
        &[
            ("role-to-assume", DEFAULT_ROLE_ARN),
            (
                "identity-pool",
                "us-east-1:5f2a7c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b",
            ),
        ],
        &pairs(&env),
    );
    assert_fails(&r, 2, &["mode"]);
    assert_eq!(emu.request_count(), 0);
}

/// The action run by hand (not through `Job`), so GITHUB_ENV can be absent or broken.
fn action_with_github_env(
    emu: &ns_federate_emulator::Emulator,
    token: &str,
    github_env: Option<&str>,
) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("output");
    std::fs::write(&out_file, "").unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("action")
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("GITHUB_ACTIONS", "true")
        .env("HOME", dir.path())
        .env("GITHUB_OUTPUT", &out_file)
        .envs(action_inputs_env(
            &action_yml(),
            &[
                ("role-to-assume", DEFAULT_ROLE_ARN),
                ("namespace-token", token),
            ],
        ))
        .envs(emulator_env(emu));
    if let Some(p) = github_env {
        cmd.env("GITHUB_ENV", p);
    }
    cmd.output().unwrap()
}

#[test]
fn github_env_missing_under_github_exits_5() {
    let emu = Emulator::start();
    let token = tenant_token(&emu);
    let out = action_with_github_env(&emu, &token, None);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "exit code");
    assert!(
        text.contains("GITHUB_ENV is not set"),
        "message does not name GITHUB_ENV"
    );
}

#[test]
fn github_env_unwritable_under_github_exits_5() {
    let emu = Emulator::start();
    let token = tenant_token(&emu);
    let out = action_with_github_env(&emu, &token, Some("/nonexistent/ns-federate-test/set_env"));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "exit code");
    assert!(
        text.contains("GITHUB_ENV /nonexistent/ns-federate-test/set_env"),
        "message does not name the file"
    );
    // Found before anything was sent: no credentials were minted.
    assert_eq!(emu.request_count(), 0, "something was sent");
    assert_eq!(text.matches("::add-mask::").count(), 0);
}
