//! Runs fake actions through the runner emulation and checks what it reads back.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use ns_federate_emulator::runner::{Job, check_masked_before_use};

const SECRET: &str = "fake/Secret+Value0123456789abcdefGHIJ";

fn action_yml() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../action.yml")
}

/// Writes an executable shell script standing in for the action binary.
fn fake_action(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("fake-ns-federate");
    std::fs::write(&path, format!("#!/bin/sh\nset -eu\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn runner_run_action_reads_env_outputs_summary_and_masks() {
    let bin_dir = tempfile::tempdir().unwrap();
    let bin = fake_action(
        bin_dir.path(),
        r#"
[ "$1" = action ] || { echo "unexpected argument $1" >&2; exit 9; }
echo "::add-mask::$FAKE_SECRET"
echo "out one"
echo "err one" >&2
echo "out two"
# sh drops hyphenated names from its children's env: read its own.
input() { tr '\0' '\n' < /proc/$$/environ | sed -n "s/^INPUT_$1=//p"; }
echo "role=[$(input ROLE-TO-ASSUME)] duration=[$(input ROLE-DURATION-SECONDS)] mode=[$INPUT_MODE]"
echo "job=[$JOB_LEVEL] step=[$STEP_LEVEL] imds=[$AWS_EC2_METADATA_DISABLED] gha=[$GITHUB_ACTIONS] cwd=[$(pwd)]"
echo "home=[$HOME] cargo=[${CARGO_PKG_NAME:-unset}]"
{
  echo "AWS_SECRET_ACCESS_KEY<<ghadelimiter_1"
  echo "$FAKE_SECRET"
  echo "ghadelimiter_1"
  echo "PLAIN=one"
  echo "NODE_OPTIONS=--require evil.js"
} >> "$GITHUB_ENV"
echo "aws-account-id=123456789012" >> "$GITHUB_OUTPUT"
printf 'multi<<EOF\nline1\nline2\nEOF\n' >> "$GITHUB_OUTPUT"
echo '### Assumed role' >> "$GITHUB_STEP_SUMMARY"
"#,
    );
    let mut job = Job::new();
    job.set_env("JOB_LEVEL", "j");
    let r = job.run_action(
        &bin,
        &action_yml(),
        &[("role-to-assume", "arn:aws:iam::123456789012:role/x")],
        &[("STEP_LEVEL", "s"), ("FAKE_SECRET", SECRET)],
    );
    assert_eq!(r.code, 0, "output:\n{}", r.redacted_output(&[SECRET]));
    r.assert_masked_before_use(&[SECRET]);
    assert!(r.masks == vec![SECRET.to_string()], "mask not collected");
    assert!(
        r.output.contains("out one\nerr one\nout two\n"),
        "write order lost"
    );
    assert!(
        r.output
            .contains("role=[arn:aws:iam::123456789012:role/x] duration=[3600] mode=[auto]")
    );
    let cwd = job.dir().canonicalize().unwrap();
    assert!(r.output.contains(&format!(
        "job=[j] step=[s] imds=[true] gha=[true] cwd=[{}]",
        cwd.display()
    )));
    assert!(
        r.output.contains("cargo=[unset]"),
        "parent env leaked into the step"
    );
    assert!(!r.output.contains(&format!(
        "home=[{}]",
        std::env::var("HOME").unwrap_or_default()
    )));

    assert!(r.env_file_error.is_none());
    let names: Vec<&str> = r.env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["AWS_SECRET_ACCESS_KEY", "PLAIN", "NODE_OPTIONS"]);
    assert!(r.env[0].1 == SECRET, "heredoc value differs");
    assert!(job.env().get("AWS_SECRET_ACCESS_KEY").map(String::as_str) == Some(SECRET));
    assert_eq!(job.env().get("PLAIN").map(String::as_str), Some("one"));
    assert!(
        !job.env().contains_key("NODE_OPTIONS"),
        "NODE_OPTIONS must be refused"
    );
    assert_eq!(
        r.outputs.get("aws-account-id").map(String::as_str),
        Some("123456789012")
    );
    assert_eq!(
        r.outputs.get("multi").map(String::as_str),
        Some("line1\nline2")
    );
    assert_eq!(r.summary, "### Assumed role\n");

    // A later run: step sees the exported env, not the earlier step's env.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("echo \"plain=[$PLAIN] step=[${STEP_LEVEL:-unset}] own=[$OWN]\"; echo LATER=yes >> \"$GITHUB_ENV\"");
    cmd.env("OWN", "o");
    let later = job.run_step(cmd);
    assert_eq!(later.code, 0);
    assert_eq!(later.output, "plain=[one] step=[unset] own=[o]\n");
    assert_eq!(later.env, vec![("LATER".to_string(), "yes".to_string())]);
    assert_eq!(job.env().get("LATER").map(String::as_str), Some("yes"));
}

#[test]
fn runner_leak_before_mask_is_caught_without_printing_the_secret() {
    let bin_dir = tempfile::tempdir().unwrap();
    let bin = fake_action(
        bin_dir.path(),
        r#"echo "debug: $FAKE_SECRET" >&2
echo "::add-mask::$FAKE_SECRET""#,
    );
    let mut job = Job::new();
    let r = job.run_action(&bin, &action_yml(), &[], &[("FAKE_SECRET", SECRET)]);
    assert_eq!(r.code, 0);
    let err = check_masked_before_use(&r.output, &[SECRET]).unwrap_err();
    assert!(!err.contains(SECRET), "error message holds the secret");
    assert!(err.contains("line 1"), "{err}");
}

#[test]
fn runner_env_file_error_keeps_pairs_before_it_and_exit_code_is_reported() {
    let bin_dir = tempfile::tempdir().unwrap();
    let bin = fake_action(
        bin_dir.path(),
        r#"printf 'FIRST=1\nBROKEN<<EOF\nvalue' >> "$GITHUB_ENV"
exit 3"#,
    );
    let mut job = Job::new();
    let r = job.run_action(&bin, &action_yml(), &[], &[]);
    assert_eq!(r.code, 3);
    let err = r.env_file_error.expect("a parse error");
    assert!(
        err.contains("Matching delimiter not found") || err.contains("EOF marker"),
        "{err}"
    );
    assert_eq!(r.env, vec![("FIRST".to_string(), "1".to_string())]);
    assert_eq!(job.env().get("FIRST").map(String::as_str), Some("1"));
}

#[test]
fn runner_github_path_is_prepended_for_later_steps() {
    let tools = tempfile::tempdir().unwrap();
    let tool = tools.path().join("my-tool");
    std::fs::write(&tool, "#!/bin/sh\necho tool ran\n").unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut job = Job::new();
    let mut add = Command::new("sh");
    add.arg("-c").arg("echo \"$TOOLS\" >> \"$GITHUB_PATH\"");
    add.env("TOOLS", tools.path());
    assert_eq!(job.run_step(add).code, 0);
    let mut run = Command::new("sh");
    run.arg("-c").arg("my-tool");
    let r = job.run_step(run);
    assert_eq!(r.output, "tool ran\n");
}
