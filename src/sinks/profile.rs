//! The AWS profile sink (`--profile NAME`, input `aws-profile`): the
//! credentials go to the shared credentials file as section `[NAME]`, the
//! region (when one was given) to the config file as `[profile NAME]`
//! (`[default]` for the default profile). Only those keys of that section
//! are set; every other line of both files is kept byte for byte. Files are 0600, written to a
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
    let origin = &raw.origin;
    if raw.value.trim().is_empty() {
        return Err(ConfigError::invalid_secret(
            origin,
            Invalid {
                problem: "it is an empty profile name".into(),
                expected: "a profile name such as ci or default (leave the flag out to get the credentials on standard output)".into(),
            },
        ));
    }
    let name = ProfileName::parse(&raw.value).map_err(|e| ConfigError::invalid(raw, e))?;
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
            if p.starts_with('~') && home.is_none() {
                return Err(ConfigError::missing(
                    format!("{var} is {p:?}, but HOME is not set, so `~` means nothing."),
                    format!("Set HOME, or set {var} to an absolute path."),
                ));
            }
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
    if let Some(warning) = host_steps_warning(profile) {
        tracing::warn!("{warning}");
    }
    github::deliver(&h, &settings.github)
}

/// Under the Docker action (files under `/github/home`): what later host
/// steps must set to find the profile, which `AWS_PROFILE` alone cannot.
fn host_steps_warning(profile: &ProfileSettings) -> Option<String> {
    let on_host = |p: &Path| {
        p.strip_prefix(CONTAINER_HOME)
            .ok()
            .map(|rest| format!("$RUNNER_TEMP/_github_home/{}", rest.display()))
    };
    let credentials = on_host(&profile.credentials_file)?;
    let mut vars = format!("AWS_SHARED_CREDENTIALS_FILE={credentials}");
    if profile.region.is_some()
        && let Some(config) = on_host(&profile.config_file)
    {
        vars.push_str(&format!(" and AWS_CONFIG_FILE={config}"));
    }
    Some(format!(
        "AWS profile {} is written inside the action's container ({}): later container steps find it as is, but later steps on the host (run: steps) need {vars}, not AWS_PROFILE alone.",
        profile.name.as_str(),
        profile.credentials_file.display()
    ))
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

/// Sets the three credential keys of `[NAME]` in the credentials file and,
/// with a region, the `region` key of the profile's config section; every
/// other key of those sections is kept.
pub fn write_profile(profile: &ProfileSettings, secrets: [&str; 3]) -> Result<(), SinkError> {
    let name = profile.name.as_str();
    let [key_id, secret, token] = secrets;
    let credentials = [
        ("aws_access_key_id", key_id),
        ("aws_secret_access_key", secret),
        ("aws_session_token", token),
    ];
    check_values(&credentials)?;
    update_file(
        &profile.credentials_file,
        "the AWS credentials file",
        &[name],
        name,
        &credentials,
    )?;
    if let Some(region) = &profile.region {
        let header = if profile.name.is_default() {
            "default".to_string()
        } else {
            format!("profile {name}")
        };
        // SDKs read `[profile default]` as the default profile too: update that one.
        let names: &[&str] = if profile.name.is_default() {
            &["default", "profile default"]
        } else {
            &[header.as_str()]
        };
        let pairs = [("region", region.as_str())];
        check_values(&pairs)?;
        update_file(
            &profile.config_file,
            "the AWS config file",
            names,
            &header,
            &pairs,
        )?;
    }
    Ok(())
}

/// A value with a line break cannot be written as one `key = value` line.
fn check_values(pairs: &[(&str, &str)]) -> Result<(), SinkError> {
    match pairs.iter().find(|(_, v)| v.contains(['\n', '\r'])) {
        Some((k, _)) => Err(SinkError::Unsupported(format!(
            "The value of {k} holds a line break, which an AWS profile cannot carry."
        ))),
        None => Ok(()),
    }
}

fn update_file(
    path: &Path,
    what: &'static str,
    names: &[&str],
    header: &str,
    pairs: &[(&str, &str)],
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
    // Read, edit, rename under an exclusive lock on the directory: parallel
    // runs (a matrix job writing several profiles) would otherwise each
    // rename their own copy over the others' and lose their sections. The
    // lock goes with the handle.
    let _lock = std::fs::File::open(dir)
        .and_then(|d| d.lock().map(|()| d))
        .map_err(|e| fail(format!("cannot lock {}: {e}", dir.display())))?;
    let existing = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(fail(format!("cannot read it: {e}"))),
    };
    write_atomic(path, &update_section(&existing, names, header, pairs)).map_err(fail)
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

/// The key of a `key = value` line (not a header, comment, blank or indented
/// continuation line).
fn key_name(line: &[u8]) -> Option<String> {
    if line.first().is_some_and(|b| b.is_ascii_whitespace()) || blank_or_comment(line) {
        return None;
    }
    // As the AWS CLI reads them: `=` or `:`, whichever comes first, and
    // names in any case (`AWS_ACCESS_KEY_ID = …` is aws_access_key_id).
    let eq = line.iter().position(|&b| b == b'=' || b == b':')?;
    Some(
        String::from_utf8_lossy(&line[..eq])
            .trim()
            .to_ascii_lowercase(),
    )
}

/// An indented, non-blank line: the continuation of the key above (nested settings).
fn continuation(line: &[u8]) -> bool {
    line.first().is_some_and(|b| *b == b' ' || *b == b'\t') && !line.trim_ascii().is_empty()
}

/// Sets `pairs` in the first section named one of `names` (its header
/// becomes `[header]`), or appends `[header]` with them. A set key replaces
/// its old line (and that line's continuation lines); a missing one goes
/// after the section's last key. Every other line of the file is kept byte
/// for byte. A later section of the same names (a duplicate INI readers
/// refuse) is folded into the first: its other keys move there unless the
/// first has them, its set keys go.
pub fn update_section(
    existing: &[u8],
    names: &[&str],
    header: &str,
    pairs: &[(&str, &str)],
) -> Vec<u8> {
    let eol: &[u8] = if existing.windows(2).any(|w| w == b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    };
    let lines: Vec<&[u8]> = existing.split_inclusive(|&b| b == b'\n').collect();
    let is_set = |k: &str| pairs.iter().any(|(p, _)| *p == k);

    // Which section each line is in: None before the first header, else
    // (index of its header, whether that section is one of `names`).
    let mut owner: Vec<Option<(usize, bool)>> = Vec::with_capacity(lines.len());
    let mut current = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(name) = header_name(line) {
            current = Some((i, names.contains(&name.as_str())));
        }
        owner.push(current);
    }
    let Some(target) = owner.iter().flatten().find(|(_, m)| *m).map(|(h, _)| *h) else {
        return append_section(existing, eol, header, pairs);
    };
    let in_target = |i: usize| owner[i].is_some_and(|(h, _)| h == target);
    // Where missing keys go: after the target's last key (or continuation) line.
    let anchor = (target..lines.len())
        .filter(|&i| in_target(i))
        .rfind(|&i| key_name(lines[i]).is_some() || continuation(lines[i]))
        .unwrap_or(target);

    // Keys the target already has, and the lines moving in from duplicates.
    let mut present: Vec<String> = (target..lines.len())
        .filter(|&i| in_target(i))
        .filter_map(|i| key_name(lines[i]))
        .collect();
    let mut moved: Vec<&[u8]> = Vec::new();
    let mut keep_cont = false;
    for (i, line) in lines.iter().enumerate() {
        let later_duplicate = matches!(owner[i], Some((h, true)) if h != target && h != i);
        if !later_duplicate {
            continue;
        }
        if let Some(k) = key_name(line) {
            keep_cont = !is_set(&k) && !present.contains(&k);
            if keep_cont {
                present.push(k);
                moved.push(line);
            }
        } else if continuation(line) && keep_cont {
            moved.push(line);
        }
    }

    let mut out: Vec<u8> = Vec::with_capacity(existing.len() + 256);
    let mut written: Vec<&str> = Vec::new();
    let mut drop_cont = false;
    for (i, line) in lines.iter().enumerate() {
        match owner[i] {
            Some((h, true)) if h == target => {
                if i == target {
                    if header_name(line).as_deref() == Some(header) {
                        out.extend_from_slice(line);
                    } else {
                        out.extend_from_slice(format!("[{header}]").as_bytes());
                        out.extend_from_slice(eol);
                    }
                } else if let Some(k) = key_name(line) {
                    drop_cont = is_set(&k);
                    if let Some((p, v)) = pairs.iter().find(|(p, _)| *p == k) {
                        if !written.contains(p) {
                            written.push(p);
                            push_pair(&mut out, p, v, eol);
                        }
                    } else {
                        out.extend_from_slice(line);
                    }
                } else if !(continuation(line) && drop_cont) {
                    out.extend_from_slice(line);
                }
                if i == anchor {
                    if !out.ends_with(b"\n") {
                        out.extend_from_slice(eol);
                    }
                    for l in &moved {
                        out.extend_from_slice(l);
                        if !l.ends_with(b"\n") {
                            out.extend_from_slice(eol);
                        }
                    }
                    for (p, v) in pairs
                        .iter()
                        .filter(|(p, _)| !present.iter().any(|k| k == p))
                    {
                        push_pair(&mut out, p, v, eol);
                    }
                }
            }
            Some((h, true)) => {
                // A duplicate: its header and keys went to the target; blank
                // and comment lines stay (they may introduce the next section).
                if i != h && key_name(line).is_none() && !continuation(line) {
                    out.extend_from_slice(line);
                }
            }
            _ => out.extend_from_slice(line),
        }
    }
    out
}

fn push_pair(out: &mut Vec<u8>, key: &str, value: &str, eol: &[u8]) {
    out.extend_from_slice(format!("{key} = {value}").as_bytes());
    out.extend_from_slice(eol);
}

/// `existing`, a blank line, and a new `[header]` section with `pairs`.
fn append_section(existing: &[u8], eol: &[u8], header: &str, pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = existing.to_vec();
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.extend_from_slice(eol);
    }
    if !out.is_empty() && !out.ends_with(b"\n\n") && !out.ends_with(b"\n\r\n") {
        out.extend_from_slice(eol);
    }
    out.extend_from_slice(format!("[{header}]").as_bytes());
    out.extend_from_slice(eol);
    for (k, v) in pairs {
        push_pair(&mut out, k, v, eol);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAIRS: [(&str, &str); 2] = [("aws_access_key_id", "K"), ("region", "r")];

    fn updated(existing: &str, names: &[&str]) -> String {
        String::from_utf8(update_section(existing.as_bytes(), names, "ci", &PAIRS)).unwrap()
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
        let new = "[ci]\naws_access_key_id = K\nregion = r\n";
        assert_eq!(updated("", &["ci"]), new);
        assert_eq!(
            updated("[a]\nk = v", &["ci"]),
            format!("[a]\nk = v\n\n{new}")
        );
        assert_eq!(
            updated("[a]\nk = v\n\n", &["ci"]),
            format!("[a]\nk = v\n\n{new}")
        );
        assert_eq!(
            updated("[cix]\nk=1\n", &["ci"]),
            format!("[cix]\nk=1\n\n{new}")
        );
    }

    #[test]
    fn sets_only_the_given_keys_and_keeps_every_other_line() {
        let before = "# mine\n[a]\nk = 1 ; x\n\n[ ci ]\n# old\naws_access_key_id = OLD\noutput = json\ncli_pager =\ns3 =\n  max_concurrent_requests = 2\n\n# about b\n[b]\nk = 2\n";
        assert_eq!(
            updated(before, &["ci"]),
            "# mine\n[a]\nk = 1 ; x\n\n[ ci ]\n# old\naws_access_key_id = K\noutput = json\ncli_pager =\ns3 =\n  max_concurrent_requests = 2\nregion = r\n\n# about b\n[b]\nk = 2\n"
        );
        // A replaced key loses its old continuation lines; a section at the end
        // without a final line break gets one.
        assert_eq!(
            updated("[ci]\nregion =\n  x = 1\nk=2", &["ci"]),
            "[ci]\nregion = r\nk=2\naws_access_key_id = K\n"
        );
    }

    #[test]
    fn a_later_duplicate_is_folded_into_the_first_section() {
        let before = "[profile default]\nregion = old\nk = 1\n\n[x]\ny = 2\n# dup\n[default]\nk = 9\nextra = 3\nregion = older\n";
        let after = String::from_utf8(update_section(
            before.as_bytes(),
            &["default", "profile default"],
            "default",
            &[("region", "r")],
        ))
        .unwrap();
        assert_eq!(
            after,
            "[default]\nregion = r\nk = 1\nextra = 3\n\n[x]\ny = 2\n# dup\n"
        );
    }

    #[test]
    fn keeps_crlf_files_crlf() {
        assert_eq!(
            updated("[a]\r\nk = 1\r\n", &["ci"]),
            "[a]\r\nk = 1\r\n\r\n[ci]\r\naws_access_key_id = K\r\nregion = r\r\n"
        );
        assert_eq!(
            updated("[ci]\r\nregion = x\r\nz = 1\r\n", &["ci"]),
            "[ci]\r\nregion = r\r\nz = 1\r\naws_access_key_id = K\r\n"
        );
    }

    #[test]
    fn host_steps_are_told_where_a_container_profile_is() {
        let settings = |dir: &str, region: Option<&str>| ProfileSettings {
            name: ProfileName::parse("ci").unwrap(),
            credentials_file: Path::new(dir).join(".aws/credentials"),
            config_file: Path::new(dir).join(".aws/config"),
            region: region.map(|r| Region::parse(r).unwrap()),
        };
        assert_eq!(
            host_steps_warning(&settings("/home/me", Some("us-east-1"))),
            None
        );
        let w = host_steps_warning(&settings("/github/home", Some("us-east-1"))).unwrap();
        assert!(
            w.contains("AWS_SHARED_CREDENTIALS_FILE=$RUNNER_TEMP/_github_home/.aws/credentials and AWS_CONFIG_FILE=$RUNNER_TEMP/_github_home/.aws/config"),
            "{w}"
        );
        let w = host_steps_warning(&settings("/github/home", None)).unwrap();
        assert!(!w.contains("AWS_CONFIG_FILE"), "{w}");
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
        assert!(check_values(&[("aws_session_token", "a\nb")]).is_err());
    }
}
