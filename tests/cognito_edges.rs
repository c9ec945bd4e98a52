//! AWS → Namespace edge cases: what Namespace's exchange answers is checked
//! before it goes anywhere (workspace, kind, one-line names), `--ensure` /
//! `ensure-valid-for` read the token where it was handed over and still set
//! the outputs, write targets are tried before anything is sent, inputs that
//! do not apply are named, and messages fit the context they appear in.

mod common;

use std::process::{Command, Output};

use common::*;
use ns_federate_emulator::fake::{FakeServer, Response};
use ns_federate_emulator::runner::Job;
use ns_federate_emulator::{DEFAULT_POOL, DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator};

/// A fake Namespace whose `ExchangeAWSCognitoJWT` answers `tenant_token` and `tenant`.
fn fake_exchange(tenant_token: &str, tenant: serde_json::Value) -> FakeServer {
    let body = serde_json::json!({"tenant_token": tenant_token, "tenant": tenant}).to_string();
    FakeServer::start(move |req| {
        if req.target.ends_with("/ExchangeAWSCognitoJWT") {
            Response {
                status: 200,
                content_type: "application/json",
                body: body.clone(),
            }
        } else {
            Response {
                status: 404,
                content_type: "application/json",
                body: r#"{"code":5,"message":"not here"}"#.into(),
            }
        }
    })
}

/// Output with the given secrets replaced, for assertion messages.
fn shown(out: &Output, secrets: &[&str]) -> String {
    let mut t = output_text(out);
    for s in secrets {
        t = t.replace(s, "***");
    }
    t
}

#[test]
fn a_token_of_another_workspace_is_refused_and_nothing_is_written() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let other = emu.tenant_token("tnt_other", None, HOUR);
    let ns = fake_exchange(&other, serde_json::json!({"tenant_id": "tnt_other"}));
    let mut cmd = exchange(&emu, home.path(), &[]);
    cmd.env("NSC_IAM_ENDPOINT", ns.url());
    let out = run_cli(cmd);
    let t = shown(&out, &[&other]);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(
        t.contains(&format!(
            "Namespace returned a token for workspace tnt_other, not {DEFAULT_TENANT}; nothing was written."
        )),
        "{t}"
    );
    assert!(!output_text(&out).contains(&other), "the token was printed");
    assert!(!token_json_path(home.path()).exists(), "token.json written");
    assert_eq!(emu.count(COGNITO), 1);
    assert_eq!(ns.requests().len(), 1);

    // The token's claim is right but the answer's `tenant` names another workspace.
    let mine = emu.tenant_token(DEFAULT_TENANT, None, HOUR);
    let ns = fake_exchange(&mine, serde_json::json!({"tenant_id": "tnt_other"}));
    let mut cmd = exchange(&emu, home.path(), &[]);
    cmd.env("NSC_IAM_ENDPOINT", ns.url());
    let out = run_cli(cmd);
    let t = shown(&out, &[&mine]);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("names workspace tnt_other"), "{t}");
    assert!(!token_json_path(home.path()).exists(), "token.json written");
}

#[test]
fn a_session_or_workload_token_from_the_exchange_is_refused() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    for (token, kind) in [
        (emu.session_token(DEFAULT_TENANT, HOUR), "session token"),
        (
            emu.workload_token(DEFAULT_TENANT, "i-1", HOUR),
            "workload token",
        ),
    ] {
        let ns = fake_exchange(&token, serde_json::json!({"tenant_id": DEFAULT_TENANT}));
        let mut cmd = exchange(&emu, home.path(), &["--format", "shell"]);
        cmd.env("NSC_IAM_ENDPOINT", ns.url());
        let out = run_cli(cmd);
        let t = shown(&out, &[&token]);
        assert_eq!(out.status.code(), Some(3), "{t}");
        assert!(
            t.contains(&format!("Namespace returned a {kind}, not a tenant token")),
            "{t}"
        );
        assert!(out.stdout.is_empty(), "{kind}: something was printed");
        assert!(!output_text(&out).contains(&token), "the token was printed");
    }
}

#[test]
fn an_expired_token_from_the_exchange_is_refused() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let token = emu.expired_tenant_token(DEFAULT_TENANT);
    let ns = fake_exchange(&token, serde_json::json!({}));
    let mut cmd = exchange(&emu, home.path(), &[]);
    cmd.env("NSC_IAM_ENDPOINT", ns.url());
    let out = run_cli(cmd);
    let t = shown(&out, &[&token]);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("expired at"), "{t}");
    assert!(!token_json_path(home.path()).exists());
}

#[test]
fn a_workspace_name_from_the_network_stays_on_one_line() {
    let emu = Emulator::start();
    let token = emu.tenant_token(DEFAULT_TENANT, None, HOUR);
    let ns = fake_exchange(
        &token,
        serde_json::json!({
            "tenant_id": DEFAULT_TENANT,
            "name": "Acme\n| injected | row |\r\n`x`",
        }),
    );
    let url = ns.url();
    let r = cognito_step(
        &mut Job::new(),
        &emu,
        &[],
        &[("NSC_IAM_ENDPOINT", url.as_str())],
    );
    assert_ok(&r, &[&token]);
    let name = r
        .outputs
        .get("workspace-name")
        .expect("workspace-name output");
    assert!(!name.contains(['\n', '\r']), "{name:?}");
    assert!(name.starts_with("Acme"), "{name:?}");
    // One table row per value: the name adds no line (nor row) to the summary.
    let rows: Vec<&str> = r.summary.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 5, "{}", r.summary);
    let row = rows
        .iter()
        .find(|l| l.contains("Workspace"))
        .expect("a Workspace row");
    assert!(row.ends_with("` |"), "{row}");
    assert_eq!(row.matches('`').count(), 2, "{row}");
}

#[test]
fn ensure_valid_for_skip_still_sets_the_outputs() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let first = cognito_step(&mut job, &emu, &[], &[]);
    assert_ok(&first, &[]);
    let expiration = first
        .outputs
        .get("namespace-token-expiration")
        .expect("expiration output")
        .clone();

    let again = cognito_step(&mut job, &emu, &[("ensure-valid-for", "10m")], &[]);
    assert_ok(&again, &[]);
    assert!(again.output.contains("nothing to do"));
    assert_eq!(emu.count(EXCHANGE), 1, "no second exchange");
    assert!(again.env.is_empty(), "nothing exported again");
    assert_eq!(
        again.outputs.get("tenant-id").map(String::as_str),
        Some(DEFAULT_TENANT)
    );
    assert_eq!(
        again.outputs.get("namespace-token-expiration"),
        Some(&expiration),
        "the current token's expiry"
    );
    assert!(!again.outputs.contains_key("workspace-name"));
    assert!(
        again.output.contains("workspace-name is left unset"),
        "the log says why workspace-name is missing"
    );
}

#[test]
fn export_env_false_is_refused_before_anything_is_sent() {
    let emu = Emulator::start();
    let r = cognito_step(&mut Job::new(), &emu, &[("export-env", "false")], &[]);
    assert_fails(
        &r,
        2,
        &["export-env: false leaves the Namespace token nowhere"],
    );
    assert_eq!(emu.request_count(), 0, "something was sent");
    assert!(r.env.is_empty() && r.outputs.is_empty());
}

#[test]
fn inputs_of_the_other_mode_are_named_in_one_warning() {
    let emu = Emulator::start();
    let r = cognito_step(
        &mut Job::new(),
        &emu,
        &[
            ("role-to-assume", DEFAULT_ROLE_ARN),
            ("role-session-name", "x-session"),
            (
                "managed-session-policies",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ),
            ("output-credentials", "true"),
        ],
        &[],
    );
    assert_ok(&r, &[]);
    let warnings: Vec<&str> = r
        .output
        .lines()
        .filter(|l| l.contains("ignored in mode cognito-exchange"))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", r.redacted_output(&[]));
    assert!(
        warnings.iter().any(|w| w.contains(
            "Inputs role-to-assume, role-session-name, managed-session-policies are ignored"
        )),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("output-credentials applies to assume-role only")),
        "{warnings:?}"
    );

    let (r, token) = run_assume_role(
        &emu,
        &[("tenant-id", DEFAULT_TENANT), ("ensure-valid-for", "10m")],
        &[],
    );
    assert_ok(&r, &[&token]);
    assert!(
        r.output.contains(
            "Inputs tenant-id, ensure-valid-for are ignored in mode assume-role (used by cognito-exchange only)"
        ),
        "{}",
        r.redacted_output(&[&token])
    );
    // The environment is shared by every mode: NSC_TENANT_ID is not an input to name.
    let (r, token) = run_assume_role(&emu, &[], &[("NSC_TENANT_ID", DEFAULT_TENANT)]);
    assert_ok(&r, &[&token]);
    assert!(
        !r.output.contains("ignored in mode"),
        "{}",
        r.redacted_output(&[&token])
    );
}

#[test]
fn an_unwritable_token_file_directory_fails_before_anything_is_sent() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    // /proc takes no new files, not even from root.
    let out = run_cli(exchange(
        &emu,
        home.path(),
        &["--token-file", "/proc/ns-federate-test/token.json"],
    ));
    let t = output_text(&out);
    assert_eq!(out.status.code(), Some(5), "{t}");
    assert!(t.contains("/proc/ns-federate-test"), "{t}");
    let out = run_cli(exchange(
        &emu,
        home.path(),
        &["--token-file", "/proc/token.json"],
    ));
    let t = output_text(&out);
    assert_eq!(out.status.code(), Some(5), "{t}");
    assert!(
        !t.contains("Docker actions run as root"),
        "an action hint on the command line: {t}"
    );
    // The default login file under a HOME where nothing can be created.
    let mut cmd = exchange(&emu, home.path(), &[]);
    cmd.env("HOME", "/proc");
    let out = run_cli(cmd);
    let t = output_text(&out);
    assert_eq!(out.status.code(), Some(5), "{t}");
    assert!(t.contains("/proc/.config"), "{t}");
    assert_eq!(emu.request_count(), 0, "something was sent");
}

#[test]
fn ensure_reads_the_current_token_from_the_write_env_file() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    for format in ["shell", "dotenv", "json"] {
        emu.reset();
        let file = home.path().join(format!("ns.{format}"));
        let file_arg = file.to_str().unwrap();
        let args = [
            "--format",
            format,
            "--write-env",
            file_arg,
            "--ensure",
            "10m",
        ];
        // No file yet: exchange and write it.
        let out = run_cli(exchange(&emu, home.path(), &args));
        assert!(
            out.status.code() == Some(0),
            "{format}: exit {:?}",
            out.status.code()
        );
        assert_eq!(emu.count(EXCHANGE), 1, "{format}");
        let written = std::fs::read(&file).unwrap();
        // Again: the token in the file stays valid, nothing sent or rewritten.
        let out = run_cli(exchange(&emu, home.path(), &args));
        assert!(
            out.status.code() == Some(0),
            "{format}: exit {:?}",
            out.status.code()
        );
        assert!(
            output_text(&out).contains("nothing to do"),
            "{format}: no skip"
        );
        assert_eq!(emu.count(EXCHANGE), 1, "{format}: exchanged again");
        assert!(
            std::fs::read(&file).unwrap() == written,
            "{format}: file changed"
        );
        // Asking for more than the token has left: exchange and rewrite.
        let longer = [
            "--format",
            format,
            "--write-env",
            file_arg,
            "--ensure",
            "2h",
        ];
        let out = run_cli(exchange(&emu, home.path(), &longer));
        assert!(
            out.status.code() == Some(0),
            "{format}: exit {:?}",
            out.status.code()
        );
        assert_eq!(emu.count(EXCHANGE), 2, "{format}");
    }
}

#[test]
fn ensure_messages_say_what_is_wrong_with_the_current_token() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    // Printed output reads NSC_TOKEN_SPEC, which is not set.
    let out = run_cli(exchange(
        &emu,
        home.path(),
        &["--format", "shell", "--ensure", "10m"],
    ));
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    let t = String::from_utf8_lossy(&out.stderr);
    assert!(
        t.contains("NSC_TOKEN_SPEC is not set: getting a new one")
            && !t.contains("token in NSC_TOKEN_SPEC is not set"),
        "{t}"
    );

    // An expired token.json says expired, not "expires … within".
    let path = token_json_path(home.path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let old = emu.expired_tenant_token(DEFAULT_TENANT);
    std::fs::write(&path, format!("{{\"bearer_token\":\"{old}\"}}")).unwrap();
    let out = run_cli(exchange(&emu, home.path(), &["--ensure", "10m"]));
    let t = shown(&out, &[&old]);
    assert!(out.status.code() == Some(0), "{t}");
    assert!(t.contains("expired at"), "{t}");
    assert!(!t.contains("within 600 s"), "{t}");

    // A duration too large to count is out of range, not garbled.
    let before = emu.request_count();
    let out = run_cli(exchange(
        &emu,
        home.path(),
        &["--ensure", "99999999999999999999999"],
    ));
    let t = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("out of range"), "{t}");
    let out = run_cli(exchange(
        &emu,
        home.path(),
        &["--ensure", "99999999999999999999h"],
    ));
    assert!(output_text(&out).contains("out of range"));
    let out = run_cli(exchange(&emu, home.path(), &["--ensure", "soon"]));
    assert!(output_text(&out).contains("not a duration"));
    assert_eq!(emu.request_count(), before);
}

#[test]
fn a_fractional_exp_counts_as_its_whole_seconds() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as f64
        + 7200.5;
    let enc = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let token = format!(
        "nsct_{}.{}.sig",
        enc(serde_json::json!({"alg": "RS256"})),
        enc(serde_json::json!({"tenant_id": DEFAULT_TENANT, "exp": exp}))
    );
    let path = token_json_path(home.path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("{{\"bearer_token\":\"{token}\"}}")).unwrap();
    let out = run_cli(exchange(&emu, home.path(), &["--ensure", "1h"]));
    let t = shown(&out, &[&token]);
    assert!(out.status.code() == Some(0), "{t}");
    assert!(t.contains("nothing to do"), "{t}");
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn ensure_with_a_valid_symlinked_token_json_skips() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let real = home.path().join("real-token.json");
    let token = emu.tenant_token(DEFAULT_TENANT, None, 2 * HOUR);
    std::fs::write(&real, format!("{{\"bearer_token\":\"{token}\"}}")).unwrap();
    let path = token_json_path(home.path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &path).unwrap();
    let out = run_cli(exchange(&emu, home.path(), &["--ensure", "10m"]));
    let t = shown(&out, &[&token]);
    assert!(out.status.code() == Some(0), "{t}");
    assert!(t.contains("nothing to do"), "{t}");
    assert_eq!(emu.request_count(), 0);
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // When a new token is needed, the symlink is still refused before sending.
    let out = run_cli(exchange(&emu, home.path(), &["--ensure", "3h"]));
    let t = shown(&out, &[&token]);
    assert_eq!(out.status.code(), Some(5), "{t}");
    assert!(t.contains("symbolic link"), "{t}");
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn a_relative_xdg_config_home_is_ignored() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = exchange(&emu, home.path(), &[]);
    cmd.env("XDG_CONFIG_HOME", "relative-config")
        .current_dir(cwd.path());
    let out = run_cli(cmd);
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    assert!(token_json_path(home.path()).exists(), "not in ~/.config");
    assert!(!cwd.path().join("relative-config").exists());
}

#[test]
fn cli_format_github_without_github_env_names_the_cli_fix() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let out = run_cli(exchange(&emu, home.path(), &["--format", "github"]));
    let t = output_text(&out);
    assert_eq!(out.status.code(), Some(5), "{t}");
    assert!(
        t.contains("--format shell") && t.contains("set GITHUB_ENV"),
        "{t}"
    );
    assert!(
        !t.contains("export-env"),
        "an action input on the command line: {t}"
    );
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn exchange_help_lists_only_the_formats_it_serves() {
    let out = Command::new(BIN)
        .args(["auth", "exchange-aws-cognito-token", "--help"])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    let line = help
        .lines()
        .find(|l| l.trim_start().starts_with("--format"))
        .expect("a --format line");
    assert!(line.contains("shell | json | dotenv | github"), "{line}");
    assert!(!line.contains("credential-process"), "{line}");
}

#[test]
fn trust_pool_with_an_api_key_of_another_workspace_changes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let emu = Emulator::start();
    let trust = |tenant_body: &'static str| {
        let ns = FakeServer::start(move |req| Response {
            status: if req.target.ends_with("/GetTenant") {
                200
            } else {
                500
            },
            content_type: "application/json",
            body: tenant_body.into(),
        });
        let mut cmd = cli(&emu, home.path());
        cmd.env("NSC_IAM_ENDPOINT", ns.url())
            .env("NSC_TOKEN_SPEC", inline_token_spec("nsrt_testkey"))
            .args([
                "auth",
                "trust-aws-cognito-identity-pool",
                "--identity-pool",
                DEFAULT_POOL,
                "--tenant-id",
                DEFAULT_TENANT,
            ]);
        (run_cli(cmd), ns)
    };
    let (out, ns) = trust(r#"{"tenant":{"tenant_id":"tnt_other","name":"Other"}}"#);
    let t = shown(&out, &["nsrt_testkey"]);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("belongs to workspace tnt_other"), "{t}");
    assert!(t.contains("Nothing was changed"), "{t}");
    assert!(!t.contains("Nothing was sent"), "{t}");
    let targets: Vec<String> = ns.requests().into_iter().map(|r| r.target).collect();
    assert!(
        targets.len() == 1 && targets[0].ends_with("/GetTenant"),
        "{targets:?}"
    );

    // An answer without tenant_id is unreadable, not "workspace , not …".
    let (out, ns) = trust(r#"{"tenant":{"name":"Nameless"}}"#);
    let t = shown(&out, &["nsrt_testkey"]);
    assert_eq!(out.status.code(), Some(4), "{t}");
    assert!(t.contains("could not be read"), "{t}");
    assert!(!t.contains("workspace ,"), "{t}");
    assert_eq!(ns.requests().len(), 1, "only GetTenant");
}
