//! The process-wide registry of secrets. Every secret is registered the
//! moment it enters the process: under GitHub Actions that prints its
//! `::add-mask::` at once (on stderr, with the log, before any line could
//! show it), and always every registered value is redacted from the final
//! error report and from log lines, which may quote upstream text that
//! echoes what was sent.

use std::io::Write;
use std::sync::Mutex;

use secrecy::{ExposeSecret, SecretString};

use crate::sinks::github::escape_data;

struct Registry {
    github: bool,
    // Longest first, so that a secret containing another is redacted whole.
    values: Vec<SecretString>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    github: false,
    values: Vec::new(),
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    // A panic while holding the lock leaves the list usable.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Turns `::add-mask::` printing on (under GitHub Actions) for values registered from now on.
pub fn print_masks(github: bool) {
    registry().github = github;
}

/// Registers a secret (idempotent; empty values are ignored).
pub fn register(secret: &SecretString) {
    register_value(secret.expose_secret());
}

/// Registers a value to hide that is not held as a secret (the account id
/// with `mask-aws-account-id`, a value derived from a secret).
pub fn register_value(value: &str) {
    if value.is_empty() {
        return;
    }
    let mut reg = registry();
    if reg.values.iter().any(|v| v.expose_secret() == value) {
        return;
    }
    if reg.github {
        // One write per line: the runner applies a mask from the next line on.
        let _ = writeln!(std::io::stderr().lock(), "{}", mask_command(value));
    }
    let at = reg
        .values
        .iter()
        .position(|v| v.expose_secret().len() < value.len())
        .unwrap_or(reg.values.len());
    reg.values.insert(at, SecretString::from(value.to_string()));
}

/// The `::add-mask::` workflow command for `value`, escaped as the runner reads it.
fn mask_command(value: &str) -> String {
    format!("::add-mask::{}", escape_data(value))
}

/// What a message says of a successful answer it could not read, in place
/// of its text: that body is where the credentials or the token are, and
/// nothing in it has been registered yet.
pub fn withheld_body(len: usize) -> String {
    format!("{len} bytes, not shown: it may hold secrets")
}

/// `text` with every registered value replaced by `***`.
pub fn redact(text: &str) -> String {
    let reg = registry();
    let mut out = text.to_string();
    for v in &reg.values {
        let v = v.expose_secret();
        if out.contains(v) {
            out = out.replace(v, "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_registered_values_longest_first() {
        register_value("unit-test-secret-abc");
        register(&SecretString::from("unit-test-secret-abcdef".to_string()));
        register_value("");
        assert_eq!(
            redact("x unit-test-secret-abcdef y unit-test-secret-abc z"),
            "x *** y *** z"
        );
        assert_eq!(redact("nothing here"), "nothing here");
    }

    #[test]
    fn each_value_is_registered_once_and_its_mask_is_escaped() {
        register_value("unit-test-once");
        register_value("unit-test-once");
        let count = registry()
            .values
            .iter()
            .filter(|v| v.expose_secret() == "unit-test-once")
            .count();
        assert_eq!(
            count, 1,
            "a value registered twice is kept (and masked) twice"
        );
        assert!(
            !registry()
                .values
                .iter()
                .any(|v| v.expose_secret().is_empty()),
            "an empty value was registered"
        );
        assert_eq!(mask_command("b\nc"), "::add-mask::b%0Ac");
    }
}
