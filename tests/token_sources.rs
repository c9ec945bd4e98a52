//! Where the Namespace token comes from: each source works, the precedence
//! holds, session tokens are exchanged first, and a missing token explains
//! itself. Run through the runner emulation against the emulator.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use common::*;
use ns_federate_emulator::runner::{Job, StepResult};
use ns_federate_emulator::{DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator};

fn token_json(key: &str, token: &str) -> String {
    serde_json::json!({ key: token }).to_string()
}

fn run(
    job: &mut Job,
    emu: &Emulator,
    inputs: &[(&str, &str)],
    extra_env: &[(String, String)],
) -> StepResult {
    let mut env = emulator_env(emu);
    env.extend(extra_env.iter().cloned());
    let mut all_inputs = vec![("role-to-assume", DEFAULT_ROLE_ARN)];
    all_inputs.extend_from_slice(inputs);
    job.run_action(bin(), &action_yml(), &all_inputs, &pairs(&env))
}

fn session_name(r: &StepResult) -> &str {
    r.outputs
        .get("role-session-name")
        .map(String::as_str)
        .unwrap_or("(none)")
}

fn home_of(job: &Job) -> PathBuf {
    job.dir().parent().unwrap().join("home")
}

/// An `nsc login` under `home`, holding `token`.
fn write_nsc_login(home: &Path, token: &str) {
    let path = token_json_path(home);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, token_json("bearer_token", token)).unwrap();
}

/// Every source holds a token with its own instance id; removing sources
/// from the top shows that each one works and that the order is DESIGN's.
#[test]
fn each_source_works_and_the_first_one_present_wins() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let tok = |instance: &str| emu.tenant_token(DEFAULT_TENANT, Some(instance), HOUR);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let input_token = tok("input");
    let input_file = write(
        "input-file.json",
        &token_json("bearer_token", &tok("input-file")),
    );
    let spec = inline_token_spec(&tok("spec"));
    let spec_file = write("spec-file", &inline_token_spec(&tok("spec-file")));
    let token_file = write(
        "token-file.json",
        &token_json("bearer_token", &tok("token-file")),
    );
    let runner = write(
        "runner-token.json",
        &token_json("bearer_token", &tok("runner")),
    );
    write_nsc_login(&home_of(&job), &tok("login"));

    let mut inputs: Vec<(&str, &str)> = vec![
        ("namespace-token", &input_token),
        ("namespace-token-file", &input_file),
    ];
    let mut env: Vec<(String, String)> = vec![
        ("NSC_TOKEN_SPEC".into(), spec.clone()),
        ("NSC_TOKEN_SPEC_FILE".into(), spec_file),
        ("NSC_TOKEN_FILE".into(), token_file),
        ("NS_FEDERATE_RUNNER_TOKEN_PATH".into(), runner),
        ("ACTIONS_ID_TOKEN_REQUEST_URL".into(), emu.github_oidc_url()),
        (
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(),
            emu.github_request_token(),
        ),
    ];
    let expected = [
        "nsc.instance=input",
        "nsc.instance=input-file",
        "nsc.instance=spec",
        "nsc.instance=spec-file",
        "nsc.instance=token-file",
        "nsc.instance=runner",
        // GitHub OIDC traded with ExchangeGithubToken: a tenant token without an instance.
        "nsc.tenant=tnt_emulator01",
        "nsc.instance=login",
    ];
    for (i, want) in expected.iter().enumerate() {
        let r = run(&mut job, &emu, &inputs, &env);
        assert_ok(&r, &[]);
        assert_eq!(session_name(&r), *want, "step {i}");
        // Drop the source that just won.
        if i + 1 == expected.len() {
            break;
        } else if !inputs.is_empty() {
            inputs.remove(0);
        } else if i == 6 {
            env.retain(|(k, _)| !k.starts_with("ACTIONS_ID_TOKEN_REQUEST"));
        } else {
            env.remove(0);
        }
    }
}

#[test]
fn github_oidc_is_traded_with_exchange_github_token() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let env = vec![
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL".to_string(),
            emu.github_oidc_url(),
        ),
        (
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN".to_string(),
            emu.github_request_token(),
        ),
    ];
    let r = run(&mut job, &emu, &[], &env);
    assert_ok(&r, &[]);
    let methods: Vec<String> = emu.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(
        methods,
        [
            "github:token",
            "nsl.tenants.TenantsService/ExchangeGithubToken",
            "nsl.tenants.TenantsService/IssueIdToken",
            "sts:AssumeRoleWithWebIdentity"
        ]
    );
    let github = &emu.requests()[0];
    assert_eq!(github.param("audience"), Some("nscloud.dev/inline-token"));
    assert_eq!(github.header("accept"), Some("application/json"));
}

#[test]
fn a_session_token_is_exchanged_for_a_tenant_token_first() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let session = emu.session_token(DEFAULT_TENANT, HOUR);
    let r = run(&mut job, &emu, &[("namespace-token", &session)], &[]);
    assert_ok(&r, &[&session]);
    let methods: Vec<String> = emu.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(
        methods,
        [
            "nsl.signin.SigninService/IssueTenantTokenFromSession",
            "nsl.tenants.TenantsService/IssueIdToken",
            "sts:AssumeRoleWithWebIdentity"
        ]
    );
    assert_eq!(session_name(&r), "nsc.tenant=tnt_emulator01");
}

#[test]
fn a_token_spec_with_padding_and_a_legacy_tenant_token_key_are_accepted() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let padded = STANDARD.encode(
        serde_json::json!({"version": "v1", "inline_token": emu.tenant_token(DEFAULT_TENANT, Some("padded"), HOUR)})
            .to_string(),
    );
    let r = run(&mut job, &emu, &[], &[("NSC_TOKEN_SPEC".into(), padded)]);
    assert_ok(&r, &[]);
    assert_eq!(session_name(&r), "nsc.instance=padded");

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("token.json");
    let legacy = serde_json::json!({
        "bearer_token": emu.tenant_token(DEFAULT_TENANT, Some("bearer"), HOUR),
        "tenant_token": emu.tenant_token(DEFAULT_TENANT, Some("legacy"), HOUR),
    });
    std::fs::write(&p, legacy.to_string()).unwrap();
    let r = run(
        &mut job,
        &emu,
        &[],
        &[("NSC_TOKEN_FILE".into(), p.to_string_lossy().into_owned())],
    );
    assert_ok(&r, &[]);
    assert_eq!(
        session_name(&r),
        "nsc.instance=legacy",
        "the legacy tenant_token key wins"
    );
}

/// A one-shot HTTP server standing in for the instance metadata service.
fn serve_workload_token(token: String) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let n = conn.read(&mut buf).unwrap();
        let request_line = String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let body = format!("{token}\n");
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(resp.as_bytes()).unwrap();
        request_line
    });
    (url, handle)
}

#[test]
fn a_token_spec_with_a_metadata_url_fetches_the_workload_token() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let workload = emu.workload_token(DEFAULT_TENANT, "meta-instance", HOUR);
    let (url, server) = serve_workload_token(workload.clone());
    let spec = STANDARD_NO_PAD
        .encode(serde_json::json!({"version": "v1", "metadata_url": url}).to_string());
    let r = run(&mut job, &emu, &[], &[("NSC_TOKEN_SPEC".into(), spec)]);
    assert_ok(&r, &[&workload]);
    assert_eq!(server.join().unwrap(), "GET /workload_token HTTP/1.1");
    assert_eq!(session_name(&r), "nsc.instance=meta-instance");
}

#[test]
fn no_token_lists_every_source_tried_and_mentions_id_token_permission_under_github() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let r = run(&mut job, &emu, &[], &[]);
    assert_fails(
        &r,
        2,
        &[
            "No Namespace token found",
            "input `namespace-token`",
            "input `namespace-token-file`",
            "NSC_TOKEN_SPEC",
            "NSC_TOKEN_SPEC_FILE",
            "NSC_TOKEN_FILE",
            "/nonexistent/ns-federate-test/token.json",
            "GitHub Actions OIDC",
            "nsc login",
            "permissions: id-token: write",
        ],
    );
    assert_eq!(
        emu.request_count(),
        0,
        "nothing may be sent without a token"
    );
}

#[test]
fn nsc_token_file_naming_a_host_path_missing_in_the_container_says_so_plainly() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let r = run(
        &mut job,
        &emu,
        &[],
        &[(
            "NSC_TOKEN_FILE".into(),
            "/var/run/nsc/does-not-exist/token.json".into(),
        )],
    );
    assert_fails(
        &r,
        2,
        &[
            "NSC_TOKEN_FILE",
            "/var/run/nsc/does-not-exist/token.json",
            "does not exist inside this container",
            "host paths such as /var/run/nsc are not visible inside the Docker action",
            "namespace-token",
        ],
    );
}

#[test]
fn an_expired_token_is_refused_before_anything_is_sent() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let expired = emu.expired_tenant_token(DEFAULT_TENANT);
    let r = run(&mut job, &emu, &[("namespace-token", &expired)], &[]);
    assert_fails(
        &r,
        2,
        &["input `namespace-token`", "expired at", "local clock"],
    );
    assert!(!r.output.contains(&expired), "the token was printed");
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn a_malformed_token_is_refused_before_anything_is_sent() {
    let emu = Emulator::start();
    let mut job = Job::new();
    for bad in ["ghp_notnamespace", "nsct_notajwt"] {
        let r = run(&mut job, &emu, &[("namespace-token", bad)], &[]);
        assert_fails(
            &r,
            2,
            &[
                "input `namespace-token`",
                "cannot be used",
                "nsct_…, nscw_…, st_… or nsrt_…",
            ],
        );
        assert!(!r.output.contains(bad), "the token was printed");
    }
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn a_token_file_variable_naming_a_missing_file_stops_the_search_on_a_host() {
    // A valid nsc login would be found next: a typo in the variable must
    // not quietly switch to it.
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    write_nsc_login(
        home.path(),
        &emu.tenant_token(DEFAULT_TENANT, Some("login"), HOUR),
    );
    let missing = home.path().join("typo/token.json");
    for var in ["NSC_TOKEN_FILE", "NSC_TOKEN_SPEC_FILE"] {
        let mut cmd = cli(&emu, home.path());
        cmd.env_remove("NSC_TOKEN_SPEC").env(var, &missing).args([
            "aws",
            "assume-role",
            "--role-arn",
            DEFAULT_ROLE_ARN,
        ]);
        let out = run_cli(cmd);
        // Only stderr: on success stdout would hold credentials.
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{var}:\n{text}");
        for needle in [
            var,
            &missing.display().to_string(),
            "no such file",
            &format!("unset {var}"),
        ] {
            assert!(text.contains(needle), "{var}: lacks {needle:?}:\n{text}");
        }
        assert!(
            !text.contains("nsc login"),
            "{var}: went on to the login:\n{text}"
        );
    }
    assert_eq!(emu.request_count(), 0, "nothing may be sent");
}

#[test]
fn in_the_action_a_missing_host_token_file_warns_and_the_next_source_is_used() {
    let emu = Emulator::start();
    let mut job = Job::new();
    write_nsc_login(
        &home_of(&job),
        &emu.tenant_token(DEFAULT_TENANT, Some("login"), HOUR),
    );
    let r = run(
        &mut job,
        &emu,
        &[],
        &[("NSC_TOKEN_FILE".into(), "/var/run/nsc/token.json".into())],
    );
    assert_ok(&r, &[]);
    assert_eq!(session_name(&r), "nsc.instance=login");
    assert!(
        r.output.lines().any(|l| l.starts_with("::warning::NSC_TOKEN_FILE names /var/run/nsc/token.json, which does not exist inside this container")),
        "no warning about the missing file:\n{}",
        r.redacted_output(&[])
    );
}

#[test]
fn a_token_file_larger_than_1_mib_is_named_as_such() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("token.json");
    std::fs::write(
        &big,
        format!("{{\"bearer_token\":\"{}\"}}", "a".repeat(1 << 20)),
    )
    .unwrap();
    let r = run(
        &mut job,
        &emu,
        &[("namespace-token-file", &big.to_string_lossy())],
        &[],
    );
    assert_fails(&r, 2, &["larger than 1 MiB"]);
    assert_eq!(emu.request_count(), 0);
}
