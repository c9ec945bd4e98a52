//! Shared helpers for the integration tests: the binary, action.yml, the
//! step env that points the action at the emulator, assume-role and
//! cognito-exchange steps of the action, the AWS → Namespace command line,
//! token specs, and result checks that never print a secret.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use aws_sdk_cognitoidentity::config::{BehaviorVersion, Credentials, Region};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ns_federate_emulator::runner::{Job, StepResult};
use ns_federate_emulator::{
    DEFAULT_POOL, DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator, TEST_ACCESS_KEY_ID,
    TEST_SECRET_ACCESS_KEY,
};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ns-federate");

/// The action contract.
pub fn action_yml() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml"))
}

/// The binary as a path.
pub fn bin() -> &'static Path {
    Path::new(BIN)
}

/// The emulator's method name of Cognito's `GetOpenIdTokenForDeveloperIdentity`.
pub const COGNITO: &str = "cognito-identity:GetOpenIdTokenForDeveloperIdentity";

/// The emulator's method name of Namespace's `ExchangeAWSCognitoJWT`.
pub const EXCHANGE: &str = "nsl.tenants.TenantsService/ExchangeAWSCognitoJWT";

/// One hour.
pub const HOUR: Duration = Duration::from_secs(3600);

/// Step env pointing Namespace and AWS at the emulator, and the runner's
/// token path at a file that does not exist (the host's must not leak in).
pub fn emulator_env(emu: &Emulator) -> Vec<(String, String)> {
    vec![
        ("NSC_IAM_ENDPOINT".into(), emu.url()),
        ("AWS_ENDPOINT_URL".into(), emu.url()),
        (
            "NS_FEDERATE_RUNNER_TOKEN_PATH".into(),
            "/nonexistent/ns-federate-test/token.json".into(),
        ),
    ]
}

/// Borrows owned pairs as `(&str, &str)`.
pub fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, s)| (k.as_str(), s.as_str())).collect()
}

/// A valid tenant token of the emulator's default tenant.
pub fn tenant_token(emu: &Emulator) -> String {
    emu.tenant_token(DEFAULT_TENANT, None, HOUR)
}

/// Runs the action as an assume-role step of `job`: `DEFAULT_ROLE_ARN` and a
/// fresh token of the default tenant unless `inputs` give those inputs
/// another value (`""` = not given), plus `inputs`; the step env is
/// [`emulator_env`] with `extra_env` added or replacing what it names.
/// Returns the result and the `namespace-token` input used.
pub fn assume_role_step(
    job: &mut Job,
    emu: &Emulator,
    inputs: &[(&str, &str)],
    extra_env: &[(&str, &str)],
) -> (StepResult, String) {
    let default_token = tenant_token(emu);
    let mut all: Vec<(&str, &str)> = vec![
        ("role-to-assume", DEFAULT_ROLE_ARN),
        ("namespace-token", &default_token),
    ];
    for (name, value) in inputs {
        all.retain(|(n, _)| n != name);
        all.push((name, value));
    }
    let token = all
        .iter()
        .find(|(n, _)| *n == "namespace-token")
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    let mut env = emulator_env(emu);
    for (name, value) in extra_env {
        env.retain(|(n, _)| n != name);
        env.push((name.to_string(), value.to_string()));
    }
    let r = job.run_action(bin(), &action_yml(), &all, &pairs(&env));
    (r, token)
}

/// [`assume_role_step`] as the first step of a new job.
pub fn run_assume_role(
    emu: &Emulator,
    inputs: &[(&str, &str)],
    extra_env: &[(&str, &str)],
) -> (StepResult, String) {
    assume_role_step(&mut Job::new(), emu, inputs, extra_env)
}

/// Step env: [`emulator_env`], the AWS test credentials (as a job on AWS
/// would have), and `extra` added or replacing what it names.
pub fn aws_step_env(emu: &Emulator, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = emulator_env(emu);
    env.push(("AWS_ACCESS_KEY_ID".into(), TEST_ACCESS_KEY_ID.into()));
    env.push((
        "AWS_SECRET_ACCESS_KEY".into(),
        TEST_SECRET_ACCESS_KEY.into(),
    ));
    for (k, v) in extra {
        env.retain(|(n, _)| n != k);
        env.push((k.to_string(), v.to_string()));
    }
    env
}

/// Runs the action as a cognito-exchange step of `job` for the default pool
/// and workspace in us-east-1, `inputs` added or replacing those inputs; the
/// step env is [`aws_step_env`] with `extra_env`.
pub fn cognito_step(
    job: &mut Job,
    emu: &Emulator,
    inputs: &[(&str, &str)],
    extra_env: &[(&str, &str)],
) -> StepResult {
    let mut all = vec![
        ("mode", "cognito-exchange"),
        ("aws-region", "us-east-1"),
        ("identity-pool", DEFAULT_POOL),
        ("tenant-id", DEFAULT_TENANT),
    ];
    for (name, value) in inputs {
        all.retain(|(n, _)| n != name);
        all.push((name, value));
    }
    job.run_action(
        bin(),
        &action_yml(),
        &all,
        &pairs(&aws_step_env(emu, extra_env)),
    )
}

/// Runs an assume-role step with `inputs` against a fresh emulator and
/// asserts exit 2 with each of `needles` in the output, no request sent,
/// nothing exported, and the Namespace token never printed.
pub fn assert_input_refused(inputs: &[(&str, &str)], needles: &[&str]) {
    let emu = Emulator::start();
    let (r, token) = run_assume_role(&emu, inputs, &[]);
    // Names only: some tests pass (fake) tokens as input values.
    let names: Vec<&str> = inputs.iter().map(|(name, _)| *name).collect();
    assert_fails(&r, 2, needles);
    assert_eq!(emu.request_count(), 0, "{names:?}: something was sent");
    assert!(
        r.env.is_empty() && r.outputs.is_empty(),
        "{names:?}: results were written"
    );
    assert!(
        token.is_empty() || !r.output.contains(&token),
        "the token was printed"
    );
}

/// A v1 token spec (`NSC_TOKEN_SPEC`) holding `token` inline: base64 without padding, as nsc writes it.
pub fn inline_token_spec(token: &str) -> String {
    STANDARD_NO_PAD.encode(serde_json::json!({"version": "v1", "inline_token": token}).to_string())
}

/// A process's stdout then stderr, as text.
pub fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The value a step wrote to GITHUB_ENV for `name` (last one wins).
pub fn env_value<'a>(r: &'a StepResult, name: &str) -> Option<&'a str> {
    r.env
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The three AWS credential values from GITHUB_ENV; panics (without values) when one is missing.
pub fn aws_creds(r: &StepResult) -> (String, String, String) {
    let get = |n: &str| {
        env_value(r, n)
            .unwrap_or_else(|| panic!("{n} not in GITHUB_ENV"))
            .to_string()
    };
    (
        get("AWS_ACCESS_KEY_ID"),
        get("AWS_SECRET_ACCESS_KEY"),
        get("AWS_SESSION_TOKEN"),
    )
}

/// Asserts success, showing the (redacted) output otherwise.
pub fn assert_ok(r: &StepResult, secrets: &[&str]) {
    assert!(
        r.code == 0,
        "exit {}:\n{}",
        r.code,
        r.redacted_output(secrets)
    );
}

/// Asserts the exit code and that the output contains each needle.
pub fn assert_fails(r: &StepResult, code: i32, needles: &[&str]) {
    let out = r.redacted_output(&[]);
    assert!(
        r.code == code,
        "expected exit {code}, got {}:\n{out}",
        r.code
    );
    for n in needles {
        assert!(out.contains(n), "output lacks {n:?}:\n{out}");
    }
}

/// Proves credentials work against the emulator: a SigV4-signed Cognito call
/// succeeds only with the exact key id, secret and session token STS issued.
pub fn credentials_are_the_ones_sts_issued(
    emu: &Emulator,
    key_id: &str,
    secret: &str,
    token: &str,
) -> bool {
    let config = aws_sdk_cognitoidentity::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(emu.url())
        .credentials_provider(Credentials::new(
            key_id,
            secret,
            Some(token.to_string()),
            None,
            "test",
        ))
        .build();
    let client = aws_sdk_cognitoidentity::Client::from_conf(config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(
            client
                .get_open_id_token_for_developer_identity()
                .identity_pool_id(DEFAULT_POOL)
                .logins("namespace.so", DEFAULT_TENANT)
                .send(),
        )
        .is_ok()
}

/// A plain command of the binary with a clean, loopback-only environment.
pub fn cli(emu: &Emulator, home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in emulator_env(emu) {
        cmd.env(k, v);
    }
    cmd
}

/// Flags of `auth exchange-aws-cognito-token` for the emulator's default
/// pool and workspace in us-east-1.
pub fn exchange_flags() -> Vec<&'static str> {
    vec![
        "--aws-region",
        "us-east-1",
        "--identity-pool",
        DEFAULT_POOL,
        "--tenant-id",
        DEFAULT_TENANT,
    ]
}

/// `auth exchange-aws-cognito-token` with exactly `args`, and the emulator's
/// AWS test credentials in the environment.
pub fn exchange_with_args(emu: &Emulator, home: &Path, args: &[&str]) -> Command {
    let mut cmd = cli(emu, home);
    cmd.env("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY)
        .args(["auth", "exchange-aws-cognito-token"])
        .args(args);
    cmd
}

/// The exchange for the default pool and workspace ([`exchange_flags`]), plus
/// `extra`, with the emulator's AWS test credentials in the environment.
pub fn exchange(emu: &Emulator, home: &Path, extra: &[&str]) -> Command {
    let mut cmd = exchange_with_args(emu, home, &exchange_flags());
    cmd.args(extra);
    cmd
}

/// [`exchange`] with no AWS identity in the environment: the test adds one.
pub fn exchange_without_keys(emu: &Emulator, home: &Path, extra: &[&str]) -> Command {
    let mut cmd = cli(emu, home);
    cmd.args(["auth", "exchange-aws-cognito-token"])
        .args(exchange_flags())
        .args(extra);
    cmd
}

/// Asserts a process exited 0, showing its exit code and stderr otherwise.
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}; stderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `cmd` to completion.
pub fn run_cli(mut cmd: Command) -> Output {
    cmd.output().expect("run ns-federate")
}

/// Where nsc keeps the user's login under `home` (no XDG_CONFIG_HOME).
pub fn token_json_path(home: &Path) -> PathBuf {
    home.join(".config/ns/token.json")
}
