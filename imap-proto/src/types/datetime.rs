//! Dates of SEARCH (`date`) and date-times of INTERNALDATE and APPEND (`date-time`).

use std::fmt;

use crate::error::ValidationError;

pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if leap {
                29
            } else {
                28
            }
        }
    }
}

/// A calendar date (`date-text`: `1-Feb-1994`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Checks the date: year 0 to 9999 (four digits), month 1 to 12, a day of that month.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, ValidationError> {
        if year > 9999 {
            return Err(ValidationError::OutOfRange { what: "year" });
        }
        if !(1..=12).contains(&month) {
            return Err(ValidationError::OutOfRange { what: "month" });
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(ValidationError::OutOfRange { what: "day" });
        }
        Ok(Date { year, month, day })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }

    pub(crate) fn month_name(self) -> &'static str {
        MONTHS
            .get(usize::from(self.month.saturating_sub(1)))
            .copied()
            .unwrap_or("Jan")
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:04}", self.day, self.month_name(), self.year)
    }
}

/// A date and time with a zone offset (`date-time`: `"17-Jul-1996 02:44:25 -0700"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    offset_minutes: i16,
}

impl DateTime {
    /// Checks the time (hour below 24, minute below 60, second up to 60 for a leap
    /// second) and the zone offset in minutes east of UTC (at most 99:59 either way, as
    /// four digits allow).
    pub fn new(
        date: Date,
        hour: u8,
        minute: u8,
        second: u8,
        offset_minutes: i16,
    ) -> Result<Self, ValidationError> {
        if hour > 23 {
            return Err(ValidationError::OutOfRange { what: "hour" });
        }
        if minute > 59 {
            return Err(ValidationError::OutOfRange { what: "minute" });
        }
        if second > 60 {
            return Err(ValidationError::OutOfRange { what: "second" });
        }
        if offset_minutes.unsigned_abs() > 99 * 60 + 59 {
            return Err(ValidationError::OutOfRange { what: "zone" });
        }
        Ok(DateTime {
            date,
            hour,
            minute,
            second,
            offset_minutes,
        })
    }

    /// The date.
    pub fn date(self) -> Date {
        self.date
    }

    /// The hour, 0 to 23.
    pub fn hour(self) -> u8 {
        self.hour
    }

    /// The minute, 0 to 59.
    pub fn minute(self) -> u8 {
        self.minute
    }

    /// The second, 0 to 60.
    pub fn second(self) -> u8 {
        self.second
    }

    /// The zone offset in minutes east of UTC (`-0700` is -420).
    pub fn offset_minutes(self) -> i16 {
        self.offset_minutes
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let offset = self.offset_minutes.unsigned_abs();
        write!(
            f,
            "{:02}-{}-{:04} {:02}:{:02}:{:02} {}{:02}{:02}",
            self.date.day,
            self.date.month_name(),
            self.date.year,
            self.hour,
            self.minute,
            self.second,
            sign,
            offset / 60,
            offset % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_calendar_and_clock() {
        assert!(Date::new(2024, 2, 29).is_ok());
        assert!(Date::new(2023, 2, 29).is_err());
        assert!(Date::new(1900, 2, 29).is_err());
        assert!(Date::new(2000, 2, 29).is_ok());
        assert!(Date::new(2000, 13, 1).is_err());
        assert!(Date::new(10000, 1, 1).is_err());
        let date = Date::new(1996, 7, 17).unwrap();
        assert!(DateTime::new(date, 24, 0, 0, 0).is_err());
        assert!(DateTime::new(date, 0, 0, 60, 0).is_ok());
        assert!(DateTime::new(date, 0, 0, 0, 6000).is_err());
        let time = DateTime::new(date, 2, 44, 25, -420).unwrap();
        assert_eq!(time.to_string(), "17-Jul-1996 02:44:25 -0700");
        assert_eq!(Date::new(1994, 2, 1).unwrap().to_string(), "1-Feb-1994");
    }
}
