//! Points in time as the outside world writes them (RFC 3339, UTC).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_sts::primitives::{DateTime, DateTimeFormat};

/// A UTC instant, printed as RFC 3339 (`2026-05-01T19:40:02Z`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(SystemTime);

impl Timestamp {
    /// The local clock, now.
    pub fn now() -> Self {
        Self(SystemTime::now())
    }

    /// The last second RFC 3339 can write (9999-12-31T23:59:59Z).
    pub const MAX_UNIX_SECS: u64 = 253_402_300_799;

    /// From seconds since the Unix epoch (JWT `exp`); `None` past year 9999,
    /// which no real token reaches and which would overflow the clock.
    pub fn try_from_unix_secs(secs: u64) -> Option<Self> {
        if secs > Self::MAX_UNIX_SECS {
            return None;
        }
        UNIX_EPOCH.checked_add(Duration::from_secs(secs)).map(Self)
    }

    /// From seconds since the Unix epoch, clamped to year 9999 (never panics).
    pub fn from_unix_secs(secs: u64) -> Self {
        Self::try_from_unix_secs(secs.min(Self::MAX_UNIX_SECS)).unwrap_or(Self(UNIX_EPOCH))
    }

    /// Parses an RFC 3339 date-time.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let dt = DateTime::from_str(s, DateTimeFormat::DateTime).ok()?;
        SystemTime::try_from(dt).ok().map(Self)
    }

    /// The underlying system time.
    pub fn system_time(self) -> SystemTime {
        self.0
    }

    /// Seconds since the Unix epoch.
    pub fn unix_secs(self) -> u64 {
        self.0
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    /// How long from now until this instant (zero when it is past).
    pub fn remaining(self) -> Duration {
        self.0
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    }

    /// RFC 3339 with second precision, `Z` suffix, no quotes.
    pub fn rfc3339(self) -> String {
        let secs = DateTime::from_secs(i64::try_from(self.unix_secs()).unwrap_or(i64::MAX));
        secs.fmt(DateTimeFormat::DateTime)
            .unwrap_or_else(|_| self.unix_secs().to_string())
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        Self(t)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_without_fraction() {
        let t = Timestamp::from_unix_secs(1_700_000_000);
        assert_eq!(t.rfc3339(), "2023-11-14T22:13:20Z");
        assert_eq!(Timestamp::parse_rfc3339("2023-11-14T22:13:20Z"), Some(t));
    }

    #[test]
    fn absurd_epoch_seconds_never_panic() {
        assert_eq!(Timestamp::try_from_unix_secs(u64::MAX), None);
        assert_eq!(
            Timestamp::try_from_unix_secs(Timestamp::MAX_UNIX_SECS + 1),
            None
        );
        let max = Timestamp::try_from_unix_secs(Timestamp::MAX_UNIX_SECS).unwrap();
        assert_eq!(max.rfc3339(), "9999-12-31T23:59:59Z");
        assert_eq!(Timestamp::from_unix_secs(u64::MAX), max);
    }
}
