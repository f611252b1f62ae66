//! The Vietnamese lunar calendar by Hồ Ngọc Đức's astronomical method: new
//! moons and solar terms computed for UTC+7 (105°E), lunar month 11 is the
//! month that contains the winter solstice, and in a year of 13 months the
//! first month after month 11 without a major solar term is the leap month.
//! It differs from the Chinese calendar (computed for UTC+8) in some years,
//! e.g. Tết 1985, 2007 and 2030.

use std::f64::consts::PI;

use chrono::{Datelike, NaiveDate};

/// Vietnam's time zone for astronomical events.
const TIME_ZONE: f64 = 7.0;

/// Years this implementation answers for.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2100;

/// A lunar date. `leap` marks a day in the leap (intercalary) month, written
/// `10/3+` (day 10 of the leap third month) in this project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LunarDate {
    pub day: u32,
    pub month: u32,
    pub year: i32,
    pub leap: bool,
}

impl std::fmt::Display for LunarDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}{}/{}", self.day, self.month, if self.leap { "+" } else { "" }, self.year)
    }
}

fn int(x: f64) -> i64 {
    x.floor() as i64
}

/// Julian day number of a Gregorian date.
pub(crate) fn julian_day(date: NaiveDate) -> i64 {
    // chrono counts days from 0001-01-01 (day 1); JDN of 0001-01-01 is 1721426.
    i64::from(date.num_days_from_ce()) + 1_721_425
}

fn from_julian_day(jd: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(jd - 1_721_425).ok()?)
}

/// Julian date of the k-th new moon after 1900-01-01 (Meeus, Astronomical
/// Algorithms, as used by Hồ Ngọc Đức).
fn new_moon(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let (t2, t3) = (t * t, t * t * t);
    let dr = PI / 180.0;
    let mut jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3;
    jd1 += 0.00033 * ((166.56 + 132.87 * t - 0.009173 * t2) * dr).sin();
    let m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3;
    let mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3;
    let f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3;
    let mut c1 = (0.1734 - 0.000393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    let delta_t = if t < -11.0 {
        0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    } else {
        -0.000278 + 0.000265 * t + 0.000262 * t2
    };
    jd1 + c1 - delta_t
}

/// The sun's apparent longitude in radians, normalised to [0, 2π).
fn sun_longitude(jdn: f64) -> f64 {
    let t = (jdn - 2451545.0) / 36525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2;
    let l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2;
    let mut dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * (dr * m).sin();
    dl = dl + (0.019993 - 0.000101 * t) * (dr * 2.0 * m).sin() + 0.000290 * (dr * 3.0 * m).sin();
    let l = (l0 + dl) * dr;
    l - PI * 2.0 * (l / (PI * 2.0)).floor()
}

/// Which of the 12 major solar-term sectors the sun is in at local midnight
/// starting day `day_number`.
fn sun_sector(day_number: i64) -> i64 {
    int(sun_longitude(day_number as f64 - 0.5 - TIME_ZONE / 24.0) / PI * 6.0)
}

/// Julian day number of the day of the k-th new moon, local time.
fn new_moon_day(k: i64) -> i64 {
    int(new_moon(k) + 0.5 + TIME_ZONE / 24.0)
}

/// First day of lunar month 11 of `year` (the month of the winter solstice).
fn lunar_month_11(year: i32) -> i64 {
    let date = NaiveDate::from_ymd_opt(year, 12, 31).expect("31 December exists");
    let off = julian_day(date) - 2415021;
    let k = int(off as f64 / 29.530588853);
    let nm = new_moon_day(k);
    if sun_sector(nm) >= 9 { new_moon_day(k - 1) } else { nm }
}

/// Offset (in months after month 11 starting at `a11`) of the leap month.
fn leap_month_offset(a11: i64) -> i64 {
    let k = int((a11 as f64 - 2415021.076998695) / 29.530588853 + 0.5);
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i));
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i));
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

/// The lunar date of a solar date, for years 1900–2100.
pub fn solar_to_lunar(date: NaiveDate) -> Option<LunarDate> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
        return None;
    }
    let year = date.year();
    let day_number = julian_day(date);
    let mut k = int((day_number as f64 - 2415021.076998695) / 29.530588853) + 1;
    let mut month_start = new_moon_day(k);
    // The estimate of k can be one too high near a new moon (the reference
    // code then yields day 0, e.g. on 7 May 2054): step back until the month
    // has started.
    while month_start > day_number {
        k -= 1;
        month_start = new_moon_day(k);
    }
    let mut a11 = lunar_month_11(year);
    let mut b11 = a11;
    let mut lunar_year;
    if a11 >= month_start {
        lunar_year = year;
        a11 = lunar_month_11(year - 1);
    } else {
        lunar_year = year + 1;
        b11 = lunar_month_11(year + 1);
    }
    let day = (day_number - month_start + 1) as u32;
    let diff = int((month_start - a11) as f64 / 29.0);
    let mut leap = false;
    let mut month = diff + 11;
    if b11 - a11 > 365 {
        let leap_offset = leap_month_offset(a11);
        if diff >= leap_offset {
            month = diff + 10;
            leap = diff == leap_offset;
        }
    }
    if month > 12 {
        month -= 12;
    }
    if month >= 11 && diff < 4 {
        lunar_year -= 1;
    }
    Some(LunarDate { day, month: month as u32, year: lunar_year, leap })
}

/// The solar date of a lunar date; `None` when it does not exist (a leap
/// month in a year without that leap month, day 30 of a 29-day month) or is
/// outside 1900–2100.
pub fn lunar_to_solar(lunar: LunarDate) -> Option<NaiveDate> {
    if !(1..=30).contains(&lunar.day) || !(1..=12).contains(&lunar.month) {
        return None;
    }
    if !(FIRST_YEAR..=LAST_YEAR).contains(&lunar.year) {
        return None;
    }
    let (a11, b11) = if lunar.month < 11 {
        (lunar_month_11(lunar.year - 1), lunar_month_11(lunar.year))
    } else {
        (lunar_month_11(lunar.year), lunar_month_11(lunar.year + 1))
    };
    let k = int(0.5 + (a11 as f64 - 2415021.076998695) / 29.530588853);
    let mut off = i64::from(lunar.month) - 11;
    if off < 0 {
        off += 12;
    }
    if b11 - a11 > 365 {
        let leap_offset = leap_month_offset(a11);
        let mut leap_month = leap_offset - 2;
        if leap_month < 0 {
            leap_month += 12;
        }
        if lunar.leap && i64::from(lunar.month) != leap_month {
            return None;
        }
        if lunar.leap || off >= leap_offset {
            off += 1;
        }
    } else if lunar.leap {
        return None;
    }
    let month_start = new_moon_day(k + off);
    let next_month_start = new_moon_day(k + off + 1);
    if month_start + i64::from(lunar.day) > next_month_start {
        return None;
    }
    let date = from_julian_day(month_start + i64::from(lunar.day) - 1)?;
    // The round trip guards the edges of the supported range.
    (solar_to_lunar(date) == Some(lunar)).then_some(date)
}

/// The leap month of a lunar year, if it has one.
pub fn leap_month(lunar_year: i32) -> Option<u32> {
    (1..=12).find(|&month| lunar_to_solar(LunarDate { day: 1, month, year: lunar_year, leap: true }).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn julian_day_numbers_match_the_reference_formula() {
        // jdFromDate(1, 1, 2000) = 2451545; jdFromDate(31, 12, 1899) = 2415020.
        assert_eq!(julian_day(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()), 2451545);
        assert_eq!(julian_day(NaiveDate::from_ymd_opt(1899, 12, 31).unwrap()), 2415020);
        assert_eq!(from_julian_day(2451545), NaiveDate::from_ymd_opt(2000, 1, 1));
    }

    #[test]
    fn leap_months_are_written_with_a_plus() {
        assert_eq!(LunarDate { day: 10, month: 3, year: 2023, leap: true }.to_string(), "10/3+/2023");
        assert_eq!(LunarDate { day: 1, month: 1, year: 2030, leap: false }.to_string(), "1/1/2030");
    }
}
