//! Where results are written: a write target that exists must be a regular
//! file (never a symlink, directory, FIFO or device), and every local
//! problem that can be seen before the run is reported before anything is
//! sent (exit 5, or 2 for an input that contradicts itself).

mod common;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use ns_federate_emulator::runner::action_inputs_env;
use ns_federate_emulator::{DEFAULT_ROLE_ARN, Emulator};

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo has no other preconditions.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

/// Asserts exit 5, a message naming `path` and what it must be, and nothing sent.
fn assert_refused_target(out: &Output, path: &Path, emu: &Emulator, secrets: &[&str]) {
    let mut t = output_text(out);
    for s in secrets {
        t = t.replace(s, "***");
    }
    assert!(
        out.status.code() == Some(5),
        "{}: exit {:?}:\n{t}",
        path.display(),
        out.status.code()
    );
    assert!(
        t.contains(&path.display().to_string()),
        "the message does not name the path:\n{t}"
    );
    assert!(
        t.contains("must be a regular file or not exist yet"),
        "the message does not say what the target must be:\n{t}"
    );
    assert_eq!(emu.request_count(), 0, "something was sent:\n{t}");
}

/// A symlink to a file, a directory, and a FIFO, in a fresh directory.
fn special_targets(dir: &Path) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    let victim = dir.join("victim");
    std::fs::write(&victim, "keep me\n").unwrap();
    let link = dir.join("link.env");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let subdir = dir.join("a-directory");
    std::fs::create_dir(&subdir).unwrap();
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    (victim, link, subdir, fifo)
}

fn assert_untouched(victim: &Path, link: &Path, subdir: &Path, fifo: &Path) {
    use std::os::unix::fs::FileTypeExt;
    assert_eq!(std::fs::read_to_string(victim).unwrap(), "keep me\n");
    assert!(
        std::fs::symlink_metadata(link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::symlink_metadata(subdir).unwrap().is_dir());
    assert!(
        std::fs::symlink_metadata(fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

/// Runs `check` on a symlink to a file, a directory and a FIFO, then
/// asserts all three (and the symlink's target) are untouched.
fn for_each_special_target(check: impl Fn(&Path)) {
    let dir = tempfile::tempdir().unwrap();
    let (victim, link, subdir, fifo) = special_targets(dir.path());
    for target in [&link, &subdir, &fifo] {
        check(target);
    }
    assert_untouched(&victim, &link, &subdir, &fifo);
}

/// `ns-federate aws SUBCOMMAND --role-arn … --namespace-token TOKEN`.
fn aws_cmd(emu: &Emulator, home: &Path, subcommand: &str, token: &str) -> Command {
    let mut cmd = cli(emu, home);
    cmd.args(["aws", subcommand, "--role-arn", DEFAULT_ROLE_ARN])
        .args(["--namespace-token", token]);
    cmd
}

#[test]
fn write_env_refuses_a_symlink_a_directory_and_a_fifo() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let token = tenant_token(&emu);
    for_each_special_target(|target| {
        let out = aws_cmd(&emu, home.path(), "assume-role", &token)
            .arg("--write_env")
            .arg(target)
            .output()
            .unwrap();
        assert_refused_target(&out, target, &emu, &[&token]);
    });
}

#[test]
fn token_files_refuse_a_symlink_a_directory_and_a_fifo() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let token = tenant_token(&emu);
    for_each_special_target(|target| {
        let out = aws_cmd(&emu, home.path(), "web-identity", &token)
            .arg("--token-file")
            .arg(target)
            .output()
            .unwrap();
        assert_refused_target(&out, target, &emu, &[&token]);

        let out = exchange(&emu, home.path(), &["--token-file"])
            .arg(target)
            .output()
            .unwrap();
        assert_refused_target(
            &out,
            target,
            &emu,
            &[ns_federate_emulator::TEST_SECRET_ACCESS_KEY],
        );
    });
}

#[test]
fn write_env_into_a_missing_directory_fails_before_anything_is_sent() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let token = tenant_token(&emu);
    let target = home.path().join("missing/aws.env");
    let out = aws_cmd(&emu, home.path(), "assume-role", &token)
        .arg("--write-env")
        .arg(&target)
        .output()
        .unwrap();
    let t = output_text(&out).replace(&token, "***");
    assert_eq!(out.status.code(), Some(5), "{t}");
    assert!(t.contains(&target.display().to_string()), "{t}");
    assert_eq!(emu.request_count(), 0, "something was sent:\n{t}");
}

/// What is broken, the file-command variables, and what the message must say.
type Case<'a> = (&'a str, Vec<(&'a str, &'a Path)>, &'a str);

/// The action run by hand, so that the file commands can be broken.
fn action(emu: &Emulator, inputs: &[(&str, &str)], files: &[(&str, &Path)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("action")
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("GITHUB_ACTIONS", "true")
        .env("HOME", home.path())
        .envs(action_inputs_env(&action_yml(), inputs))
        .envs(emulator_env(emu));
    for (k, v) in files {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn unusable_github_files_fail_before_anything_is_sent() {
    let emu = Emulator::start();
    let token = tenant_token(&emu);
    let inputs = [
        ("role-to-assume", DEFAULT_ROLE_ARN),
        ("namespace-token", token.as_str()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    std::fs::write(&good, "").unwrap();
    let a_dir = dir.path().join("a-directory");
    std::fs::create_dir(&a_dir).unwrap();
    let missing = dir.path().join("missing");

    let cases: [Case; 4] = [
        (
            "GITHUB_ENV unset",
            vec![("GITHUB_OUTPUT", &good)],
            "GITHUB_ENV is not set",
        ),
        (
            "GITHUB_ENV a directory",
            vec![("GITHUB_ENV", &a_dir), ("GITHUB_OUTPUT", &good)],
            "GITHUB_ENV",
        ),
        (
            "GITHUB_ENV missing",
            vec![("GITHUB_ENV", &missing), ("GITHUB_OUTPUT", &good)],
            "GITHUB_ENV",
        ),
        (
            "GITHUB_OUTPUT a directory",
            vec![("GITHUB_ENV", &good), ("GITHUB_OUTPUT", &a_dir)],
            "GITHUB_OUTPUT",
        ),
    ];
    for (what, files, needle) in cases {
        let out = action(&emu, &inputs, &files);
        let t = output_text(&out).replace(&token, "***");
        assert_eq!(out.status.code(), Some(5), "{what}:\n{t}");
        assert!(t.contains(needle), "{what}: no {needle:?}:\n{t}");
        assert_eq!(emu.request_count(), 0, "{what}: something was sent:\n{t}");
        assert!(
            !t.contains("::add-mask::"),
            "{what}: secrets were minted:\n{t}"
        );
    }
    assert_eq!(std::fs::read_to_string(&good).unwrap(), "");
}

#[test]
fn an_allowed_account_list_without_the_roles_account_is_an_input_error() {
    let emu = Emulator::start();
    let token = tenant_token(&emu);
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("env");
    std::fs::write(&env_file, "").unwrap();
    let out = action(
        &emu,
        &[
            ("role-to-assume", DEFAULT_ROLE_ARN),
            ("namespace-token", &token),
            ("allowed-account-ids", "999999999999,111111111111"),
        ],
        &[("GITHUB_ENV", &env_file)],
    );
    let t = output_text(&out).replace(&token, "***");
    assert_eq!(out.status.code(), Some(2), "{t}");
    for needle in [
        "123456789012",
        "allowed-account-ids",
        "999999999999",
        "Nothing was sent",
    ] {
        assert!(t.contains(needle), "no {needle:?}:\n{t}");
    }
    assert_eq!(emu.request_count(), 0, "something was sent:\n{t}");
}
