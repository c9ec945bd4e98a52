//! Log lines (tracing → stderr, one line per step, never a secret) and the
//! run's frame: GitHub `::group::`, the final error report.

use std::fmt;
use std::io::Write;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

use crate::config::{Command, Config, OutputFormat};
use crate::env::Env;
use crate::error::Error;
use crate::secrets;
use crate::sinks::github::{escape_data, escape_property};

/// How the run talks to the person (or CI system) watching it.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    /// Under GitHub Actions: use workflow commands.
    pub github: bool,
    /// Debug lines (`RUNNER_DEBUG=1`, or `NS_FEDERATE_DEBUG=1`).
    pub debug: bool,
}

impl Ui {
    /// Reads GITHUB_ACTIONS and RUNNER_DEBUG.
    pub fn detect(env: &Env) -> Self {
        Self {
            github: env.under_github_actions(),
            debug: env.is_true("RUNNER_DEBUG") || env.is_true("NS_FEDERATE_DEBUG"),
        }
    }

    /// Installs the stderr logger: this crate at info (debug when asked), nothing from libraries.
    pub fn init_logging(&self) {
        let filter = self.log_filter();
        let subscriber = tracing_subscriber::fmt()
            .event_format(LineFormat {
                github: self.github,
            })
            .with_writer(std::io::stderr)
            .with_max_level(LevelFilter::TRACE)
            .finish()
            .with(filter);
        let _ = tracing::subscriber::set_global_default(subscriber);
    }

    /// Only our own lines: libraries' debug output could describe requests,
    /// and their warnings (aws-config's "failed to load base credentials …")
    /// are Debug dumps of errors this crate reports once, in words.
    fn log_filter(&self) -> Targets {
        let ours = if self.debug {
            LevelFilter::DEBUG
        } else {
            LevelFilter::INFO
        };
        Targets::new()
            .with_target("ns_federate", ours)
            .with_default(LevelFilter::OFF)
    }

    /// Before the flow: register early masks and open the log group (GitHub format only).
    pub fn start(&self, config: &Config) {
        if let Command::AssumeRole(s) = &config.command
            && config.sink.github.mask_account_id
        {
            // The account id appears in log lines before the sink runs: mask it first.
            secrets::register_value(s.role_arn.account_id().as_str());
        }
        if !self.github || config.sink.format != OutputFormat::Github {
            return;
        }
        match &config.command {
            Command::AssumeRole(s) => self.command(&format!(
                "::group::ns-federate: assume {}",
                escape_data(s.role_arn.as_str())
            )),
            Command::CognitoExchange(s) => self.command(&format!(
                "::group::ns-federate: Namespace token for {} from Cognito pool {}",
                escape_data(s.tenant_id.as_str()),
                escape_data(&s.pool.to_string())
            )),
            _ => {}
        }
    }

    /// After the flow, before the results are handed over.
    pub fn end(&self, config: &Config) {
        if self.github
            && config.sink.format == OutputFormat::Github
            && matches!(
                config.command,
                Command::AssumeRole(_) | Command::CognitoExchange(_)
            )
        {
            self.command("::endgroup::");
        }
    }

    /// Reports the run's error: a GitHub error annotation, or plain text on stderr.
    pub fn report_error(&self, err: &Error) {
        if self.github {
            let title = format!("ns-federate: {}", err.title());
            self.command(&format!(
                "::error title={}::{}",
                escape_property(&title),
                escape_data(&err.report())
            ));
        } else {
            self.command(&format!("error: {}", err.report()));
        }
    }

    fn command(&self, line: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
}

/// One plain line per event; warnings and debug lines as workflow commands under GitHub.
struct LineFormat {
    github: bool,
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut msg = String::new();
        ctx.format_fields(Writer::new(&mut msg), event)?;
        // Log lines may quote upstream text, which may echo what was sent.
        let msg = secrets::redact(&msg);
        let level = *event.metadata().level();
        match (self.github, level) {
            // Escaped whole: a logged value (a token claim, an upstream
            // message) can then never break the line and start a command;
            // `##[` would start a legacy command anywhere in a plain line.
            (true, Level::INFO) => {
                let line = escape_data(&msg).replace("##[", "##%5B");
                if line.trim_start().starts_with("::") {
                    writeln!(writer, "log: {line}")
                } else {
                    writeln!(writer, "{line}")
                }
            }
            (false, Level::INFO) => writeln!(writer, "{msg}"),
            (true, Level::WARN) => writeln!(writer, "::warning::{}", escape_data(&msg)),
            (true, Level::ERROR) => writeln!(writer, "::error::{}", escape_data(&msg)),
            (true, _) => writeln!(writer, "::debug::{}", escape_data(&msg)),
            (false, Level::WARN) => writeln!(writer, "warning: {msg}"),
            (false, Level::ERROR) => writeln!(writer, "error: {msg}"),
            (false, _) => writeln!(writer, "debug: {msg}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_crates_events_are_shown() {
        for debug in [false, true] {
            let filter = Ui {
                github: false,
                debug,
            }
            .log_filter();
            for target in [
                "aws_config",
                "aws_config::profile::credentials",
                "hyper",
                "rustls",
            ] {
                for level in [Level::ERROR, Level::WARN, Level::INFO] {
                    assert!(!filter.would_enable(target, &level), "{target} {level}");
                }
            }
            assert!(filter.would_enable("ns_federate::aws::cognito", &Level::INFO));
            assert_eq!(
                filter.would_enable("ns_federate::flows", &Level::DEBUG),
                debug
            );
        }
    }
}
