//! STS answers that are not plain successes or plain refusals: unreadable
//! 200s are retried like the Namespace side, errors without an STS code show
//! the HTTP status and body, connection failures read as a chain of causes,
//! and credentials that are already expired are refused, not exported.

mod common;

use common::*;
use ns_federate_emulator::fake::{FakeServer, sts_answer};
use ns_federate_emulator::{Emulator, Fault};

const STS: &str = "sts:AssumeRoleWithWebIdentity";

#[test]
fn an_empty_200_from_sts_is_retried_and_then_succeeds() {
    let emu = Emulator::start();
    emu.fail_next(STS, 1, Fault::EmptyBody);
    let (r, token) = run_assume_role(&emu, &[], &[]);
    assert_ok(&r, &[&token]);
    assert_eq!(emu.count(STS), 2, "the empty answer was not retried once");
    let (key, secret, session) = aws_creds(&r);
    assert!(
        credentials_are_the_ones_sts_issued(&emu, &key, &secret, &session),
        "the exported credentials are not the ones STS issued"
    );
}

#[test]
fn a_truncated_200_from_sts_is_retried_and_then_succeeds() {
    let emu = Emulator::start();
    emu.fail_next(STS, 1, Fault::MalformedBody);
    let (r, token) = run_assume_role(&emu, &[], &[]);
    assert_ok(&r, &[&token]);
    assert_eq!(
        emu.count(STS),
        2,
        "the truncated answer was not retried once"
    );
}

#[test]
fn unreadable_sts_answers_outliving_the_retries_exit_4_and_say_how_many_attempts() {
    let emu = Emulator::start();
    emu.fail_next(STS, 3, Fault::EmptyBody);
    let (r, _) = run_assume_role(&emu, &[("retry-max-attempts", "3")], &[]);
    assert_fails(
        &r,
        4,
        &[
            "AWS STS's answer could not be used (3 attempts)",
            "HTTP 200",
        ],
    );
    assert_eq!(emu.count(STS), 3);
    assert!(r.env.is_empty(), "something was exported");
    assert!(!r.output.contains("Unknown"), "an unhelpful 'Unknown' code");

    let emu = Emulator::start();
    emu.fail_next(STS, 1, Fault::MalformedBody);
    let (r, _) = run_assume_role(&emu, &[("retry-max-attempts", "1")], &[]);
    assert_fails(&r, 4, &["(1 attempt)"]);
    assert_eq!(emu.count(STS), 1, "one attempt means no retry");
}

#[test]
fn an_sts_5xx_without_an_error_code_shows_the_status_and_the_body() {
    let emu = Emulator::start();
    emu.fail_next(STS, 2, Fault::Http(503));
    let (r, _) = run_assume_role(&emu, &[("retry-max-attempts", "2")], &[]);
    assert_fails(
        &r,
        4,
        &[
            "AWS STS was unreachable, unavailable or throttling (2 attempts)",
            "HTTP 503: emulated failure: HTTP 503",
        ],
    );
    assert_eq!(emu.count(STS), 2);
    assert!(!r.output.contains("Unknown"), "an unhelpful 'Unknown' code");
}

#[test]
fn an_sts_4xx_without_an_error_code_is_a_refusal_that_shows_the_status() {
    let emu = Emulator::start();
    emu.fail_next(STS, 1, Fault::Http(403));
    let (r, _) = run_assume_role(&emu, &[], &[]);
    assert_fails(&r, 3, &["HTTP 403: emulated failure: HTTP 403"]);
    assert_eq!(emu.count(STS), 1, "a refusal is not retried");
}

#[test]
fn a_connection_failure_reads_as_a_chain_of_causes_not_a_debug_dump() {
    let emu = Emulator::start();
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sts = format!("http://127.0.0.1:{port}");
    let (r, _) = run_assume_role(
        &emu,
        &[("retry-max-attempts", "2")],
        &[("AWS_ENDPOINT_URL_STS", &sts)],
    );
    assert_fails(
        &r,
        4,
        &[
            "AWS STS was unreachable, unavailable or throttling (2 attempts)",
            "onnection refused",
        ],
    );
    for debug in ["DispatchFailure(", "ConnectorError {", "source:", "kind:"] {
        assert!(
            !r.output.contains(debug),
            "Debug output {debug:?} in the message:\n{}",
            r.redacted_output(&[])
        );
    }
}

#[test]
fn credentials_that_already_expired_are_refused_not_exported() {
    let emu = Emulator::start();
    let fake = FakeServer::fixed(
        200,
        "text/xml",
        sts_answer(
            "ASIAFAKEEXPIRED00001",
            "fake-secret-expired",
            "fake-session-expired",
            "2001-09-09T01:46:40Z",
        ),
    );
    let (r, _) = run_assume_role(&emu, &[], &[("AWS_ENDPOINT_URL_STS", &fake.url())]);
    assert_fails(
        &r,
        4,
        &[
            "AWS STS returned credentials that already expired at 2001-09-09T01:46:40Z",
            "check the local clock (now 2",
            "::error title=ns-federate%3A Expired credentials from AWS STS::",
        ],
    );
    assert_eq!(
        fake.requests().len(),
        1,
        "expired credentials are not retried"
    );
    assert!(r.env.is_empty(), "expired credentials were exported");
    assert!(
        !r.output.contains("fake-secret-expired"),
        "the secret key was printed"
    );
}

#[test]
fn the_log_line_shows_the_full_expiry_date() {
    let emu = Emulator::start();
    let (r, token) = run_assume_role(&emu, &[], &[]);
    assert_ok(&r, &[&token]);
    let expiration = env_value(&r, "AWS_CREDENTIAL_EXPIRATION")
        .unwrap()
        .to_string();
    assert!(
        expiration.len() == 20 && expiration.ends_with('Z'),
        "AWS_CREDENTIAL_EXPIRATION is not second-precision RFC 3339: {expiration}"
    );
    let line = r
        .output
        .lines()
        .find(|l| l.contains("Assumed arn:"))
        .unwrap_or_else(|| panic!("no 'Assumed' line:\n{}", r.redacted_output(&[])));
    assert!(
        line.contains(&format!("until {expiration}")),
        "the log line lacks the full expiry {expiration}: {line}"
    );
}

#[test]
fn an_unreadable_200_holding_credentials_is_never_quoted() {
    // The SDK cannot read this answer (its Expiration is no date), but it
    // holds a secret key and session token that were never registered.
    let emu = Emulator::start();
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYUNREADABLE";
    let session = "FwoGZXIvYXdzEUNREADABLESESSIONTOKEN";
    let fake = FakeServer::fixed(
        200,
        "text/xml",
        // Without the indentation, as a real STS answer comes: the secret
        // key is within the first 200 characters.
        sts_answer("ASIAUNREADABLE000001", secret, session, "not-a-date")
            .replace(['\n', ' '], "")
            .replace("Responsexmlns", "Response xmlns"),
    );
    let (r, _) = run_assume_role(
        &emu,
        &[("retry-max-attempts", "1")],
        &[("AWS_ENDPOINT_URL_STS", &fake.url())],
    );
    for s in [secret, session, &secret[..5], &session[..5]] {
        assert!(
            !r.output.contains(s),
            "a part of an unreadable answer's credentials was printed"
        );
    }
    assert_fails(&r, 4, &["AWS STS's answer could not be used", "not shown"]);
    assert!(r.env.is_empty(), "something was exported");
}
