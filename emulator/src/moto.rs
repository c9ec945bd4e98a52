//! Launcher for `moto_server` (from PyPI): an independent implementation of
//! STS and Cognito Identity, to check the AWS side against someone else's
//! reading of the protocol. Install it with `scripts/setup-moto`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long moto may take to answer HTTP after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `moto_server` on 127.0.0.1; dropping it kills the process.
pub struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts `moto_server` on a free loopback port and waits until it answers HTTP.
    /// Panics with what to do when moto is not installed or does not start.
    pub fn start() -> Moto {
        let bin = find_moto_server().unwrap_or_else(|| {
            panic!("moto_server not found: run scripts/setup-moto (or scripts/test)")
        });
        let dir = tempfile::Builder::new()
            .prefix("ns-federate-moto-")
            .tempdir()
            .expect("create a temporary directory for moto");
        let log = dir.path().join("moto.log");
        let port = free_port();
        let out = std::fs::File::create(&log).expect("create moto's log file");
        let err = out.try_clone().expect("duplicate moto's log file");
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // Nothing in moto may reach the metadata service or a real account.
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "start {}: {e}; run scripts/setup-moto to (re)install it",
                    bin.display()
                )
            });
        let mut moto = Moto {
            child,
            port,
            log,
            _dir: dir,
        };
        moto.wait_until_ready(&bin);
        moto
    }

    /// Base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port moto listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What moto wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Forgets all state (roles, pools, ...) through moto's `/moto-api/reset`.
    pub fn reset(&self) {
        let status = http_status(self.port, "POST", "/moto-api/reset")
            .unwrap_or_else(|e| panic!("reset moto: {e}"));
        assert!(status == 200, "moto reset answered HTTP {status}");
    }

    fn wait_until_ready(&mut self, bin: &Path) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for moto") {
                panic!(
                    "{} exited ({status}) before answering on port {}; run scripts/setup-moto to reinstall it. Log tail:\n{}",
                    bin.display(),
                    self.port,
                    self.log_tail()
                );
            }
            if ["/moto-api/", "/"]
                .iter()
                .any(|p| http_status(self.port, "GET", p).is_ok())
            {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{} did not answer HTTP on 127.0.0.1:{} within {} s. Log tail:\n{}",
                    bin.display(),
                    self.port,
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `$MOTO_SERVER`, else `<workspace root>/.venv/bin/moto_server`, else PATH.
fn find_moto_server() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MOTO_SERVER").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|root| root.join(".venv/bin/moto_server"));
    if let Some(p) = venv.filter(|p| p.is_file()) {
        return Some(p);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("moto_server"))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    // The OS picks an unused port; moto binds it right after (a small race,
    // which shows up as a clear start failure, not a wrong result).
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free loopback port")
}

/// Status code of a bare HTTP/1.0 request to 127.0.0.1:port.
fn http_status(port: u16, method: &str, path: &str) -> Result<u16, String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).map_err(|e| e.to_string())?;
    let head = String::from_utf8_lossy(&head);
    head.strip_prefix("HTTP/1.")
        .and_then(|r| r.get(2..5))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {head:?}"))
}
