//! Loopback endpoints are never reached through a proxy (a token would
//! travel in cleartext to it), and a closed stdout ends the run quietly.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::*;
use ns_federate_emulator::Emulator;
use ns_federate_emulator::fake::{FakeServer, Response};

#[test]
fn loopback_endpoints_bypass_every_proxy_variable() {
    let emu = Emulator::start();
    // A "proxy" that records connections and answers nothing useful.
    let proxy = FakeServer::start(|_| Response {
        status: 502,
        content_type: "text/plain",
        body: "proxy".into(),
    });
    let proxy_url = proxy.url();
    let proxies: Vec<(&str, &str)> = [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .into_iter()
    .map(|var| (var, proxy_url.as_str()))
    .collect();

    // Namespace and STS (the SDK's client) on loopback http.
    let (r, token) = run_assume_role(&emu, &[("retry-max-attempts", "1")], &proxies);
    assert_ok(&r, &[&token]);
    assert_eq!(proxy.connections(), 0, "a request went through the proxy");
    assert_eq!(emu.count("sts:AssumeRoleWithWebIdentity"), 1);
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    // Closed before the child starts: its first write fails with EPIPE.
    drop(reader);
    let (mut err_reader, err_writer) = std::io::pipe().unwrap();
    let mut child = Command::new(bin())
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("GITHUB_ACTIONS", "true")
        .args([
            "aws",
            "trust-policy",
            "--tenant-id",
            "tnt_x",
            "--account-id",
            "123456789012",
        ])
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(err_writer)
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    err_reader.read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "stderr:\n{stderr}");
    assert!(
        !stderr.contains("::error"),
        "an error annotation:\n{stderr}"
    );
    assert!(!stderr.contains("Broken pipe"), "stderr:\n{stderr}");
}
