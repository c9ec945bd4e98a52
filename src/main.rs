//! ns-federate: parse, configure, run the flow under the time bound, hand
//! the result over, and turn any failure into one message and exit code.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use ns_federate::cli::Cli;
use ns_federate::config::{Config, OutputFormat};
use ns_federate::env::Env;
use ns_federate::error::{Error, exit};
use ns_federate::logging::Ui;
use ns_federate::{flows, preflight, secrets, sinks};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = Env::from_process();
    let ui = Ui::detect(&env);
    ui.init_logging();
    // Under GitHub every secret is masked as it arrives, except for an SDK's
    // credential_process, whose output no log shows as is.
    secrets::print_masks(ui.github && !cli.is_run_by_an_sdk());
    match run(&cli, &env, &ui) {
        Ok(()) => ExitCode::from(exit::OK),
        // The reader of stdout went away (`… | head`): nobody is listening.
        Err(err) if err.is_broken_pipe() => ExitCode::from(exit::OK),
        Err(err) => {
            ui.report_error(&err);
            ExitCode::from(err.exit_code())
        }
    }
}

fn run(cli: &Cli, env: &Env, ui: &Ui) -> Result<(), Error> {
    let config = Config::build(cli, env)?;
    if config.sink.format == OutputFormat::Github {
        // The github format masks even when run outside GitHub (to test it).
        secrets::print_masks(true);
    }
    // What the input and the local files already show fails before anything is sent.
    preflight::check(&config)?;
    let deadline = Instant::now() + config.timeout;

    ui.start(&config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime needs only a timer and an I/O driver");
    // The timer must be created inside the runtime.
    let outcome = runtime.block_on(async {
        tokio::time::timeout(config.timeout, flows::run(&config, deadline)).await
    });
    ui.end(&config);

    let outcome = outcome.map_err(|_| Error::Timeout(config.timeout))??;
    sinks::deliver(&outcome, &config.sink)?;
    Ok(())
}
