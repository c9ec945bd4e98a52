//! The action, invoked exactly as the GitHub runner invokes it (env from
//! action.yml, hyphenated INPUT_ names, file commands), against the emulator.

mod common;

use common::*;
use ns_federate_emulator::runner::{Job, declared_outputs};
use ns_federate_emulator::{DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator, Fault, Role};

#[test]
fn exports_the_four_aws_variables_to_github_env_with_the_values_sts_returned() {
    let emu = Emulator::start();
    let (r, token) = run_assume_role(&emu, &[], &[]);
    assert_ok(&r, &[&token]);
    assert!(r.env_file_error.is_none(), "{:?}", r.env_file_error);
    let names: Vec<&str> = r.env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION"
        ]
    );
    let (key, secret, session) = aws_creds(&r);
    assert!(
        key.starts_with("ASIA"),
        "the access key id is not an STS session key"
    );
    assert!(
        credentials_are_the_ones_sts_issued(&emu, &key, &secret, &session),
        "the exported credentials are not the ones STS issued"
    );
    let expiration = env_value(&r, "AWS_CREDENTIAL_EXPIRATION").unwrap();
    assert_eq!(
        Some(expiration),
        r.outputs.get("aws-expiration").map(String::as_str)
    );
}

#[test]
fn masks_every_secret_before_anything_else_mentions_it() {
    let emu = Emulator::start();
    let (r, token) = run_assume_role(&emu, &[("output-credentials", "true")], &[]);
    assert_ok(&r, &[&token]);
    let (key, secret, session) = aws_creds(&r);
    r.assert_masked_before_use(&[&key, &secret, &session]);
    for s in [&key, &secret, &session] {
        assert!(
            r.masks.iter().any(|m| m == s),
            "a credential was not registered with ::add-mask::"
        );
    }
    // The Namespace token is a secret too: registered before any other use.
    r.assert_masked_before_use(&[&token]);
    assert!(
        r.output.matches(token.as_str()).count() == 1,
        "the Namespace token appears outside its ::add-mask:: line"
    );
    assert!(
        r.outputs.get("aws-secret-access-key") == Some(&secret),
        "output-credentials: secret output differs"
    );
    assert!(
        r.outputs.get("aws-access-key-id") == Some(&key),
        "output-credentials: key id output differs"
    );
    assert!(
        r.outputs.get("aws-session-token") == Some(&session),
        "output-credentials: session token output differs"
    );
}

#[test]
fn sets_the_declared_outputs_from_the_assumed_role_user() {
    let emu = Emulator::start();
    let token = emu.tenant_token(DEFAULT_TENANT, Some("inst42"), HOUR);
    let (r, _) = run_assume_role(&emu, &[("namespace-token", &token)], &[]);
    assert_ok(&r, &[&token]);
    assert_eq!(
        r.outputs.get("aws-account-id").map(String::as_str),
        Some("123456789012")
    );
    assert_eq!(
        r.outputs.get("authenticated-arn").map(String::as_str),
        Some("arn:aws:sts::123456789012:assumed-role/ns-federate-test/nsc.instance=inst42")
    );
    assert_eq!(
        r.outputs.get("role-session-name").map(String::as_str),
        Some("nsc.instance=inst42")
    );
    let exp = r
        .outputs
        .get("aws-expiration")
        .expect("aws-expiration output");
    assert!(!exp.contains('"'), "aws-expiration is quoted: {exp}");
    assert!(
        exp.len() == 20 && exp.ends_with('Z') && exp.as_bytes()[10] == b'T',
        "not RFC 3339: {exp}"
    );
    // Every output set is declared in action.yml, and no credential output without output-credentials.
    let declared = declared_outputs(&action_yml());
    for name in r.outputs.keys() {
        assert!(
            declared.contains(name),
            "output {name} is not declared in action.yml"
        );
    }
    assert!(!r.outputs.contains_key("aws-secret-access-key"));
    // The job summary says what happened, without secrets.
    let (key, secret, session) = aws_creds(&r);
    assert!(
        r.summary.contains(DEFAULT_ROLE_ARN),
        "summary: {}",
        r.summary
    );
    assert!(r.summary.contains("nsc.instance=inst42"));
    for s in [&key, &secret, &session] {
        assert!(
            !r.summary.contains(s.as_str()),
            "a credential is in the job summary"
        );
    }
}

#[test]
fn makes_exactly_two_http_requests() {
    let emu = Emulator::start();
    let (r, token) = run_assume_role(&emu, &[], &[]);
    assert_ok(&r, &[&token]);
    let methods: Vec<String> = emu.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(
        methods,
        [
            "nsl.tenants.TenantsService/IssueIdToken",
            "sts:AssumeRoleWithWebIdentity"
        ]
    );
    let reqs = emu.requests();
    assert_eq!(reqs[0].param("audience"), Some("sts.amazonaws.com"));
    assert_eq!(reqs[1].param("DurationSeconds"), Some("3600"));
    assert_eq!(
        reqs[1].param("RoleSessionName"),
        Some("nsc.tenant=tnt_emulator01")
    );
    assert!(
        reqs[0]
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("ns-federate/"))
    );
}

#[test]
fn aws_region_input_also_exports_aws_region_and_aws_default_region() {
    let emu = Emulator::start();
    let (r, token) = run_assume_role(&emu, &[("aws-region", "eu-west-2")], &[]);
    assert_ok(&r, &[&token]);
    assert_eq!(env_value(&r, "AWS_REGION"), Some("eu-west-2"));
    assert_eq!(env_value(&r, "AWS_DEFAULT_REGION"), Some("eu-west-2"));
}

#[test]
fn export_env_false_writes_nothing_to_github_env_but_sets_outputs() {
    let emu = Emulator::start();
    let (r, token) = run_assume_role(&emu, &[("export-env", "No")], &[]);
    assert_ok(&r, &[&token]);
    assert!(
        r.env.is_empty(),
        "GITHUB_ENV was written: {:?}",
        r.env.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    assert_eq!(
        r.outputs.get("aws-account-id").map(String::as_str),
        Some("123456789012")
    );
}

#[test]
fn mask_aws_account_id_masks_it_before_it_is_logged() {
    let emu = Emulator::start();
    let (r, token) = run_assume_role(&emu, &[("mask-aws-account-id", "true")], &[]);
    assert_ok(&r, &[&token]);
    r.assert_masked_before_use(&["123456789012"]);
    assert!(
        !r.summary.contains("123456789012"),
        "the account id is in the job summary"
    );
}

#[test]
fn later_steps_see_the_credentials_in_their_environment() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let (r, token) = assume_role_step(&mut job, &emu, &[], &[]);
    assert_ok(&r, &[&token]);
    let (key, _, _) = aws_creds(&r);
    let mut cmd = std::process::Command::new("sh");
    cmd.args([
        "-c",
        "test -n \"$AWS_SESSION_TOKEN\" && printf %s \"$AWS_ACCESS_KEY_ID\" | wc -c",
    ]);
    let next = job.run_step(cmd);
    assert_eq!(next.code, 0);
    assert_eq!(next.output.trim(), key.len().to_string());
}

#[test]
fn transient_namespace_failures_are_retried_then_succeed() {
    let emu = Emulator::start();
    emu.fail_next("IssueIdToken", 2, Fault::Http(503));
    let (r, token) = run_assume_role(&emu, &[], &[]);
    assert_ok(&r, &[&token]);
    assert_eq!(emu.count("nsl.tenants.TenantsService/IssueIdToken"), 3);
}

#[test]
fn transient_failures_that_outlive_the_retries_exit_4() {
    let emu = Emulator::start();
    emu.fail_next("IssueIdToken", 5, Fault::DropConnection);
    let (r, _) = run_assume_role(&emu, &[("retry-max-attempts", "2")], &[]);
    assert_fails(&r, 4, &["::error title=ns-federate"]);
    assert_eq!(
        emu.count("nsl.tenants.TenantsService/IssueIdToken"),
        2,
        "retry-max-attempts bounds the attempts"
    );
    assert!(r.env.is_empty());
}

#[test]
fn the_next_step_names_action_inputs_in_the_action_and_flags_on_the_command_line() {
    let emu = Emulator::start();
    let unavailable = Fault::Grpc {
        code: 14,
        form: ns_federate_emulator::ErrorForm::NumericJson,
    };
    emu.fail_next("IssueIdToken", 1, unavailable.clone());
    let (r, _) = run_assume_role(&emu, &[("retry-max-attempts", "1")], &[]);
    assert_fails(
        &r,
        4,
        &[
            "raise retry-max-attempts / timeout-seconds",
            "the namespace-endpoint input, else NSC_IAM_ENDPOINT",
        ],
    );

    emu.fail_next("IssueIdToken", 1, unavailable.clone());
    let home = tempfile::tempdir().unwrap();
    let mut cmd = cli(&emu, home.path());
    cmd.env(
        "NSC_TOKEN_SPEC",
        inline_token_spec(&emu.tenant_token(DEFAULT_TENANT, None, HOUR)),
    )
    .args([
        "aws",
        "assume-role",
        "--role-arn",
        DEFAULT_ROLE_ARN,
        "--retry-max-attempts",
        "1",
    ]);
    let out = run_cli(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    for needle in [
        "raise --retry-max-attempts / --timeout",
        "--namespace-endpoint, else NSC_IAM_ENDPOINT",
    ] {
        assert!(stderr.contains(needle), "lacks {needle:?}:\n{stderr}");
    }
    assert!(
        !stderr.contains("timeout-seconds"),
        "an action input named on the command line:\n{stderr}"
    );
}

#[test]
fn credentials_that_reach_no_later_step_are_warned_about() {
    let emu = Emulator::start();
    let (r, token) = run_assume_role(&emu, &[("export-env", "false")], &[]);
    assert_ok(&r, &[&token]);
    assert!(r.env.is_empty(), "exported despite export-env: false");
    assert!(
        r.output.lines().any(|l| l.starts_with(
            "::warning::export-env and output-credentials are false and no aws-profile is given"
        )),
        "no warning:\n{}",
        r.redacted_output(&[])
    );
    // With the credentials as outputs, they do reach later steps: no warning.
    let (r, token) = run_assume_role(
        &emu,
        &[("export-env", "false"), ("output-credentials", "true")],
        &[],
    );
    assert_ok(&r, &[&token]);
    assert!(!r.output.contains("reach no later step"));
}

#[test]
fn sts_throttling_and_idp_errors_are_retried() {
    let emu = Emulator::start();
    emu.fail_next(
        "sts:AssumeRoleWithWebIdentity",
        1,
        Fault::Sts("IDPCommunicationError".into()),
    );
    let (r, token) = run_assume_role(&emu, &[], &[]);
    assert_ok(&r, &[&token]);
    assert_eq!(emu.count("sts:AssumeRoleWithWebIdentity"), 2);
}

#[test]
fn namespace_refusals_are_not_retried_and_exit_3() {
    for form in [
        ns_federate_emulator::ErrorForm::NumericJson,
        ns_federate_emulator::ErrorForm::StringJson,
        ns_federate_emulator::ErrorForm::Headers,
    ] {
        let emu = Emulator::start();
        emu.fail_next("IssueIdToken", 1, Fault::Grpc { code: 7, form });
        let (r, _) = run_assume_role(&emu, &[], &[]);
        assert_fails(&r, 3, &["permission_denied"]);
        assert_eq!(
            emu.count("nsl.tenants.TenantsService/IssueIdToken"),
            1,
            "{form:?}: a refusal was retried"
        );
        assert_eq!(emu.count("sts:AssumeRoleWithWebIdentity"), 0);
    }
}

#[test]
fn access_denied_prints_the_claims_and_the_trust_policy_that_would_accept_them() {
    let emu = Emulator::start();
    let untrusting = "arn:aws:iam::123456789012:role/trusts-someone-else";
    emu.add_role(Role {
        arn: untrusting.into(),
        trusted_tenant: "tnt_other".into(),
        audience: "sts.amazonaws.com".into(),
        max_session_duration: 3600,
    });
    let (r, _) = run_assume_role(&emu, &[("role-to-assume", untrusting)], &[]);
    // Workflow-command data is escaped: ':' stays, newlines are %0A.
    assert_fails(
        &r,
        3,
        &[
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            "tenant_id: tnt_emulator01",
            "iss: https://federation.namespaceapis.com",
            "sub: tnt_emulator01/",
            "\"federation.namespaceapis.com:sub\": \"tnt_emulator01/*\"",
        ],
    );
    assert!(r.env.is_empty());
}

#[test]
fn duration_above_the_roles_maximum_names_the_limits() {
    let emu = Emulator::start();
    let one_hour_role = "arn:aws:iam::123456789012:role/one-hour-max";
    emu.add_role(Role {
        arn: one_hour_role.into(),
        trusted_tenant: DEFAULT_TENANT.into(),
        audience: "sts.amazonaws.com".into(),
        max_session_duration: 3600,
    });
    let (r, _) = run_assume_role(
        &emu,
        &[
            ("role-to-assume", one_hour_role),
            ("role-duration-seconds", "2h"),
        ],
        &[],
    );
    assert_fails(
        &r,
        3,
        &["7200 seconds", "900 to 43200", "MaxSessionDuration"],
    );
    assert_eq!(
        emu.count("sts:AssumeRoleWithWebIdentity"),
        1,
        "a refusal was retried"
    );
}

#[test]
fn allowed_account_ids_refuses_other_accounts_and_exports_nothing() {
    let emu = Emulator::start();
    let (r, _) = run_assume_role(&emu, &[("allowed-account-ids", "111111111111")], &[]);
    // Known from the role ARN alone: an input error, refused before anything is sent.
    assert_fails(
        &r,
        2,
        &["123456789012", "allowed-account-ids", "Nothing was sent"],
    );
    assert_eq!(emu.request_count(), 0, "something was sent");
    assert!(
        r.env.is_empty(),
        "credentials were exported for a refused account"
    );
    assert!(r.outputs.is_empty());
}

/// The same action against moto's STS (someone else's reading of the
/// protocol); Namespace is still the emulator.
#[test]
fn works_against_moto_sts() {
    let emu = Emulator::start();
    let moto = ns_federate_emulator::moto::Moto::start();
    let (r, token) = run_assume_role(
        &emu,
        &[("role-duration-seconds", "15m")],
        &[("AWS_ENDPOINT_URL", &moto.url())],
    );
    assert_ok(&r, &[&token]);
    let (key, secret, session) = aws_creds(&r);
    assert!(
        !key.is_empty() && !secret.is_empty() && !session.is_empty(),
        "an empty credential was exported"
    );
    r.assert_masked_before_use(&[&key, &secret, &session]);
    let arn = r
        .outputs
        .get("authenticated-arn")
        .expect("authenticated-arn");
    assert!(
        arn.starts_with("arn:aws:sts::") && arn.contains(":assumed-role/ns-federate-test/"),
        "{arn}"
    );
    let account = r.outputs.get("aws-account-id").expect("aws-account-id");
    assert_eq!(
        arn.split(':').nth(4),
        Some(account.as_str()),
        "the account id comes from the AssumedRoleUser ARN"
    );
    let exp = r.outputs.get("aws-expiration").expect("aws-expiration");
    assert!(exp.len() == 20 && exp.ends_with('Z'), "not RFC 3339: {exp}");
    assert_eq!(
        env_value(&r, "AWS_CREDENTIAL_EXPIRATION"),
        Some(exp.as_str())
    );
    assert_eq!(
        emu.request_count(),
        1,
        "only IssueIdToken goes to the emulator"
    );
}

#[test]
fn the_whole_run_is_bounded_by_timeout_seconds_and_exits_4() {
    let emu = Emulator::start();
    emu.set_latency("IssueIdToken", std::time::Duration::from_secs(10));
    let (r, _) = run_assume_role(&emu, &[("timeout-seconds", "1")], &[]);
    assert_fails(&r, 4, &["::error title=ns-federate"]);
    assert_eq!(emu.count("sts:AssumeRoleWithWebIdentity"), 0);
    assert!(r.env.is_empty());
}

#[test]
fn runner_debug_shows_each_token_source_as_debug_lines() {
    let emu = Emulator::start();
    let (r, _) = run_assume_role(
        &emu,
        &[
            ("namespace-token", ""),
            ("namespace-token-file", "/nonexistent/token.json"),
        ],
        &[("RUNNER_DEBUG", "1")],
    );
    // A named file that is missing stops the chain (exit 2); the log says why.
    assert_fails(
        &r,
        2,
        &[
            "input `namespace-token-file`",
            "/nonexistent/token.json",
            "no such file",
        ],
    );
    assert!(
        r.output
            .contains("::debug::Namespace token source input `namespace-token`: not given")
    );
}

#[test]
fn sts_throttling_that_outlives_the_retries_exits_4_and_exports_nothing() {
    let emu = Emulator::start();
    emu.fail_next(
        "sts:AssumeRoleWithWebIdentity",
        5,
        Fault::Sts("Throttling".into()),
    );
    let (r, _) = run_assume_role(&emu, &[("retry-max-attempts", "2")], &[]);
    assert_fails(&r, 4, &["Throttling", "retry-max-attempts"]);
    assert_eq!(emu.count("sts:AssumeRoleWithWebIdentity"), 2);
    assert!(r.env.is_empty());
}

#[test]
fn a_malformed_namespace_answer_is_retried() {
    let emu = Emulator::start();
    emu.fail_next("IssueIdToken", 1, Fault::MalformedBody);
    let (r, token) = run_assume_role(&emu, &[], &[]);
    assert_ok(&r, &[&token]);
    assert_eq!(emu.count("nsl.tenants.TenantsService/IssueIdToken"), 2);
}
