//! Shell (`export NAME=value`, nsc-compatible) and dotenv (`NAME=value`) lines.

use super::{SinkError, Var};

/// Characters that need no quoting in a POSIX shell word.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_./:=+@%-".contains(c)
}

/// Quotes `value` for a POSIX shell: as is when plain, else single-quoted with `'` as `'\''`.
pub fn quote(value: &str) -> String {
    if !value.is_empty() && value.chars().all(is_plain) {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// `export NAME=value` lines.
pub fn render_exports(vars: &[Var]) -> String {
    vars.iter()
        .map(|v| format!("export {}={}\n", v.name, quote(&v.value.expose())))
        .collect()
}

/// GitLab dotenv lines: `NAME=value`, no quotes, one line each.
pub fn render_dotenv(vars: &[Var]) -> Result<String, SinkError> {
    let mut out = String::new();
    for v in vars {
        let value = v.value.expose();
        if value.contains(['\n', '\r']) {
            return Err(SinkError::Unsupported(format!(
                "{} spans several lines, which dotenv cannot carry.",
                v.name
            )));
        }
        out.push_str(&format!("{}={}\n", v.name, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::Value;

    #[test]
    fn quoting() {
        assert_eq!(quote("AKIA123"), "AKIA123");
        assert_eq!(quote("a/b+c=d"), "a/b+c=d");
        assert_eq!(quote("2026-01-01T00:00:00Z"), "2026-01-01T00:00:00Z");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$(x)"), "'$(x)'");
    }

    #[test]
    fn lines() {
        let vars = vec![
            Var {
                name: "A",
                value: Value::Plain("x y".into()),
            },
            Var {
                name: "B",
                value: Value::Plain("z".into()),
            },
        ];
        assert_eq!(render_exports(&vars), "export A='x y'\nexport B=z\n");
        assert_eq!(render_dotenv(&vars).unwrap(), "A=x y\nB=z\n");
        let multi = vec![Var {
            name: "A",
            value: Value::Plain("x\ny".into()),
        }];
        assert!(render_dotenv(&multi).is_err());
    }
}
