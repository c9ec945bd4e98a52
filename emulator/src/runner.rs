//! Emulation of how the GitHub Actions runner runs a Docker action and reads
//! its results back: the environment built from action.yml, the file commands
//! (`GITHUB_ENV`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_PATH`), and
//! `::add-mask::` on the log. The rules follow `shared/RUNNER_CONTRACT.md`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
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
        let env = self.action_step_env(action_yml, inputs, step_env);
        let mut cmd = Command::new(bin);
        cmd.arg("action");
        self.run(cmd, env, Vec::new())
    }

    /// Runs a Docker action as the runner does (`docker run` of the image with
    /// the job's directories mounted under `/github`), emulated with a chroot
    /// into `container`'s root file system: the entrypoint is resolved inside
    /// it, env is the image's env overlaid by the runner's (container paths),
    /// and the cwd is `/github/workspace`. Needs root; panics otherwise.
    ///
    /// A chroot cannot see the job's host directories, so the container's
    /// `/github/*` are the directories of the same name in the root file
    /// system: put files the action should find under
    /// `container.host_path("/github/workspace")`, not [`Job::dir`]. Values
    /// exported through `GITHUB_ENV` reach later steps as usual.
    pub fn run_container_action(
        &mut self,
        container: &Container,
        action_yml: &Path,
        inputs: &[(&str, &str)],
        step_env: &[(&str, &str)],
    ) -> StepResult {
        require_root();
        // Absolute, since the chroot happens after the chdir into the workspace.
        let rootfs = &container
            .rootfs
            .canonicalize()
            .unwrap_or_else(|e| panic!("the root file system {}: {e}", container.rootfs.display()));
        for mount in RUNNER_MOUNTS {
            let dir = container.host_path(mount);
            assert!(
                dir.is_dir(),
                "{} has no {mount}: lay the root file system out with runner::scratch_rootfs",
                rootfs.display()
            );
        }
        let (program, args) = container
            .entrypoint
            .split_first()
            .expect("the container's entrypoint is empty");
        // Async-signal-safety of the pre_exec below: std converts a path of
        // fewer than 384 bytes on the stack, so the child never allocates.
        assert!(
            rootfs.as_os_str().len() < 300,
            "the root file system path is too long for a chroot from pre_exec: {}",
            rootfs.display()
        );

        let files = FileCommands::create(&container.host_path("/github/file_commands"));
        let view = StepView {
            files: files.seen_from(|f| format!("/github/file_commands/{f}")),
            workspace: "/github/workspace".into(),
            home: "/github/home".into(),
            runner_temp: "/github/runner_temp".into(),
        };
        let step_env = self.action_step_env(action_yml, inputs, step_env);
        // The image's ENV (and Docker's default PATH) first: `docker run -e` wins.
        let base = container
            .env
            .iter()
            .map(|(k, v)| (k.clone(), OsString::from(v)))
            .collect();
        let env = self.build_env(base, &step_env, &[], &view);

        let mut cmd = Command::new(program);
        cmd.args(args).env_clear().envs(env);
        // The cwd is entered before pre_exec runs, so it stays the workspace
        // once the root moves; the entrypoint is then resolved in the new root.
        cmd.current_dir(rootfs.join("github/workspace"));
        let new_root = rootfs.clone();
        // SAFETY: the closure only makes the chroot(2) syscall (no allocation,
        // no lock), which is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || std::os::unix::fs::chroot(&new_root));
        }
        self.execute(cmd, &files)
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

    /// The step-level env of an action: step `env:`, then `INPUT_*` from
    /// action.yml, then `runs.env` where nothing earlier set the name.
    fn action_step_env(
        &self,
        action_yml: &Path,
        inputs: &[(&str, &str)],
        step_env: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = Vec::new();
        env.extend(step_env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env.extend(action_inputs_env(action_yml, inputs));
        for (k, v) in runs_env(action_yml) {
            if !self.env.contains_key(&k) && !env.iter().any(|(n, _)| *n == k) {
                env.push((k, v));
            }
        }
        env
    }

    /// The whole env of a step, in the runner's order (later wins): `base`
    /// (PATH on the host, the image's env in a container), the job env, the
    /// step env, names the step removes, then the runner's own variables with
    /// paths as the step sees them.
    fn build_env(
        &self,
        base: Vec<(String, OsString)>,
        step_env: &[(String, String)],
        removed: &[String],
        view: &StepView,
    ) -> BTreeMap<String, OsString> {
        let mut env: BTreeMap<String, OsString> = base.into_iter().collect();
        for (k, v) in self.env.iter().chain(step_env.iter().map(|(k, v)| (k, v))) {
            env.insert(k.clone(), v.into());
        }
        for k in removed {
            env.remove(k);
        }
        let fixed: [(&str, &str); 14] = [
            ("GITHUB_ACTIONS", "true"),
            ("CI", "true"),
            ("GITHUB_ENV", &view.files.env),
            ("GITHUB_OUTPUT", &view.files.output),
            ("GITHUB_STEP_SUMMARY", &view.files.summary),
            ("GITHUB_PATH", &view.files.path),
            ("GITHUB_STATE", &view.files.state),
            ("GITHUB_WORKSPACE", &view.workspace),
            ("HOME", &view.home),
            ("RUNNER_TEMP", &view.runner_temp),
            ("RUNNER_OS", "Linux"),
            ("GITHUB_REPOSITORY", "octo/demo"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            // Tests must never reach the EC2 metadata service.
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        for (k, v) in fixed {
            env.insert(k.to_string(), v.into());
        }
        env
    }

    /// PATH of a host step: `GITHUB_PATH` additions, then the test's own PATH.
    fn host_path(&self) -> OsString {
        let mut path: Vec<OsString> = self.path_prefix.iter().map(OsString::from).collect();
        if let Some(p) = std::env::var_os("PATH") {
            path.push(p);
        }
        std::env::join_paths(
            path.iter()
                .flat_map(|p| std::env::split_paths(p).collect::<Vec<_>>()),
        )
        .expect("join PATH")
    }

    fn run(
        &mut self,
        mut cmd: Command,
        step_env: Vec<(String, String)>,
        removed: Vec<String>,
    ) -> StepResult {
        let root = self.root.path().to_path_buf();
        let files = FileCommands::create(&root.join("file_commands"));
        let s = |p: &Path| p.to_string_lossy().into_owned();
        let view = StepView {
            files: files.seen_from(|f| s(&root.join("file_commands").join(f))),
            workspace: s(&self.workspace),
            home: s(&root.join("home")),
            runner_temp: s(&root.join("runner_temp")),
        };
        let base = vec![("PATH".to_string(), self.host_path())];
        let env = self.build_env(base, &step_env, &removed, &view);
        cmd.env_clear();
        cmd.envs(env);
        if cmd.get_current_dir().is_none() {
            cmd.current_dir(&self.workspace);
        }
        self.execute(cmd, &files)
    }

    /// Runs the prepared step to its end and reads its results back as the
    /// runner does once the step has exited.
    fn execute(&mut self, mut cmd: Command, files: &FileCommands) -> StepResult {
        // One pipe for both streams, as the runner reads them: keeps write order.
        let (mut reader, writer) = std::io::pipe().expect("create a pipe for the step's output");
        let writer2 = writer.try_clone().expect("duplicate the pipe's write end");
        cmd.stdin(Stdio::null()).stdout(writer).stderr(writer2);
        let program = cmd.get_program().to_string_lossy().into_owned();
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                panic!("start the step {program}: {e} (a container step needs root for chroot)")
            }
            panic!("start the step {program}: {e}")
        });
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
        let (env, err) = parse_pairs(&read(&files.env));
        if let Some(err) = err {
            env_file_error = Some(err);
        }
        for (k, v) in &env {
            // The runner refuses NODE_OPTIONS from GITHUB_ENV.
            if !k.eq_ignore_ascii_case("NODE_OPTIONS") {
                self.env.insert(k.clone(), v.clone());
            }
        }
        let (out_pairs, err) = parse_pairs(&read(&files.output));
        if let Some(err) = err {
            env_file_error.get_or_insert(format!("GITHUB_OUTPUT: {err}"));
        }
        let outputs = out_pairs.into_iter().collect();
        let summary = read(&files.summary);
        // GITHUB_PATH: one directory per line, prepended for later steps.
        for line in read(&files.path).lines() {
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

/// The runner's mounts of a Docker action's container, as directories in the
/// root file system (`/var/run/docker.sock` is left out: the action needs no Docker).
pub const RUNNER_MOUNTS: [&str; 5] = [
    "/github/home",
    "/github/workspace",
    "/github/file_commands",
    "/github/workflow",
    "/github/runner_temp",
];

/// Docker's PATH for an image that sets none (a `FROM scratch` image).
const DOCKER_DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A container image unpacked into a directory, as `run_container_action`
/// runs it: a chroot into `rootfs` stands in for `docker run`.
#[derive(Debug, Clone)]
pub struct Container {
    /// Root file system on the host; holds the runner's mount points too.
    pub rootfs: PathBuf,
    /// Exec-form `ENTRYPOINT`, resolved inside `rootfs`.
    pub entrypoint: Vec<String>,
    /// The image's env (`ENV` lines, and Docker's default PATH when none).
    pub env: Vec<(String, String)>,
}

impl Container {
    /// Reads `ENTRYPOINT` (exec form only: a scratch image has no shell) and
    /// `ENV` of the Dockerfile's final stage, for an image unpacked at `rootfs`.
    pub fn from_dockerfile(rootfs: PathBuf, dockerfile: &Path) -> Container {
        let mut entrypoint = None;
        let mut env: Vec<(String, String)> = Vec::new();
        for (instr, rest) in &dockerfile_final_stage(dockerfile) {
            match instr.as_str() {
                "ENTRYPOINT" => {
                    let list: Vec<String> = serde_json::from_str(rest).unwrap_or_else(|_| {
                        panic!(
                            "{}: the final stage's ENTRYPOINT must be exec form (a JSON list): a scratch image has no shell; got {rest}",
                            dockerfile.display()
                        )
                    });
                    entrypoint = Some(list);
                }
                "ENV" => {
                    for (k, v) in parse_env_instruction(rest) {
                        env.retain(|(n, _)| *n != k);
                        env.push((k, v));
                    }
                }
                _ => {}
            }
        }
        if !env.iter().any(|(k, _)| k == "PATH") {
            env.insert(0, ("PATH".into(), DOCKER_DEFAULT_PATH.into()));
        }
        let entrypoint = entrypoint.unwrap_or_else(|| {
            panic!(
                "{}: the final stage has no ENTRYPOINT",
                dockerfile.display()
            )
        });
        assert!(
            !entrypoint.is_empty(),
            "{}: the ENTRYPOINT is empty",
            dockerfile.display()
        );
        Container {
            rootfs,
            entrypoint,
            env,
        }
    }

    /// The host path of `container_path` (absolute, as seen in the container).
    pub fn host_path(&self, container_path: &str) -> PathBuf {
        self.rootfs.join(container_path.trim_start_matches('/'))
    }
}

/// The instructions of a Dockerfile's final stage, from its `FROM` on, as
/// (upper-cased instruction, arguments); comments dropped, `\` continuations joined.
pub fn dockerfile_final_stage(dockerfile: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dockerfile)
        .unwrap_or_else(|e| panic!("read {}: {e}", dockerfile.display()));
    let mut lines = Vec::new();
    let mut logical = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (logical.is_empty() && trimmed.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                logical.push_str(head);
                logical.push(' ');
            }
            None => {
                logical.push_str(trimmed);
                lines.push(std::mem::take(&mut logical));
            }
        }
    }
    let mut stage: Vec<(String, String)> = Vec::new();
    for line in lines {
        let (instr, rest) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let instr = instr.to_ascii_uppercase();
        if instr == "FROM" {
            stage.clear();
        }
        stage.push((instr, rest.trim().to_string()));
    }
    assert!(
        stage.first().is_some_and(|(i, _)| i == "FROM"),
        "{} has no FROM",
        dockerfile.display()
    );
    stage
}

/// `ENV K=V K2="V 2"` or the legacy `ENV K V`.
fn parse_env_instruction(rest: &str) -> Vec<(String, String)> {
    let Some(first) = rest.split_whitespace().next() else {
        return Vec::new();
    };
    if !first.contains('=') {
        let (k, v) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        return vec![(k.to_string(), v.trim().to_string())];
    }
    let mut pairs = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=') {
            key.push(c);
        }
        if key.is_empty() || chars.next().is_none() {
            break;
        }
        let mut value = String::new();
        match chars.peek() {
            Some('"') => {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => value.extend(chars.next()),
                        '"' => break,
                        c => value.push(c),
                    }
                }
            }
            _ => {
                // Outside quotes a backslash escapes the next character too.
                while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                    match c {
                        '\\' => value.extend(chars.next()),
                        c => value.push(c),
                    }
                }
            }
        }
        pairs.push((key, value));
    }
    pairs
}

/// Lays out what a Dockerfile's final stage `FROM scratch` +
/// `COPY --from=build /rootfs/ /` holds, at `dir`: `/ns-federate` (0755), the
/// CA bundle at `/etc/ssl/certs/ca-certificates.crt` (0644) and an empty
/// `/tmp` (1777); plus the runner's empty mount points under `/github`.
/// Nothing else: no shell, no libc, no `/dev`, no `/proc`.
pub fn scratch_rootfs(dir: &Path, static_binary: &Path, ca_bundle: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let chmod = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
    };
    // Modes set one by one (as `install -D -m` and `install -d` leave them),
    // so the layout does not depend on the umask.
    let mkdir = |to: &str, mode: u32| {
        let d = dir.join(to);
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("create {}: {e}", d.display()));
        chmod(&d, mode);
    };
    let install = |from: &Path, to: &str, mode: u32| {
        let dest = dir.join(to);
        std::fs::copy(from, &dest)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), dest.display()));
        chmod(&dest, mode);
    };
    for d in ["etc", "etc/ssl", "etc/ssl/certs", "github"] {
        mkdir(d, 0o755);
    }
    install(static_binary, "ns-federate", 0o755);
    install(ca_bundle, "etc/ssl/certs/ca-certificates.crt", 0o644);
    mkdir("tmp", 0o1777);
    for mount in RUNNER_MOUNTS {
        mkdir(mount.trim_start_matches('/'), 0o755);
    }
}

/// Panics unless this process may chroot (effective uid 0).
fn require_root() {
    let status = std::fs::read_to_string("/proc/self/status")
        .expect("read /proc/self/status to check for root");
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("no Uid line in /proc/self/status");
    assert!(
        euid == "0",
        "the scratch-image check needs root for chroot (effective uid is {euid}): run the tests as root, e.g. `sudo -E env PATH=\"$PATH\" cargo test --test scratch_image`"
    );
}

/// The file-command files of one step, as host paths.
struct FileCommands {
    env: PathBuf,
    output: PathBuf,
    summary: PathBuf,
    path: PathBuf,
    state: PathBuf,
}

/// The same files as the step sees them.
struct FileCommandNames {
    env: String,
    output: String,
    summary: String,
    path: String,
    state: String,
}

/// Where a step sees the job's directories: host paths for a host step,
/// `/github/...` in a container.
struct StepView {
    files: FileCommandNames,
    workspace: String,
    home: String,
    runner_temp: String,
}

impl FileCommands {
    /// Creates the five empty files with the runner's names in `dir`.
    fn create(dir: &Path) -> FileCommands {
        let id = uuid::Uuid::new_v4();
        let files = FileCommands {
            env: dir.join(format!("set_env_{id}")),
            output: dir.join(format!("set_output_{id}")),
            summary: dir.join(format!("step_summary_{id}")),
            path: dir.join(format!("add_path_{id}")),
            state: dir.join(format!("save_state_{id}")),
        };
        for f in [
            &files.env,
            &files.output,
            &files.summary,
            &files.path,
            &files.state,
        ] {
            std::fs::write(f, "").unwrap_or_else(|e| panic!("create {}: {e}", f.display()));
        }
        files
    }

    /// The files' paths as the step sees them, from each file's name.
    fn seen_from(&self, at: impl Fn(&str) -> String) -> FileCommandNames {
        let name = |p: &Path| at(&p.file_name().expect("a file name").to_string_lossy());
        FileCommandNames {
            env: name(&self.env),
            output: name(&self.output),
            summary: name(&self.summary),
            path: name(&self.path),
            state: name(&self.state),
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

    #[test]
    fn container_from_the_repo_dockerfile() {
        let dockerfile = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Dockerfile");
        let c = Container::from_dockerfile(PathBuf::from("/r"), &dockerfile);
        assert_eq!(c.entrypoint, ["/ns-federate", "action"]);
        assert!(c.env.contains(&(
            "SSL_CERT_FILE".into(),
            "/etc/ssl/certs/ca-certificates.crt".into()
        )));
        assert!(c.env.contains(&("PATH".into(), DOCKER_DEFAULT_PATH.into())));
        assert_eq!(
            c.host_path("/github/workspace"),
            Path::new("/r/github/workspace")
        );
        let stage = dockerfile_final_stage(&dockerfile);
        assert_eq!(stage[0], ("FROM".into(), "scratch".into()));
    }

    #[test]
    fn dockerfile_stages_continuations_and_env_forms() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Dockerfile");
        std::fs::write(
            &path,
            "FROM a AS b\nRUN x \\\n  && y\nENTRYPOINT [\"/old\"]\n\n# c\nfrom scratch\nENV A=1 B=\"two words\" \\\n C=\\\"q\nENV D legacy value\nENV A=3\nENTRYPOINT [\"/bin\", \"x\"]\n",
        )
        .unwrap();
        let stage = dockerfile_final_stage(&path);
        assert_eq!(stage.len(), 5, "{stage:?}");
        let c = Container::from_dockerfile(dir.path().into(), &path);
        assert_eq!(c.entrypoint, ["/bin", "x"]);
        let env: BTreeMap<_, _> = c.env.into_iter().collect();
        assert_eq!(env["A"], "3");
        assert_eq!(env["B"], "two words");
        assert_eq!(env["C"], "\"q");
        assert_eq!(env["D"], "legacy value");
        assert_eq!(env["PATH"], DOCKER_DEFAULT_PATH);
    }

    #[test]
    #[should_panic(expected = "exec form")]
    fn shell_form_entrypoint_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Dockerfile");
        std::fs::write(&path, "FROM scratch\nENTRYPOINT /ns-federate action\n").unwrap();
        Container::from_dockerfile(dir.path().into(), &path);
    }

    #[test]
    fn scratch_rootfs_holds_only_the_final_stage_and_mount_points() {
        use std::os::unix::fs::PermissionsExt;
        let src = tempfile::tempdir().unwrap();
        let (bin, ca) = (src.path().join("bin"), src.path().join("ca.crt"));
        std::fs::write(&bin, "ELF").unwrap();
        std::fs::write(&ca, "PEM").unwrap();
        let root = tempfile::tempdir().unwrap();
        scratch_rootfs(root.path(), &bin, &ca);
        let mut found = Vec::new();
        let mut todo = vec![root.path().to_path_buf()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                let mode = std::fs::symlink_metadata(&p).unwrap().permissions().mode() & 0o7777;
                let rel = p.strip_prefix(root.path()).unwrap().display().to_string();
                found.push(format!("{rel} {mode:o}"));
                if p.is_dir() {
                    todo.push(p);
                }
            }
        }
        found.sort();
        assert_eq!(
            found,
            [
                "etc 755",
                "etc/ssl 755",
                "etc/ssl/certs 755",
                "etc/ssl/certs/ca-certificates.crt 644",
                "github 755",
                "github/file_commands 755",
                "github/home 755",
                "github/runner_temp 755",
                "github/workflow 755",
                "github/workspace 755",
                "ns-federate 755",
                "tmp 1777",
            ]
        );
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
