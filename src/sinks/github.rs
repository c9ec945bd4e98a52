//! GitHub Actions: masks first (through [`crate::secrets`]), then
//! `GITHUB_ENV` and `GITHUB_OUTPUT` in single appends of heredoc blocks, then
//! the job summary. Also the workflow-command escaping.

use std::path::Path;

use super::file::append_once;
use super::{Handover, SinkError, Var};
use crate::config::GithubSettings;

/// Escapes workflow-command data: `%`, `\r`, `\n`.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property: data escapes plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `NAME<<DELIM\nVALUE\nDELIM\n` blocks with a fresh random delimiter each,
/// checked not to occur in the name or the value.
pub fn file_command_blocks(vars: &[Var]) -> Result<String, SinkError> {
    let mut out = String::new();
    for v in vars {
        let value = v.value.expose();
        let delimiter = (0..3)
            .map(|_| format!("ghadelimiter_{}", uuid::Uuid::new_v4()))
            .find(|d| !v.name.contains(d.as_str()) && !value.contains(d.as_str()))
            .ok_or_else(|| {
                SinkError::Unsupported(format!("{} contains the file-command delimiter.", v.name))
            })?;
        out.push_str(&format!("{}<<{delimiter}\n{value}\n{delimiter}\n", v.name));
    }
    Ok(out)
}

/// Masks, exports, outputs, summary: in that order.
pub fn deliver(handover: &Handover, github: &GithubSettings) -> Result<(), SinkError> {
    // 1. Masks before any other line mentions a secret, and before any file
    // holds one (most were registered when they arrived; this is idempotent).
    super::handover::register_secrets(handover);

    // 2. GITHUB_ENV: all blocks in one append.
    if github.export_env {
        let path = github
            .env_file
            .as_deref()
            .ok_or(SinkError::GithubEnvMissing)?;
        let blocks = file_command_blocks(&handover.env)?;
        append(path, "GITHUB_ENV", &blocks)?;
        let names: Vec<&str> = handover.env.iter().map(|v| v.name).collect();
        tracing::info!("{} ({} to GITHUB_ENV)", handover.log_line, names.join(", "));
    } else {
        tracing::info!("export-env is false: nothing written to GITHUB_ENV");
    }

    // 3. Outputs.
    match github.output_file.as_deref() {
        Some(path) => append(
            path,
            "GITHUB_OUTPUT",
            &file_command_blocks(&handover.outputs)?,
        )?,
        None => tracing::warn!("GITHUB_OUTPUT is not set: the step outputs are not set"),
    }

    // 4. Job summary: cosmetic, so a failure is a warning.
    if let Some(path) = github.summary_file.as_deref()
        && let Err(e) = append_once(path, summary_markdown(handover).as_bytes())
    {
        tracing::warn!("Could not write the job summary to {}: {e}", path.display());
    }
    Ok(())
}

fn append(path: &Path, what: &'static str, text: &str) -> Result<(), SinkError> {
    append_once(path, text.as_bytes()).map_err(|detail| SinkError::Write {
        what,
        path: path.to_path_buf(),
        detail,
    })
}

/// A short Markdown table; nothing secret.
pub fn summary_markdown(h: &Handover) -> String {
    let mut s = format!("### {}\n\n| | |\n|---|---|\n", h.summary_title);
    for (k, v) in &h.summary {
        s.push_str(&format!("| {k} | `{}` |\n", table_cell(v)));
    }
    s.push('\n');
    s
}

/// A value as the text of a one-line code span in a table cell: a line
/// break would end the table row, a backtick the code span, a `|` the cell
/// (values such as a workspace name come from the network).
fn table_cell(v: &str) -> String {
    v.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|")
        .replace('`', "'")
}

/// Under GitHub when nothing new is exported (`ensure-valid-for` found the
/// current token good): only the step outputs.
pub fn deliver_outputs(outputs: &[Var], github: &GithubSettings) -> Result<(), SinkError> {
    match github.output_file.as_deref() {
        Some(path) => append(path, "GITHUB_OUTPUT", &file_command_blocks(outputs)?),
        None => {
            tracing::warn!("GITHUB_OUTPUT is not set: the step outputs are not set");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::Value;
    use secrecy::SecretString;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("a%b\r\nc:d,e"), "a%25b%0D%0Ac:d,e");
        assert_eq!(escape_property("a%b\r\nc:d,e"), "a%25b%0D%0Ac%3Ad%2Ce");
    }

    #[test]
    fn summary_rows_stay_one_table_row_each() {
        let h = Handover {
            env: vec![],
            outputs: vec![],
            extra_masks: vec![],
            json: vec![],
            credential_process: None,
            summary_title: "t".into(),
            summary: vec![("Workspace", "a\nb\r| c `d`\u{7}e".into())],
            log_line: String::new(),
        };
        let md = summary_markdown(&h);
        assert_eq!(
            md,
            "### t\n\n| | |\n|---|---|\n| Workspace | `a b \\| c 'd' e` |\n\n"
        );
    }

    #[test]
    fn blocks_use_fresh_delimiters() {
        let vars = vec![
            Var {
                name: "A",
                value: Value::Secret(SecretString::from("x\ny".to_string())),
            },
            Var {
                name: "B",
                value: Value::Plain("z".into()),
            },
        ];
        let text = file_command_blocks(&vars).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 7);
        let d1 = lines[0].strip_prefix("A<<").unwrap();
        assert!(d1.starts_with("ghadelimiter_"));
        assert_eq!(lines[1..4], ["x", "y", d1]);
        let d2 = lines[4].strip_prefix("B<<").unwrap();
        assert_ne!(d1, d2);
        assert_eq!(lines[5..7], ["z", d2]);
    }
}
