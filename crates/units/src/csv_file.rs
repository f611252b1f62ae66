//! The GSO unit lists as CSV: `code,name,tier,parent_code,type[,legacy_sources]`.

use std::{fmt, io::Read};

use crate::{Tier, UnitRecord};

/// One problem with one line of an import. Line 1 is the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u32,
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.message)
    }
}

/// How many problems one import reports before it stops looking.
pub(crate) const MAX_REPORTED_ERRORS: usize = 100;

const REQUIRED_COLUMNS: [&str; 5] = ["code", "name", "tier", "parent_code", "type"];

/// Reads a whole unit list. Either every line is well-formed and the records
/// come back in file order, or the errors name every bad line (up to 100).
pub fn read_units_csv(mut input: impl Read) -> Result<Vec<UnitRecord>, Vec<LineError>> {
    let mut bytes = Vec::new();
    if let Err(error) = input.read_to_end(&mut bytes) {
        return Err(vec![line_error(1, "file", format!("the file cannot be read: {error}"))]);
    }
    let lines = LineStarts::of(&bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes.as_slice());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(error)) => return Err(vec![csv_error(&error, &lines)]),
        None => return Err(vec![line_error(1, "header", "the file is empty")]),
    };
    let column = |name: &str| header.iter().position(|h| h.trim_start_matches('\u{feff}') == name);
    let mut indices = [0usize; 5];
    for (slot, name) in indices.iter_mut().zip(REQUIRED_COLUMNS) {
        match column(name) {
            Some(index) => *slot = index,
            None => {
                let message = format!("missing column {name:?}; expected {}", REQUIRED_COLUMNS.join(","));
                return Err(vec![line_error(1, "header", message)]);
            }
        }
    }
    let legacy_index = column("legacy_sources");

    let mut units = Vec::new();
    let mut errors = Vec::new();
    for result in records {
        if errors.len() >= MAX_REPORTED_ERRORS {
            break;
        }
        let record = match result {
            Ok(record) => record,
            Err(error) => {
                errors.push(csv_error(&error, &lines));
                // A broken encoding or quoting makes the rest unreliable too.
                if !matches!(error.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                    break;
                }
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.line_of(p.byte()));
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let [code, name, tier, parent, kind] = indices.map(field);
        let legacy = legacy_index.map(field).unwrap_or("");
        let raw = RawUnit {
            code,
            name,
            tier: tier.parse::<Tier>(),
            parent_code: parent,
            kind,
            legacy_codes: legacy.split(';').map(str::trim).filter(|c| !c.is_empty()).collect(),
        };
        match UnitRecord::parse(line, raw) {
            Ok(unit) => units.push(unit),
            Err(mut problems) => errors.append(&mut problems),
        }
    }
    if errors.is_empty() { Ok(units) } else { Err(errors) }
}

/// The fields of one unit as text, before they are checked.
pub struct RawUnit<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub tier: Result<Tier, String>,
    pub parent_code: &'a str,
    pub kind: &'a str,
    pub legacy_codes: Vec<&'a str>,
}

pub(crate) fn line_error(line: u32, field: &'static str, message: impl Into<String>) -> LineError {
    LineError { line, field, message: message.into() }
}

/// Where each line of the file starts, for line numbers people see in their
/// editor: csv's own count runs behind after CRLF or blank lines.
struct LineStarts<'a> {
    bytes: &'a [u8],
    starts: Vec<u64>,
}

impl<'a> LineStarts<'a> {
    fn of(bytes: &'a [u8]) -> Self {
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    i += 1;
                    starts.push(i as u64 + 1);
                }
                b'\r' | b'\n' => starts.push(i as u64 + 1),
                _ => {}
            }
            i += 1;
        }
        Self { bytes, starts }
    }

    /// The 1-based line of the record csv places at `byte`: csv may place it
    /// at the line break before it (after CR LF) or at a blank line, so the
    /// record starts at the first byte after those.
    fn line_of(&self, byte: u64) -> u32 {
        let mut at = byte as usize;
        while matches!(self.bytes.get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        self.starts.partition_point(|start| *start <= at as u64) as u32
    }
}

fn csv_error(error: &csv::Error, lines: &LineStarts<'_>) -> LineError {
    let line = error.position().map_or(0, |p| lines.line_of(p.byte()));
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "the line is not valid UTF-8 (save the file as UTF-8)".to_owned(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len}")
        }
        _ => error.to_string(),
    };
    line_error(line, "line", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "code,name,tier,parent_code,type\n";

    fn read(body: &str) -> Result<Vec<UnitRecord>, Vec<LineError>> {
        read_units_csv(format!("{HEADER}{body}").as_bytes())
    }

    #[test]
    fn reads_the_shipped_hung_yen_lists() {
        for (file, count) in [("hung-yen-2020.csv", 172), ("hung-yen-2025-07.csv", 105)] {
            let path = format!("{}/../../deploy/data/units/{file}", env!("CARGO_MANIFEST_DIR"));
            let units = read_units_csv(std::fs::File::open(&path).unwrap()).unwrap();
            assert_eq!(units.len(), count, "{file}");
        }
    }

    #[test]
    fn a_bad_tier_names_its_line() {
        let errors = read("33,Tỉnh Hưng Yên,province,,Tỉnh\n323,TP Hưng Yên,city,33,Thành phố\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].field), (3, "tier"));
    }

    #[test]
    fn non_utf8_names_its_line() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"33,Tinh Hung Yen,province,,Tinh\n323,Th\xe0nh ph\xf4,district,33,TP\n");
        let errors = read_units_csv(bytes.as_slice()).unwrap_err();
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].message.contains("UTF-8"), "{}", errors[0]);
    }

    #[test]
    fn a_missing_column_is_named() {
        let errors = read_units_csv("code,name,tier,type\n33,X,province,Tỉnh\n".as_bytes()).unwrap_err();
        assert_eq!(errors[0].line, 1);
        assert!(errors[0].message.contains("parent_code"));
    }

    #[test]
    fn every_bad_line_is_reported_not_just_the_first() {
        let errors = read("x,A,province,,Tỉnh\n33,,province,,Tỉnh\n").unwrap_err();
        let lines: Vec<_> = errors.iter().map(|e| (e.line, e.field)).collect();
        assert_eq!(lines, [(2, "code"), (3, "name")]);
    }

    #[test]
    fn legacy_sources_are_read_when_present() {
        let text = "code,name,tier,parent_code,type,legacy_sources\n33,Tỉnh Hưng Yên,province,,Tỉnh,33;34\n";
        let units = read_units_csv(text.as_bytes()).unwrap();
        let legacy: Vec<_> = units[0].legacy_codes.iter().map(|c| c.as_str()).collect();
        assert_eq!(legacy, ["33", "34"]);
    }
}
