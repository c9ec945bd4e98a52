//! The command line as nsc users type it: `ns-federate aws assume-role
//! --role_arn ARN --write_env aws.env`, then `source aws.env`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::*;
use ns_federate_emulator::{DEFAULT_ROLE_ARN, Emulator};

/// Parses `export NAME=value` lines (values unquoted, as nsc writes them and as ours are for AWS values).
fn exports(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|l| {
            let rest = l
                .strip_prefix("export ")
                .unwrap_or_else(|| panic!("not an export line (line length {})", l.len()));
            let (k, v) = rest.split_once('=').expect("NAME=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// The variables every credentials output holds, in the order written.
const CREDENTIAL_VARS: [&str; 4] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
];

/// Asserts `file` is readable and writable by its owner only.
fn assert_private(file: &Path) {
    assert_eq!(
        std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

fn get<'a>(vars: &'a [(String, String)], name: &str) -> &'a str {
    vars.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{name} missing"))
}

#[test]
fn the_nsc_line_writes_aws_env_and_sourcing_it_gives_a_working_environment() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    // As after `nsc login`: the user's token.json.
    let ns = home.path().join(".config/ns");
    std::fs::create_dir_all(&ns).unwrap();
    std::fs::write(
        ns.join("token.json"),
        serde_json::json!({ "bearer_token": tenant_token(&emu) }).to_string(),
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();

    let out = cli(&emu, home.path())
        .current_dir(work.path())
        .args([
            "aws",
            "assume-role",
            "--role_arn",
            DEFAULT_ROLE_ARN,
            "--write_env",
            "aws.env",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(
        out.stdout.is_empty(),
        "with --write_env nothing goes to stdout"
    );

    let file = work.path().join("aws.env");
    assert_private(&file);
    let text = std::fs::read_to_string(&file).unwrap();
    let vars = exports(&text);
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, CREDENTIAL_VARS);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (_, v) in &vars[..3] {
        assert!(!stderr.contains(v.as_str()), "a credential was logged");
    }

    let sourced = Command::new("bash")
        .args(["-c", "source aws.env && env"])
        .current_dir(work.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert!(sourced.status.success());
    let env_text = String::from_utf8(sourced.stdout).unwrap();
    let env: Vec<(String, String)> = env_text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for name in CREDENTIAL_VARS {
        assert!(
            get(&env, name) == get(&vars, name),
            "{name} differs after `source aws.env`"
        );
    }
    assert!(
        credentials_are_the_ones_sts_issued(
            &emu,
            get(&env, "AWS_ACCESS_KEY_ID"),
            get(&env, "AWS_SECRET_ACCESS_KEY"),
            get(&env, "AWS_SESSION_TOKEN")
        ),
        "the sourced credentials do not work"
    );
}

#[test]
fn without_write_env_the_export_lines_go_to_stdout() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let out = cli(&emu, home.path())
        .env("NSC_TOKEN_SPEC", inline_token_spec(&tenant_token(&emu)))
        .env("NSC_AWS_ROLE_ARN", DEFAULT_ROLE_ARN)
        .args(["aws", "assume-role", "--duration", "1h"])
        .output()
        .unwrap();
    assert_success(&out);
    let vars = exports(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(vars.len(), 4);
    assert!(get(&vars, "AWS_ACCESS_KEY_ID").starts_with("ASIA"));
}

#[test]
fn json_credential_process_and_dotenv_formats() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let spec = inline_token_spec(&tenant_token(&emu));
    let run = |args: &[&str]| {
        let out = cli(&emu, home.path())
            .env("NSC_TOKEN_SPEC", &spec)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };

    let json: serde_json::Value = serde_json::from_str(&run(&[
        "aws",
        "assume-role",
        "--role-arn",
        DEFAULT_ROLE_ARN,
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["AccountId"], "123456789012");
    assert!(
        json["AssumedRoleArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:sts::123456789012:assumed-role/")
    );
    assert!(
        json["SecretAccessKey"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );

    let cp: serde_json::Value = serde_json::from_str(&run(&[
        "aws",
        "credential-process",
        "--role-arn",
        DEFAULT_ROLE_ARN,
    ]))
    .unwrap();
    assert_eq!(cp["Version"], 1);
    for k in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(cp[k].as_str().is_some_and(|s| !s.is_empty()), "{k} missing");
    }
    assert_eq!(cp.as_object().unwrap().len(), 5);

    let dotenv = run(&[
        "aws",
        "assume-role",
        "--role-arn",
        DEFAULT_ROLE_ARN,
        "--format",
        "dotenv",
    ]);
    let names: Vec<&str> = dotenv
        .lines()
        .map(|l| l.split_once('=').unwrap().0)
        .collect();
    assert_eq!(names, CREDENTIAL_VARS);
    assert!(!dotenv.contains('\''), "dotenv values are not quoted");
}

#[test]
fn bad_flags_exit_2_and_name_the_flag() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    for (args, needles) in [
        (
            ["--role_arn", "nope", "--duration", "1h"],
            &["--role-arn", "arn:aws:iam::123456789012:role/NAME"][..],
        ),
        (
            ["--role-arn", DEFAULT_ROLE_ARN, "--duration", "forever"],
            &["flag --duration"][..],
        ),
    ] {
        let out = cli(&emu, home.path())
            .args(["aws", "assume-role"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for needle in needles {
            assert!(stderr.contains(needle), "{args:?}: {stderr}");
        }
    }
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn no_token_outside_github_points_to_nsc_login() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let out = cli(&emu, home.path())
        .args(["aws", "assume-role", "--role-arn", DEFAULT_ROLE_ARN])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("No Namespace token found"), "{stderr}");
    assert!(stderr.contains("nsc login"), "{stderr}");
    assert!(
        !stderr.contains("id-token: write"),
        "not under GitHub: {stderr}"
    );
}

#[test]
fn web_identity_writes_a_private_token_file_that_sts_accepts() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = cli(&emu, home.path())
        .current_dir(work.path())
        .env("NSC_TOKEN_SPEC", inline_token_spec(&tenant_token(&emu)))
        .args([
            "aws",
            "web-identity",
            "--role-arn",
            DEFAULT_ROLE_ARN,
            "--token-file",
            "id.jwt",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    let vars = exports(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(get(&vars, "AWS_ROLE_ARN"), DEFAULT_ROLE_ARN);
    assert_eq!(
        get(&vars, "AWS_ROLE_SESSION_NAME"),
        "nsc.tenant=tnt_emulator01"
    );
    let file = work.path().join("id.jwt");
    // Absolute, so that SDKs running from another directory find it.
    assert_eq!(
        get(&vars, "AWS_WEB_IDENTITY_TOKEN_FILE"),
        file.to_string_lossy()
    );
    assert_private(&file);
    let jwt = std::fs::read_to_string(&file).unwrap();

    // An SDK assuming the role with that file's token gets credentials.
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(emu.url())
        .build();
    let sts = aws_sdk_sts::Client::from_conf(config);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt.block_on(
        sts.assume_role_with_web_identity()
            .role_arn(DEFAULT_ROLE_ARN)
            .role_session_name("nsc.tenant=tnt_emulator01")
            .web_identity_token(jwt.trim())
            .send(),
    );
    assert!(result.is_ok(), "STS refused the written token");
}
