use crate::{Tier, UnitCode};

/// A unit as stored in a directory, with its path from the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    pub tier: Tier,
    pub parent: Option<UnitCode>,
    /// The Vietnamese kind: Tỉnh, Huyện, Phường, Xã …
    pub kind: String,
    /// Codes from the root down to this unit, this unit last.
    pub path: Vec<UnitCode>,
    pub legacy_codes: Vec<UnitCode>,
}

/// Whether a unit with `path` lies in the subtree rooted at `ancestor`
/// (the ancestor itself included). This is the scope rule for every caller.
pub fn is_within<C: AsRef<str>>(path: &[C], ancestor: &str) -> bool {
    path.iter().any(|code| code.as_ref() == ancestor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_is_within_itself_and_its_ancestors_only() {
        let path = ["33", "323", "11974"];
        assert!(is_within(&path, "33"));
        assert!(is_within(&path, "323"));
        assert!(is_within(&path, "11974"));
        assert!(!is_within(&path, "324"));
        assert!(!is_within(&path, "3"));
    }
}
