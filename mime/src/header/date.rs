//! Dates: RFC 5322 §3.3 `date-time` with the obsolete forms of §4.3.
//!
//! Accepted: an optional day of week (its value is not checked against the
//! date), comments and folding between any tokens, one- or two-digit days,
//! month names in any case (full names too), two- and three-digit years per
//! §4.3 (00-49 -> 20xx, 50-99 and three digits -> +1900), optional seconds,
//! numeric zones, and the obsolete zones `UT`, `GMT` (+0000) and the US
//! zones (`EST` -0500 ... `PDT` -0700).
//!
//! Zones whose meaning is unknown are taken as `-0000` ("no information
//! about the local zone", RFC 5322 §3.3), as §4.3 asks: the military
//! letters (except `Z`, which everybody uses for UTC) and other alphabetic
//! zones. `UTC` is +0000. A missing zone is tolerated and also taken as
//! `-0000`. Text after the zone is ignored.

use std::fmt;

use super::lex::Cursor;
use super::FieldError;

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// The three-letter English name (`Mon`).
    pub fn name(self) -> &'static str {
        match self {
            Weekday::Mon => "Mon",
            Weekday::Tue => "Tue",
            Weekday::Wed => "Wed",
            Weekday::Thu => "Thu",
            Weekday::Fri => "Fri",
            Weekday::Sat => "Sat",
            Weekday::Sun => "Sun",
        }
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A calendar date and time of day with the zone offset it was written in.
///
/// A value that exists is valid: the month, day (for its month and year),
/// hour, minute and second (0-60, leap second allowed) are in range and
/// the year is 0-9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    offset_minutes: i16,
    offset_unknown: bool,
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// civil-days algorithm, re-derived here).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let shifted_month = if m > 2 { m - 3 } else { m + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
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
    (
        year,
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

impl DateTime {
    /// Builds a date-time, or `None` if a component is out of range.
    /// `offset_minutes` is the zone offset east of UTC (-5999..=5999, that
    /// is up to ±99:59 as RFC 5322 allows).
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        offset_minutes: i16,
    ) -> Option<DateTime> {
        let valid = year <= 9999
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(i64::from(year), month)
            && hour <= 23
            && minute <= 59
            && second <= 60
            && (-5999..=5999).contains(&offset_minutes);
        valid.then_some(DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            offset_minutes,
            offset_unknown: false,
        })
    }

    /// The date-time of a Unix timestamp, shown in zone `offset_minutes`
    /// east of UTC. `None` outside years 0-9999 or for an offset beyond
    /// ±99:59.
    pub fn from_unix_timestamp(timestamp: i64, offset_minutes: i16) -> Option<DateTime> {
        if !(-5999..=5999).contains(&offset_minutes) {
            return None;
        }
        let local = timestamp.checked_add(i64::from(offset_minutes) * 60)?;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let year = u16::try_from(year).ok()?;
        DateTime::new(
            year,
            month,
            day,
            u8::try_from(secs / 3600).ok()?,
            u8::try_from(secs % 3600 / 60).ok()?,
            u8::try_from(secs % 60).ok()?,
            offset_minutes,
        )
    }

    /// Parses a raw `date-time` value (Date, Resent-Date, the end of
    /// Received), folded or not.
    pub fn parse(raw: &[u8]) -> Result<DateTime, FieldError> {
        let invalid = FieldError::Invalid { what: "date" };
        let mut cursor = Cursor::new(raw);
        cursor.skip_cfws();
        if cursor.at_end() {
            return Err(FieldError::Empty);
        }
        // Optional day of week, then an optional comma.
        if cursor.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            let word = cursor.take_while(|b| b.is_ascii_alphabetic());
            weekday_from_name(word).ok_or(invalid.clone())?;
            cursor.skip_cfws();
            cursor.eat(b',');
            cursor.skip_cfws();
        }
        let day = read_number(&mut cursor, 1, 2).ok_or(invalid.clone())?;
        skip_separator(&mut cursor);
        let month_word = cursor.take_while(|b| b.is_ascii_alphabetic());
        let month = month_from_name(month_word).ok_or(invalid.clone())?;
        skip_separator(&mut cursor);
        let year_start = cursor.pos();
        let year = read_number(&mut cursor, 2, 9).ok_or(invalid.clone())?;
        let year = match cursor.pos() - year_start {
            2 if year < 50 => year + 2000,
            2 | 3 => year + 1900,
            _ => year,
        };
        cursor.skip_cfws();
        let hour = read_number(&mut cursor, 1, 2).ok_or(invalid.clone())?;
        cursor.skip_cfws();
        if !cursor.eat(b':') {
            return Err(invalid);
        }
        cursor.skip_cfws();
        let minute = read_number(&mut cursor, 2, 2).ok_or(invalid.clone())?;
        cursor.skip_cfws();
        let second = if cursor.eat(b':') {
            cursor.skip_cfws();
            let s = read_number(&mut cursor, 2, 2).ok_or(invalid.clone())?;
            cursor.skip_cfws();
            s
        } else {
            0
        };
        let (offset_minutes, offset_unknown) = read_zone(&mut cursor);
        let mut value = DateTime::new(
            u16::try_from(year).map_err(|_| invalid.clone())?,
            month,
            u8::try_from(day).map_err(|_| invalid.clone())?,
            u8::try_from(hour).map_err(|_| invalid.clone())?,
            u8::try_from(minute).map_err(|_| invalid.clone())?,
            u8::try_from(second).map_err(|_| invalid.clone())?,
            offset_minutes,
        )
        .ok_or(invalid)?;
        value.offset_unknown = offset_unknown;
        Ok(value)
    }

    /// Year (0-9999).
    pub fn year(&self) -> u16 {
        self.year
    }

    /// Month (1-12).
    pub fn month(&self) -> u8 {
        self.month
    }

    /// Day of month (1-31).
    pub fn day(&self) -> u8 {
        self.day
    }

    /// Hour (0-23).
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// Minute (0-59).
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// Second (0-60).
    pub fn second(&self) -> u8 {
        self.second
    }

    /// Zone offset east of UTC, in minutes (0 when unknown).
    pub fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }

    /// Whether the zone was `-0000` or one whose meaning is unknown: the
    /// time is then UTC with no information about the local zone.
    pub fn is_offset_unknown(&self) -> bool {
        self.offset_unknown
    }

    /// The day of the week, computed from the date.
    pub fn weekday(&self) -> Weekday {
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        // 1970-01-01 was a Thursday (index 3 from Monday).
        let index = (days + 3).rem_euclid(7);
        Weekday::ALL
            .get(usize::try_from(index).unwrap_or(0))
            .copied()
            .unwrap_or(Weekday::Mon)
    }

    /// Seconds since 1970-01-01T00:00:00Z. A leap second (:60) counts as
    /// the first second of the next minute.
    pub fn to_unix_timestamp(&self) -> i64 {
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes) * 60
    }

    /// RFC 3339 text, `1997-11-21T09:55:06-06:00`; an unknown offset is
    /// written `-00:00` as RFC 3339 §4.3 specifies.
    pub fn to_rfc3339(&self) -> String {
        let (sign, abs) = self.offset_parts();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            sign,
            abs / 60,
            abs % 60
        )
    }

    /// RFC 5322 text, `Fri, 21 Nov 1997 09:55:06 -0600` (also the
    /// [`fmt::Display`] form).
    pub fn to_rfc5322(&self) -> String {
        self.to_string()
    }

    fn offset_parts(&self) -> (char, u16) {
        let sign = if self.offset_minutes < 0 || self.offset_unknown {
            '-'
        } else {
            '+'
        };
        (sign, self.offset_minutes.unsigned_abs())
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sign, abs) = self.offset_parts();
        let month = MONTHS
            .get(usize::from(self.month.saturating_sub(1)))
            .copied()
            .unwrap_or("Jan");
        write!(
            f,
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} {}{:02}{:02}",
            self.weekday().name(),
            self.day,
            month,
            self.year,
            self.hour,
            self.minute,
            self.second,
            sign,
            abs / 60,
            abs % 60
        )
    }
}

fn weekday_from_name(word: &[u8]) -> Option<Weekday> {
    let prefix = word.get(..3)?;
    Weekday::ALL
        .iter()
        .copied()
        .find(|d| d.name().as_bytes().eq_ignore_ascii_case(prefix))
}

fn month_from_name(word: &[u8]) -> Option<u8> {
    let prefix = word.get(..3)?;
    let index = MONTHS
        .iter()
        .position(|m| m.as_bytes().eq_ignore_ascii_case(prefix))?;
    u8::try_from(index + 1).ok()
}

/// Whitespace, comments or a `-` (as in `21-Nov-97`) between date parts.
fn skip_separator(cursor: &mut Cursor<'_>) {
    cursor.skip_cfws();
    if cursor.eat(b'-') {
        cursor.skip_cfws();
    }
}

/// Reads `min..=max` ASCII digits as a number.
fn read_number(cursor: &mut Cursor<'_>, min: usize, max: usize) -> Option<u32> {
    let digits = cursor.take_while(|b| b.is_ascii_digit());
    if digits.len() < min || digits.len() > max {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// Reads the zone: (offset east of UTC in minutes, unknown?).
fn read_zone(cursor: &mut Cursor<'_>) -> (i16, bool) {
    match cursor.peek() {
        Some(sign @ (b'+' | b'-')) => {
            cursor.bump();
            let hours = cursor.take_while(|b| b.is_ascii_digit());
            let (hh, mm) = if hours.len() == 4 {
                (hours.get(..2), hours.get(2..))
            } else if hours.len() == 2 && cursor.eat(b':') {
                // `+05:30`, seen from some generators.
                (Some(hours), Some(cursor.take_while(|b| b.is_ascii_digit())))
            } else {
                (None, None)
            };
            let parse2 = |d: Option<&[u8]>| -> Option<i16> {
                match d? {
                    [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                        Some(i16::from(a - b'0') * 10 + i16::from(b - b'0'))
                    }
                    _ => None,
                }
            };
            match (parse2(hh), parse2(mm)) {
                (Some(h), Some(m)) if m < 60 => {
                    let magnitude = h * 60 + m;
                    if magnitude == 0 && sign == b'-' {
                        (0, true)
                    } else if sign == b'-' {
                        (-magnitude, false)
                    } else {
                        (magnitude, false)
                    }
                }
                _ => (0, true),
            }
        }
        Some(b) if b.is_ascii_alphabetic() => {
            let word = cursor.take_while(|b| b.is_ascii_alphabetic());
            let known: &[(&str, i16)] = &[
                ("UT", 0),
                ("GMT", 0),
                ("UTC", 0),
                ("Z", 0),
                ("EST", -300),
                ("EDT", -240),
                ("CST", -360),
                ("CDT", -300),
                ("MST", -420),
                ("MDT", -360),
                ("PST", -480),
                ("PDT", -420),
            ];
            match known
                .iter()
                .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(word))
            {
                Some((_, offset)) => (*offset, false),
                None => (0, true),
            }
        }
        _ => (0, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-719_468_i64, -1, 0, 1, 10_957, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn parses_and_converts() {
        let d = DateTime::parse(b" Fri, 21 Nov 1997 09:55:06 -0600").unwrap();
        assert_eq!(d.to_rfc3339(), "1997-11-21T09:55:06-06:00");
        assert_eq!(d.to_unix_timestamp(), 880_127_706);
        assert_eq!(d.weekday(), Weekday::Fri);
        assert_eq!(d.to_string(), "Fri, 21 Nov 1997 09:55:06 -0600");
        let back = DateTime::from_unix_timestamp(880_127_706, -360).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn unknown_zones() {
        let d = DateTime::parse(b"1 Jan 2000 00:00 -0000").unwrap();
        assert!(d.is_offset_unknown());
        assert_eq!(d.to_rfc3339(), "2000-01-01T00:00:00-00:00");
        assert!(DateTime::parse(b"1 Jan 2000 00:00 A")
            .unwrap()
            .is_offset_unknown());
        assert!(!DateTime::parse(b"1 Jan 2000 00:00 z")
            .unwrap()
            .is_offset_unknown());
    }

    #[test]
    fn rejects_bad_dates() {
        assert!(DateTime::parse(b"30 Feb 2001 00:00 +0000").is_err());
        assert!(DateTime::parse(b"29 Feb 2000 00:00 +0000").is_ok());
        assert!(DateTime::parse(b"1 Foo 2001 00:00 +0000").is_err());
        assert!(DateTime::parse(b"1 Jan 2001 24:00 +0000").is_err());
        assert!(DateTime::parse(b"1 Jan 99999 00:00 +0000").is_err());
        assert_eq!(DateTime::parse(b" (x) "), Err(FieldError::Empty));
    }
}
