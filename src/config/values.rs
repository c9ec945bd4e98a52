//! Typed configuration values: each parses from the string the user wrote,
//! or says what was wrong and what form was expected. Nothing past
//! [`crate::config::Config`] looks at a raw string again.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

/// Why a raw value was refused: what is wrong, and the form that is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// What is wrong with the value.
    pub problem: String,
    /// The form that would have been accepted.
    pub expected: String,
}

impl Invalid {
    fn new(problem: impl Into<String>, expected: impl Into<String>) -> Self {
        Self {
            problem: problem.into(),
            expected: expected.into(),
        }
    }
}

/// STS's character class for role session names and role names: `[\w+=,.@-]`.
fn is_sts_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// `1 character`, `2 characters`.
fn characters(n: usize) -> String {
    if n == 1 {
        "1 character".to_string()
    } else {
        format!("{n} characters")
    }
}

/// The IAM partition a region belongs to, from its name.
fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-isof-") {
        "aws-iso-f"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eusc-") {
        "aws-eusc"
    } else {
        "aws"
    }
}

/// Why an ARN's partition is refused, if it is: the isolated and sovereign
/// partitions are named as unsupported, anything else as unknown.
fn partition_problem(partition: &str) -> Option<String> {
    match partition {
        "aws" | "aws-cn" | "aws-us-gov" => None,
        p if p.starts_with("aws-iso") || p == "aws-eusc" => Some(format!(
            "the partition {p} is not supported (ns-federate works in aws, aws-cn and aws-us-gov)"
        )),
        _ => Some("the partition must be aws, aws-cn or aws-us-gov".to_string()),
    }
}

/// An IAM role ARN: `arn:<partition>:iam::<12 digits>:role/<path/><name>`.
#[derive(Clone, PartialEq, Eq)]
pub struct RoleArn {
    arn: String,
    partition: String,
    account_id: AccountId,
}

const ROLE_ARN_FORM: &str = "an IAM role ARN like arn:aws:iam::123456789012:role/NAME";

impl RoleArn {
    /// Parses and checks a role ARN.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        // Only whitespace around the whole value is dropped (as the runner's
        // getInput does); inside, STS would refuse it after a round trip.
        let s = s.trim();
        let bad = |problem: &str| Invalid::new(problem, ROLE_ARN_FORM);
        if s.chars().any(char::is_whitespace) {
            return Err(bad("it has whitespace inside"));
        }
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" {
            return Err(bad("it is not an ARN"));
        }
        let (partition, service, region, account, resource) =
            (parts[1], parts[2], parts[3], parts[4], parts[5]);
        if let Some(problem) = partition_problem(partition) {
            return Err(bad(&problem));
        }
        if service != "iam" {
            return Err(bad("it is not an IAM ARN (the service part must be `iam`)"));
        }
        if !region.is_empty() {
            return Err(bad("IAM ARNs have an empty region part (`iam::`)"));
        }
        let account_id =
            AccountId::parse(account).map_err(|_| bad("the account id must be 12 digits"))?;
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            return Err(bad(
                "it does not name a role (expected `:role/` after the account id)",
            ));
        };
        let name = path_and_name.rsplit('/').next().unwrap_or_default();
        if name.chars().count() > 64 {
            return Err(bad("the role name is longer than 64 characters"));
        }
        if name.is_empty() || !name.chars().all(is_sts_name_char) {
            return Err(bad(
                "the role name must be 1..64 characters of [A-Za-z0-9_+=,.@-]",
            ));
        }
        if path_and_name.contains("//")
            || !path_and_name
                .chars()
                .all(|c| c == '/' || is_sts_name_char(c))
        {
            return Err(bad("the role path has characters IAM does not allow"));
        }
        Ok(Self {
            arn: s.to_string(),
            partition: partition.to_string(),
            account_id,
        })
    }

    /// The whole ARN as given.
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    /// The partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The account that owns the role.
    pub fn account_id(&self) -> &AccountId {
        &self.account_id
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

impl fmt::Debug for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoleArn({})", self.arn)
    }
}

/// A 12-digit AWS account id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(String);

impl AccountId {
    /// Parses a 12-digit account id.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_string()))
        } else {
            Err(Invalid::new(
                "an AWS account id is 12 digits",
                "a 12-digit AWS account id like 123456789012",
            ))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The accounts whose credentials may be handed over (`allowed-account-ids`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedAccountIds(Vec<AccountId>);

impl AllowedAccountIds {
    /// Parses a comma (or whitespace) separated list of account ids.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let ids = s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(|p| {
                AccountId::parse(p).map_err(|_| {
                    Invalid::new(
                        format!("`{p}` is not a 12-digit account id"),
                        "comma-separated 12-digit AWS account ids",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Err(Invalid::new(
                "the list is empty",
                "comma-separated 12-digit AWS account ids",
            ));
        }
        Ok(Self(ids))
    }

    /// Whether `id` is in the list.
    pub fn allows(&self, id: &AccountId) -> bool {
        self.0.contains(id)
    }

    /// The ids, for messages.
    pub fn ids(&self) -> &[AccountId] {
        &self.0
    }
}

/// An AWS region name such as `us-east-1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region(String);

impl Region {
    /// Parses a region name of AWS's shape `^[a-z]{2,4}(-[a-z]+)+-([0-9]|[1-9][0-9])$`
    /// (`us-east-1`, `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1`).
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let parts: Vec<&str> = s.split('-').collect();
        let letters = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
        let ok = s.len() <= 32
            && parts.len() >= 3
            && (2..=4).contains(&parts[0].len())
            && parts[..parts.len() - 1].iter().all(|p| letters(p))
            && parts.last().is_some_and(|n| {
                (1..=2).contains(&n.len())
                    && n.bytes().all(|b| b.is_ascii_digit())
                    && !(n.len() == 2 && n.starts_with('0'))
            });
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(Invalid::new(
                "it is not an AWS region name",
                "an AWS region like us-east-1",
            ))
        }
    }

    /// The region STS uses when none is given (the commercial partition's).
    pub fn default_for_sts() -> Self {
        Self("us-east-1".to_string())
    }

    /// The region STS uses for a role of `partition` when none is given:
    /// each partition has its own STS endpoints.
    pub fn default_for_partition(partition: &str) -> Option<Self> {
        match partition {
            "aws" => Some(Self::default_for_sts()),
            "aws-cn" => Some(Self("cn-north-1".to_string())),
            "aws-us-gov" => Some(Self("us-gov-west-1".to_string())),
            _ => None,
        }
    }

    /// The partition the region belongs to (`aws`, `aws-cn`, `aws-us-gov`, …).
    pub fn partition(&self) -> &'static str {
        partition_of_region(&self.0)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses `3600`, `1h`, `30m`, `90s`, `1h30m` into a duration.
pub fn parse_duration(s: &str) -> Option<Duration> {
    parse_duration_checked(s).ok()
}

/// Why a duration did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DurationProblem {
    /// Not a duration at all.
    Garbled,
    /// Well-formed but more seconds than a u64 holds.
    Huge,
}

fn parse_duration_checked(s: &str) -> Result<Duration, DurationProblem> {
    use DurationProblem::{Garbled, Huge};
    let s = s.trim();
    if s.is_empty() {
        return Err(Garbled);
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().map(Duration::from_secs).map_err(|_| Huge);
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut last_unit_rank = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let (factor, rank) = match c.to_ascii_lowercase() {
            'h' => (3600, 1),
            'm' => (60, 2),
            's' => (1, 3),
            _ => return Err(Garbled),
        };
        // Units must come in h, m, s order, each once, each after a number.
        if number.is_empty() || rank <= last_unit_rank {
            return Err(Garbled);
        }
        last_unit_rank = rank;
        let n: u64 = number.parse().map_err(|_| Huge)?;
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or(Huge)?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(Garbled);
    }
    Ok(Duration::from_secs(total))
}

/// Lifetime of the AWS session and of the Namespace ID token: 900..=43200 s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionDuration(u32);

impl SessionDuration {
    /// The shortest session STS grants.
    pub const MIN: u32 = 900;
    /// The longest session STS grants (a role's MaxSessionDuration may be lower).
    pub const MAX: u32 = 43200;
    const FORM: &str = "seconds (900..43200) or a duration like 15m, 1h, 1h30m, 12h";

    /// Parses seconds or `1h`/`30m`/`90s`/`1h30m`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let out_of_range = |what: String| {
            Invalid::new(
                format!("{what} is out of range (900..43200 seconds)"),
                Self::FORM,
            )
        };
        let d = parse_duration_checked(s).map_err(|p| match p {
            DurationProblem::Garbled => Invalid::new("it is not a duration", Self::FORM),
            DurationProblem::Huge => out_of_range("it".to_string()),
        })?;
        let secs = d.as_secs();
        if !(u64::from(Self::MIN)..=u64::from(Self::MAX)).contains(&secs) {
            return Err(out_of_range(format!("{secs} seconds")));
        }
        Ok(Self(secs as u32))
    }

    /// The default, one hour (as nsc and the action).
    pub fn default_hour() -> Self {
        Self(3600)
    }

    /// Seconds.
    pub fn secs(self) -> u32 {
        self.0
    }
}

/// A role session name: 2..=64 characters of `[\w+=,.@-]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSessionName(String);

impl RoleSessionName {
    const FORM: &str = "2 to 64 characters of A-Z a-z 0-9 and _+=,.@-";

    /// Parses a name the user gave.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let n = s.chars().count();
        if n > 64 {
            return Err(Invalid::new("it is longer than 64 characters", Self::FORM));
        }
        if n < 2 {
            return Err(Invalid::new(
                format!("it is {} long (at least 2)", characters(n)),
                Self::FORM,
            ));
        }
        if let Some(c) = s.chars().find(|c| !is_sts_name_char(*c)) {
            return Err(Invalid::new(
                format!("STS refuses the character {c:?}"),
                Self::FORM,
            ));
        }
        Ok(Self(s.to_string()))
    }

    /// Builds a name from a known-good prefix and an id read from a token,
    /// replacing characters STS refuses and trimming to 64 characters.
    pub fn sanitized(prefix: &str, id: &str) -> Self {
        let mut s: String = format!("{prefix}{id}")
            .chars()
            .map(|c| if is_sts_name_char(c) { c } else { '-' })
            .collect();
        s.truncate(64);
        while s.chars().count() < 2 {
            s.push('-');
        }
        Self(s)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoleSessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The audience of the Namespace ID token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audience(String);

impl Audience {
    /// The longest audience accepted.
    pub const MAX_CHARS: usize = 256;

    /// Parses an audience: 1..=256 characters, no whitespace.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        const FORM: &str = "an audience like sts.amazonaws.com";
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::new("it is empty", FORM));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(
                format!("it is longer than {} characters", Self::MAX_CHARS),
                FORM,
            ));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new("it has spaces or control characters", FORM));
        }
        Ok(Self(s.to_string()))
    }

    /// The audience AWS STS expects.
    pub fn sts() -> Self {
        Self("sts.amazonaws.com".to_string())
    }

    /// The audience string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A managed policy ARN passed to STS as a session policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyArn(String);

impl PolicyArn {
    const FORM: &str = "IAM policy ARNs like arn:aws:iam::aws:policy/ReadOnlyAccess, separated by commas or newlines";

    /// Parses a list separated by commas or newlines (at most 10, STS's limit).
    pub fn parse_list(s: &str) -> Result<Vec<Self>, Invalid> {
        let arns: Vec<Self> = s
            .split([',', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(Self::parse_one)
            .collect::<Result<_, _>>()?;
        if arns.len() > 10 {
            return Err(Invalid::new(
                format!("{} ARNs given; STS takes at most 10", arns.len()),
                Self::FORM,
            ));
        }
        Ok(arns)
    }

    /// STS's limit on one policy ARN.
    pub const MAX_CHARS: usize = 2048;

    /// Parses one ARN: `arn:<aws|aws-cn|aws-us-gov>:iam::<aws|12 digits>:policy/<path/>name`.
    pub fn parse_one(p: &str) -> Result<Self, Invalid> {
        let shown: String = p.chars().take(120).collect();
        let bad =
            |why: &str| Invalid::new(format!("`{shown}` is not a policy ARN ({why})"), Self::FORM);
        if p.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(
                format!("an ARN is longer than {} characters", Self::MAX_CHARS),
                Self::FORM,
            ));
        }
        if p.chars().any(char::is_whitespace) {
            return Err(bad("it has whitespace inside"));
        }
        let parts: Vec<&str> = p.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" {
            return Err(bad("expected arn:<partition>:iam::<account>:policy/NAME"));
        }
        if let Some(problem) = partition_problem(parts[1]) {
            return Err(bad(&problem));
        }
        if !parts[3].is_empty() {
            return Err(bad("IAM ARNs have an empty region part (`iam::`)"));
        }
        let account = parts[4];
        if account != "aws" && !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad("the account must be `aws` or 12 digits"));
        }
        let Some(path_and_name) = parts[5].strip_prefix("policy/") else {
            return Err(bad("it does not name a policy (expected `:policy/`)"));
        };
        let name = path_and_name.rsplit('/').next().unwrap_or_default();
        if name.is_empty()
            || path_and_name.contains("//")
            || path_and_name.starts_with('/')
            || !path_and_name
                .chars()
                .all(|c| c == '/' || is_sts_name_char(c))
        {
            return Err(bad(
                "the policy path and name must be characters of [A-Za-z0-9_+=,.@-] and `/`",
            ));
        }
        Ok(Self(p.to_string()))
    }

    /// The ARN.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An inline session policy: a JSON object, sent minified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlinePolicy(String);

impl InlinePolicy {
    /// STS's limit on the plaintext inline policy.
    pub const MAX_CHARS: usize = 2048;

    /// Parses a JSON policy document and minifies it.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        const FORM: &str =
            "an IAM policy document in JSON, like {\"Version\":\"2012-10-17\",\"Statement\":[...]}";
        let value: serde_json::Value = serde_json::from_str(s)
            .map_err(|e| Invalid::new(format!("it is not valid JSON ({e})"), FORM))?;
        if !value.is_object() {
            return Err(Invalid::new("it is JSON but not an object", FORM));
        }
        let packed = value.to_string();
        if packed.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(
                format!(
                    "it is longer than {} characters even without whitespace ({}), STS's limit",
                    Self::MAX_CHARS,
                    characters(packed.chars().count())
                ),
                FORM,
            ));
        }
        Ok(Self(packed))
    }

    /// The minified JSON.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the action does (`mode` input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Pick from the inputs given.
    Auto,
    /// Namespace → AWS.
    AssumeRole,
    /// AWS → Namespace.
    CognitoExchange,
}

impl Mode {
    /// Parses `auto`, `assume-role` or `cognito-exchange` (any case).
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "assume-role" => Ok(Self::AssumeRole),
            "cognito-exchange" => Ok(Self::CognitoExchange),
            _ => Err(Invalid::new(
                "it is not a known mode",
                "one of auto, assume-role, cognito-exchange",
            )),
        }
    }
}

/// The form results are handed over in (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// `export NAME=value` lines (nsc-compatible).
    Shell,
    /// One JSON object.
    Json,
    /// GitLab dotenv: `NAME=value`, no quotes.
    Dotenv,
    /// The AWS `credential_process` JSON.
    CredentialProcess,
    /// GitHub Actions: masks, `GITHUB_ENV`, outputs, summary.
    Github,
}

impl OutputFormat {
    /// Parses one of shell, json, dotenv, credential-process, github.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim().to_ascii_lowercase().as_str() {
            "shell" => Ok(Self::Shell),
            "json" => Ok(Self::Json),
            "dotenv" => Ok(Self::Dotenv),
            "credential-process" | "credential_process" => Ok(Self::CredentialProcess),
            "github" => Ok(Self::Github),
            _ => Err(Invalid::new(
                "it is not a known format",
                "one of shell, json, dotenv, credential-process, github",
            )),
        }
    }
}

/// Parses `true/false/yes/no/1/0`, any case.
pub fn parse_bool(s: &str) -> Result<bool, Invalid> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(Invalid::new(
            "it is not a boolean",
            "one of true, false, yes, no, 1, 0",
        )),
    }
}

/// Parses the number of attempts for transient failures (1..=10).
pub fn parse_attempts(s: &str) -> Result<u32, Invalid> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=10).contains(&n) => Ok(n),
        _ => Err(Invalid::new(
            "it is not a whole number from 1 to 10",
            "a whole number of attempts from 1 to 10",
        )),
    }
}

/// Parses the bound on the whole run (1 s ..= 1 h).
pub fn parse_timeout(s: &str) -> Result<Duration, Invalid> {
    const FORM: &str = "seconds from 1 to 3600, or a duration like 90s or 5m";
    let d = parse_duration_checked(s).map_err(|p| match p {
        DurationProblem::Garbled => Invalid::new("it is not a duration", FORM),
        DurationProblem::Huge => Invalid::new("it is out of range (1..3600 seconds)", FORM),
    })?;
    if d.as_secs() == 0 || d.as_secs() > 3600 {
        return Err(Invalid::new(
            format!(
                "{} is out of range (1..3600 seconds)",
                plural_secs(d.as_secs())
            ),
            FORM,
        ));
    }
    Ok(d)
}

/// `1 second`, `5 seconds`.
fn plural_secs(n: u64) -> String {
    if n == 1 {
        "1 second".to_string()
    } else {
        format!("{n} seconds")
    }
}

/// An HTTP endpoint that tokens may be sent to: https, or http on loopback only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint(Url);

impl Endpoint {
    /// Namespace's global API endpoint.
    pub const NAMESPACE_DEFAULT: &str = "https://private-api.global.namespaceapis.com";

    /// Parses a URL and refuses cleartext HTTP to anything but loopback.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        const FORM: &str = "an https:// URL (http:// only for 127.0.0.1, ::1 or localhost)";
        let url = Url::parse(s.trim())
            .map_err(|e| Invalid::new(format!("it is not a URL ({e})"), FORM))?;
        match url.scheme() {
            "https" => {}
            "http" => {
                if !is_loopback(&url) {
                    return Err(Invalid::new(
                        "refusing to send a token over cleartext HTTP to a host that is not loopback",
                        FORM,
                    ));
                }
            }
            other => {
                return Err(Invalid::new(
                    format!("the scheme `{other}` is not http(s)"),
                    FORM,
                ));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Invalid::new("it has no host", FORM));
        }
        Ok(Self(url))
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The URL without a trailing slash, for joining paths.
    pub fn base(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base())
    }
}

fn is_loopback(url: &Url) -> bool {
    url.host_str().is_some_and(is_loopback_host)
}

/// Whether a URL's host (IPv6 with or without brackets) is this machine:
/// a loopback address or `localhost`.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// A Cognito identity pool id, always held as `<region>:<uuid>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityPoolId {
    region: Region,
    guid: String,
}

impl IdentityPoolId {
    const FORM: &str = "a Cognito identity pool id <region>:<uuid>, like us-east-1:5f2a7c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b (or the uuid alone, with the region given separately)";

    /// Parses `<region>:<uuid>` or a bare `<uuid>`. `region` is the region
    /// the user gave explicitly; a prefix that contradicts it is refused, and
    /// a bare uuid needs it.
    pub fn parse(s: &str, region: Option<&Region>) -> Result<Self, Invalid> {
        let s = s.trim();
        let (prefix, guid) = match s.split_once(':') {
            Some((p, g)) => (Some(p), g),
            None => (None, s),
        };
        // Cognito writes pool uuids hyphenated and lower-case.
        let guid_ok = guid.len() == 36 && uuid::Uuid::try_parse(guid).is_ok();
        if !guid_ok {
            let problem = match prefix {
                Some(_) => "the part after the region is not a uuid",
                None => "it is neither <region>:<uuid> nor a uuid",
            };
            return Err(Invalid::new(problem, Self::FORM));
        }
        let region = match (prefix, region) {
            (Some(p), given) => {
                let from_prefix = Region::parse(p)
                    .map_err(|_| Invalid::new(format!("`{p}` is not an AWS region"), Self::FORM))?;
                if let Some(given) = given
                    && *given != from_prefix
                {
                    return Err(Invalid::new(
                        format!(
                            "its region prefix {from_prefix} contradicts the region {given} given for the pool"
                        ),
                        Self::FORM,
                    ));
                }
                from_prefix
            }
            (None, Some(given)) => given.clone(),
            (None, None) => {
                return Err(Invalid::new(
                    "it has no region prefix and no region was given",
                    "<region>:<uuid>, or the uuid with --aws-region / input `aws-region`",
                ));
            }
        };
        Ok(Self {
            region,
            guid: guid.to_ascii_lowercase(),
        })
    }

    /// The pool's region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// `<region>:<uuid>`, as Cognito and Namespace name the pool.
    pub fn as_string(&self) -> String {
        format!("{}:{}", self.region, self.guid)
    }
}

impl fmt::Display for IdentityPoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.region, self.guid)
    }
}

/// A Namespace workspace (tenant) id, such as `tnt_abc123`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantId(String);

impl TenantId {
    /// Parses a tenant id: 1..=128 characters of `[A-Za-z0-9_.-]` (it ends up
    /// in an IAM `StringLike` pattern, so `*` and `?` must not get in).
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        const FORM: &str =
            "a Namespace workspace (tenant) id like tnt_abc123 (see `nsc workspace describe`)";
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::new("it is empty", FORM));
        }
        if s.chars().count() > 128 {
            return Err(Invalid::new("it is longer than 128 characters", FORM));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return Err(Invalid::new(
                "it has characters a tenant id does not have",
                FORM,
            ));
        }
        Ok(Self(s.to_string()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The ARN of the IAM OIDC provider for Namespace's issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcProviderArn(String);

impl OidcProviderArn {
    /// Parses `arn:<partition>:iam::<account>:oidc-provider/federation.namespaceapis.com`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        const FORM: &str = "an IAM OIDC provider ARN like arn:aws:iam::123456789012:oidc-provider/federation.namespaceapis.com";
        let s = s.trim();
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        // A well-formed ARN of a partition ns-federate does not serve: say so.
        if parts.len() == 6
            && parts[0] == "arn"
            && parts[2] == "iam"
            && let Some(problem) = partition_problem(parts[1])
            && !problem.starts_with("the partition must")
        {
            return Err(Invalid::new(problem, FORM));
        }
        let ok = parts.len() == 6
            && !s.chars().any(char::is_whitespace)
            && parts[0] == "arn"
            && partition_problem(parts[1]).is_none()
            && parts[2] == "iam"
            && parts[3].is_empty()
            && AccountId::parse(parts[4]).is_ok();
        if !ok {
            return Err(Invalid::new("it is not an IAM ARN", FORM));
        }
        let host = crate::aws::trust_policy::ISSUER_HOST;
        if parts[5] != format!("oidc-provider/{host}") {
            return Err(Invalid::new(
                format!("it does not name the OIDC provider for {host}"),
                FORM,
            ));
        }
        Ok(Self(s.to_string()))
    }

    /// The provider ARN for `account` in the `aws` partition.
    pub fn for_account(account: &AccountId) -> Self {
        Self(crate::aws::trust_policy::provider_arn(
            "aws",
            account.as_str(),
        ))
    }

    /// The ARN.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arn_accepts_partitions_and_paths() {
        let arn = RoleArn::parse("arn:aws:iam::123456789012:role/ci/deploy-prod").unwrap();
        assert_eq!(arn.account_id().as_str(), "123456789012");
        assert_eq!(arn.partition(), "aws");
        assert_eq!(
            RoleArn::parse("arn:aws-cn:iam::123456789012:role/x")
                .unwrap()
                .partition(),
            "aws-cn"
        );
        assert!(RoleArn::parse("arn:aws-us-gov:iam::123456789012:role/a.b@c=d,e+f_g-h").is_ok());
    }

    #[test]
    fn role_arn_refuses_malformed() {
        for bad in [
            "",
            "deploy",
            "arn:aws:iam::12345678901:role/x",
            "arn:aws:iam::1234567890123:role/x",
            "arn:aws:iam::12345678901a:role/x",
            "arn:aws:s3::123456789012:role/x",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a b",
            "arn:azure:iam::123456789012:role/x",
        ] {
            let err = RoleArn::parse(bad).expect_err(bad);
            assert!(
                err.expected.contains("arn:aws:iam::123456789012:role/NAME"),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn durations_parse_in_every_form() {
        for (s, secs) in [
            ("3600", 3600),
            ("1h", 3600),
            ("30m", 1800),
            ("900s", 900),
            ("1h30m", 5400),
            ("12h", 43200),
            ("1H", 3600),
        ] {
            assert_eq!(SessionDuration::parse(s).unwrap().secs(), secs, "{s}");
        }
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h2m3s"), Some(Duration::from_secs(3723)));
    }

    #[test]
    fn durations_outside_range_or_garbled_are_refused() {
        for bad in [
            "899", "43201", "13h", "14m", "abc", "", "1x", "h", "30m1h", "1h1h", "-1", "1.5h",
            "3600 s",
        ] {
            let err = SessionDuration::parse(bad).expect_err(bad);
            assert!(err.expected.contains("900..43200"), "{bad}: {err:?}");
        }
    }

    #[test]
    fn session_names_follow_sts_rules() {
        assert!(RoleSessionName::parse("nsc.instance=abc123").is_ok());
        assert!(RoleSessionName::parse("a@b,c+d=e.f-g_h").is_ok());
        assert!(RoleSessionName::parse("x").is_err());
        assert!(RoleSessionName::parse(&"a".repeat(65)).is_err());
        assert!(RoleSessionName::parse(&"a".repeat(64)).is_ok());
        assert!(RoleSessionName::parse("has space").is_err());
        assert!(RoleSessionName::parse("slash/no").is_err());
        assert_eq!(
            RoleSessionName::sanitized("nsc.tenant=", "t/1 x").as_str(),
            "nsc.tenant=t-1-x"
        );
        assert_eq!(
            RoleSessionName::sanitized("nsc.tenant=", &"z".repeat(80))
                .as_str()
                .len(),
            64
        );
    }

    #[test]
    fn booleans_accept_six_spellings_any_case() {
        for (s, v) in [
            ("true", true),
            ("TRUE", true),
            ("Yes", true),
            ("1", true),
            ("false", false),
            ("No", false),
            ("0", false),
        ] {
            assert_eq!(parse_bool(s), Ok(v), "{s}");
        }
        for bad in ["y", "on", "off", "2", "truee", ""] {
            assert!(parse_bool(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn modes_and_formats() {
        assert_eq!(Mode::parse("Assume-Role"), Ok(Mode::AssumeRole));
        assert!(Mode::parse("assume").is_err());
        assert_eq!(
            OutputFormat::parse("credential-process"),
            Ok(OutputFormat::CredentialProcess)
        );
        assert!(OutputFormat::parse("yaml").is_err());
    }

    #[test]
    fn inline_policy_must_be_a_json_object_and_is_minified() {
        let p =
            InlinePolicy::parse("{ \"Version\": \"2012-10-17\",\n \"Statement\": [] }").unwrap();
        assert_eq!(p.as_str(), r#"{"Statement":[],"Version":"2012-10-17"}"#);
        assert!(InlinePolicy::parse("not json").is_err());
        assert!(InlinePolicy::parse("[1]").is_err());
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(2100));
        assert!(InlinePolicy::parse(&big).is_err());
    }

    #[test]
    fn policy_arn_lists() {
        let l = PolicyArn::parse_list(
            "arn:aws:iam::aws:policy/ReadOnlyAccess,\n arn:aws:iam::123456789012:policy/x\n",
        )
        .unwrap();
        assert_eq!(l.len(), 2);
        assert!(PolicyArn::parse_list("ReadOnlyAccess").is_err());
    }

    #[test]
    fn endpoints_refuse_cleartext_off_loopback() {
        assert!(Endpoint::parse("https://api.example.com").is_ok());
        assert!(Endpoint::parse("http://127.0.0.1:8080").is_ok());
        assert!(Endpoint::parse("http://127.1.2.3:8080/").is_ok());
        assert!(Endpoint::parse("http://[::1]:80").is_ok());
        assert!(Endpoint::parse("http://localhost:9").is_ok());
        let err = Endpoint::parse("http://example.com").unwrap_err();
        assert!(
            err.problem
                .contains("refusing to send a token over cleartext HTTP")
        );
        assert!(Endpoint::parse("http://10.0.0.1").is_err());
        assert!(Endpoint::parse("ftp://127.0.0.1").is_err());
        assert!(Endpoint::parse("nonsense").is_err());
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:1/").unwrap().base(),
            "http://127.0.0.1:1"
        );
    }

    #[test]
    fn role_arn_refuses_whitespace_inside_but_trims_around() {
        for bad in [
            "arn:aws:iam:: 123456789012:role/x",
            "arn:aws:iam::123456789012 :role/x",
            "arn:aws:iam::1234 56789012:role/x",
            "arn:aws:iam::123456789012:role/x y",
            "arn:aws:iam::123456789012:role/\tx",
            "arn:aws:iam::\u{a0}123456789012:role/x",
        ] {
            assert!(RoleArn::parse(bad).is_err(), "{bad:?} accepted");
        }
        let arn = RoleArn::parse("  arn:aws:iam::123456789012:role/x\n").unwrap();
        assert_eq!(arn.as_str(), "arn:aws:iam::123456789012:role/x");
        let err = RoleArn::parse(&format!(
            "arn:aws:iam::123456789012:role/{}",
            "a".repeat(65)
        ))
        .unwrap_err();
        assert!(err.problem.contains("longer than 64 characters"), "{err:?}");
        assert!(
            OidcProviderArn::parse(
                "arn:aws:iam:: 123456789012:oidc-provider/federation.namespaceapis.com"
            )
            .is_err()
        );
    }

    #[test]
    fn policy_arns_are_checked_strictly() {
        for good in [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::123456789012:policy/x",
            "arn:aws-cn:iam::123456789012:policy/team/a+b=c.d@e-f_g",
            "arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaRole",
        ] {
            assert!(PolicyArn::parse_list(good).is_ok(), "{good} refused");
        }
        for bad in [
            "arn:aws:iam::123:policy/x",
            "arn:aws:iam:us-east-1:aws:policy/x",
            "arn:aws:iam::aws:policy/a b",
            "arn:aws:iam::aws:policy/",
            "arn:aws:iam::aws:policy//x",
            "arn:aws:iam::aws:policy/a*",
            "arn:aws:iam::aws:role/x",
            "arn:aws:s3::aws:policy/x",
            "arn:awsx:iam::aws:policy/x",
            "arn:aws:iam::12345678901a:policy/x",
            "arn:aws:iam::azz:policy/x",
        ] {
            let err = PolicyArn::parse_list(bad).expect_err(bad);
            assert!(err.expected.contains("policy ARNs"), "{bad}: {err:?}");
        }
        let long = format!("arn:aws:iam::aws:policy/{}", "a".repeat(2048));
        let err = PolicyArn::parse_list(&long).unwrap_err();
        assert!(
            err.problem.contains("longer than 2048 characters"),
            "{err:?}"
        );
    }

    #[test]
    fn regions_know_their_partition_and_partitions_their_default() {
        assert_eq!(Region::parse("us-east-1").unwrap().partition(), "aws");
        assert_eq!(Region::parse("eu-west-2").unwrap().partition(), "aws");
        assert_eq!(Region::parse("cn-north-1").unwrap().partition(), "aws-cn");
        assert_eq!(
            Region::parse("us-gov-west-1").unwrap().partition(),
            "aws-us-gov"
        );
        assert_eq!(
            Region::parse("us-iso-east-1").unwrap().partition(),
            "aws-iso"
        );
        for (p, r) in [
            ("aws", "us-east-1"),
            ("aws-cn", "cn-north-1"),
            ("aws-us-gov", "us-gov-west-1"),
        ] {
            assert_eq!(Region::default_for_partition(p).unwrap().as_str(), r);
            assert_eq!(Region::default_for_partition(p).unwrap().partition(), p);
        }
    }

    #[test]
    fn messages_say_what_is_wrong_precisely() {
        assert_eq!(
            IdentityPoolId::parse("not-a-pool", None)
                .unwrap_err()
                .problem,
            "it is neither <region>:<uuid> nor a uuid"
        );
        assert_eq!(
            IdentityPoolId::parse("us-east-1:nope", None)
                .unwrap_err()
                .problem,
            "the part after the region is not a uuid"
        );
        let err = Audience::parse(&"a".repeat(100_000)).unwrap_err();
        assert_eq!(err.problem, "it is longer than 256 characters");
        assert_eq!(
            Audience::parse("a b").unwrap_err().problem,
            "it has spaces or control characters"
        );
        assert_eq!(Audience::parse(" ").unwrap_err().problem, "it is empty");
        let err = SessionDuration::parse("99999999999999999999999").unwrap_err();
        assert!(
            err.problem.contains("out of range (900..43200 seconds)"),
            "{err:?}"
        );
        let err = SessionDuration::parse("99999999999999999h").unwrap_err();
        assert!(
            err.problem.contains("out of range (900..43200 seconds)"),
            "{err:?}"
        );
        let err = SessionDuration::parse("100").unwrap_err();
        assert_eq!(
            err.problem,
            "100 seconds is out of range (900..43200 seconds)"
        );
        assert_eq!(
            SessionDuration::parse("soon").unwrap_err().problem,
            "it is not a duration"
        );
        assert_eq!(
            RoleSessionName::parse("x").unwrap_err().problem,
            "it is 1 character long (at least 2)"
        );
        assert_eq!(
            RoleSessionName::parse(&"a".repeat(65)).unwrap_err().problem,
            "it is longer than 64 characters"
        );
        assert!(
            parse_timeout("99999999999999999999999")
                .unwrap_err()
                .problem
                .contains("out of range (1..3600 seconds)")
        );
        assert_eq!(
            parse_timeout("3601").unwrap_err().problem,
            "3601 seconds is out of range (1..3600 seconds)"
        );
        assert_eq!(
            TenantId::parse(&"t".repeat(129)).unwrap_err().problem,
            "it is longer than 128 characters"
        );
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(2100));
        assert!(
            InlinePolicy::parse(&big)
                .unwrap_err()
                .problem
                .contains("longer than 2048 characters")
        );
    }

    #[test]
    fn regions_and_accounts() {
        assert!(Region::parse("eu-west-2").is_ok());
        assert!(Region::parse("us-gov-west-1").is_ok());
        assert!(Region::parse("EU-WEST-2").is_err());
        assert!(Region::parse("nowhere").is_err());
        let allowed = AllowedAccountIds::parse("123456789012, 210987654321").unwrap();
        assert!(allowed.allows(&AccountId::parse("210987654321").unwrap()));
        assert!(AllowedAccountIds::parse("123").is_err());
    }

    #[test]
    fn regions_have_aws_shape() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-5",
            "eu-central-2",
            "il-central-1",
            "mx-central-1",
            "us-isob-east-1",
            "eusc-de-east-1",
            "xx-test-10",
            " us-west-2 ",
        ] {
            assert!(Region::parse(ok).is_ok(), "{ok} refused");
        }
        for bad in [
            "us-east-01",
            "us-east-1x",
            "us-east",
            "us-east-",
            "-us-east-1",
            "us--east-1",
            "u-east-1",
            "useast-east-1",
            "us-east-123",
            "us-1",
            "us-east-1-",
            "us_east_1",
            "us-east-1 us-west-2",
        ] {
            let err = Region::parse(bad).expect_err(bad);
            assert_eq!(err.problem, "it is not an AWS region name", "{bad}");
        }
        assert_eq!(
            Region::parse("eusc-de-east-1").unwrap().partition(),
            "aws-eusc"
        );
    }

    #[test]
    fn isolated_and_sovereign_partitions_are_named_unsupported() {
        for p in ["aws-iso", "aws-iso-b", "aws-iso-f", "aws-iso-e", "aws-eusc"] {
            let want = format!("the partition {p} is not supported");
            let e = OidcProviderArn::parse(&format!(
                "arn:{p}:iam::123456789012:oidc-provider/federation.namespaceapis.com"
            ))
            .unwrap_err();
            assert!(e.problem.contains(&want), "{p}: {e:?}");
            let e = RoleArn::parse(&format!("arn:{p}:iam::123456789012:role/r")).unwrap_err();
            assert!(e.problem.contains(&want), "{p}: {e:?}");
            let e = PolicyArn::parse_one(&format!("arn:{p}:iam::aws:policy/P")).unwrap_err();
            assert!(e.problem.contains(&want), "{p}: {e:?}");
        }
        assert_eq!(
            OidcProviderArn::parse(
                "arn:nope:iam::123456789012:oidc-provider/federation.namespaceapis.com"
            )
            .unwrap_err()
            .problem,
            "it is not an IAM ARN"
        );
        assert!(
            OidcProviderArn::parse(
                "arn:aws-us-gov:iam::123456789012:oidc-provider/federation.namespaceapis.com"
            )
            .is_ok()
        );
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1",
            "127.9.9.9",
            "::1",
            "[::1]",
            "localhost",
            "LOCALHOST",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["10.1.2.3", "localhost.example.com", "169.254.169.254", ""] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
