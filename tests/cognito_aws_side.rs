//! The AWS side of AWS → Namespace, against the emulator: Cognito's edge
//! answers are retried with true attempt counts, failures read as words (no
//! Debug dumps, no library warnings), the credential chain's failures get the
//! exit code of their cause, SSO profiles work, and no secret ever goes over
//! cleartext HTTP off this machine (checked inside an empty network
//! namespace, where nothing can leave).

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use common::{
    BIN, COGNITO, EXCHANGE, HOUR, exchange, exchange_flags, exchange_without_keys, output_text,
    run_cli,
};
use ns_federate_emulator::fake::FakeServer;
use ns_federate_emulator::{
    DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator, Fault, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY,
};

const STS: &str = "sts:AssumeRoleWithWebIdentity";

/// Runs `cmd`: its exit code and its output.
fn run(cmd: Command) -> (Option<i32>, String) {
    let out = run_cli(cmd);
    (out.status.code(), output_text(&out))
}

/// No Rust Debug dump of an SDK error, and no library warning line.
fn assert_words_only(t: &str) {
    for dump in [
        "DispatchFailure(",
        "ConnectorError {",
        "ProviderError(",
        "InvalidConfiguration(",
        "source: ",
        "Unknown: (no message)",
    ] {
        assert!(!t.contains(dump), "a Debug dump ({dump}):\n{t}");
    }
    // Our own warnings are retries; anything else would be a library's.
    assert!(
        !t.lines().any(
            |l| (l.starts_with("warning:") || l.starts_with("::warning::"))
                && !l.contains("; retrying in ")
        ),
        "a library warning:\n{t}"
    );
}

#[test]
fn cognito_edge_answers_are_retried_with_true_attempt_counts() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    for (fault, needle) in [
        (
            Fault::MalformedBody,
            "not a GetOpenIdTokenForDeveloperIdentity answer",
        ),
        (Fault::EmptyBody, "the answer has no Token"),
        (Fault::Http(429), "HTTP 429: emulated failure: HTTP 429"),
        (Fault::Http(503), "HTTP 503: emulated failure: HTTP 503"),
    ] {
        // One bad answer, then a good one: retried, and the run succeeds.
        emu.reset();
        emu.fail_next(COGNITO, 1, fault.clone());
        let (code, t) = run(exchange(&emu, home.path(), &[]));
        assert_eq!(code, Some(0), "{fault:?}:\n{t}");
        assert_eq!(emu.count(COGNITO), 2, "{fault:?}: retried once");
        assert_eq!(emu.count(EXCHANGE), 1, "{fault:?}");

        // Only bad answers: exactly the attempts asked for, and the message says so.
        emu.reset();
        emu.fail_next(COGNITO, 5, fault.clone());
        let (code, t) = run(exchange(&emu, home.path(), &["--retry-max-attempts", "2"]));
        assert_eq!(code, Some(4), "{fault:?}:\n{t}");
        assert_eq!(emu.count(COGNITO), 2, "{fault:?}: the attempts asked for");
        assert_eq!(emu.count(EXCHANGE), 0, "{fault:?}");
        assert!(t.contains("(2 attempts)"), "{fault:?}:\n{t}");
        assert!(t.contains(needle), "{fault:?}: lacks {needle:?}:\n{t}");
        assert_words_only(&t);
    }

    // A single attempt says "1 attempt", not the configured maximum.
    emu.reset();
    emu.fail_next(COGNITO, 5, Fault::Http(429));
    let (code, t) = run(exchange(&emu, home.path(), &["--retry-max-attempts", "1"]));
    assert_eq!(code, Some(4), "{t}");
    assert_eq!(emu.count(COGNITO), 1);
    assert!(t.contains("(1 attempt)"), "{t}");
}

#[test]
fn cognito_transport_failures_read_as_words() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    emu.fail_next(COGNITO, 5, Fault::DropConnection);
    let (code, t) = run(exchange(&emu, home.path(), &["--retry-max-attempts", "2"]));
    assert_eq!(code, Some(4), "{t}");
    assert_eq!(emu.count(COGNITO), 2);
    assert!(t.contains("AWS Cognito was unreachable"), "{t}");
    assert_words_only(&t);

    // Nothing listens there: connection refused, in words.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut cmd = exchange(&emu, home.path(), &["--retry-max-attempts", "1"]);
    cmd.env("AWS_ENDPOINT_URL_COGNITO_IDENTITY", &url);
    let (code, t) = run(cmd);
    assert_eq!(code, Some(4), "{t}");
    assert!(t.to_lowercase().contains("connection refused"), "{t}");
    assert_words_only(&t);
}

#[test]
fn an_uncoded_refusal_shows_the_status_and_the_body() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    emu.fail_next(COGNITO, 1, Fault::Http(403));
    let (code, t) = run(exchange(&emu, home.path(), &[]));
    assert_eq!(code, Some(3), "{t}");
    assert!(t.contains("HTTP 403: emulated failure: HTTP 403"), "{t}");
    assert_eq!(emu.count(COGNITO), 1, "a refusal is not retried");
    assert_words_only(&t);
}

#[test]
fn rejected_signing_credentials_point_at_the_credentials() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = exchange(&emu, home.path(), &[]);
    cmd.env(
        "AWS_SECRET_ACCESS_KEY",
        "wrong/secret/000000000000000000000000000",
    );
    let (code, t) = run(cmd);
    assert_eq!(code, Some(3), "{t}");
    assert!(t.contains("InvalidSignatureException"), "{t}");
    assert!(
        t.contains("the secret key must belong to the access key id"),
        "{t}"
    );
    assert!(t.contains("clock says"), "{t}");
    assert!(!t.contains("wrong/secret"), "the secret key is never shown");

    for (fault, needle) in [
        (
            "UnrecognizedClientException",
            "the secret key must belong to the access key id",
        ),
        (
            "ExpiredTokenException",
            "session token of these AWS credentials has expired",
        ),
    ] {
        emu.reset();
        emu.fail_next(COGNITO, 1, Fault::Cognito(fault.into()));
        let (code, t) = run(exchange(&emu, home.path(), &[]));
        assert_eq!(code, Some(3), "{fault}:\n{t}");
        assert!(t.contains(fault) && t.contains(needle), "{fault}:\n{t}");
    }
}

#[test]
fn half_a_key_pair_and_a_missing_profile_are_named() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    for (name, other) in [
        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
    ] {
        let mut cmd = exchange_without_keys(&emu, home.path(), &[]);
        cmd.env(name, "half-a-pair-000000000000");
        let (code, t) = run(cmd);
        assert_eq!(code, Some(2), "{t}");
        assert!(
            t.contains(&format!("{name} is set but {other} is missing")),
            "{t}"
        );
        assert!(!t.contains("half-a-pair"), "the value is never shown");
    }

    // No profile files at all.
    let mut cmd = exchange_without_keys(&emu, home.path(), &[]);
    cmd.env("AWS_PROFILE", "nope");
    let (code, t) = run(cmd);
    assert_eq!(code, Some(2), "{t}");
    assert!(t.contains("AWS_PROFILE names the profile `nope`"), "{t}");

    // Profile files that define other profiles.
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(aws.join("config"), "[profile other]\nregion = us-east-1\n").unwrap();
    let mut cmd = exchange_without_keys(&emu, home.path(), &[]);
    cmd.env("AWS_PROFILE", "nope");
    let (code, t) = run(cmd);
    assert_eq!(code, Some(2), "{t}");
    assert!(t.contains("AWS_PROFILE names the profile `nope`"), "{t}");
    assert!(t.contains(&aws.join("config").display().to_string()), "{t}");
    assert_words_only(&t);
    assert_eq!(emu.request_count(), 0, "nothing sent");
}

/// A shared config file holding `text`, in the test's home.
fn aws_config(home: &Path, text: &str) {
    let aws = home.join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(aws.join("config"), text).unwrap();
}

#[test]
fn credential_process_mistakes_are_configuration_errors_in_words() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    for (process, needle) in [
        ("echo notjson", "could not parse response"),
        ("sh -c 'echo broken >&2; exit 3'", "exited with"),
    ] {
        aws_config(
            home.path(),
            &format!("[default]\ncredential_process = {process}\n"),
        );
        let (code, t) = run(exchange_without_keys(&emu, home.path(), &[]));
        assert_eq!(code, Some(2), "{process}:\n{t}");
        assert!(t.contains("The AWS credentials are misconfigured"), "{t}");
        assert!(t.contains(needle), "{process}: lacks {needle:?}:\n{t}");
        assert_words_only(&t);
    }
    assert_eq!(emu.request_count(), 0, "nothing sent");
}

#[test]
fn a_profile_role_that_cannot_be_assumed_is_named_in_words() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    // The emulator has no AssumeRole action: STS answers InvalidAction.
    aws_config(
        home.path(),
        &format!(
            "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = base\n[profile base]\naws_access_key_id = {TEST_ACCESS_KEY_ID}\naws_secret_access_key = {TEST_SECRET_ACCESS_KEY}\n"
        ),
    );
    let mut cmd = exchange_without_keys(&emu, home.path(), &["--retry-max-attempts", "1"]);
    cmd.env("AWS_PROFILE", "deploy");
    let (code, t) = run(cmd);
    assert_eq!(code, Some(3), "{t}");
    assert!(
        t.contains(
            "assuming role arn:aws:iam::123456789012:role/deployer for profile deploy failed: InvalidAction: "
        ),
        "{t}"
    );
    assert!(t.contains("role_arn and source_profile"), "{t}");
    assert!(!t.contains("web identity token"), "{t}");
    for dump in ["unhandled error", "Error {", "aws_request_id"] {
        assert!(!t.contains(dump), "a Debug dump ({dump}):\n{t}");
    }
    assert_words_only(&t);
    assert_eq!(emu.count(COGNITO), 0);
}

#[test]
fn web_identity_failures_get_the_exit_code_of_their_cause() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join("web-identity.jwt");
    std::fs::write(
        &token_file,
        emu.id_token(DEFAULT_TENANT, "sts.amazonaws.com", HOUR),
    )
    .unwrap();
    let web_identity = |extra_env: &[(&str, &str)]| {
        let mut cmd = exchange_without_keys(&emu, home.path(), &["--retry-max-attempts", "1"]);
        cmd.env("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file)
            .env("AWS_ROLE_ARN", DEFAULT_ROLE_ARN);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        run(cmd)
    };

    // Works, through loopback: the chain's STS and Cognito both at the emulator.
    let (code, t) = web_identity(&[]);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!((emu.count(STS), emu.count(COGNITO)), (1, 1));

    // STS refuses the role: refused (3).
    emu.reset();
    emu.fail_next(STS, 5, Fault::Sts("AccessDenied".into()));
    let (code, t) = web_identity(&[]);
    assert_eq!(code, Some(3), "{t}");
    assert!(t.contains("AWS refused the credentials source"), "{t}");
    assert!(t.contains("AccessDenied"), "{t}");
    assert_eq!(emu.count(COGNITO), 0);
    assert_words_only(&t);

    // STS unreachable: transient (4).
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    emu.reset();
    let (code, t) = web_identity(&[("AWS_ENDPOINT_URL_STS", &url)]);
    assert_eq!(code, Some(4), "{t}");
    assert!(t.contains("Could not get AWS credentials"), "{t}");
    assert_words_only(&t);
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn sso_profiles_get_credentials_from_iam_identity_center() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let start_url = "https://ns-federate-test.awsapps.com/start";
    aws_config(
        home.path(),
        &format!(
            "[profile sso]\nsso_start_url = {start_url}\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = ci\n"
        ),
    );
    // Without a cached login: a configuration error that says to log in.
    let mut cmd = exchange_without_keys(&emu, home.path(), &[]);
    cmd.env("AWS_PROFILE", "sso");
    let (code, t) = run(cmd);
    assert_eq!(code, Some(2), "{t}");
    assert!(t.contains("aws sso login"), "{t}");
    assert!(!t.contains("feature"), "SSO is built in:\n{t}");
    assert_words_only(&t);

    // With the token `aws sso login` caches: GetRoleCredentials, then Cognito.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("printf %s '{start_url}' | sha1sum"))
        .output()
        .expect("sha1sum (coreutils)");
    let digest = String::from_utf8(out.stdout).unwrap();
    let digest = digest.split_whitespace().next().expect("a digest");
    let cache = home.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join(format!("{digest}.json")),
        r#"{"accessToken": "sso-access-token-for-tests", "expiresAt": "2099-01-01T00:00:00Z", "region": "us-east-1", "startUrl": "https://ns-federate-test.awsapps.com/start"}"#,
    )
    .unwrap();
    let portal = FakeServer::fixed(
        200,
        "application/json",
        format!(
            r#"{{"roleCredentials":{{"accessKeyId":"{TEST_ACCESS_KEY_ID}","secretAccessKey":"{TEST_SECRET_ACCESS_KEY}","sessionToken":"sso-session-token","expiration":4070908800000}}}}"#
        ),
    );
    let mut cmd = exchange_without_keys(&emu, home.path(), &[]);
    cmd.env("AWS_PROFILE", "sso")
        .env("AWS_ENDPOINT_URL_SSO", portal.url());
    let (code, t) = run(cmd);
    assert_eq!(code, Some(0), "{t}");
    let asked = portal.requests();
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].target.starts_with("/federation/credentials"),
        "{}",
        asked[0].target
    );
    assert!(
        asked[0].header("x-amz-sso_bearer_token") == Some("sso-access-token-for-tests"),
        "GetRoleCredentials carries the cached login"
    );
    assert_eq!(emu.count(COGNITO), 1);
    assert_eq!(
        emu.requests()[0].param("AccessKeyId"),
        Some(TEST_ACCESS_KEY_ID)
    );
}

// --- Nothing leaves this machine in cleartext -----------------------------
//
// A listener on 10.1.2.3 (added to `lo` of a fresh, empty network
// namespace) stands for a host off this machine: it sees every connection
// a leak would make, and nothing can leave the namespace at all.

const OFF_HOST: &str = "http://10.1.2.3:8080";

/// Runs `f` on a thread inside a new network namespace that has only `lo`,
/// up, with 10.1.2.3 on it. Processes spawned from `f` live there too.
fn in_empty_network_namespace<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // SAFETY: unshare only changes this thread's network namespace.
                let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
                assert!(
                    rc == 0,
                    "unshare(CLONE_NEWNET) failed ({}): this test needs root, as the scratch-image check does (CI runs the tests with sudo)",
                    std::io::Error::last_os_error()
                );
                for args in [
                    &["link", "set", "lo", "up"][..],
                    &["addr", "add", "10.1.2.3/32", "dev", "lo"],
                ] {
                    let status = Command::new("ip")
                        .args(args)
                        .status()
                        .expect("run `ip` (install iproute2)");
                    assert!(status.success(), "ip {args:?}");
                }
                f()
            })
            .join()
            .expect("the namespace thread")
    })
}

/// The exchange in a bare environment (no emulator: nothing may answer),
/// Namespace at a closed loopback port, one attempt.
fn bare_exchange(home: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NSC_IAM_ENDPOINT", "http://127.0.0.1:9")
        .env(
            "NS_FEDERATE_RUNNER_TOKEN_PATH",
            "/nonexistent/ns-federate-test/token.json",
        )
        .args(["auth", "exchange-aws-cognito-token"])
        .args(exchange_flags())
        .args(["--retry-max-attempts", "1", "--timeout", "20"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd)
}

/// Runs `case` in an empty network namespace with a listener on 10.1.2.3:8080,
/// and asserts that nothing connected to it.
fn assert_nothing_reaches_the_off_host(
    what: &str,
    case: impl FnOnce() -> (Option<i32>, String) + Send,
) -> (Option<i32>, String) {
    in_empty_network_namespace(|| {
        let listener = TcpListener::bind("10.1.2.3:8080").expect("listen on 10.1.2.3:8080");
        listener.set_nonblocking(true).unwrap();
        let result = case();
        // A connection attempt would sit in the backlog, accepted or not.
        match listener.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Ok(_) => panic!("{what}: something connected to {OFF_HOST}:\n{}", result.1),
            Err(e) => panic!("{what}: accept: {e}"),
        }
        result
    })
}

fn keys() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY),
        ("AWS_SESSION_TOKEN", "session-token-that-must-not-leak"),
    ]
}

#[test]
fn configured_cleartext_endpoints_off_this_machine_are_never_used() {
    let home = tempfile::tempdir().unwrap();
    let jwt = home.path().join("web-identity.jwt");
    std::fs::write(&jwt, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln").unwrap();
    let jwt = jwt.display().to_string();
    let web_identity = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", jwt.as_str()),
        ("AWS_ROLE_ARN", DEFAULT_ROLE_ARN),
        // Cognito is never reached: the chain fails first.
        ("AWS_ENDPOINT_URL_COGNITO_IDENTITY", "http://127.0.0.1:9"),
    ];

    // The tool's own endpoint variable: refused before anything is sent.
    let mut env = keys();
    env.push(("AWS_ENDPOINT_URL", OFF_HOST));
    let (code, t) = assert_nothing_reaches_the_off_host("AWS_ENDPOINT_URL", || {
        bare_exchange(home.path(), &env)
    });
    assert_eq!(code, Some(2), "{t}");
    assert!(t.contains("cleartext"), "{t}");

    // The variables switched off: Cognito goes to AWS's own https endpoint
    // (unreachable in here), never to the variable's.
    env.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"));
    let (code, t) = assert_nothing_reaches_the_off_host("ignored AWS_ENDPOINT_URL", || {
        bare_exchange(home.path(), &env)
    });
    assert_eq!(code, Some(4), "{t}");
    assert!(!t.contains("10.1.2.3"), "{t}");

    // The chain's STS (web identity) at a cleartext endpoint: refused, exit 2.
    let mut env = web_identity.to_vec();
    env.push(("AWS_ENDPOINT_URL_STS", OFF_HOST));
    let (code, t) = assert_nothing_reaches_the_off_host("AWS_ENDPOINT_URL_STS", || {
        bare_exchange(home.path(), &env)
    });
    assert_eq!(code, Some(2), "{t}");
    assert!(
        t.contains(
            "refusing to send AWS credentials or tokens over cleartext HTTP to http://10.1.2.3:8080"
        ),
        "{t}"
    );
    assert_words_only(&t);

    // aws-config lets its STS follow AWS_ENDPOINT_URL even when told to
    // ignore it: refused (or, should aws-config ever honour the flag, AWS's
    // own endpoint, unreachable in here).
    let mut env = web_identity.to_vec();
    env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL_COGNITO_IDENTITY");
    env.push(("AWS_ENDPOINT_URL", OFF_HOST));
    env.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"));
    let (code, t) =
        assert_nothing_reaches_the_off_host("ignored AWS_ENDPOINT_URL, web identity", || {
            bare_exchange(home.path(), &env)
        });
    match code {
        Some(2) => assert!(t.contains("http://10.1.2.3:8080"), "{t}"),
        Some(4) => assert!(!t.contains("10.1.2.3"), "{t}"),
        _ => panic!("exit {code:?}:\n{t}"),
    }
}

#[test]
fn a_profiles_cleartext_endpoint_url_is_never_used() {
    let home = tempfile::tempdir().unwrap();
    aws_config(
        home.path(),
        &format!("[default]\nendpoint_url = {OFF_HOST}\n"),
    );

    // Cognito never follows the profile: AWS's own endpoint (unreachable in here).
    let (code, t) = assert_nothing_reaches_the_off_host("profile endpoint_url", || {
        bare_exchange(home.path(), &keys())
    });
    assert_eq!(code, Some(4), "{t}");
    assert!(!t.contains("10.1.2.3"), "{t}");

    // The chain's STS does follow it: refused before sending.
    let jwt = home.path().join("web-identity.jwt");
    std::fs::write(&jwt, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln").unwrap();
    let jwt = jwt.display().to_string();
    let env = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", jwt.as_str()),
        ("AWS_ROLE_ARN", DEFAULT_ROLE_ARN),
    ];
    let (code, t) =
        assert_nothing_reaches_the_off_host("profile endpoint_url, web identity", || {
            bare_exchange(home.path(), &env)
        });
    assert_eq!(code, Some(2), "{t}");
    assert!(t.contains("http://10.1.2.3:8080"), "{t}");
}

#[test]
fn an_unreadable_cognito_200_holding_a_token_is_never_quoted() {
    // Cut short inside the token: the SDK cannot read it, and the part that
    // came is a secret no one has registered.
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let token = "eyJraWQiOiJ1cy1lYXN0LTEtNiIsInR5cCI6IkpXUyIsImFsZyI6IlJTNTEyIn0UNREADABLE";
    let fake = FakeServer::fixed(
        200,
        "application/x-amz-json-1.1",
        format!(
            r#"{{"IdentityId":"us-east-1:5f2a7c1e-0000-4e8f-9a0b-1c2d3e4f5a6b","Token":"{token}"#
        ),
    );
    let mut cmd = exchange(&emu, home.path(), &["--retry-max-attempts", "1"]);
    cmd.env("AWS_ENDPOINT_URL_COGNITO_IDENTITY", fake.url());
    let (code, t) = run(cmd);
    assert_eq!(code, Some(4), "{}", t.replace(token, "<token>"));
    assert!(
        !t.contains(&token[..16]),
        "a part of the unreadable answer's token was printed"
    );
    assert!(t.contains("not shown"), "{t}");
    assert_eq!(emu.count(EXCHANGE), 0, "nothing reached Namespace");
}
