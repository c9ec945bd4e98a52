//! Emulation of how the GitHub Actions runner runs a Docker action and reads
//! its results back: the environment built from action.yml, the file commands
//! (`GITHUB_ENV`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_PATH`), and
//! `::add-mask::` on the log. The rules follow `shared/RUNNER_CONTRACT.md`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use yaml_rust2::{Yaml, YamlLoader};

/// Bound on one step, so that a hung action fails the test instead of hanging it.
const STEP_TIMEOUT: Duration = Duration::from_secs(300);

/// One emulated job: a temporary directory and the env exported by earlier steps.
pub struct Job {
    root: tempfile::TempDir,
    workspace: PathBuf,
    env: BTreeMap<String, String>,
    /// Directories added through `GITHUB_PATH`, newest first, prepended to PATH.
    path_prefix: Vec<String>,
}

/// What one step did, as the runner sees it once the step has exited.
// No derived Debug: the fields hold secrets; see the manual impl below.
#[derive(Clone)]
pub struct StepResult {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// stdout and stderr through one pipe, in write order.
    pub output: String,
    /// Pairs this step wrote to `GITHUB_ENV`, in file order (up to a parse error).
    pub env: Vec<(String, String)>,
    /// Step outputs from `GITHUB_OUTPUT` (later duplicates win).
    pub outputs: BTreeMap<String, String>,
    /// Contents of `GITHUB_STEP_SUMMARY`.
    pub summary: String,
    /// Values registered with `::add-mask::`, in log order.
    pub masks: Vec<String>,
    /// The runner's parse error for `GITHUB_ENV` (or, prefixed `GITHUB_OUTPUT: `,
    /// for `GITHUB_OUTPUT`); the runner fails the step when this is set.
    pub env_file_error: Option<String>,
}

impl StepResult {
    /// Panics unless every secret is registered with `::add-mask::` before any
    /// other appearance in the output; the panic message never holds a secret.
    pub fn assert_masked_before_use(&self, secrets: &[&str]) {
        if let Err(e) = check_masked_before_use(&self.output, secrets) {
            panic!("{e}");
        }
    }

    /// The output with every registered mask and every given secret replaced
    /// by `***`, safe to print in a failing test's message.
    pub fn redacted_output(&self, secrets: &[&str]) -> String {
        let mut values: Vec<&str> = self
            .masks
            .iter()
            .map(String::as_str)
            .chain(secrets.iter().copied())
            .filter(|v| !v.is_empty())
            .collect();
        // Longest first, so a secret that contains another is replaced whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let mut out = self.output.clone();
        for v in values {
            out = out.replace(v, "***");
        }
        out
    }
}

/// Shows names and sizes only: values may be secrets.
impl std::fmt::Debug for StepResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepResult")
            .field("code", &self.code)
            .field("output_bytes", &self.output.len())
            .field(
                "env_names",
                &self.env.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            )
            .field("output_names", &self.outputs.keys().collect::<Vec<_>>())
            .field("summary_bytes", &self.summary.len())
            .field("masks", &self.masks.len())
            .field("env_file_error", &self.env_file_error)
            .finish()
    }
}

impl Default for Job {
    fn default() -> Self {
        Self::new()
    }
}

impl Job {
    /// A fresh job with its own temporary directory (workspace, home, runner temp).
    pub fn new() -> Job {
        let root = tempfile::Builder::new()
            .prefix("ns-federate-job-")
            .tempdir()
            .expect("create a temporary directory for the emulated job");
        let workspace = root.path().join("workspace");
        for dir in ["workspace", "home", "runner_temp", "file_commands"] {
            std::fs::create_dir_all(root.path().join(dir))
                .unwrap_or_else(|e| panic!("create {dir} in the job directory: {e}"));
        }
        Job {
            root,
            workspace,
            env: BTreeMap::new(),
            path_prefix: Vec::new(),
        }
    }

    /// Env accumulated from earlier steps' `GITHUB_ENV` and `set_env`.
    pub fn env(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    /// Sets a workflow/job-level env variable for every later step.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.insert(name.to_string(), value.to_string());
    }

    /// Workspace directory, the cwd of every step (the `/github/workspace` analogue).
    pub fn dir(&self) -> &Path {
        &self.workspace
    }

    /// Runs the action binary like the runner runs the container's
    /// `ENTRYPOINT ["/ns-federate","action"]`.
    pub fn run_action(
        &mut self,
        bin: &Path,
        action_yml: &Path,
        inputs: &[(&str, &str)],
        step_env: &[(&str, &str)],
    ) -> StepResult {
        let mut env: Vec<(String, String)> = Vec::new();
        env.extend(step_env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env.extend(action_inputs_env(action_yml, inputs));
        // runs.env applies only where nothing earlier set the name.
        for (k, v) in runs_env(action_yml) {
            if !self.env.contains_key(&k) && !env.iter().any(|(n, _)| *n == k) {
                env.push((k, v));
            }
        }
        let mut cmd = Command::new(bin);
        cmd.arg("action");
        self.run(cmd, env, Vec::new())
    }

    /// Runs a later `run:` step (any command) with the job env applied and the
    /// same file commands. Env set on `cmd` acts as the step's `env:`.
    pub fn run_step(&mut self, mut cmd: Command) -> StepResult {
        let mut step_env = Vec::new();
        let mut removed = Vec::new();
        for (k, v) in cmd.get_envs() {
            let k = k.to_string_lossy().into_owned();
            match v {
                Some(v) => step_env.push((k, v.to_string_lossy().into_owned())),
                None => removed.push(k),
            }
        }
        // Clear here so that explicit envs are re-applied in the runner's order.
        cmd.env_clear();
        self.run(cmd, step_env, removed)
    }

    fn run(
        &mut self,
        mut cmd: Command,
        step_env: Vec<(String, String)>,
        removed: Vec<String>,
    ) -> StepResult {
        let root = self.root.path().to_path_buf();
        let id = uuid::Uuid::new_v4();
        let fc = root.join("file_commands");
        let env_file = fc.join(format!("set_env_{id}"));
        let output_file = fc.join(format!("set_output_{id}"));
        let summary_file = fc.join(format!("step_summary_{id}"));
        let path_file = fc.join(format!("add_path_{id}"));
        let state_file = fc.join(format!("save_state_{id}"));
        for f in [
            &env_file,
            &output_file,
            &summary_file,
            &path_file,
            &state_file,
        ] {
            std::fs::write(f, "").unwrap_or_else(|e| panic!("create {}: {e}", f.display()));
        }

        let mut path: Vec<OsString> = self.path_prefix.iter().map(OsString::from).collect();
        if let Some(p) = std::env::var_os("PATH") {
            path.push(p);
        }
        let path = std::env::join_paths(
            path.iter()
                .flat_map(|p| std::env::split_paths(p).collect::<Vec<_>>()),
        )
        .expect("join PATH");

        cmd.env_clear();
        cmd.env("PATH", path);
        cmd.envs(&self.env);
        for (k, v) in &step_env {
            cmd.env(k, v);
        }
        for k in &removed {
            cmd.env_remove(k);
        }
        let s = |p: &Path| p.to_string_lossy().into_owned();
        let fixed: [(&str, String); 14] = [
            ("GITHUB_ACTIONS", "true".into()),
            ("CI", "true".into()),
            ("GITHUB_ENV", s(&env_file)),
            ("GITHUB_OUTPUT", s(&output_file)),
            ("GITHUB_STEP_SUMMARY", s(&summary_file)),
            ("GITHUB_PATH", s(&path_file)),
            ("GITHUB_STATE", s(&state_file)),
            ("GITHUB_WORKSPACE", s(&self.workspace)),
            ("HOME", s(&root.join("home"))),
            ("RUNNER_TEMP", s(&root.join("runner_temp"))),
            ("RUNNER_OS", "Linux".into()),
            ("GITHUB_REPOSITORY", "octo/demo".into()),
            ("GITHUB_SERVER_URL", "https://github.com".into()),
            // Tests must never reach the EC2 metadata service.
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ];
        for (k, v) in fixed {
            cmd.env(k, v);
        }
        if cmd.get_current_dir().is_none() {
            cmd.current_dir(&self.workspace);
        }

        // One pipe for both streams, as the runner reads them: keeps write order.
        let (mut reader, writer) = std::io::pipe().expect("create a pipe for the step's output");
        let writer2 = writer.try_clone().expect("duplicate the pipe's write end");
        cmd.stdin(Stdio::null()).stdout(writer).stderr(writer2);
        let program = cmd.get_program().to_string_lossy().into_owned();
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start the step {program}: {e}"));
        // Drop our copies of the write end, or the read below never sees EOF.
        drop(cmd);
        let reading = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = reader.read_to_end(&mut buf);
            buf
        });
        let deadline = Instant::now() + STEP_TIMEOUT;
        let status = loop {
            match child.try_wait().expect("wait for the step") {
                Some(status) => break status,
                None if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    // No output here: it may hold secrets.
                    panic!(
                        "step {program} did not exit within {} s; it was killed",
                        STEP_TIMEOUT.as_secs()
                    );
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        let output =
            String::from_utf8_lossy(&reading.join().expect("read step output")).into_owned();
        let code = status.code().unwrap_or(-1);

        let read = |p: &Path| {
            std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
        };
        let mut env_file_error = None;
        // Like the runner: pairs before a parse error are already applied.
        let (env, err) = parse_pairs(&read(&env_file));
        if let Some(err) = err {
            env_file_error = Some(err);
        }
        for (k, v) in &env {
            // The runner refuses NODE_OPTIONS from GITHUB_ENV.
            if !k.eq_ignore_ascii_case("NODE_OPTIONS") {
                self.env.insert(k.clone(), v.clone());
            }
        }
        let (out_pairs, err) = parse_pairs(&read(&output_file));
        if let Some(err) = err {
            env_file_error.get_or_insert(format!("GITHUB_OUTPUT: {err}"));
        }
        let outputs = out_pairs.into_iter().collect();
        let summary = read(&summary_file);
        // GITHUB_PATH: one directory per line, prepended for later steps.
        for line in read(&path_file).lines() {
            let line = line.trim();
            if !line.is_empty() {
                self.path_prefix.insert(0, line.to_string());
            }
        }

        StepResult {
            code,
            masks: collect_masks(&output),
            output,
            env,
            outputs,
            summary,
            env_file_error,
        }
    }
}

fn load_yaml(action_yml: &Path) -> Yaml {
    let text = std::fs::read_to_string(action_yml)
        .unwrap_or_else(|e| panic!("read {}: {e}", action_yml.display()));
    let mut docs = YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("parse {} as YAML: {e}", action_yml.display()));
    if docs.is_empty() {
        panic!("{} is empty", action_yml.display());
    }
    docs.swap_remove(0)
}

/// A YAML scalar as the runner's template engine turns it into a string.
fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        Yaml::Null | Yaml::BadValue => None,
        _ => None,
    }
}

fn mapping_entries(doc: &Yaml, key: &str) -> Vec<(String, Yaml)> {
    match &doc[key] {
        Yaml::Hash(h) => h
            .iter()
            .filter_map(|(k, v)| scalar(k).map(|k| (k, v.clone())))
            .collect(),
        _ => Vec::new(),
    }
}

fn runs_env(action_yml: &Path) -> Vec<(String, String)> {
    let doc = load_yaml(action_yml);
    match &doc["runs"]["env"] {
        Yaml::Hash(h) => h
            .iter()
            .filter_map(|(k, v)| Some((scalar(k)?, scalar(v).unwrap_or_default())))
            .collect(),
        _ => Vec::new(),
    }
}

/// `INPUT_*` for every input declared in action.yml: the given value, else the
/// default, else "". Names: spaces → `_`, upper-case, hyphens kept. Panics if a
/// given input is not declared.
pub fn action_inputs_env(action_yml: &Path, inputs: &[(&str, &str)]) -> Vec<(String, String)> {
    let doc = load_yaml(action_yml);
    let declared = mapping_entries(&doc, "inputs");
    for (given, _) in inputs {
        // The runner matches input names case-insensitively.
        if !declared.iter().any(|(d, _)| d.eq_ignore_ascii_case(given)) {
            panic!(
                "input {given:?} is not declared in {}; declared: {}",
                action_yml.display(),
                declared
                    .iter()
                    .map(|(d, _)| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    declared
        .iter()
        .map(|(name, spec)| {
            let value = inputs
                .iter()
                .rev()
                .find(|(g, _)| g.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_string())
                .or_else(|| scalar(&spec["default"]))
                .unwrap_or_default();
            (
                format!("INPUT_{}", name.replace(' ', "_").to_uppercase()),
                value,
            )
        })
        .collect()
}

/// Names of the outputs declared in action.yml, in file order.
pub fn declared_outputs(action_yml: &Path) -> Vec<String> {
    let doc = load_yaml(action_yml);
    mapping_entries(&doc, "outputs")
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

/// Parses a `GITHUB_ENV`/`GITHUB_OUTPUT` file with the runner's rules.
pub fn parse_file_command(contents: &str) -> Result<Vec<(String, String)>, String> {
    match parse_pairs(contents) {
        (pairs, None) => Ok(pairs),
        (_, Some(err)) => Err(err),
    }
}

/// The runner's parser: the pairs read before an error, and the error.
fn parse_pairs(text: &str) -> (Vec<(String, String)>, Option<String>) {
    let mut pairs = Vec::new();
    // Lines split on '\n' only; the last line may lack one.
    let mut lines = text
        .split_inclusive('\n')
        .map(|l| match l.strip_suffix('\n') {
            Some(l) => (l, true),
            None => (l, false),
        });
    while let Some((line, _)) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let eq = line.find('=');
        let heredoc = line.find("<<");
        match (eq, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                let (name, value) = (&line[..e], &line[e + 1..]);
                if name.is_empty() {
                    return (
                        pairs,
                        Some(format!("Invalid format '{line}'. Name must not be empty")),
                    );
                }
                pairs.push((name.to_string(), value.to_string()));
            }
            (_, Some(h)) => {
                let (name, delimiter) = (&line[..h], &line[h + 2..]);
                if name.is_empty() || delimiter.is_empty() {
                    return (
                        pairs,
                        Some(format!(
                            "Invalid format '{line}'. Name must not be empty, and delimiter must not be empty"
                        )),
                    );
                }
                let mut value: Vec<&str> = Vec::new();
                loop {
                    match lines.next() {
                        None => {
                            return (
                                pairs,
                                Some(format!(
                                    "Invalid value. Matching delimiter not found '{delimiter}'"
                                )),
                            );
                        }
                        Some((l, _)) if l == delimiter => break,
                        Some((_, false)) => {
                            return (
                                pairs,
                                Some("Invalid value. EOF marker missing new line.".to_string()),
                            );
                        }
                        Some((l, true)) => value.push(l),
                    }
                }
                pairs.push((name.to_string(), value.join("\n")));
            }
            _ => {
                return (
                    pairs,
                    Some(format!(
                        "Invalid format '{line}'. Expected NAME=VALUE or NAME<<DELIMITER"
                    )),
                );
            }
        }
    }
    (pairs, None)
}

/// The runner's unescaping: sequential replaces, in its order.
fn unescape_data(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

/// The data of an `::add-mask::` line, as the runner reads a log line.
fn mask_data(line: &str) -> Option<&str> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    line.trim_start().strip_prefix("::add-mask::")
}

fn collect_masks(output: &str) -> Vec<String> {
    output
        .split('\n')
        .filter_map(mask_data)
        .map(unescape_data)
        .filter(|m| !m.is_empty())
        .collect()
}

/// Checks that each non-empty secret is registered with an `::add-mask::` line
/// (data escaped `%25`/`%0D`/`%0A`, as the runner unescapes it) before any
/// other appearance in `output`. The error names the secret's index and line
/// number, never its value.
pub fn check_masked_before_use(output: &str, secrets: &[&str]) -> Result<(), String> {
    let line_of = |offset: usize| output[..offset].matches('\n').count() + 1;
    for (i, secret) in secrets.iter().enumerate() {
        if secret.is_empty() {
            continue;
        }
        let mut mask_at = None;
        let mut offset = 0;
        for line in output.split('\n') {
            // Compared as the runner reads it, so any escaping it accepts counts.
            if mask_data(line).map(unescape_data).as_deref() == Some(*secret) {
                mask_at = Some(offset);
                break;
            }
            offset += line.len() + 1;
        }
        let first_use = output.find(secret);
        match (mask_at, first_use) {
            (None, None) => {
                return Err(format!(
                    "secret #{i} was never registered with ::add-mask::"
                ));
            }
            (None, Some(u)) => {
                return Err(format!(
                    "secret #{i} appears on output line {} and is never registered with ::add-mask::",
                    line_of(u)
                ));
            }
            (Some(m), Some(u)) if u < m => {
                return Err(format!(
                    "secret #{i} appears on output line {} before its ::add-mask:: on line {}",
                    line_of(u),
                    line_of(m)
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action_yml() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../action.yml")
    }

    #[test]
    fn one_line_and_heredoc() {
        let pairs = parse_file_command("A=1\nB<<EOF\nx\ny\nEOF\n\nC=\n").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "x\ny".into()),
                ("C".into(), "".into())
            ]
        );
    }

    #[test]
    fn heredoc_empty_value_and_last_line_without_newline() {
        let pairs = parse_file_command("E<<D\nD").unwrap();
        assert_eq!(pairs, vec![("E".into(), "".into())]);
    }

    #[test]
    fn carriage_return_stays_in_value() {
        let pairs = parse_file_command("A=1\r\nB<<EOF\nx\r\nEOF\n").unwrap();
        assert_eq!(
            pairs,
            vec![("A".into(), "1\r".into()), ("B".into(), "x\r".into())]
        );
        // A delimiter followed by \r is not the delimiter.
        let err = parse_file_command("B<<EOF\nx\nEOF\r\n").unwrap_err();
        assert!(err.contains("Matching delimiter not found"), "{err}");
    }

    #[test]
    fn missing_delimiter() {
        let err = parse_file_command("A=1\nB<<EOF\nvalue\n").unwrap_err();
        assert!(err.contains("Matching delimiter not found"), "{err}");
        // Value glued to the delimiter, as `printf '%s'` then `echo EOF` does.
        let err = parse_file_command("B<<EOF\nvalueEOF\n").unwrap_err();
        assert!(err.contains("Matching delimiter not found"), "{err}");
        // Pairs before the error are still read (the runner applies them).
        let (pairs, err) = parse_pairs("A=1\nB<<EOF\nvalue\n");
        assert_eq!(pairs, vec![("A".into(), "1".into())]);
        assert!(err.is_some());
    }

    #[test]
    fn delimiter_must_match_exactly() {
        let pairs = parse_file_command("V<<EOF\n EOF\nEOF \nEOFX\nEOF\n").unwrap();
        assert_eq!(pairs, vec![("V".into(), " EOF\nEOF \nEOFX".into())]);
    }

    #[test]
    fn first_of_equals_or_heredoc_decides() {
        // '=' first: one-line form, "<<" is part of the value.
        let pairs = parse_file_command("A=x<<y\n").unwrap();
        assert_eq!(pairs, vec![("A".into(), "x<<y".into())]);
        // "<<" first: heredoc whose delimiter contains '='.
        let pairs = parse_file_command("B<<D=1\nv=2\nD=1\n").unwrap();
        assert_eq!(pairs, vec![("B".into(), "v=2".into())]);
    }

    #[test]
    fn empty_name_is_an_error() {
        assert!(parse_file_command("=v\n").is_err());
        assert!(parse_file_command("<<EOF\nv\nEOF\n").is_err());
        assert!(parse_file_command("A<<\nv\n\n").is_err());
        assert!(parse_file_command("no separator\n").is_err());
    }

    #[test]
    fn inputs_env_from_repo_action_yml() {
        let env: BTreeMap<String, String> =
            action_inputs_env(&action_yml(), &[]).into_iter().collect();
        assert_eq!(
            env.get("INPUT_ROLE-TO-ASSUME").map(String::as_str),
            Some("")
        );
        assert_eq!(
            env.get("INPUT_ROLE-DURATION-SECONDS").map(String::as_str),
            Some("3600")
        );
        assert_eq!(env.get("INPUT_MODE").map(String::as_str), Some("auto"));
        assert!(env.keys().all(|k| k.starts_with("INPUT_")));
        assert!(!env.contains_key("INPUT_ROLE_TO_ASSUME"));

        let env: BTreeMap<String, String> = action_inputs_env(
            &action_yml(),
            &[("role-to-assume", "arn:aws:iam::1:role/r"), ("mode", "")],
        )
        .into_iter()
        .collect();
        assert_eq!(env["INPUT_ROLE-TO-ASSUME"], "arn:aws:iam::1:role/r");
        // An explicit empty value stays empty (no default).
        assert_eq!(env["INPUT_MODE"], "");
    }

    #[test]
    #[should_panic(expected = "is not declared")]
    fn undeclared_input_panics() {
        action_inputs_env(&action_yml(), &[("role_to_assume", "x")]);
    }

    #[test]
    fn outputs_declared() {
        let outs = declared_outputs(&action_yml());
        assert!(outs.contains(&"aws-account-id".to_string()));
        assert!(outs.contains(&"aws-session-token".to_string()));
    }

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG";

    #[test]
    fn masked_first_passes() {
        let out = format!("starting\n::add-mask::{SECRET}\nkey is {SECRET}\n");
        assert!(check_masked_before_use(&out, &[SECRET]).is_ok());
        assert!(collect_masks(&out) == vec![SECRET.to_string()]);
    }

    #[test]
    fn leaked_before_mask_fails_without_the_secret() {
        let out = format!("::add-mask::other\nkey is {SECRET}\n::add-mask::{SECRET}\n");
        let err = check_masked_before_use(&out, &["other", SECRET]).unwrap_err();
        assert!(!err.contains(SECRET), "error message leaks the secret");
        assert!(
            err.contains("#1") && err.contains("line 2") && err.contains("line 3"),
            "{err}"
        );
        let err = check_masked_before_use("nothing\n", &[SECRET]).unwrap_err();
        assert!(!err.contains(SECRET));
        let leaked = format!("x {SECRET}\n");
        let err = check_masked_before_use(&leaked, &[SECRET]).unwrap_err();
        assert!(!err.contains(SECRET));
        let caught = std::panic::catch_unwind(|| {
            StepResult {
                code: 0,
                output: leaked.clone(),
                env: vec![],
                outputs: BTreeMap::new(),
                summary: String::new(),
                masks: vec![],
                env_file_error: None,
            }
            .assert_masked_before_use(&[SECRET])
        })
        .unwrap_err();
        let msg = caught.downcast_ref::<String>().expect("panic message");
        assert!(!msg.contains(SECRET), "panic message leaks the secret");
    }

    #[test]
    fn debug_and_redacted_output_hide_secrets() {
        let r = StepResult {
            code: 0,
            output: format!("::add-mask::{SECRET}\nv={SECRET} other=s3cr3t\n"),
            env: vec![("K".into(), SECRET.into())],
            outputs: [("o".to_string(), SECRET.to_string())].into(),
            summary: String::new(),
            masks: vec![SECRET.into()],
            env_file_error: None,
        };
        assert!(!format!("{r:?}").contains(SECRET), "Debug shows a secret");
        let shown = r.redacted_output(&["s3cr3t"]);
        assert!(!shown.contains(SECRET) && !shown.contains("s3cr3t"));
        assert_eq!(shown, "::add-mask::***\nv=*** other=***\n");
    }

    #[test]
    fn multi_line_secret_uses_escaped_mask() {
        let secret = "a%b\nc";
        let out = "::add-mask::a%25b%0Ac\nthen a%b\nc\n";
        assert!(check_masked_before_use(out, &[secret]).is_ok());
        assert!(collect_masks(out) == vec![secret.to_string()]);
        // A mask on a different value does not count.
        assert!(check_masked_before_use("::add-mask::a%b\n", &[secret]).is_err());
    }

    #[test]
    fn unescape_is_sequential_like_the_runner() {
        assert_eq!(unescape_data("%250A"), "%0A");
        assert_eq!(unescape_data("a%0D%0Ab%25"), "a\r\nb%");
    }
}
