//! The AWS profile sink (`--profile NAME`, input `aws-profile`): the
//! credentials go to the shared credentials file as section `[NAME]`, the
//! region (when one was given) to the config file as `[profile NAME]`
//! (`[default]` for the default profile). Only that section is replaced;
//! every other byte of both files is kept. Files are 0600, written to a
//! temporary file in the same directory and renamed; a directory created for
//! them is 0700.
//!
//! Under GitHub, no credential goes to `GITHUB_ENV`: the secrets are masked,
//! the profile is written, and only `AWS_PROFILE` (plus the region variables
//! when a region was given) is exported.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;

use super::file::{check_dir_writable, check_target, write_atomic};
use super::{SinkError, Value, Var, github, handover};
use crate::config::{ConfigError, Invalid, Layer, OutputFormat, Region, SinkSettings};
use crate::env::Env;
use crate::flows::AssumedRole;

/// HOME inside the Docker action; the runner mounts `$RUNNER_TEMP/_github_home` there.
const CONTAINER_HOME: &str = "/github/home";

/// The longest profile name accepted.
const MAX_NAME_LEN: usize = 64;

/// A profile name: 1 to 64 of `A-Z a-z 0-9 _ . + @ -`, so it is safe in an
/// INI section header and in `AWS_PROFILE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileName(String);

impl ProfileName {
    /// Parses a profile name.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let ok = (1..=MAX_NAME_LEN).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.+@-".contains(&b));
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(Invalid {
                problem: "it is not a usable AWS profile name".into(),
                expected: format!(
                    "1 to {MAX_NAME_LEN} characters of A-Z a-z 0-9 _ . + @ - (e.g. ci or default)"
                ),
            })
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the `default` profile (its config section is `[default]`).
    pub fn is_default(&self) -> bool {
        self.0 == "default"
    }
}

/// Where and what the profile sink writes, resolved at configuration time.
#[derive(Clone, Debug)]
pub struct ProfileSettings {
    /// The profile.
    pub name: ProfileName,
    /// `$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    pub credentials_file: PathBuf,
    /// `$AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub config_file: PathBuf,
    /// Region for the config file (flag/input, else `AWS_REGION`/`AWS_DEFAULT_REGION`);
    /// `None` leaves the config file alone.
    pub region: Option<Region>,
}

/// Reads `--profile` / `aws-profile` from the merged layer: `Ok(None)` when
/// not given; an error (exit 2, nothing sent) naming the flag or input when
/// the name is bad or does not go with the other settings.
pub fn settings(
    layer: &Layer,
    env: &Env,
    assume_role: bool,
    format: OutputFormat,
) -> Result<Option<ProfileSettings>, ConfigError> {
    let Some(raw) = &layer.aws_profile else {
        return Ok(None);
    };
    let name = ProfileName::parse(&raw.value).map_err(|e| ConfigError::invalid(raw, e))?;
    let origin = &raw.origin;
    if !assume_role {
        return Err(ConfigError::missing(
            format!("{origin} only goes with assume-role: it writes AWS credentials."),
            format!("Remove {origin}, or set role-to-assume instead."),
        ));
    }
    if layer.write_env.is_some() {
        return Err(ConfigError::missing(
            format!(
                "{origin} does not go with --write-env: the profile is where the credentials go."
            ),
            "Choose one: --profile NAME or --write-env FILE.",
        ));
    }
    if layer.format.is_some() && !matches!(format, OutputFormat::Shell | OutputFormat::Github) {
        return Err(ConfigError::missing(
            format!(
                "{origin} does not go with --format {}: the credentials go to the profile, not to standard output.",
                layer.format.as_ref().map_or("", |r| r.value.as_str())
            ),
            "Remove --format, or remove --profile to get the credentials on standard output.",
        ));
    }
    let region = match layer.region.as_ref().or(layer.env_region.as_ref()) {
        Some(r) => Some(Region::parse(&r.value).map_err(|e| ConfigError::invalid(r, e))?),
        None => None,
    };
    let home = env.get("HOME");
    let file = |var: &'static str, default: &str| -> Result<PathBuf, ConfigError> {
        if let Some(p) = env.get(var) {
            return Ok(expand_home(p, home));
        }
        match home {
            Some(h) => Ok(Path::new(h).join(".aws").join(default)),
            None => Err(ConfigError::missing(
                format!("{origin}: HOME is not set, so ~/.aws/{default} has no place."),
                format!("Set HOME, or set {var} to the file to write."),
            )),
        }
    };
    Ok(Some(ProfileSettings {
        name,
        credentials_file: file("AWS_SHARED_CREDENTIALS_FILE", "credentials")?,
        config_file: file("AWS_CONFIG_FILE", "config")?,
        region,
    }))
}

/// `~` and `~/…` mean the home directory, as the AWS CLI and SDKs read these variables.
fn expand_home(p: &str, home: Option<&str>) -> PathBuf {
    match (p.strip_prefix('~'), home) {
        (Some(""), Some(h)) => PathBuf::from(h),
        (Some(rest), Some(h)) if rest.starts_with('/') => Path::new(h).join(&rest[1..]),
        _ => PathBuf::from(p),
    }
}

/// Writes the profile for `a` and, under GitHub, masks first and then
/// exports `AWS_PROFILE` and sets the usual outputs.
pub fn deliver(a: &AssumedRole, settings: &SinkSettings) -> Result<(), SinkError> {
    let Some(profile) = &settings.profile else {
        return Err(SinkError::Unsupported("No AWS profile to write.".into()));
    };
    let c = &a.credentials;
    let secrets = [
        c.access_key_id.expose_secret(),
        c.secret_access_key.expose_secret(),
        c.session_token.expose_secret(),
    ];
    let mut h = handover::assumed_role(a, &settings.github);
    // Masks (under GitHub) before the files hold the secrets and before any other line.
    handover::register_secrets(&h);
    write_profile(profile, secrets)?;
    if settings.format != OutputFormat::Github {
        let use_it = if profile.name.is_default() {
            "it is the default profile".to_string()
        } else {
            format!("use it with AWS_PROFILE={}", profile.name.as_str())
        };
        tracing::info!(
            "Wrote AWS profile {} to {}; {use_it}",
            profile.name.as_str(),
            written_files(profile)
        );
        return Ok(());
    }

    // Inside the Docker action HOME is /github/home, which the runner mounts
    // from the host's $RUNNER_TEMP/_github_home: later container steps find
    // the profile under their HOME, host steps only at that other path. No
    // path can be exported portably (nothing is translated back), so only
    // the profile name is.
    h.env
        .retain(|v| !v.value.is_secret() && v.name != "AWS_CREDENTIAL_EXPIRATION");
    h.env.insert(
        0,
        Var {
            name: "AWS_PROFILE",
            value: Value::Plain(profile.name.as_str().to_string()),
        },
    );
    h.summary
        .push(("AWS profile", profile.name.as_str().to_string()));
    h.log_line = format!(
        "Wrote AWS profile {} to {}",
        profile.name.as_str(),
        written_files(profile)
    );
    if profile.credentials_file.starts_with(CONTAINER_HOME) {
        h.log_line.push_str(
            "; steps on the host find it under $RUNNER_TEMP/_github_home/.aws \
             (point AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE there)",
        );
    }
    github::deliver(&h, &settings.github)
}

fn written_files(profile: &ProfileSettings) -> String {
    match profile.region {
        Some(_) => format!(
            "{} and {}",
            profile.credentials_file.display(),
            profile.config_file.display()
        ),
        None => profile.credentials_file.display().to_string(),
    }
}

/// Checks, before anything is sent, that the files can be replaced: each is
/// a regular file or missing, in a writable directory (or one to create).
pub fn preflight(profile: &ProfileSettings) -> Result<(), SinkError> {
    let mut files = vec![(&profile.credentials_file, "the AWS credentials file")];
    if profile.region.is_some() {
        files.push((&profile.config_file, "the AWS config file"));
    }
    for (path, what) in files {
        let fail = |detail: String| SinkError::Write {
            what,
            path: path.to_path_buf(),
            detail,
        };
        check_target(path).map_err(fail)?;
        if path
            .parent()
            .is_none_or(|d| d.as_os_str().is_empty() || d.is_dir())
        {
            check_dir_writable(path).map_err(fail)?;
        }
    }
    Ok(())
}

/// Writes `[NAME]` to the credentials file and, with a region, the profile's
/// section to the config file.
pub fn write_profile(profile: &ProfileSettings, secrets: [&str; 3]) -> Result<(), SinkError> {
    let name = profile.name.as_str();
    let [key_id, secret, token] = secrets;
    let credentials = section(
        name,
        &[
            ("aws_access_key_id", key_id),
            ("aws_secret_access_key", secret),
            ("aws_session_token", token),
        ],
    )?;
    update_file(
        &profile.credentials_file,
        "the AWS credentials file",
        &[name],
        &credentials,
    )?;
    if let Some(region) = &profile.region {
        let header = if profile.name.is_default() {
            "default".to_string()
        } else {
            format!("profile {name}")
        };
        // SDKs read `[profile default]` as the default profile too: replace both.
        let names: &[&str] = if profile.name.is_default() {
            &["default", "profile default"]
        } else {
            &[header.as_str()]
        };
        let config = section(&header, &[("region", region.as_str())])?;
        update_file(&profile.config_file, "the AWS config file", names, &config)?;
    }
    Ok(())
}

/// `[header]` and `key = value` lines; a value with a line break cannot be written.
fn section(header: &str, pairs: &[(&str, &str)]) -> Result<String, SinkError> {
    let mut s = format!("[{header}]\n");
    for (k, v) in pairs {
        if v.contains(['\n', '\r']) {
            return Err(SinkError::Unsupported(format!(
                "The value of {k} holds a line break, which an AWS profile cannot carry."
            )));
        }
        s.push_str(&format!("{k} = {v}\n"));
    }
    Ok(s)
}

fn update_file(
    path: &Path,
    what: &'static str,
    names: &[&str],
    section: &str,
) -> Result<(), SinkError> {
    let fail = |detail: String| SinkError::Write {
        what,
        path: path.to_path_buf(),
        detail,
    };
    // A symlink is refused, not followed: renaming over it would cut the link.
    check_target(path).map_err(fail)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.exists() {
        create_private_dir(dir)
            .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    }
    let existing = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(fail(format!("cannot read it: {e}"))),
    };
    write_atomic(path, &replace_section(&existing, names, section)).map_err(fail)
}

/// Creates `dir` (and missing parents) with mode 0700, whatever the umask.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// The name inside a section header line (`[ name ]` → `name`), if `line` is one.
fn header_name(line: &[u8]) -> Option<String> {
    let t = line.trim_ascii();
    let rest = t.strip_prefix(b"[")?;
    let end = rest.iter().rposition(|&b| b == b']')?;
    let inner = String::from_utf8_lossy(&rest[..end]);
    Some(inner.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn blank_or_comment(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.is_empty() || t.starts_with(b"#") || t.starts_with(b";")
}

/// Puts `section` in place of the first section named one of `names`
/// (removing any later ones, which INI readers refuse as duplicates), or
/// appends it. Every other line is kept byte for byte, and so are blank and
/// comment lines that end a replaced section (they introduce the next one).
pub fn replace_section(existing: &[u8], names: &[&str], section: &str) -> Vec<u8> {
    let section = if existing.windows(2).any(|w| w == b"\r\n") {
        section.replace('\n', "\r\n")
    } else {
        section.to_string()
    };
    let mut out: Vec<u8> = Vec::with_capacity(existing.len() + section.len() + 2);
    let mut in_target = false;
    let mut inserted = false;
    let mut trailing: Vec<&[u8]> = Vec::new();
    for line in existing.split_inclusive(|&b| b == b'\n') {
        if let Some(name) = header_name(line) {
            if in_target {
                trailing.drain(..).for_each(|l| out.extend_from_slice(l));
            }
            in_target = names.contains(&name.as_str());
            if !in_target {
                out.extend_from_slice(line);
            } else if !inserted {
                out.extend_from_slice(section.as_bytes());
                inserted = true;
            }
        } else if !in_target {
            out.extend_from_slice(line);
        } else if blank_or_comment(line) {
            trailing.push(line);
        } else {
            // A key of the old section: it goes, with the comments before it.
            trailing.clear();
        }
    }
    for l in trailing {
        out.extend_from_slice(l);
    }
    if !inserted {
        let eol: &[u8] = if section.ends_with("\r\n") {
            b"\r\n"
        } else {
            b"\n"
        };
        if !out.is_empty() && !out.ends_with(b"\n") {
            out.extend_from_slice(eol);
        }
        if !out.is_empty() && !out.ends_with(b"\n\n") && !out.ends_with(b"\n\r\n") {
            out.extend_from_slice(eol);
        }
        out.extend_from_slice(section.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECTION: &str = "[ci]\naws_access_key_id = K\n";

    fn replaced(existing: &str, names: &[&str]) -> String {
        String::from_utf8(replace_section(existing.as_bytes(), names, SECTION)).unwrap()
    }

    #[test]
    fn names_are_checked() {
        for ok in ["ci", "default", "a.b+c@d-e_f", &"x".repeat(64)] {
            assert_eq!(ProfileName::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "a b", "a]b", "pr\nod", "x/y", "é", &"x".repeat(65)] {
            assert!(ProfileName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn appends_to_missing_or_empty_files() {
        assert_eq!(replaced("", &["ci"]), SECTION);
        assert_eq!(
            replaced("[a]\nk = v", &["ci"]),
            format!("[a]\nk = v\n\n{SECTION}")
        );
        assert_eq!(
            replaced("[a]\nk = v\n\n", &["ci"]),
            format!("[a]\nk = v\n\n{SECTION}")
        );
    }

    #[test]
    fn replaces_only_the_named_section_and_keeps_comments_around_it() {
        let before = "# mine\n[a]\nk = 1 ; x\n\n[ci]\n# old\naws_access_key_id = OLD\nregion=x\n\n# about b\n[b]\nk = 2\n[ci]\nz = 1\n";
        let after = replaced(before, &["ci"]);
        assert_eq!(
            after,
            format!("# mine\n[a]\nk = 1 ; x\n\n{SECTION}\n# about b\n[b]\nk = 2\n")
        );
        // A section at the end, and the other sections untouched.
        assert_eq!(
            replaced("[b]\nk=2\n[ ci ]\nold=1", &["ci"]),
            format!("[b]\nk=2\n{SECTION}")
        );
        assert_eq!(
            replaced("[cix]\nk=1\n", &["ci"]),
            format!("[cix]\nk=1\n\n{SECTION}")
        );
    }

    #[test]
    fn keeps_crlf_files_crlf() {
        let after = replaced("[a]\r\nk = 1\r\n", &["ci"]);
        assert_eq!(
            after,
            "[a]\r\nk = 1\r\n\r\n[ci]\r\naws_access_key_id = K\r\n"
        );
    }

    #[test]
    fn home_is_expanded_like_the_sdks_do() {
        assert_eq!(expand_home("~/x/c", Some("/h")), PathBuf::from("/h/x/c"));
        assert_eq!(expand_home("~", Some("/h")), PathBuf::from("/h"));
        assert_eq!(expand_home("~bob/c", Some("/h")), PathBuf::from("~bob/c"));
        assert_eq!(expand_home("/abs", Some("/h")), PathBuf::from("/abs"));
    }

    #[test]
    fn line_breaks_in_values_are_refused() {
        assert!(section("ci", &[("aws_session_token", "a\nb")]).is_err());
    }
}
