//! A snapshot of the process environment, taken once, so that every later
//! stage reads the same values and tests can build one by hand.

use std::collections::BTreeMap;
use std::ffi::OsString;

/// The environment variables the run was started with.
#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    /// Names whose value is not UTF-8 (the values are dropped).
    non_utf8: Vec<String>,
}

impl Env {
    /// Captures the current process environment. A variable whose value is
    /// not UTF-8 is left out but remembered by name ([`Env::non_utf8_names`]),
    /// so that configuration can name it instead of treating it as unset.
    pub fn from_process() -> Self {
        Self::from_os_pairs(std::env::vars_os())
    }

    /// Builds an environment from raw OS pairs (what [`Env::from_process`] reads).
    pub fn from_os_pairs(pairs: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        let mut env = Self::default();
        for (k, v) in pairs {
            // A name that is not UTF-8 cannot be one this tool reads.
            let Ok(k) = k.into_string() else { continue };
            match v.into_string() {
                Ok(v) => {
                    env.vars.insert(k, v);
                }
                Err(_) => env.non_utf8.push(k),
            }
        }
        env
    }

    /// Names of variables whose value is not UTF-8.
    pub fn non_utf8_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.non_utf8.iter().map(String::as_str)
    }

    /// Builds an environment from explicit pairs (tests).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            non_utf8: Vec::new(),
        }
    }

    /// The value of `name`, treating an empty value as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Whether `name` is set to a true-ish value (`true`/`1`, any case).
    pub fn is_true(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }

    /// Whether this process runs inside a GitHub Actions job.
    pub fn under_github_actions(&self) -> bool {
        self.is_true("GITHUB_ACTIONS")
    }

    /// All variables, for deserializing prefixed groups such as `INPUT_*`.
    pub fn iter(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.vars.iter().map(|(k, v)| (k.clone(), v.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    #[test]
    fn non_utf8_values_are_remembered_by_name() {
        let env = Env::from_os_pairs([
            (
                OsString::from("NSC_AWS_ROLE_ARN"),
                OsString::from_vec(vec![0xff]),
            ),
            (OsString::from("HOME"), OsString::from("/home/x")),
            (OsString::from_vec(vec![0xfe]), OsString::from("v")),
        ]);
        assert_eq!(env.get("NSC_AWS_ROLE_ARN"), None);
        assert_eq!(env.get("HOME"), Some("/home/x"));
        assert_eq!(
            env.non_utf8_names().collect::<Vec<_>>(),
            ["NSC_AWS_ROLE_ARN"]
        );
    }
}
