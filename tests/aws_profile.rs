//! `--profile NAME` / input `aws-profile`: the credentials land in the AWS
//! shared credentials file as `[NAME]` (region in the config file), other
//! sections and comments stay byte for byte, files are 0600 in a 0700
//! directory, and the AWS CLI (from `scripts/setup-moto`) signs with them.
//! Under the runner emulation only `AWS_PROFILE` reaches `GITHUB_ENV`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use ns_federate_emulator::runner::{Job, declared_outputs};
use ns_federate_emulator::{DEFAULT_POOL, DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator};

/// A tiny INI reader, as AWS SDKs read the shared files: sections of
/// `key = value` lines; `#` and `;` lines are comments.
fn ini(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            assert!(
                sections.iter().all(|(n, _)| n != name.trim()),
                "duplicate section [{}]",
                name.trim()
            );
            sections.push((name.trim().to_string(), Vec::new()));
            continue;
        }
        let (k, v) = t
            .split_once('=')
            .unwrap_or_else(|| panic!("not a key = value line (length {})", t.len()));
        sections
            .last_mut()
            .expect("a key before any section")
            .1
            .push((k.trim().to_string(), v.trim().to_string()));
    }
    sections
}

/// The keys of `[section]`, in file order; panics when there is no such section.
fn section(text: &str, name: &str) -> Vec<(String, String)> {
    ini(text)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no section [{name}]"))
        .1
}

fn key<'a>(keys: &'a [(String, String)], name: &str) -> &'a str {
    keys.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no key {name}"))
}

/// The credentials of `[name]`: key id, secret, session token (exactly those three keys).
fn profile_creds(credentials_text: &str, name: &str) -> (String, String, String) {
    let keys = section(credentials_text, name);
    let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "aws_access_key_id",
            "aws_secret_access_key",
            "aws_session_token"
        ]
    );
    (
        key(&keys, "aws_access_key_id").to_string(),
        key(&keys, "aws_secret_access_key").to_string(),
        key(&keys, "aws_session_token").to_string(),
    )
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `ns-federate aws assume-role --role-arn … ARGS` with a valid Namespace token.
fn assume(emu: &Emulator, home: &Path, args: &[&str]) -> Command {
    let mut cmd = cli(emu, home);
    cmd.env("NSC_TOKEN_SPEC", inline_token_spec(&tenant_token(emu)))
        .args(["aws", "assume-role", "--role-arn", DEFAULT_ROLE_ARN])
        .args(args);
    cmd
}

/// Runs [`assume`] with `args` and asserts it succeeded.
fn assume_ok(emu: &Emulator, home: &Path, args: &[&str]) -> Output {
    let out = assume(emu, home, args).output().unwrap();
    assert_success(&out);
    out
}

/// Runs [`assume`] with `args` and asserts exit 2 with each of `needles` on stderr.
fn assume_refused(emu: &Emulator, home: &Path, args: &[&str], needles: &[&str]) -> Output {
    let out = assume(emu, home, args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    out
}

/// `HOME/.aws`, created empty.
fn new_aws_dir(home: &Path) -> PathBuf {
    let dir = home.join(".aws");
    std::fs::create_dir(&dir).unwrap();
    dir
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The section names of an INI text, in file order.
fn section_names(text: &str) -> Vec<String> {
    ini(text).into_iter().map(|(n, _)| n).collect()
}

/// Asserts the emulator accepts a call signed with these credentials.
fn assert_issued(emu: &Emulator, key_id: &str, secret: &str, token: &str) {
    assert!(
        credentials_are_the_ones_sts_issued(emu, key_id, secret, token),
        "the profile's credentials are not the ones STS issued"
    );
}

/// The AWS CLI installed by `scripts/setup-moto`; required, never skipped.
fn aws_cli() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
    assert!(
        p.is_file(),
        "{} not found: run scripts/setup-moto (it installs awscli into .venv)",
        p.display()
    );
    p
}

/// The AWS CLI with a clean env: only PATH, HOME and no metadata service.
fn aws(home: &Path) -> Command {
    let mut cmd = Command::new(aws_cli());
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// The AWS CLI call that proves the profile's credentials are the ones STS
/// issued: the emulator checks its SigV4 signature against them.
const SIGNED_CALL: [&str; 6] = [
    "cognito-identity",
    "get-open-id-token-for-developer-identity",
    "--identity-pool-id",
    DEFAULT_POOL,
    "--logins",
    "namespace.so=tnt_emulator01",
];

#[test]
fn cli_writes_a_private_profile_that_the_aws_cli_uses() {
    assert_eq!(DEFAULT_TENANT, "tnt_emulator01");
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let out = assume_ok(
        &emu,
        home.path(),
        &["--profile", "ci", "--region", "us-east-1"],
    );
    assert!(
        out.stdout.is_empty(),
        "with --profile nothing goes to stdout"
    );

    let dir = home.path().join(".aws");
    let (cred_file, config_file) = (dir.join("credentials"), dir.join("config"));
    assert_eq!(mode(&dir), 0o700, "~/.aws mode");
    assert_eq!(mode(&cred_file), 0o600, "credentials file mode");
    assert_eq!(mode(&config_file), 0o600, "config file mode");
    let mut entries: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, ["config", "credentials"], "no temporary file left");

    let text = read(&cred_file);
    let (key_id, secret, token) = profile_creds(&text, "ci");
    assert_eq!(ini(&text).len(), 1);
    assert!(
        text == format!(
            "[ci]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\naws_session_token = {token}\n"
        ),
        "the credentials file is not the standard comment-free layout"
    );
    assert!(key_id.starts_with("ASIA"), "not an STS session key id");
    assert_issued(&emu, &key_id, &secret, &token);
    assert_eq!(read(&config_file), "[profile ci]\nregion = us-east-1\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for s in [&key_id, &secret, &token] {
        assert!(!stderr.contains(s.as_str()), "a credential was logged");
    }
    assert!(stderr.contains("AWS_PROFILE=ci"), "{stderr}");

    // The AWS CLI reads the profile as written.
    let get = |name: &str| {
        let out = aws(home.path())
            .args(["configure", "get", name, "--profile", "ci"])
            .output()
            .unwrap();
        assert!(out.status.success(), "aws configure get {name} failed");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert!(
        get("aws_access_key_id") == key_id,
        "aws configure get: key id differs"
    );
    assert!(
        get("aws_secret_access_key") == secret,
        "aws configure get: secret differs"
    );
    assert!(
        get("aws_session_token") == token,
        "aws configure get: session token differs"
    );
    assert_eq!(get("region"), "us-east-1");
    // And signs a request with it that the emulator accepts.
    let call = aws(home.path())
        .args(SIGNED_CALL)
        .args(["--profile", "ci", "--endpoint-url", &emu.url()])
        .output()
        .unwrap();
    assert!(
        call.status.success(),
        "the AWS CLI's signed call with --profile ci failed: {}",
        String::from_utf8_lossy(&call.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&call.stdout).unwrap();
    assert!(answer["Token"].as_str().is_some_and(|t| !t.is_empty()));
}

#[test]
fn an_existing_profile_gets_new_keys_and_everything_else_is_kept_byte_for_byte() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    // Files named by the variables, in an existing directory whose mode is the user's.
    let dir = home.path().join("dotfiles/aws");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (cred_file, config_file) = (dir.join("creds"), dir.join("conf"));

    let cred_head = "# Managed by hand: keep this comment.\n[default]\naws_access_key_id = AKIAUSERDEFAULT0000\naws_secret_access_key = user/default\n\n; the CI profile, refreshed by ns-federate\n";
    let cred_old = "[ci]\n# stale\naws_access_key_id = AKIAOLD\naws_secret_access_key = old\nregion = eu-west-3\naws_session_token = old\n";
    let cred_tail =
        "\n# production\n[prod]\naws_access_key_id = AKIAPROD\naws_secret_access_key = prod\n";
    std::fs::write(&cred_file, format!("{cred_head}{cred_old}{cred_tail}")).unwrap();
    std::fs::set_permissions(&cred_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config_head = "[default]\nregion = us-west-2\noutput = json\n\n";
    let config_old = "[profile ci]\nregion = ap-south-1\noutput = json\ncli_pager =\n";
    let config_tail = "# after ci\n\n[profile prod]\nregion = eu-north-1\n";
    std::fs::write(
        &config_file,
        format!("{config_head}{config_old}{config_tail}"),
    )
    .unwrap();

    let out = assume(&emu, home.path(), &["--profile", "ci"])
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_SHARED_CREDENTIALS_FILE", &cred_file)
        .env("AWS_CONFIG_FILE", &config_file)
        .output()
        .unwrap();
    assert_success(&out);

    let text = read(&cred_file);
    let keys = section(&text, "ci");
    let (key_id, secret, token) = (
        key(&keys, "aws_access_key_id").to_string(),
        key(&keys, "aws_secret_access_key").to_string(),
        key(&keys, "aws_session_token").to_string(),
    );
    // Only the three credential keys change, in place; region stays.
    let expected = format!(
        "{cred_head}[ci]\n# stale\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\nregion = eu-west-3\naws_session_token = {token}\n{cred_tail}"
    );
    assert!(text.starts_with(cred_head), "the lines before [ci] changed");
    assert!(text.ends_with(cred_tail), "the lines after [ci] changed");
    assert!(
        text == expected,
        "the credentials file is not the old one with the [ci] credential keys updated"
    );
    assert_issued(&emu, &key_id, &secret, &token);
    assert_eq!(section_names(&text), ["default", "ci", "prod"]);

    assert_eq!(
        read(&config_file),
        format!(
            "{config_head}[profile ci]\nregion = eu-west-1\noutput = json\ncli_pager =\n{config_tail}"
        ),
        "only the region of [profile ci] changes, the rest is kept"
    );
    assert_eq!(mode(&cred_file), 0o600);
    assert_eq!(mode(&config_file), 0o600);
    assert_eq!(mode(&dir), 0o755, "an existing directory keeps its mode");
    assert!(
        !home.path().join(".aws").exists(),
        "~/.aws is not used when the variables name the files"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "no temporary file left"
    );
}

#[test]
fn the_default_profile_uses_the_default_config_section() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let aws_dir = new_aws_dir(home.path());
    std::fs::write(
        aws_dir.join("config"),
        "[profile default]\nregion = us-west-1\n\n[profile x]\nregion = us-east-2\n",
    )
    .unwrap();
    assume_ok(
        &emu,
        home.path(),
        &["--profile", "default", "--region", "eu-central-1"],
    );
    let (key_id, secret, token) = profile_creds(&read(&aws_dir.join("credentials")), "default");
    assert_issued(&emu, &key_id, &secret, &token);
    // `[profile default]` also means the default profile to SDKs: replaced, not duplicated.
    let config = "[default]\nregion = eu-central-1\n\n[profile x]\nregion = us-east-2\n";
    assert_eq!(read(&aws_dir.join("config")), config);
    // Without a region the config file is left alone.
    assume_ok(&emu, home.path(), &["--profile", "other"]);
    assert_eq!(read(&aws_dir.join("config")), config);
    let text = read(&aws_dir.join("credentials"));
    assert_eq!(section_names(&text), ["default", "other"]);
}

#[test]
fn a_symlinked_credentials_file_is_refused() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let aws_dir = new_aws_dir(home.path());
    let real = home.path().join("real-credentials");
    std::fs::write(&real, "[keep]\nk = v\n").unwrap();
    std::os::unix::fs::symlink(&real, aws_dir.join("credentials")).unwrap();
    let out = assume(&emu, home.path(), &["--profile", "ci"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(emu.request_count(), 0, "refused before anything is sent");
    assert_eq!(read(&real), "[keep]\nk = v\n");
    assert!(
        std::fs::symlink_metadata(aws_dir.join("credentials"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn bad_profile_names_and_combinations_exit_2_before_anything_is_sent() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (&["--profile", "has space"][..], "flag --profile"),
        (&["--profile", "../x"][..], "A-Z a-z 0-9 _ . + @ -"),
        (&["--profile", &"p".repeat(65)][..], "1 to 64"),
        (
            &["--profile", "ci", "--write-env", "aws.env"][..],
            "--write-env",
        ),
        (
            &["--profile", "ci", "--format", "json"][..],
            "--format json",
        ),
    ] {
        assume_refused(&emu, home.path(), args, &[needle]);
    }
    assert_eq!(emu.request_count(), 0, "nothing may be sent");
    assert!(!home.path().join(".aws").exists(), "nothing may be written");

    let mut job = Job::new();
    let (r, _) = assume_role_step(&mut job, &emu, &[("aws-profile", "ci/prod")], &[]);
    assert_fails(&r, 2, &["input `aws-profile`", "A-Z a-z 0-9 _ . + @ -"]);
    let env = emulator_env(&emu);
    let r = job.run_action(
        bin(),
        &action_yml(),
        &[
            ("identity-pool", DEFAULT_POOL),
            ("tenant-id", DEFAULT_TENANT),
            ("aws-profile", "ci"),
        ],
        &pairs(&env),
    );
    assert_fails(&r, 2, &["input `aws-profile`", "assume-role"]);
    assert_eq!(emu.request_count(), 0, "nothing may be sent");
    assert!(r.env.is_empty(), "nothing may be exported");
}

#[test]
fn the_action_writes_the_profile_and_exports_only_aws_profile() {
    let emu = Emulator::start();
    let token = tenant_token(&emu);
    let env = emulator_env(&emu);
    let mut job = Job::new();
    let r = job.run_action(
        bin(),
        &action_yml(),
        &[
            ("role-to-assume", DEFAULT_ROLE_ARN),
            ("namespace-token", &token),
            ("aws-profile", "ci"),
            ("aws-region", "us-east-1"),
        ],
        &pairs(&env),
    );
    assert_ok(&r, &[&token]);
    assert!(r.env_file_error.is_none(), "{:?}", r.env_file_error);
    let names: Vec<&str> = r.env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"]);
    assert_eq!(env_value(&r, "AWS_PROFILE"), Some("ci"));
    assert_eq!(env_value(&r, "AWS_SECRET_ACCESS_KEY"), None);

    // The emulated job's HOME (the runner's `/github/home` analogue).
    let home = job.dir().parent().unwrap().join("home");
    let (key_id, secret, session) = profile_creds(&read(&home.join(".aws/credentials")), "ci");
    assert_eq!(mode(&home.join(".aws")), 0o700);
    assert_eq!(mode(&home.join(".aws/credentials")), 0o600);
    assert_eq!(
        read(&home.join(".aws/config")),
        "[profile ci]\nregion = us-east-1\n"
    );
    assert_issued(&emu, &key_id, &secret, &session);
    // Masks come first, though no credential is printed or exported.
    r.assert_masked_before_use(&[&key_id, &secret, &session]);
    for s in [&key_id, &secret, &session] {
        assert!(
            r.masks.iter().any(|m| m == s),
            "a credential was not registered with ::add-mask::"
        );
        assert!(
            !r.summary.contains(s.as_str()),
            "a credential is in the job summary"
        );
        assert!(
            r.env.iter().all(|(_, v)| v != s),
            "a credential went to GITHUB_ENV"
        );
    }
    // The usual outputs, all declared; no credential outputs without output-credentials.
    assert_eq!(
        r.outputs.get("aws-account-id").map(String::as_str),
        Some("123456789012")
    );
    assert!(
        r.outputs
            .get("authenticated-arn")
            .is_some_and(|a| a.starts_with("arn:aws:sts::123456789012:assumed-role/"))
    );
    let declared = declared_outputs(&action_yml());
    for name in r.outputs.keys() {
        assert!(declared.contains(name), "output {name} is not declared");
    }
    assert!(!r.outputs.contains_key("aws-secret-access-key"));
    assert!(r.summary.contains("ci"), "summary: {}", r.summary);

    // A later step (same HOME here) uses the profile through AWS_PROFILE alone.
    let mut later = Command::new(aws_cli());
    later.args(SIGNED_CALL).args(["--endpoint-url", &emu.url()]);
    let step = job.run_step(later);
    assert!(
        step.code == 0,
        "the later AWS CLI step failed: {}",
        step.redacted_output(&[&key_id, &secret, &session])
    );
}

#[test]
fn only_the_region_key_of_an_existing_config_section_changes() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let aws_dir = new_aws_dir(home.path());
    std::fs::write(
        aws_dir.join("config"),
        "[profile deploy]\nregion = us-west-2\noutput = json\ncli_pager =\n\n[profile bare]\noutput = text\n",
    )
    .unwrap();
    std::fs::write(
        aws_dir.join("credentials"),
        "[deploy]\nregion = ap-east-1\naws_access_key_id = AKIAOLD\n",
    )
    .unwrap();
    for (profile, region) in [("deploy", "eu-central-1"), ("bare", "eu-north-1")] {
        assume_ok(
            &emu,
            home.path(),
            &["--profile", profile, "--region", region],
        );
    }
    // The region is replaced in place, or added after the last key.
    assert_eq!(
        read(&aws_dir.join("config")),
        "[profile deploy]\nregion = eu-central-1\noutput = json\ncli_pager =\n\n[profile bare]\noutput = text\nregion = eu-north-1\n"
    );
    let keys = section(&read(&aws_dir.join("credentials")), "deploy");
    let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "region",
            "aws_access_key_id",
            "aws_secret_access_key",
            "aws_session_token"
        ],
        "the credentials section keeps its region key"
    );
    assert_eq!(key(&keys, "region"), "ap-east-1");
    assert_issued(
        &emu,
        key(&keys, "aws_access_key_id"),
        key(&keys, "aws_secret_access_key"),
        key(&keys, "aws_session_token"),
    );
}

#[test]
fn an_explicit_empty_profile_flag_exits_2_but_an_empty_input_means_not_given() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    for args in [&["--profile", ""][..], &["--profile=  "][..]] {
        let out = assume_refused(
            &emu,
            home.path(),
            args,
            &["empty profile name", "--profile"],
        );
        assert!(out.stdout.is_empty(), "nothing may go to stdout");
    }
    assert_eq!(emu.request_count(), 0, "nothing may be sent");
    assert!(!home.path().join(".aws").exists(), "nothing may be written");

    // The runner sets every input; an empty `aws-profile` is an unset one.
    let (r, token) = run_assume_role(&emu, &[("aws-profile", "")], &[]);
    assert_ok(&r, &[&token]);
    assert_eq!(env_value(&r, "AWS_PROFILE"), None);
    assert!(
        env_value(&r, "AWS_SECRET_ACCESS_KEY").is_some_and(|v| !v.is_empty()),
        "without a profile the credentials are exported"
    );
}

#[test]
fn keys_written_in_capitals_or_with_a_colon_are_replaced_not_duplicated() {
    // The AWS CLI reads key names in any case and `:` like `=`; a second
    // key of the same name makes it refuse the whole file.
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let aws_dir = new_aws_dir(home.path());
    std::fs::write(aws_dir.join("config"), "[profile ci]\nRegion: us-west-2\n").unwrap();
    std::fs::write(
        aws_dir.join("credentials"),
        "[ci]\nAWS_ACCESS_KEY_ID = AKIAOLD\nAws_Secret_Access_Key=old\n",
    )
    .unwrap();
    assume_ok(
        &emu,
        home.path(),
        &["--profile", "ci", "--region", "eu-west-1"],
    );
    assert_eq!(
        read(&aws_dir.join("config")),
        "[profile ci]\nregion = eu-west-1\n"
    );
    let (key_id, secret, token) = profile_creds(&read(&aws_dir.join("credentials")), "ci");
    assert_issued(&emu, &key_id, &secret, &token);
}

#[test]
fn parallel_runs_writing_different_profiles_keep_every_profile() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let aws_dir = new_aws_dir(home.path());
    let names: Vec<String> = (0..6).map(|i| format!("p{i}")).collect();
    let children: Vec<_> = names
        .iter()
        .map(|n| {
            assume(
                &emu,
                home.path(),
                &["--profile", n, "--region", "eu-west-1"],
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let mut want: Vec<String> = names.clone();
    want.sort();
    let mut got = section_names(&read(&aws_dir.join("credentials")));
    got.sort();
    assert_eq!(got, want, "a parallel run lost a credentials section");
    let mut got = section_names(&read(&aws_dir.join("config")));
    got.sort();
    let want: Vec<String> = want.iter().map(|n| format!("profile {n}")).collect();
    assert_eq!(got, want, "a parallel run lost a config section");
}

#[test]
fn a_tilde_path_without_home_is_refused_not_created_literally() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().unwrap();
    let mut cmd = assume(
        &emu,
        work.path(),
        &["--profile", "ci", "--region", "eu-west-1"],
    );
    cmd.env_remove("HOME")
        .env("AWS_SHARED_CREDENTIALS_FILE", "~/creds")
        .env("AWS_CONFIG_FILE", work.path().join("config"))
        .current_dir(work.path());
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("HOME is not set, so `~` means nothing"),
        "{stderr}"
    );
    assert!(
        !work.path().join("~").exists(),
        "a directory named ~ was created"
    );
    assert_eq!(emu.request_count(), 0, "nothing may be sent");
}
