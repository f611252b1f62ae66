use std::fmt;

/// A GSO code: zero-padded digits (`33`, `323`, `11974`). Never a number:
/// `01` and `1` are different codes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unit code {0:?} must be 1 to 10 ASCII digits")]
pub struct InvalidUnitCode(pub String);

impl UnitCode {
    pub const MAX_LEN: usize = 10;

    pub fn parse(text: &str) -> Result<Self, InvalidUnitCode> {
        let valid = !text.is_empty() && text.len() <= Self::MAX_LEN && text.bytes().all(|b| b.is_ascii_digit());
        if valid { Ok(Self(text.to_owned())) } else { Err(InvalidUnitCode(text.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_keep_their_leading_zeros() {
        assert_eq!(UnitCode::parse("01").unwrap().as_str(), "01");
        assert_ne!(UnitCode::parse("01").unwrap(), UnitCode::parse("1").unwrap());
    }

    #[test]
    fn codes_are_digits_only() {
        for bad in ["", "3a", " 33", "33.1", "12345678901", "٣٣"] {
            assert!(UnitCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
