//! The scratch-image check: the static release binary, in a root file system
//! that holds exactly what the Dockerfile's final stage holds (the binary, a
//! CA bundle, an empty /tmp; no shell, no libc) plus the runner's mounts, run
//! through a chroot with the env GitHub's runner gives a Docker action,
//! against the emulator on loopback. Docker is not needed; root is (chroot).
//!
//! The binary comes from `NS_FEDERATE_STATIC_BIN` when set, else from
//! `cargo build --release --locked --target x86_64-unknown-linux-musl -p ns-federate`,
//! built once per run of this test binary.

mod common;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{action_yml, env_value};
use ns_federate_emulator::runner::{Container, Job, dockerfile_final_stage, scratch_rootfs};
use ns_federate_emulator::{DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator};

const MUSL_TARGET: &str = "x86_64-unknown-linux-musl";
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn dockerfile() -> PathBuf {
    workspace_root().join("Dockerfile")
}

/// The static release binary, built (or taken from `NS_FEDERATE_STATIC_BIN`)
/// once, and checked to be statically linked.
fn static_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = match std::env::var_os("NS_FEDERATE_STATIC_BIN") {
            Some(p) => {
                let p = PathBuf::from(p);
                assert!(
                    p.is_file(),
                    "NS_FEDERATE_STATIC_BIN={} is not a file: build it with `cargo build --release --locked --target {MUSL_TARGET} -p ns-federate`, or unset it",
                    p.display()
                );
                p
            }
            None => build_static_binary(),
        };
        let bytes = std::fs::read(&bin).unwrap_or_else(|e| panic!("read {}: {e}", bin.display()));
        if let Err(why) = check_static_elf(&bytes) {
            panic!("{} is not a static binary: {why}", bin.display());
        }
        bin
    })
}

/// Runs the release build for the musl target and returns the executable's path
/// as cargo reports it (so CARGO_TARGET_DIR and the like are honoured).
fn build_static_binary() -> PathBuf {
    let started = Instant::now();
    let out = Command::new(env!("CARGO"))
        .current_dir(workspace_root())
        .args(["build", "--release", "--locked", "--target", MUSL_TARGET])
        .args([
            "-p",
            "ns-federate",
            "--message-format=json-render-diagnostics",
        ])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run cargo to build the static binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "`cargo build --release --locked --target {MUSL_TARGET} -p ns-federate` failed ({}); install the target with `rustup target add {MUSL_TARGET}` and a musl C compiler (`musl-tools`), or set NS_FEDERATE_STATIC_BIN:\n{stderr}",
        out.status
    );
    let exe = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "ns-federate")
        .filter(|m| {
            m["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"))
        })
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported no ns-federate executable");
    eprintln!(
        "built the static ns-federate in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        exe.display()
    );
    exe
}

/// Ok when `elf` is an x86-64 ELF64 executable with no program interpreter
/// (`PT_INTERP`) and no shared-library dependency (`DT_NEEDED`): it runs where
/// there is no libc and no dynamic loader.
fn check_static_elf(elf: &[u8]) -> Result<(), String> {
    const PT_DYNAMIC: u32 = 2;
    const PT_INTERP: u32 = 3;
    const DT_NEEDED: u64 = 1;
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |o: usize| {
        elf.get(o..o + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    };
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    };
    if elf.get(..4) != Some(b"\x7fELF") {
        return Err("not an ELF file".into());
    }
    if elf.get(4) != Some(&2) || elf.get(5) != Some(&1) {
        return Err("not a little-endian ELF64 file".into());
    }
    if u16_at(0x12) != Some(62) {
        return Err("not an x86-64 binary".into());
    }
    let truncated = || "truncated ELF header".to_string();
    let phoff = u64_at(0x20).ok_or_else(truncated)? as usize;
    let phentsize = u16_at(0x36).ok_or_else(truncated)? as usize;
    let phnum = u16_at(0x38).ok_or_else(truncated)? as usize;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let p_type = u32_at(ph).ok_or("truncated program header")?;
        let offset = u64_at(ph + 8).ok_or("truncated program header")? as usize;
        let size = u64_at(ph + 32).ok_or("truncated program header")? as usize;
        match p_type {
            PT_INTERP => {
                let interp = elf.get(offset..offset + size).unwrap_or_default();
                let interp = String::from_utf8_lossy(interp);
                return Err(format!(
                    "it has a program interpreter ({})",
                    interp.trim_end_matches('\0')
                ));
            }
            PT_DYNAMIC => {
                // A static-pie binary has a dynamic section, for its own relocations only.
                for entry in (offset..offset + size).step_by(16) {
                    match u64_at(entry) {
                        Some(0) | None => break,
                        Some(DT_NEEDED) => return Err("it needs a shared library".into()),
                        Some(_) => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A scratch image's root file system in a fresh directory, with the
/// Dockerfile's own ENTRYPOINT and ENV.
fn scratch_container(binary: &Path) -> (tempfile::TempDir, Container) {
    let dir = tempfile::Builder::new()
        .prefix("ns-federate-rootfs-")
        .tempdir()
        .expect("create a directory for the root file system");
    scratch_rootfs(dir.path(), binary, Path::new(CA_BUNDLE));
    let container = Container::from_dockerfile(dir.path().to_path_buf(), &dockerfile());
    (dir, container)
}

/// Every path under `root` (relative, with its mode), directories included.
fn tree(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
        {
            let path = entry.expect("a directory entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("stat an entry");
            let rel = path.strip_prefix(root).expect("under the root").display();
            found.insert(format!("/{rel} {:o}", meta.permissions().mode() & 0o7777));
            if meta.is_dir() {
                todo.push(path);
            }
        }
    }
    found
}

/// What the Dockerfile's final stage holds, as `tree` lists it (no `/github`).
fn final_stage_tree() -> BTreeSet<String> {
    [
        "/etc 755",
        "/etc/ssl 755",
        "/etc/ssl/certs 755",
        "/etc/ssl/certs/ca-certificates.crt 644",
        "/ns-federate 755",
        "/tmp 1777",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

#[test]
fn check_static_elf_tells_static_from_dynamic() {
    // This test binary is linked against the host's libc: it must be refused.
    let me = std::env::current_exe().expect("the test binary's path");
    let bytes = std::fs::read(&me).expect("read the test binary");
    let err = check_static_elf(&bytes).expect_err("a dynamically linked binary passed as static");
    assert!(
        err.contains("interpreter") || err.contains("shared library"),
        "{err}"
    );
    assert!(check_static_elf(b"#!/bin/sh\n").is_err());
}

#[test]
fn dockerfile_final_stage_is_what_scratch_rootfs_lays_out() {
    let stage = dockerfile_final_stage(&dockerfile());
    assert_eq!(stage[0], ("FROM".to_string(), "scratch".to_string()));
    let copies: Vec<&str> = stage
        .iter()
        .filter(|(i, _)| i == "COPY" || i == "ADD")
        .map(|(_, args)| args.as_str())
        .collect();
    assert_eq!(
        copies,
        ["--from=build /rootfs/ /"],
        "the final stage must copy only the build stage's /rootfs"
    );
    assert!(
        !stage.iter().any(|(i, _)| i == "RUN" || i == "USER"),
        "a scratch stage cannot RUN, and a USER other than root cannot write /github/file_commands"
    );
    // The build stage fills /rootfs with exactly what scratch_rootfs lays out.
    let text = std::fs::read_to_string(dockerfile()).expect("read the Dockerfile");
    let installs: Vec<&str> = text
        .split(['\n', '&'])
        .map(|s| s.trim().trim_end_matches('\\').trim())
        .filter(|s| s.starts_with("install ") && s.contains("/rootfs/"))
        .collect();
    assert_eq!(
        installs,
        [
            "install -D -m 0755 target/release/ns-federate /rootfs/ns-federate",
            "install -D -m 0644 /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt",
            "install -d -m 1777 /rootfs/tmp",
        ],
        "the Dockerfile's image changed: update runner::scratch_rootfs and this test to match"
    );
    let container = Container::from_dockerfile(PathBuf::from("/unused"), &dockerfile());
    assert_eq!(container.entrypoint, ["/ns-federate", "action"]);
}

/// A tiny static program in place of the action shows what the container
/// sees: the runner's env with container paths, the cwd, and a root file
/// system that holds nothing but the image and the mounts.
#[test]
fn container_step_sees_only_the_image_mounts_and_runner_env() {
    let src = tempfile::tempdir().expect("a temporary directory");
    let probe_rs = src.path().join("probe.rs");
    std::fs::write(&probe_rs, PROBE_SOURCE).expect("write the probe's source");
    let probe = src.path().join("probe");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .args([
            "--edition",
            "2024",
            "--target",
            MUSL_TARGET,
            "-C",
            "opt-level=1",
            "-o",
        ])
        .arg(&probe)
        .arg(&probe_rs)
        .output()
        .expect("run rustc");
    assert!(
        out.status.success(),
        "rustc --target {MUSL_TARGET} failed (`rustup target add {MUSL_TARGET}`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_static_elf(&std::fs::read(&probe).unwrap()).expect("the probe is static");

    let (dir, container) = scratch_container(&probe);
    let mut job = Job::new();
    job.set_env("JOB_LEVEL", "j");
    let r = job.run_container_action(
        &container,
        &action_yml(),
        &[("role-to-assume", "arn:aws:iam::123456789012:role/x")],
        &[("STEP_LEVEL", "s")],
    );
    assert_eq!(r.code, 0, "probe failed:\n{}", r.output);
    let lines: BTreeSet<&str> = r.output.lines().collect();
    let has = |l: &str| lines.contains(l);

    assert!(has("args action"), "{}", r.output);
    assert!(has("cwd /github/workspace"), "{}", r.output);
    assert!(has("tmp works"), "{}", r.output);
    for line in [
        "env HOME=/github/home",
        "env GITHUB_WORKSPACE=/github/workspace",
        "env RUNNER_TEMP=/github/runner_temp",
        "env GITHUB_ACTIONS=true",
        "env AWS_EC2_METADATA_DISABLED=true",
        "env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
        "env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "env INPUT_ROLE-TO-ASSUME=arn:aws:iam::123456789012:role/x",
        "env INPUT_ROLE-DURATION-SECONDS=3600",
        "env INPUT_MODE=auto",
        "env JOB_LEVEL=j",
        "env STEP_LEVEL=s",
    ] {
        assert!(has(line), "missing `{line}` in:\n{}", r.output);
    }
    for (var, prefix) in [
        ("GITHUB_ENV", "set_env_"),
        ("GITHUB_OUTPUT", "set_output_"),
        ("GITHUB_STEP_SUMMARY", "step_summary_"),
        ("GITHUB_PATH", "add_path_"),
        ("GITHUB_STATE", "save_state_"),
    ] {
        let want = format!("env {var}=/github/file_commands/{prefix}");
        assert!(
            lines.iter().any(|l| l.starts_with(&want)),
            "missing `{want}…` in:\n{}",
            r.output
        );
    }
    // Nothing of the host's env (the test's own CARGO_*, the host PATH) leaks in.
    assert!(!r.output.contains("CARGO_MANIFEST_DIR"), "{}", r.output);

    // The whole file system the container sees: the image, the mounts, the
    // step's file-command files; nothing else (no /dev, /proc, shell, libc).
    let mut seen: BTreeSet<String> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("file "))
        .map(String::from)
        .collect();
    let file_commands: Vec<String> = seen
        .iter()
        .filter(|l| l.starts_with("/github/file_commands/"))
        .cloned()
        .collect();
    assert_eq!(file_commands.len(), 5, "{file_commands:?}");
    for f in &file_commands {
        seen.remove(f);
    }
    let mut want = final_stage_tree();
    want.insert("/github 755".into());
    for m in ns_federate_emulator::runner::RUNNER_MOUNTS {
        want.insert(format!("{m} 755"));
    }
    assert_eq!(seen, want);

    // The runner reads the file commands back from the mount.
    assert_eq!(env_value(&r, "PROBE"), Some("ok"));
    assert_eq!(job.env().get("PROBE").map(String::as_str), Some("ok"));
    drop(dir);
}

/// The probe run as the container's entrypoint (see the test above).
const PROBE_SOURCE: &str = r#"
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn walk(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        out.push(format!("file {} {:o}", path.display(), meta.permissions().mode() & 0o7777));
        if meta.is_dir() {
            walk(&path, out);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("args {}", args.join(" "));
    println!("cwd {}", std::env::current_dir().unwrap().display());
    for (k, v) in std::env::vars() {
        println!("env {k}={v}");
    }
    let mut files = Vec::new();
    walk(Path::new("/"), &mut files);
    for f in files {
        println!("{f}");
    }
    std::fs::write("/tmp/probe", "tmp works").unwrap();
    println!("{}", std::fs::read_to_string("/tmp/probe").unwrap());
    std::fs::remove_file("/tmp/probe").unwrap();
    let env_file = std::env::var("GITHUB_ENV").unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(env_file).unwrap();
    writeln!(f, "PROBE=ok").unwrap();
}
"#;

/// The action in the scratch image: assume-role with the token as an input,
/// endpoints on loopback. Credentials come back through GITHUB_ENV, masked
/// before any use, in exactly two requests, and the image needed nothing more.
#[test]
fn scratch_image_assume_role_exports_masked_credentials() {
    let emulator = Emulator::start();
    let token = emulator.tenant_token(DEFAULT_TENANT, Some("inst1"), Duration::from_secs(3600));
    let (dir, container) = scratch_container(static_binary());
    let url = emulator.url();
    let mut job = Job::new();
    let r = job.run_container_action(
        &container,
        &action_yml(),
        &[
            ("mode", "assume-role"),
            ("role-to-assume", DEFAULT_ROLE_ARN),
            ("namespace-token", &token),
        ],
        &[("NSC_IAM_ENDPOINT", &url), ("AWS_ENDPOINT_URL", &url)],
    );
    let secrets: Vec<&str> = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ]
    .into_iter()
    .filter_map(|k| env_value(&r, k))
    .chain([token.as_str()])
    .collect();
    assert!(
        r.code == 0,
        "exit code {}; output:\n{}",
        r.code,
        r.redacted_output(&secrets)
    );
    // The parse error may quote a line of the file, so it is not shown.
    assert!(
        r.env_file_error.is_none(),
        "GITHUB_ENV or GITHUB_OUTPUT fails the runner's parser"
    );

    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
    ] {
        assert!(
            env_value(&r, name).is_some_and(|v| !v.is_empty()),
            "{name} missing from GITHUB_ENV"
        );
        assert!(
            job.env().get(name).is_some_and(|v| !v.is_empty()),
            "{name} is not in the job's env for later steps"
        );
    }
    // Values, not container paths: a /github/... path means nothing to later host steps.
    for (name, value) in &r.env {
        assert!(
            !value.starts_with("/github/"),
            "{name} exports a container path"
        );
    }
    let creds: Vec<&str> = secrets[..3].to_vec();
    r.assert_masked_before_use(&creds);
    // The token came in as an input: it must not show, or only once masked.
    if r.output.contains(token.as_str()) {
        r.assert_masked_before_use(&[&token]);
    }

    assert_eq!(
        r.outputs.get("aws-account-id").map(String::as_str),
        Some("123456789012")
    );
    assert!(
        env_value(&r, "AWS_CREDENTIAL_EXPIRATION")
            == r.outputs.get("aws-expiration").map(String::as_str),
        "AWS_CREDENTIAL_EXPIRATION and the aws-expiration output differ"
    );

    // Exactly the two calls of the flow: an ID token, then STS; nothing else.
    assert_eq!(emulator.request_count(), 2);
    let methods: Vec<String> = emulator.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(
        methods,
        [
            "nsl.tenants.TenantsService/IssueIdToken",
            "sts:AssumeRoleWithWebIdentity"
        ]
    );
    let sts = &emulator.requests()[1];
    assert_eq!(sts.param("RoleArn"), Some(DEFAULT_ROLE_ARN));

    // The image was enough, and the run left nothing outside the mounts.
    let outside_mounts: BTreeSet<String> = tree(dir.path())
        .into_iter()
        .filter(|l| !l.starts_with("/github"))
        .collect();
    assert_eq!(outside_mounts, final_stage_tree());
}

/// With `aws-profile` the files land in the container's HOME (/github/home):
/// a `::warning::` tells where later host steps find them, since
/// `AWS_PROFILE` alone resolves nothing there.
#[test]
fn scratch_image_profile_warns_host_steps_where_the_files_are() {
    let emulator = Emulator::start();
    let token = emulator.tenant_token(DEFAULT_TENANT, None, Duration::from_secs(3600));
    let (_dir, container) = scratch_container(static_binary());
    let url = emulator.url();
    let mut job = Job::new();
    let r = job.run_container_action(
        &container,
        &action_yml(),
        &[
            ("role-to-assume", DEFAULT_ROLE_ARN),
            ("namespace-token", &token),
            ("aws-profile", "ci"),
            ("aws-region", "us-east-1"),
        ],
        &[("NSC_IAM_ENDPOINT", &url), ("AWS_ENDPOINT_URL", &url)],
    );
    assert!(
        r.code == 0,
        "exit code {}; output:\n{}",
        r.code,
        r.redacted_output(&[&token])
    );
    assert_eq!(env_value(&r, "AWS_PROFILE"), Some("ci"));
    assert!(
        container
            .host_path("/github/home/.aws/credentials")
            .is_file(),
        "the credentials file is not in the container's HOME"
    );
    let warning = r
        .output
        .lines()
        .find(|l| l.starts_with("::warning::"))
        .unwrap_or_else(|| panic!("no ::warning:: line:\n{}", r.redacted_output(&[&token])));
    for needle in [
        "AWS_SHARED_CREDENTIALS_FILE=$RUNNER_TEMP/_github_home/.aws/credentials",
        "AWS_CONFIG_FILE=$RUNNER_TEMP/_github_home/.aws/config",
        "container steps find it as is",
    ] {
        assert!(warning.contains(needle), "{needle:?} not in {warning}");
    }
}

/// Inside the Docker action, host paths such as /var/run/nsc are not mounted:
/// NSC_TOKEN_FILE naming one is a configuration error (exit 2) that says the
/// file is not visible in the container and how to pass the token instead;
/// nothing is sent and nothing exported.
#[test]
fn scratch_image_host_token_file_is_not_visible() {
    let emulator = Emulator::start();
    let (dir, container) = scratch_container(static_binary());
    let url = emulator.url();
    let mut job = Job::new();
    let r = job.run_container_action(
        &container,
        &action_yml(),
        &[
            ("mode", "assume-role"),
            ("role-to-assume", DEFAULT_ROLE_ARN),
        ],
        &[
            ("NSC_TOKEN_FILE", "/var/run/nsc/token.json"),
            ("NSC_IAM_ENDPOINT", &url),
            ("AWS_ENDPOINT_URL", &url),
        ],
    );
    assert_eq!(r.code, 2, "output:\n{}", r.output);
    for words in [
        "NSC_TOKEN_FILE",
        "/var/run/nsc/token.json",
        "does not exist inside this container",
        "not visible inside the Docker action",
        "`namespace-token` input",
        "NSC_TOKEN_SPEC",
    ] {
        assert!(
            r.output.contains(words),
            "missing {words:?} in:\n{}",
            r.output
        );
    }
    assert!(
        r.output.contains("::error"),
        "the failure is not a GitHub annotation:\n{}",
        r.output
    );
    assert_eq!(emulator.request_count(), 0, "a request was sent");
    assert!(r.env.is_empty(), "something was exported to GITHUB_ENV");
    drop(dir);
}
