//! AWS → Namespace on the command line, against the emulator: the Cognito
//! call is SigV4-signed with the default chain's credentials and names the
//! right pool and login; the tenant token lands in `token.json` as nsc writes
//! it, or is printed; `--ensure` skips while the current token stays valid;
//! every failure is a clear message with its exit code and nothing written.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use common::{
    BIN, COGNITO, EXCHANGE, HOUR, exchange, exchange_with_args, exchange_without_keys, output_text,
    run_cli, token_json_path,
};
use ns_federate_emulator::{
    DEFAULT_POOL, DEFAULT_TENANT, Emulator, Fault, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY,
};

const POOL_UUID: &str = "5f2a7c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b";

/// The bearer token in a token.json.
fn bearer(path: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read token.json"))
            .expect("token.json is JSON");
    v["bearer_token"]
        .as_str()
        .expect("token.json has bearer_token")
        .to_string()
}

/// The `tenant_id` claim of an `nsct_` token.
fn tenant_of(token: &str) -> String {
    let jwt = token.strip_prefix("nsct_").expect("a tenant token");
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON claims");
    claims["tenant_id"].as_str().unwrap_or_default().to_string()
}

#[test]
fn cli_writes_the_users_token_json_as_nsc_does() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    // A stale cache next to the login file must go, or nsc keeps using it.
    let dir = home.path().join(".config/ns");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("token.cache"), "stale").unwrap();

    let out = run_cli(exchange(&emu, home.path(), &[]));
    let path = token_json_path(home.path());
    let token = bearer(&path);
    assert!(
        out.status.code() == Some(0),
        "exit {:?}: {}",
        out.status.code(),
        output_text(&out).replace(&token, "***")
    );
    assert!(
        tenant_of(&token) == DEFAULT_TENANT,
        "token of another tenant"
    );
    assert!(
        !output_text(&out).contains(&token),
        "the tenant token appears in the output"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout by default");
    let log = output_text(&out);
    let line = log
        .lines()
        .find(|l| l.contains("Got a Namespace token for workspace"))
        .expect("a log line for the new token");
    let until = line
        .split("valid until ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default();
    assert!(
        until.len() == 20 && until.as_bytes()[10] == b'T' && until.ends_with('Z'),
        "the log line lacks the full RFC 3339 expiry: {line}"
    );
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(!dir.join("token.cache").exists(), "token.cache not removed");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "only token.json is left (no temporary file)"
    );

    // The Cognito call: signed with the chain's (environment) credentials, right pool and login.
    let reqs = emu.requests();
    let cognito: Vec<_> = reqs.iter().filter(|r| r.method == COGNITO).collect();
    assert_eq!(cognito.len(), 1);
    assert_eq!(cognito[0].param("IdentityPoolId"), Some(DEFAULT_POOL));
    assert_eq!(
        cognito[0].param("Logins"),
        Some(format!("namespace.so={DEFAULT_TENANT}").as_str())
    );
    assert_eq!(cognito[0].param("AccessKeyId"), Some(TEST_ACCESS_KEY_ID));
    assert!(
        cognito[0]
            .header("authorization")
            .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256")),
        "the Cognito request is SigV4-signed"
    );
    let ex: Vec<_> = reqs.iter().filter(|r| r.method == EXCHANGE).collect();
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].param("tenant_id"), Some(DEFAULT_TENANT));
    assert_eq!(emu.request_count(), 2, "exactly two requests");
}

#[test]
fn new_login_directory_is_created_private() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let xdg = home.path().join("xdg");
    let mut cmd = exchange(&emu, home.path(), &[]);
    cmd.env("XDG_CONFIG_HOME", &xdg);
    let out = run_cli(cmd);
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    let path = xdg.join("ns/token.json");
    assert!(tenant_of(&bearer(&path)) == DEFAULT_TENANT);
    assert_eq!(
        std::fs::metadata(xdg.join("ns"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    assert!(
        !token_json_path(home.path()).exists(),
        "XDG_CONFIG_HOME wins over HOME"
    );
}

#[test]
fn pool_without_region_prefix_and_nsc_spellings() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("t/token.json");
    let out = run_cli(exchange_with_args(
        &emu,
        home.path(),
        &[
            "--aws_region",
            "us-east-1",
            "--identity_pool",
            POOL_UUID,
            "--tenant_id",
            DEFAULT_TENANT,
            "--token_file",
            file.to_str().unwrap(),
        ],
    ));
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    assert!(tenant_of(&bearer(&file)) == DEFAULT_TENANT);
    assert!(!token_json_path(home.path()).exists());
    let reqs = emu.requests();
    assert_eq!(reqs[0].param("IdentityPoolId"), Some(DEFAULT_POOL));
}

#[test]
fn replacing_token_json_is_atomic_and_private() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let path = token_json_path(home.path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let old = r#"{"bearer_token":"nsct_old"}"#;
    std::fs::write(&path, old).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    // A second name for the old file: an in-place write would show through it.
    let witness = home.path().join("witness.json");
    std::fs::hard_link(&path, &witness).unwrap();
    let old_inode = std::fs::metadata(&path).unwrap().ino();

    // A refused exchange writes nothing.
    emu.fail_next(
        EXCHANGE,
        1,
        Fault::Grpc {
            code: 7,
            form: ns_federate_emulator::ErrorForm::NumericJson,
        },
    );
    let out = run_cli(exchange(&emu, home.path(), &[]));
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), old);

    let out = run_cli(exchange(&emu, home.path(), &[]));
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    let meta = std::fs::metadata(&path).unwrap();
    assert_ne!(meta.ino(), old_inode, "replaced by a rename, not rewritten");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::read_to_string(&witness).unwrap(),
        old,
        "the old file was never touched in place"
    );
    assert!(tenant_of(&bearer(&path)) == DEFAULT_TENANT);
}

#[test]
fn ensure_skips_while_the_token_stays_valid_and_exchanges_when_not() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let path = token_json_path(home.path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let write = |token: &str| {
        std::fs::write(&path, format!("{{\"bearer_token\":\"{token}\"}}")).unwrap();
    };
    let with_ensure = |d: &str| run_cli(exchange(&emu, home.path(), &["--ensure", d]));

    // Valid for two hours: `--ensure 1h` does nothing, and says so.
    let long = emu.tenant_token(DEFAULT_TENANT, None, 2 * HOUR);
    write(&long);
    let out = with_ensure("1h");
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    assert!(
        output_text(&out).contains("nothing to do"),
        "{}",
        output_text(&out).replace(&long, "***")
    );
    assert_eq!(emu.request_count(), 0, "no request sent");
    assert!(bearer(&path) == long, "token.json untouched");

    // Valid for 5 minutes only: `--ensure 10m` exchanges.
    let short = emu.tenant_token(DEFAULT_TENANT, None, Duration::from_secs(300));
    write(&short);
    let out = with_ensure("10m");
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    assert_eq!(emu.count(COGNITO), 1);
    assert_eq!(emu.count(EXCHANGE), 1);
    assert!(bearer(&path) != short, "token.json replaced");

    // A long-lived token of another workspace does not count.
    write(&emu.tenant_token("tnt_someoneelse", None, 2 * HOUR));
    let out = with_ensure("10m");
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    assert_eq!(emu.count(EXCHANGE), 2);
    assert!(tenant_of(&bearer(&path)) == DEFAULT_TENANT);

    // No token.json at all: exchange.
    std::fs::remove_file(&path).unwrap();
    let out = with_ensure("10m");
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    assert_eq!(emu.count(EXCHANGE), 3);
    assert!(!output_text(&out).contains("every run will exchange again"));

    // Longer than the new token lives: it exchanges, and says that every run will.
    let out = with_ensure("12h");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    assert_eq!(emu.count(EXCHANGE), 4);
    assert!(
        stderr.contains("less than the 43200 s asked for with --ensure / ensure-valid-for: every run will exchange again"),
        "{stderr}"
    );
}

#[test]
fn format_shell_and_json_print_an_inline_token_spec() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let out = run_cli(exchange(&emu, home.path(), &["--format", "shell"]));
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let spec = stdout
        .trim_end()
        .strip_prefix("export NSC_TOKEN_SPEC=")
        .expect("one export line");
    assert!(!spec.contains('='), "no base64 padding");
    let decoded: serde_json::Value =
        serde_json::from_slice(&STANDARD_NO_PAD.decode(spec).expect("standard base64")).unwrap();
    assert_eq!(decoded["version"], "v1");
    let token = decoded["inline_token"].as_str().unwrap().to_string();
    assert!(tenant_of(&token) == DEFAULT_TENANT);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(&token),
        "token on stderr"
    );
    assert!(
        !token_json_path(home.path()).exists(),
        "--format prints instead of writing token.json"
    );

    let out = run_cli(exchange(&emu, home.path(), &["--format", "json"]));
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["tenant_id"], DEFAULT_TENANT);
    assert!(
        v["bearer_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("nsct_"))
    );
    assert!(v["token_spec"].as_str().is_some());
    assert!(
        v["expiration"]
            .as_str()
            .is_some_and(|e| e.ends_with('Z') && e.contains('T'))
    );
}

#[test]
fn no_aws_credentials_lists_the_sources_tried() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let out = run_cli(exchange_without_keys(&emu, home.path(), &[]));
    let t = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    for source in [
        "AWS_ACCESS_KEY_ID",
        "~/.aws",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "instance metadata",
    ] {
        assert!(t.contains(source), "{source} not named:\n{t}");
    }
    assert_eq!(emu.request_count(), 0, "nothing sent");
    assert!(!token_json_path(home.path()).exists());
}

#[test]
fn credentials_come_from_a_shared_profile_too() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!(
            "[ci]\naws_access_key_id = {TEST_ACCESS_KEY_ID}\naws_secret_access_key = {TEST_SECRET_ACCESS_KEY}\n"
        ),
    )
    .unwrap();
    let mut cmd = exchange_without_keys(&emu, home.path(), &[]);
    cmd.env("AWS_PROFILE", "ci");
    let out = run_cli(cmd);
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    assert_eq!(
        emu.requests()[0].param("AccessKeyId"),
        Some(TEST_ACCESS_KEY_ID)
    );
}

#[test]
fn unknown_pool_names_the_pool_and_the_permission() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let pool = "us-east-1:00000000-0000-4000-8000-000000000000";
    let out = run_cli(exchange_with_args(
        &emu,
        home.path(),
        &["--identity-pool", pool, "--tenant-id", DEFAULT_TENANT],
    ));
    let t = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains(pool), "{t}");
    assert!(
        t.contains("cognito-identity:GetOpenIdTokenForDeveloperIdentity"),
        "{t}"
    );
    assert_eq!(emu.count(EXCHANGE), 0);
    assert!(!token_json_path(home.path()).exists());
}

#[test]
fn cognito_not_authorized_is_a_refusal() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    emu.fail_next(COGNITO, 1, Fault::Cognito("NotAuthorizedException".into()));
    let out = run_cli(exchange(&emu, home.path(), &[]));
    let t = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(
        t.contains(DEFAULT_POOL) && t.contains("NotAuthorizedException"),
        "{t}"
    );
    assert_eq!(emu.count(COGNITO), 1, "a refusal is not retried");
}

#[test]
fn pool_not_trusted_points_at_trust_aws_cognito_identity_pool() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let pool = "eu-west-1:11111111-2222-4333-8444-555555555555";
    emu.add_pool(pool, "namespace.so");
    let out = run_cli(exchange_with_args(
        &emu,
        home.path(),
        &[
            "--aws-region",
            "eu-west-1",
            "--identity-pool",
            pool,
            "--tenant-id",
            DEFAULT_TENANT,
        ],
    ));
    let t = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(
        t.contains(&format!(
            "ns-federate auth trust-aws-cognito-identity-pool --aws-region eu-west-1 --identity-pool {pool} --tenant-id {DEFAULT_TENANT}"
        )),
        "{t}"
    );
    assert_eq!(emu.count(COGNITO), 1);
    assert!(!token_json_path(home.path()).exists(), "nothing written");
}

#[test]
fn throttling_is_retried_then_reported_as_transient() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    emu.fail_next(
        COGNITO,
        1,
        Fault::Cognito("TooManyRequestsException".into()),
    );
    let out = run_cli(exchange(&emu, home.path(), &[]));
    assert!(out.status.code() == Some(0), "exit {:?}", out.status.code());
    assert_eq!(emu.count(COGNITO), 2);

    emu.reset();
    emu.fail_next(COGNITO, 5, Fault::Cognito("InternalErrorException".into()));
    let out = run_cli(exchange(&emu, home.path(), &["--retry-max-attempts", "2"]));
    assert_eq!(out.status.code(), Some(4), "{}", output_text(&out));
    assert_eq!(emu.count(COGNITO), 2, "exactly the attempts asked for");
    assert_eq!(emu.count(EXCHANGE), 0);
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: &[Case] = &[
        (
            &[
                "--identity-pool",
                "us-east-1:not-a-uuid",
                "--tenant-id",
                "t",
            ],
            &[],
            &["--identity-pool", "<region>:<uuid>", "us-east-1:5f2a7c1e"],
        ),
        (
            &[
                "--aws-region",
                "eu-west-1",
                "--identity-pool",
                DEFAULT_POOL,
                "--tenant-id",
                "t",
            ],
            &[],
            &["--identity-pool", "contradicts", "eu-west-1"],
        ),
        (
            &["--identity-pool", POOL_UUID, "--tenant-id", "t"],
            &[],
            &["--identity-pool", "no region"],
        ),
        (
            &[
                "--aws-region",
                "nowhere",
                "--identity-pool",
                POOL_UUID,
                "--tenant-id",
                "t",
            ],
            &[],
            &["--aws-region", "us-east-1"],
        ),
        (
            &["--identity-pool", DEFAULT_POOL, "--tenant-id", ""],
            &[],
            &["--tenant-id"],
        ),
        (
            &["--identity-pool", DEFAULT_POOL, "--tenant-id", "a b"],
            &[],
            &["--tenant-id", "tnt_abc123"],
        ),
        (
            &[
                "--identity-pool",
                DEFAULT_POOL,
                "--tenant-id",
                "t",
                "--ensure",
                "soon",
            ],
            &[],
            &["--ensure", "10m"],
        ),
        (
            &["--identity-pool", DEFAULT_POOL, "--tenant-id", "t"],
            &[("AWS_ENDPOINT_URL", "http://cognito.example.com")],
            &["AWS_ENDPOINT_URL", "cleartext"],
        ),
        (
            &[
                "--identity-pool",
                DEFAULT_POOL,
                "--tenant-id",
                "t",
                "--format",
                "credential-process",
            ],
            &[],
            &["credential-process"],
        ),
        (
            &[
                "--identity-pool",
                DEFAULT_POOL,
                "--tenant-id",
                "t",
                "--token-file",
                "x.json",
                "--format",
                "json",
            ],
            &[],
            &["--token-file", "--format"],
        ),
    ];
    for (args, env, needles) in cases {
        let mut cmd = exchange_with_args(&emu, home.path(), args);
        for (k, v) in *env {
            cmd.env(k, v);
        }
        let out = run_cli(cmd);
        let t = output_text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {t}");
        for n in *needles {
            assert!(t.contains(n), "{args:?}: {n:?} not in:\n{t}");
        }
    }
    assert_eq!(emu.request_count(), 0, "nothing was sent");
    assert!(!token_json_path(home.path()).exists());
}

#[test]
fn identity_pool_ids_parse_with_or_without_region() {
    use ns_federate::config::{IdentityPoolId, Region};
    let east = Region::parse("us-east-1").unwrap();
    let p = IdentityPoolId::parse(DEFAULT_POOL, None).unwrap();
    assert_eq!(p.to_string(), DEFAULT_POOL);
    assert_eq!(p.region(), &east);
    assert_eq!(
        IdentityPoolId::parse(POOL_UUID, Some(&east))
            .unwrap()
            .to_string(),
        DEFAULT_POOL
    );
    assert_eq!(
        IdentityPoolId::parse(
            &DEFAULT_POOL
                .to_uppercase()
                .replace("US-EAST-1", "us-east-1"),
            None
        )
        .unwrap()
        .to_string(),
        DEFAULT_POOL,
        "uuid lower-cased as Cognito writes it"
    );
    let west = Region::parse("eu-west-1").unwrap();
    assert!(IdentityPoolId::parse(DEFAULT_POOL, Some(&west)).is_err());
    assert!(IdentityPoolId::parse(POOL_UUID, None).is_err());
    assert!(IdentityPoolId::parse("us-east-1:", None).is_err());
    assert!(IdentityPoolId::parse("Nope:5f2a7c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b", None).is_err());
    assert!(IdentityPoolId::parse("us-east-1:5f2a7c1e3b4d4e8f9a0b1c2d3e4f5a6b", None).is_err());
}

#[test]
fn help_lists_the_command() {
    let out = Command::new(BIN)
        .args(["auth", "exchange-aws-cognito-token", "--help"])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--aws-region",
        "--identity-pool",
        "--tenant-id",
        "--ensure",
        "--token-file",
        "--format",
    ] {
        assert!(t.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn a_failed_write_leaves_the_old_token_json_whole() {
    use std::os::unix::process::CommandExt;
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let path = token_json_path(home.path());
    let dir = path.parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    let old = r#"{"bearer_token":"nsct_old"}"#;
    std::fs::write(&path, old).unwrap();

    // The child may write at most 64 bytes to any file: the new token.json
    // (a whole JWT) cannot be written, and the write fails with EFBIG.
    let mut cmd = exchange(&emu, home.path(), &[]);
    // SAFETY: only async-signal-safe calls (setrlimit, signal) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // An ignored signal stays ignored across exec: EFBIG instead of SIGXFSZ.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let out = run_cli(cmd);
    let t = output_text(&out);
    assert_eq!(out.status.code(), Some(5), "{t}");
    assert!(t.contains(path.to_str().unwrap()), "names the file: {t}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        old,
        "old file whole"
    );
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["token.json"], "no temporary file left behind");
}
