//! Under GitHub Actions: every secret is registered with `::add-mask::`
//! (on stderr, with the log) before anything else shows it, in every output
//! format; upstream error text that echoes a secret is redacted; log lines
//! cannot start a workflow command.

mod common;

use std::process::Command;

use common::*;
use ns_federate_emulator::fake::{FakeServer, Response};
use ns_federate_emulator::runner::{Job, StepResult, parse_file_command};
use ns_federate_emulator::{DEFAULT_ROLE_ARN, Emulator};

/// The binary with a clean env, under GitHub Actions, pointed at the emulator.
fn github_cli(emu: &Emulator, home: &std::path::Path) -> Command {
    let mut cmd = cli(emu, home);
    cmd.env("GITHUB_ACTIONS", "true");
    cmd
}

/// Lines of `output` that the runner would read as a workflow command.
fn command_lines(output: &str) -> Vec<&str> {
    output
        .split('\n')
        .filter(|l| l.trim_start().starts_with("::"))
        .collect()
}

#[test]
fn workflow_commands_go_to_stderr_so_a_captured_stdout_holds_none() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let github_env = home.path().join("set_env");
    std::fs::write(&github_env, "").unwrap();
    let token = tenant_token(&emu);
    let out = github_cli(&emu, home.path())
        .env("GITHUB_ENV", &github_env)
        .args(["aws", "assume-role", "--role-arn", DEFAULT_ROLE_ARN])
        .args(["--namespace-token", &token])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let pairs = parse_file_command(&std::fs::read_to_string(&github_env).unwrap())
        .expect("GITHUB_ENV parses");
    let get = |n: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{n} not in GITHUB_ENV"))
    };
    let creds = [
        get("AWS_ACCESS_KEY_ID"),
        get("AWS_SECRET_ACCESS_KEY"),
        get("AWS_SESSION_TOKEN"),
    ];
    let mut secrets: Vec<&str> = creds.iter().map(String::as_str).collect();
    secrets.push(&token);
    let redact = |s: &str| {
        secrets
            .iter()
            .fold(s.to_string(), |acc, v| acc.replace(v, "***"))
    };
    assert!(
        out.status.code() == Some(0),
        "exit {:?}: {}",
        out.status.code(),
        redact(&stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "stdout is not empty (an `eval \"$(…)\"` would run it): {}",
        redact(&String::from_utf8_lossy(&out.stdout))
    );
    for (i, c) in creds.iter().enumerate() {
        assert!(
            stderr.contains(&format!("::add-mask::{c}\n")),
            "credential #{i} has no ::add-mask:: line on stderr"
        );
    }
    assert!(
        stderr.contains("::group::") && stderr.contains("::endgroup::"),
        "the log group is not on stderr: {}",
        redact(&stderr)
    );
}

/// The credential values a format printed: (access key id, secret, session token).
fn printed_credentials(format: &str, output: &str) -> (String, String, String) {
    if format == "json" || format == "credential-process" {
        let line = output
            .lines()
            .find(|l| l.starts_with('{'))
            .expect("a JSON line");
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let f = |k: &str| v[k].as_str().expect("a credential field").to_string();
        return (f("AccessKeyId"), f("SecretAccessKey"), f("SessionToken"));
    }
    let prefix = if format == "shell" { "export " } else { "" };
    let f = |name: &str| {
        let start = format!("{prefix}{name}=");
        let v = output
            .lines()
            .find_map(|l| l.strip_prefix(&start))
            .unwrap_or_else(|| panic!("{name} not printed"));
        v.trim_matches('\'').to_string()
    };
    (
        f("AWS_ACCESS_KEY_ID"),
        f("AWS_SECRET_ACCESS_KEY"),
        f("AWS_SESSION_TOKEN"),
    )
}

#[test]
fn every_format_masks_the_secrets_it_prints_before_printing_them() {
    let emu = Emulator::start();
    for format in ["shell", "json", "dotenv", "credential-process"] {
        let mut job = Job::new();
        let token = tenant_token(&emu);
        let mut cmd = Command::new(bin());
        cmd.args(["aws", "assume-role", "--role-arn", DEFAULT_ROLE_ARN])
            .args(["--format", format, "--namespace-token", &token])
            .envs(emulator_env(&emu));
        let r = job.run_step(cmd);
        assert_ok(&r, &[&token]);
        let (key, secret, session) = printed_credentials(format, &r.output);
        assert!(
            credentials_are_the_ones_sts_issued(&emu, &key, &secret, &session),
            "{format}: the printed credentials are not the ones STS issued"
        );
        r.assert_masked_before_use(&[&key, &secret, &session, &token]);
    }
}

#[test]
fn the_namespace_token_and_the_id_token_are_masked() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let token = tenant_token(&emu);
    let token_file = job.dir().join("web-identity.jwt");
    let mut cmd = Command::new(bin());
    cmd.args(["aws", "web-identity", "--role-arn", DEFAULT_ROLE_ARN])
        .arg("--token-file")
        .arg(&token_file)
        .args(["--namespace-token", &token])
        .envs(emulator_env(&emu));
    let r = job.run_step(cmd);
    assert_ok(&r, &[&token]);
    let id_token = std::fs::read_to_string(&token_file).expect("the ID token file");
    assert!(id_token.starts_with("eyJ"), "the file does not hold a JWT");
    r.assert_masked_before_use(&[&token, &id_token]);

    // The action, too: the token given as input is registered once found.
    let (r, _) = assume_role_step(&mut job, &emu, &[("namespace-token", &token)], &[]);
    assert_ok(&r, &[&token]);
    r.assert_masked_before_use(&[&token]);
}

/// The `::error` lines of a step.
fn error_lines(r: &StepResult) -> Vec<&str> {
    command_lines(&r.output)
        .into_iter()
        .filter(|l| l.trim_start().starts_with("::error"))
        .collect()
}

#[test]
fn an_sts_error_that_echoes_the_id_token_is_redacted() {
    let emu = Emulator::start();
    // An STS that quotes the submitted token back in its error message.
    let sts = FakeServer::start(|req| {
        let t = req.form_value("WebIdentityToken").unwrap_or_default();
        Response {
            status: 400,
            content_type: "text/xml",
            body: format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
                 <Code>InvalidIdentityToken</Code><Message>The token {t} is not valid</Message></Error>\
                 <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
            ),
        }
    });
    let (r, token) = run_assume_role(
        &emu,
        &[("retry-max-attempts", "1")],
        &[("AWS_ENDPOINT_URL_STS", &sts.url())],
    );
    let id_token = sts
        .requests()
        .first()
        .and_then(|q| q.form_value("WebIdentityToken"))
        .expect("STS received an ID token");
    assert!(id_token.starts_with("eyJ"), "not a JWT");
    assert!(
        r.code == 3,
        "exit {}: {}",
        r.code,
        r.redacted_output(&[&id_token, &token])
    );
    r.assert_masked_before_use(&[&id_token, &token]);
    let errors = error_lines(&r);
    assert!(!errors.is_empty(), "no ::error line");
    for e in &errors {
        assert!(
            !e.contains(&id_token),
            "the ::error line holds the ID token"
        );
    }
    assert!(
        errors
            .iter()
            .any(|e| e.contains("The token *** is not valid")),
        "the upstream message is not shown redacted: {}",
        r.redacted_output(&[&id_token, &token])
    );
}

/// A Namespace that refuses every call, quoting the bearer token back.
fn echoing_namespace() -> FakeServer {
    FakeServer::start(|req| {
        let bearer = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_string();
        Response {
            status: 401,
            content_type: "application/json",
            body: serde_json::json!({
                "code": 16,
                "message": format!("token {bearer} is revoked"),
            })
            .to_string(),
        }
    })
}

#[test]
fn a_namespace_error_that_echoes_the_token_is_redacted() {
    let emu = Emulator::start();
    let ns = echoing_namespace();
    let (r, token) = run_assume_role(&emu, &[], &[("NSC_IAM_ENDPOINT", &ns.url())]);
    assert!(ns.connections() > 0, "the fake Namespace was not called");
    assert!(
        r.code == 3,
        "exit {}: {}",
        r.code,
        r.redacted_output(&[&token])
    );
    r.assert_masked_before_use(&[&token]);
    let errors = error_lines(&r);
    assert!(!errors.is_empty(), "no ::error line");
    for e in &errors {
        assert!(!e.contains(&token), "the ::error line holds the token");
    }
    assert!(
        errors.iter().any(|e| e.contains("token *** is revoked")),
        "the upstream message is not shown redacted: {}",
        r.redacted_output(&[&token])
    );

    // Outside GitHub there are no masks: the message itself must not hold it.
    let home = tempfile::tempdir().unwrap();
    let out = cli(&emu, home.path())
        .env("NSC_IAM_ENDPOINT", ns.url())
        .args(["aws", "assume-role", "--role-arn", DEFAULT_ROLE_ARN])
        .args(["--namespace-token", &token])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3));
    assert!(!text.contains(&token), "the error message holds the token");
    assert!(
        text.contains("token *** is revoked"),
        "{}",
        text.replace(&token, "<token>")
    );
}

#[test]
fn a_log_line_cannot_start_a_workflow_command() {
    let emu = Emulator::start();
    // Claims are not verified locally: whatever a token says is logged.
    let token = emu.tenant_token("x\n::stop-commands::pwn", None, HOUR);
    let (r, _) = run_assume_role(&emu, &[("namespace-token", &token)], &[]);
    let out = r.redacted_output(&[&token]);
    assert!(
        out.contains("x%0A::stop-commands::pwn"),
        "the workspace id is not logged escaped:\n{out}"
    );
    for line in command_lines(&r.output) {
        assert!(
            !line.trim_start().starts_with("::stop-commands"),
            "a log line starts a workflow command:\n{out}"
        );
    }
}

#[test]
fn credential_process_run_by_an_sdk_prints_no_mask_lines_even_under_github() {
    // An SDK reads the process's stdout and quotes its stderr after a
    // prefix of its own ("Error when retrieving credentials from
    // custom-process: …"), so a `::add-mask::<token>` line there is no
    // workflow command but the token in clear.
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let token = tenant_token(&emu);
    for (role, code) in [
        (DEFAULT_ROLE_ARN, 0),
        ("arn:aws:iam::123456789012:role/unknown", 3),
    ] {
        let mut cmd = github_cli(&emu, home.path());
        cmd.env("NSC_TOKEN_SPEC", inline_token_spec(&token)).args([
            "aws",
            "credential-process",
            "--role-arn",
            role,
        ]);
        let out = run_cli(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // For failure messages: no value a mask line would have carried.
        let shown = stderr
            .lines()
            .map(|l| match l.strip_prefix("::add-mask::") {
                Some(_) => "::add-mask::<a secret>",
                None => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
            .replace(&token, "<the Namespace token>");
        assert_eq!(out.status.code(), Some(code), "{role}:\n{shown}");
        assert!(
            !stderr.contains("::add-mask::"),
            "{role}: a mask line on stderr:\n{shown}"
        );
        assert!(
            !stderr.contains(&token),
            "{role}: the Namespace token on stderr"
        );
        if code == 0 {
            let (_, secret, session) =
                printed_credentials("credential-process", &String::from_utf8_lossy(&out.stdout));
            assert!(!stderr.contains(&secret) && !stderr.contains(&session));
        }
    }
}
