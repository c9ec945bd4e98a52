//! Action mode `cognito-exchange`, run the way the GitHub runner runs it:
//! the tenant token reaches later steps as a masked `NSC_TOKEN_SPEC` value,
//! the outputs are set, `ensure-valid-for` reads the exported spec, and a
//! later `assume-role` step in the same job uses it (both directions chained).

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use common::*;
use ns_federate_emulator::runner::{Job, StepResult, declared_outputs};
use ns_federate_emulator::{
    DEFAULT_POOL, DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator, TEST_ACCESS_KEY_ID,
    TEST_SECRET_ACCESS_KEY,
};

/// The spec exported to GITHUB_ENV and the tenant token inside it.
fn spec_and_token(r: &StepResult) -> (String, String) {
    let spec = env_value(r, "NSC_TOKEN_SPEC")
        .expect("NSC_TOKEN_SPEC not in GITHUB_ENV")
        .to_string();
    assert!(!spec.contains('='), "the spec is unpadded");
    let json: serde_json::Value = serde_json::from_slice(
        &STANDARD_NO_PAD
            .decode(&spec)
            .expect("the spec is standard base64"),
    )
    .expect("the spec is JSON");
    assert_eq!(json["version"], "v1");
    let token = json["inline_token"]
        .as_str()
        .expect("the spec has an inline token")
        .to_string();
    assert!(token.starts_with("nsct_"), "not a tenant token");
    (spec, token)
}

#[test]
fn exports_a_masked_token_spec_and_sets_the_declared_outputs() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let r = cognito_step(&mut job, &emu, &[], &[]);
    assert_ok(&r, &[TEST_SECRET_ACCESS_KEY]);
    assert!(r.env_file_error.is_none(), "{:?}", r.env_file_error);
    let (spec, token) = spec_and_token(&r);
    let names: Vec<&str> = r.env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["NSC_TOKEN_SPEC"], "a value, not a path");

    // Both the spec and the raw token are masked before anything else shows them.
    r.assert_masked_before_use(&[&spec, &token]);
    for s in [&spec, &token] {
        assert!(
            r.masks.iter().any(|m| m == s),
            "a secret was not registered with ::add-mask::"
        );
    }
    assert!(
        !r.redacted_output(&[]).contains("nsct_"),
        "a tenant token appears unmasked"
    );
    // The machine's own AWS credentials are secrets too: registered with
    // ::add-mask:: before any other use, and the secret key shown nowhere else.
    r.assert_masked_before_use(&[TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY]);
    assert!(
        r.output.matches(TEST_SECRET_ACCESS_KEY).count() == 1,
        "the AWS secret key appears in the log outside its ::add-mask:: line"
    );
    assert!(!r.summary.contains(&token) && !r.summary.contains(&spec));

    assert_eq!(
        r.outputs.get("tenant-id").map(String::as_str),
        Some(DEFAULT_TENANT)
    );
    assert!(
        r.outputs
            .get("workspace-name")
            .is_some_and(|n| !n.is_empty())
    );
    let exp = r
        .outputs
        .get("namespace-token-expiration")
        .expect("namespace-token-expiration output");
    let exp = ns_federate::timestamp::Timestamp::parse_rfc3339(exp).expect("RFC 3339");
    assert!(exp.remaining().as_secs() > 600, "expiration in the future");
    let declared = declared_outputs(&action_yml());
    for name in r.outputs.keys() {
        assert!(declared.contains(name), "output {name} is not declared");
    }

    // The Cognito request: SigV4 with the step's credentials, the pool, the login.
    let reqs = emu.requests();
    let c = reqs
        .iter()
        .find(|q| q.method == COGNITO)
        .expect("a Cognito request");
    assert_eq!(c.param("AccessKeyId"), Some(TEST_ACCESS_KEY_ID));
    assert_eq!(c.param("IdentityPoolId"), Some(DEFAULT_POOL));
    assert_eq!(
        c.param("Logins"),
        Some(format!("namespace.so={DEFAULT_TENANT}").as_str())
    );
}

#[test]
fn a_later_assume_role_step_uses_the_exported_token_spec() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let first = cognito_step(&mut job, &emu, &[], &[]);
    assert_ok(&first, &[]);
    let (spec, token) = spec_and_token(&first);

    // Step 2: no token input, no AWS credentials; only what step 1 exported.
    let env = emulator_env(&emu);
    let second = job.run_action(
        bin(),
        &action_yml(),
        &[("role-to-assume", DEFAULT_ROLE_ARN)],
        &pairs(&env),
    );
    assert_ok(&second, &[&spec, &token]);
    let (key, secret, session) = aws_creds(&second);
    assert!(
        credentials_are_the_ones_sts_issued(&emu, &key, &secret, &session),
        "step 2's credentials are not the ones STS issued"
    );
    assert!(
        second.output.contains("NSC_TOKEN_SPEC"),
        "step 2 says where its token came from"
    );
    // Registered again once found (a mask line is a command, not shown).
    second.assert_masked_before_use(&[&token]);
    assert!(
        second.output.matches(token.as_str()).count() == 1,
        "the tenant token appears in step 2's log outside its ::add-mask:: line"
    );
    assert_eq!(emu.count("nsl.tenants.TenantsService/IssueIdToken"), 1);
    assert_eq!(emu.count("sts:AssumeRoleWithWebIdentity"), 1);
    assert_eq!(emu.count(EXCHANGE), 1);
}

#[test]
fn ensure_valid_for_skips_while_the_exported_token_stays_valid() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let first = cognito_step(&mut job, &emu, &[], &[]);
    assert_ok(&first, &[]);
    let (spec, token) = spec_and_token(&first);

    let again = cognito_step(&mut job, &emu, &[("ensure-valid-for", "10m")], &[]);
    assert_ok(&again, &[&spec, &token]);
    assert!(
        again.output.contains("nothing to do"),
        "{}",
        again.redacted_output(&[&spec, &token])
    );
    assert!(again.env.is_empty(), "nothing exported again");
    assert_eq!(emu.count(COGNITO), 1, "no second Cognito call");
    assert_eq!(emu.count(EXCHANGE), 1, "no second exchange");

    // The emulator's tokens live an hour: asking for two exchanges.
    let renewed = cognito_step(&mut job, &emu, &[("ensure-valid-for", "2h")], &[]);
    assert_ok(&renewed, &[&spec, &token]);
    assert_eq!(emu.count(EXCHANGE), 2);
    spec_and_token(&renewed);
}

#[test]
fn auto_mode_picks_cognito_exchange_from_identity_pool() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let env = aws_step_env(&emu, &[]);
    let r = job.run_action(
        bin(),
        &action_yml(),
        &[
            ("identity-pool", DEFAULT_POOL),
            ("tenant-id", DEFAULT_TENANT),
        ],
        &pairs(&env),
    );
    assert_ok(&r, &[]);
    spec_and_token(&r);
}

#[test]
fn refusals_fail_the_step_with_an_annotation_and_export_nothing() {
    let emu = Emulator::start();
    let mut job = Job::new();
    let pool = "us-west-2:11111111-2222-4333-8444-555555555555";
    emu.add_pool(pool, "namespace.so");
    let env = aws_step_env(&emu, &[]);
    let r = job.run_action(
        bin(),
        &action_yml(),
        &[
            ("mode", "cognito-exchange"),
            ("identity-pool", pool),
            ("tenant-id", DEFAULT_TENANT),
        ],
        &pairs(&env),
    );
    assert_fails(
        &r,
        3,
        &["::error title=", "trust-aws-cognito-identity-pool", pool],
    );
    assert!(
        r.env.is_empty() && r.outputs.is_empty(),
        "nothing handed over"
    );

    // Missing tenant-id: an input error naming the input, nothing sent.
    let before = emu.request_count();
    let r = job.run_action(
        bin(),
        &action_yml(),
        &[
            ("mode", "cognito-exchange"),
            ("identity-pool", DEFAULT_POOL),
        ],
        &pairs(&env),
    );
    assert_fails(&r, 2, &["tenant-id"]);
    assert_eq!(emu.request_count(), before);

    // A region that contradicts the pool's prefix names `identity-pool` and the form.
    let r = job.run_action(
        bin(),
        &action_yml(),
        &[
            ("mode", "cognito-exchange"),
            ("aws-region", "eu-central-1"),
            ("identity-pool", DEFAULT_POOL),
            ("tenant-id", DEFAULT_TENANT),
        ],
        &pairs(&env),
    );
    assert_fails(&r, 2, &["input `identity-pool`", "<region>:<uuid>"]);
    assert_eq!(emu.request_count(), before);
}
