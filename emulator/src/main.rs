//! `ns-federate-emulator`: run the emulator standalone and print `export` lines to eval.

use base64::Engine;
use clap::Parser;
use ns_federate_emulator::{
    Config, DEFAULT_POOL, DEFAULT_ROLE_ARN, DEFAULT_TENANT, Emulator, ErrorForm,
    TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY,
};
use std::io::Write;
use std::time::Duration;

/// Loopback emulator of Namespace, AWS STS, Cognito Identity and GitHub OIDC.
///
/// Prints `export …` lines on stdout (eval them in a shell), then serves until killed.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Port on 127.0.0.1 (random when absent).
    #[arg(long)]
    port: Option<u16>,
    /// Issuer of the ID tokens it mints (and the OIDC provider STS trusts).
    #[arg(long, default_value = ns_federate_emulator::ISSUER)]
    issuer: String,
    /// Fail the next N calls of METHOD: METHOD:N:CODE, CODE one of drop, malformed, empty,
    /// http=503, grpc=14[/numeric|/string|/headers], unavailable, sts=Throttling,
    /// cognito=TooManyRequestsException. Repeatable.
    #[arg(long = "fail", value_name = "METHOD:N:CODE", value_parser = parse_fail)]
    fail: Vec<(String, u32, ns_federate_emulator::Fault)>,
    /// Delay every answer of METHOD: METHOD:MILLISECONDS. Repeatable.
    #[arg(long = "latency", value_name = "METHOD:MS", value_parser = parse_latency)]
    latency: Vec<(String, Duration)>,
    /// Form of Namespace errors: numeric, string or headers.
    #[arg(long, default_value = "numeric", value_parser = parse_form)]
    error_form: ErrorForm,
    /// Also print AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of the test credentials Cognito accepts.
    #[arg(long)]
    print_aws_test_creds: bool,
}

fn parse_fail(s: &str) -> Result<(String, u32, ns_federate_emulator::Fault), String> {
    ns_federate_emulator::parse_fail_arg(s)
}

fn parse_latency(s: &str) -> Result<(String, Duration), String> {
    ns_federate_emulator::parse_latency_arg(s)
}

fn parse_form(s: &str) -> Result<ErrorForm, String> {
    match s {
        "numeric" => Ok(ErrorForm::NumericJson),
        "string" => Ok(ErrorForm::StringJson),
        "headers" => Ok(ErrorForm::Headers),
        _ => Err("use numeric, string or headers".to_string()),
    }
}

fn main() {
    let args = Args::parse();
    let emulator = Emulator::start_with(Config {
        port: args.port.unwrap_or(0),
        issuer: args.issuer,
        error_form: args.error_form,
        faults: args.fail,
        latency: args.latency,
        ..Config::default()
    });
    let url = emulator.url();
    let token = emulator.tenant_token(DEFAULT_TENANT, None, Duration::from_secs(3600));
    let spec = serde_json::json!({"version": "v1", "inline_token": token});
    let spec = base64::engine::general_purpose::STANDARD_NO_PAD.encode(spec.to_string());

    let mut out = String::new();
    out.push_str(&format!("export NSC_IAM_ENDPOINT={url}\n"));
    out.push_str(&format!("export AWS_ENDPOINT_URL={url}\n"));
    out.push_str(&format!("export NSC_TOKEN_SPEC={spec}\n"));
    out.push_str(&format!("export DEMO_ROLE_ARN={DEFAULT_ROLE_ARN}\n"));
    out.push_str(&format!("export DEMO_TENANT_ID={DEFAULT_TENANT}\n"));
    out.push_str(&format!("export DEMO_IDENTITY_POOL={DEFAULT_POOL}\n"));
    if args.print_aws_test_creds {
        out.push_str(&format!("export AWS_ACCESS_KEY_ID={TEST_ACCESS_KEY_ID}\n"));
        out.push_str(&format!(
            "export AWS_SECRET_ACCESS_KEY={TEST_SECRET_ACCESS_KEY}\n"
        ));
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        eprintln!("ns-federate-emulator: cannot write to stdout; exiting");
        std::process::exit(1);
    }
    drop(stdout);
    eprintln!(
        "ns-federate-emulator: serving Namespace, STS, Cognito and GitHub OIDC on {url} \
         (JWKS at {url}/.well-known/jwks.json, admin at {url}/_emulator/requests); \
         eval the lines above in a shell; Ctrl-C to stop"
    );
    loop {
        std::thread::park();
    }
}
