//! The Kubernetes versions Amazon EKS creates clusters with, and the dates their support ends.
//!
//! A minor version has 14 months of standard support on EKS, then 12 months of extended support
//! (billed at a higher hourly rate per cluster); after that EKS creates no new cluster with it and
//! upgrades existing control planes on its own. berth checks a new cluster's `version` against
//! [`VERSIONS`] on the day of the check: an ended or unknown version is an error, one in extended
//! support a warning.
//!
//! Source of every date: the "Amazon EKS Kubernetes release calendar" table of the EKS user guide,
//! <https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar>
//! (rows 1.28–1.33 read from the guide's source, awsdocs/amazon-eks-user-guide,
//! `latest/ug/versioning/kubernetes-versions.adoc`; rows 1.34 and 1.35 read from the same table as
//! mirrored by endoflife.date/amazon-eks on 2026-02-13). Dates are UTC: billing for extended
//! support starts at the beginning of the end-of-standard-support day. Reviewed on
//! [`REVIEWED`]; when EKS releases a version, add its row and move [`DEFAULT_VERSION`].

use std::fmt;

/// A calendar date (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year.
    pub year: u16,
    /// The month, 1–12.
    pub month: u8,
    /// The day of the month, 1–31.
    pub day: u8,
}

impl Date {
    /// The date `year-month-day`.
    pub const fn new(year: u16, month: u8, day: u8) -> Self {
        Self { year, month, day }
    }

    /// The UTC date of a Unix timestamp in seconds (as in `SOURCE_DATE_EPOCH`); `None` before
    /// 1970 or past year 65535.
    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        if seconds < 0 {
            return None;
        }
        // Howard Hinnant's `civil_from_days`, for days since 1970-01-01.
        let days = seconds / 86_400 + 719_468;
        let era = days / 146_097;
        let day_of_era = days - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Some(Self::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        ))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{:04}-{:02}-{:02}",
            self.year, self.month, self.day
        )
    }
}

/// One Kubernetes minor version on EKS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EksVersion {
    /// The version as written in `eks { version … }`, e.g. `1.35`.
    pub version: &'static str,
    /// The first day of extended support.
    pub end_of_standard: Date,
    /// The first day EKS no longer supports it at all.
    pub end_of_extended: Date,
}

/// Every version the release calendar lists, oldest first (see the module's sources).
pub const VERSIONS: &[EksVersion] = &[
    version("1.28", Date::new(2024, 11, 26), Date::new(2025, 11, 26)),
    version("1.29", Date::new(2025, 3, 23), Date::new(2026, 3, 23)),
    version("1.30", Date::new(2025, 7, 23), Date::new(2026, 7, 23)),
    version("1.31", Date::new(2025, 11, 26), Date::new(2026, 11, 26)),
    version("1.32", Date::new(2026, 3, 23), Date::new(2027, 3, 23)),
    version("1.33", Date::new(2026, 7, 29), Date::new(2027, 7, 29)),
    version("1.34", Date::new(2026, 12, 2), Date::new(2027, 12, 2)),
    version("1.35", Date::new(2027, 3, 27), Date::new(2028, 3, 27)),
];

const fn version(
    version: &'static str,
    end_of_standard: Date,
    end_of_extended: Date,
) -> EksVersion {
    EksVersion {
        version,
        end_of_standard,
        end_of_extended,
    }
}

/// The version of a new cluster when the file names none: the newest in [`VERSIONS`], in
/// standard support until 2027-03-27.
pub const DEFAULT_VERSION: &str = "1.35";

/// The day [`VERSIONS`] was last checked against the release calendar; a check with no date of
/// its own ([`crate::Options::today`]) is made as of this day.
pub const REVIEWED: Date = Date::new(2026, 11, 30);

/// Where a version stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// In standard support until the day before `until`.
    Standard {
        /// The end of standard support.
        until: Date,
    },
    /// In extended support (billed extra) until the day before `until`.
    Extended {
        /// The end of extended support.
        until: Date,
    },
    /// No longer supported since `since`: EKS creates no cluster with it.
    Ended {
        /// The end of extended support.
        since: Date,
    },
    /// Not in [`VERSIONS`]: too old for the calendar, or newer than this berth knows.
    Unknown,
}

/// Where `version` stands on `today`.
pub fn support(version: &str, today: Date) -> Support {
    let Some(known) = VERSIONS.iter().find(|known| known.version == version) else {
        return Support::Unknown;
    };
    if today < known.end_of_standard {
        Support::Standard {
            until: known.end_of_standard,
        }
    } else if today < known.end_of_extended {
        Support::Extended {
            until: known.end_of_extended,
        }
    } else {
        Support::Ended {
            since: known.end_of_extended,
        }
    }
}

/// The versions EKS creates clusters with on `today`, as (standard, extended), newest first.
pub fn offered(today: Date) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut standard = Vec::new();
    let mut extended = Vec::new();
    for known in VERSIONS.iter().rev() {
        match support(known.version, today) {
            Support::Standard { .. } => standard.push(known.version),
            Support::Extended { .. } => extended.push(known.version),
            Support::Ended { .. } | Support::Unknown => {}
        }
    }
    (standard, extended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_in_standard_support_on_the_review_day() {
        assert!(matches!(
            support(DEFAULT_VERSION, REVIEWED),
            Support::Standard { .. }
        ));
        assert_eq!(
            VERSIONS.last().map(|newest| newest.version),
            Some(DEFAULT_VERSION),
            "the default is the newest version berth knows"
        );
    }

    #[test]
    fn each_version_has_14_months_of_standard_support_then_12_of_extended() {
        for known in VERSIONS {
            assert_eq!(
                known.end_of_extended,
                Date::new(
                    known.end_of_standard.year + 1,
                    known.end_of_standard.month,
                    known.end_of_standard.day
                ),
                "{}",
                known.version
            );
        }
        assert!(
            VERSIONS
                .windows(2)
                .all(|pair| pair[0].end_of_standard < pair[1].end_of_standard)
        );
    }

    #[test]
    fn support_on_the_boundary_days() {
        assert_eq!(
            support("1.31", Date::new(2025, 11, 25)),
            Support::Standard {
                until: Date::new(2025, 11, 26)
            }
        );
        assert_eq!(
            support("1.31", Date::new(2025, 11, 26)),
            Support::Extended {
                until: Date::new(2026, 11, 26)
            }
        );
        assert_eq!(
            support("1.31", REVIEWED),
            Support::Ended {
                since: Date::new(2026, 11, 26)
            }
        );
        assert_eq!(support("1.9", REVIEWED), Support::Unknown);
        assert_eq!(
            offered(REVIEWED),
            (vec!["1.35", "1.34"], vec!["1.33", "1.32"])
        );
    }

    #[test]
    fn dates_from_unix_seconds() {
        assert_eq!(Date::from_unix_seconds(0), Some(Date::new(1970, 1, 1)));
        assert_eq!(
            Date::from_unix_seconds(1_796_083_199),
            Some(Date::new(2026, 11, 30))
        );
        assert_eq!(
            Date::from_unix_seconds(951_782_400),
            Some(Date::new(2000, 2, 29))
        );
        assert_eq!(Date::from_unix_seconds(-1), None);
        assert_eq!(Date::new(2026, 3, 1).to_string(), "2026-03-01");
    }
}
