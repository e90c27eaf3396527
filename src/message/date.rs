//! RFC 5322 date-time (3.3), with the obsolete forms of 4.3 that received mail still carries:
//! two- and three-digit years, named zones (`GMT`, `UT`, `PST`, military letters), comments
//! anywhere (`-0800 (PST)`), and whitespace around the colons. Pure; errors carry the byte
//! offset into the text given.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MailDate {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: i64,
    /// The zone as written, in minutes east of UTC (0 for an unknown zone).
    pub offset_minutes: i32,
    /// `-0000` or a military letter: the local time is right but its zone is not known
    /// (RFC 5322 3.3 and 4.3), so `unix` may be off by hours.
    pub zone_unknown: bool,
    /// An obsolete form was used (two- or three-digit year, a named zone).
    pub obsolete: bool,
    /// `unix` as RFC 3339 UTC, for people reading the report.
    pub utc: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DateError {
    pub offset: usize,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    Punct(u8),
}

/// Words (letters and digits) and single punctuation, with comments and whitespace dropped.
fn tokens(text: &str) -> Result<Vec<(usize, Tok<'_>)>, DateError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'(' => match super::lex::comment_end(b, i) {
                Some(end) => i = end,
                None => return Err(err(i, "a comment that is never closed")),
            },
            c if c.is_ascii_alphanumeric() => {
                let start = i;
                while i < b.len() && b[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                out.push((start, Tok::Word(&text[start..i])));
            }
            c if c.is_ascii() => {
                out.push((i, Tok::Punct(c)));
                i += 1;
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or('?');
                return Err(err(i, &format!("`{c}` has no place in a date")));
            }
        }
    }
    Ok(out)
}

fn err(offset: usize, message: &str) -> DateError {
    DateError {
        offset,
        message: message.to_string(),
    }
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

struct Cursor<'t, 'a> {
    toks: &'t [(usize, Tok<'a>)],
    i: usize,
    end: usize,
}

impl<'a> Cursor<'_, 'a> {
    fn peek(&self) -> Option<Tok<'a>> {
        self.toks.get(self.i).map(|t| t.1)
    }
    fn offset(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |t| t.0)
    }
    fn word(&mut self, what: &str) -> Result<&'a str, DateError> {
        match self.peek() {
            Some(Tok::Word(w)) => {
                self.i += 1;
                Ok(w)
            }
            _ => Err(err(self.offset(), &format!("expected {what}"))),
        }
    }
    fn number(
        &mut self,
        what: &str,
        digits: std::ops::RangeInclusive<usize>,
    ) -> Result<u32, DateError> {
        let at = self.offset();
        let w = self.word(what)?;
        if !digits.contains(&w.len()) || !w.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(at, &format!("expected {what}, found `{w}`")));
        }
        w.parse().map_err(|_| err(at, &format!("expected {what}")))
    }
    fn punct(&mut self, c: u8) -> bool {
        if self.peek() == Some(Tok::Punct(c)) {
            self.i += 1;
            true
        } else {
            false
        }
    }
}

pub fn parse(text: &str) -> Result<MailDate, DateError> {
    let toks = tokens(text)?;
    let mut c = Cursor {
        toks: &toks,
        i: 0,
        end: text.len(),
    };
    let mut obsolete = false;
    if let Some(Tok::Word(w)) = c.peek()
        && w.as_bytes()[0].is_ascii_alphabetic()
    {
        let at = c.offset();
        if !DAYS.iter().any(|d| w.eq_ignore_ascii_case(d)) {
            return Err(err(at, &format!("`{w}` is not a day of the week")));
        }
        c.i += 1;
        c.punct(b',');
    }
    let day_at = c.offset();
    let day = c.number("the day of the month", 1..=2)?;
    let at = c.offset();
    let month_name = c.word("a month name")?;
    let month = MONTHS
        .iter()
        .position(|m| month_name.eq_ignore_ascii_case(m))
        .ok_or_else(|| err(at, &format!("`{month_name}` is not a month (Jan … Dec)")))?
        as u32
        + 1;
    let at = c.offset();
    let year_text = c.word("the year")?;
    let mut year: i64 = match year_text.parse::<i64>() {
        Ok(y) if year_text.bytes().all(|b| b.is_ascii_digit()) && year_text.len() <= 4 => y,
        _ => return Err(err(at, &format!("`{year_text}` is not a year"))),
    };
    // RFC 5322 4.3: 00-49 are 2000-2049, 50-99 and three digits are counted from 1900.
    match year_text.len() {
        2 if year < 50 => (year, obsolete) = (year + 2000, true),
        2 | 3 => (year, obsolete) = (year + 1900, true),
        4 if year >= 1900 => {}
        _ => {
            return Err(err(
                at,
                &format!("`{year_text}` is not a year from 1900 on"),
            ));
        }
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(err(
            day_at,
            &format!("{month_name} {year} has no day {day}"),
        ));
    }
    let at = c.offset();
    let hour = c.number("the hour", 2..=2)?;
    if !c.punct(b':') {
        return Err(err(c.offset(), "expected `:` after the hour"));
    }
    let minute = c.number("the minute", 2..=2)?;
    let second = if c.punct(b':') {
        c.number("the second", 2..=2)?
    } else {
        0
    };
    // 60: a leap second is a valid time of day (RFC 5322 3.3).
    if hour > 23 || minute > 59 || second > 60 {
        return Err(err(
            at,
            &format!("{hour:02}:{minute:02}:{second:02} is not a time of day"),
        ));
    }
    let at = c.offset();
    let (offset_minutes, zone_unknown) = match c.peek() {
        Some(Tok::Punct(sign @ (b'+' | b'-'))) => {
            c.i += 1;
            let hhmm = c.number("a zone such as +0000", 4..=4)?;
            let (hh, mm) = ((hhmm / 100) as i32, (hhmm % 100) as i32);
            if mm > 59 {
                return Err(err(at, "the zone's minutes are above 59"));
            }
            let minutes = hh * 60 + mm;
            if sign == b'-' {
                (-minutes, minutes == 0)
            } else {
                (minutes, false)
            }
        }
        Some(Tok::Word(w)) => {
            c.i += 1;
            obsolete = true;
            named_zone(w).ok_or_else(|| err(at, &format!("`{w}` is not a time zone")))?
        }
        _ => return Err(err(at, "expected a time zone such as +0000")),
    };
    if c.i < toks.len() {
        return Err(err(c.offset(), "unexpected text after the time zone"));
    }
    let local = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    let unix = local - i64::from(offset_minutes) * 60;
    Ok(MailDate {
        unix,
        offset_minutes,
        zone_unknown,
        obsolete,
        utc: rfc3339(unix),
    })
}

/// RFC 5322 4.3, plus `UTC` which is not in the grammar but is common. Military letters were
/// defined with the wrong sign in RFC 822, so they mean "unknown" (like -0000).
fn named_zone(w: &str) -> Option<(i32, bool)> {
    let known = match w.to_ascii_uppercase().as_str() {
        "UT" | "GMT" | "UTC" | "Z" => 0,
        "EDT" => -4 * 60,
        "EST" | "CDT" => -5 * 60,
        "CST" | "MDT" => -6 * 60,
        "MST" | "PDT" => -7 * 60,
        "PST" => -8 * 60,
        m if m.len() == 1 && m != "J" && m.as_bytes()[0].is_ascii_alphabetic() => {
            return Some((0, true));
        }
        _ => return None,
    };
    Some((known, false))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (H. Hinnant's algorithm, proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2024-07-09T10:12:34Z`.
pub fn rfc3339(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_world_forms() {
        // (text, unix, offset minutes, zone unknown, obsolete)
        let cases: &[(&str, i64, i32, bool, bool)] = &[
            (
                "Tue, 9 Jul 2024 10:12:34 +0000",
                1_720_519_954,
                0,
                false,
                false,
            ),
            // Gmail: zone then the zone's name in a comment.
            (
                "Tue, 09 Jul 2024 03:12:34 -0700 (PDT)",
                1_720_519_954,
                -420,
                false,
                false,
            ),
            // Postfix pads the day with a space.
            (
                "Tue,  9 Jul 2024 12:12:34 +0200 (CEST)",
                1_720_519_954,
                120,
                false,
                false,
            ),
            // No day of the week, no seconds.
            ("9 Jul 2024 10:12 +0000", 1_720_519_920, 0, false, false),
            (
                "Tue, 9 Jul 2024 10:12:34 GMT",
                1_720_519_954,
                0,
                false,
                true,
            ),
            ("Tue, 9 Jul 2024 10:12:34 UT", 1_720_519_954, 0, false, true),
            (
                "Tue, 9 Jul 2024 02:12:34 PST",
                1_720_519_954,
                -480,
                false,
                true,
            ),
            (
                "Tue, 9 Jul 24 10:12:34 +0000",
                1_720_519_954,
                0,
                false,
                true,
            ),
            ("Fri, 1 Jan 99 00:00:00 +0000", 915_148_800, 0, false, true),
            ("Fri, 1 Jan 099 00:00:00 +0000", 915_148_800, 0, false, true),
            (
                "Tue, 9 Jul 2024 10:12:34 -0000",
                1_720_519_954,
                0,
                true,
                false,
            ),
            ("Tue, 9 Jul 2024 10:12:34 A", 1_720_519_954, 0, true, true),
            (
                "tue, 9 JUL 2024 10 : 12 : 34 +0000",
                1_720_519_954,
                0,
                false,
                false,
            ),
            (
                "(received) Tue, 9 Jul 2024 10:12:34 (x (nested)) +0000",
                1_720_519_954,
                0,
                false,
                false,
            ),
            (
                "Sat, 31 Dec 2016 23:59:60 +0000",
                1_483_228_800,
                0,
                false,
                false,
            ),
            (
                "Thu, 29 Feb 2024 00:00:00 +0530",
                1_709_145_000,
                330,
                false,
                false,
            ),
            (
                "Mon, 1 Jan 1900 00:00:00 +0000",
                -2_208_988_800,
                0,
                false,
                false,
            ),
        ];
        for (text, unix, offset, unknown, obsolete) in cases {
            let d = parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(
                (d.unix, d.offset_minutes, d.zone_unknown, d.obsolete),
                (*unix, *offset, *unknown, *obsolete),
                "{text}"
            );
        }
        assert_eq!(
            parse("Tue, 9 Jul 2024 10:12:34 +0000").unwrap().utc,
            "2024-07-09T10:12:34Z"
        );
    }

    #[test]
    fn errors_say_where() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 0, "day of the month"),
            ("Tuesday, 9 Jul 2024 10:12:34 +0000", 0, "day of the week"),
            ("Tue, 9 Juli 2024 10:12:34 +0000", 7, "not a month"),
            ("Tue, 30 Feb 2024 10:12:34 +0000", 5, "no day 30"),
            ("Tue, 29 Feb 2023 10:12:34 +0000", 5, "no day 29"),
            ("Tue, 9 Jul 1899 10:12:34 +0000", 11, "from 1900"),
            ("Tue, 9 Jul 20245 10:12:34 +0000", 11, "not a year"),
            ("Tue, 9 Jul 2024 24:00:00 +0000", 16, "time of day"),
            ("Tue, 9 Jul 2024 10:12:34", 24, "time zone"),
            ("Tue, 9 Jul 2024 10:12:34 +00", 26, "+0000"),
            ("Tue, 9 Jul 2024 10:12:34 +0060", 25, "minutes"),
            ("Tue, 9 Jul 2024 10:12:34 CEST", 25, "not a time zone"),
            (
                "Tue, 9 Jul 2024 10:12:34 +0000 extra",
                31,
                "after the time zone",
            ),
            ("Tue, 9 Jul 2024 10:12:34 +0000 (open", 31, "never closed"),
            ("Tue, 9 Jul 2024 10h12 +0000", 16, "hour"),
            ("Tue, 9 Jul 2024 10:12:34 +0000 é", 31, "no place"),
        ];
        for (text, offset, needle) in cases {
            let e = parse(text).err().unwrap_or_else(|| panic!("{text} parsed"));
            assert_eq!(e.offset, *offset, "{text}: {e:?}");
            assert!(e.message.contains(needle), "{text}: {e:?}");
        }
    }

    #[test]
    fn calendar_round_trips() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
