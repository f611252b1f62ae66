use std::{fmt, str::FromStr};

/// The tier (cấp) of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Province,
    District,
    Commune,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Province => "province",
            Tier::District => "district",
            Tier::Commune => "commune",
        }
    }

    /// Whether a unit of this tier may sit directly under a unit of `parent`.
    /// A commune sits under a district, or directly under the province where
    /// the tree has two tiers.
    pub fn may_be_child_of(self, parent: Tier) -> bool {
        matches!((self, parent), (Tier::District, Tier::Province) | (Tier::Commune, Tier::District | Tier::Province))
    }

    /// Only a province stands at the root of the tree.
    pub fn may_be_root(self) -> bool {
        self == Tier::Province
    }
}

impl FromStr for Tier {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "province" => Ok(Tier::Province),
            "district" => Ok(Tier::District),
            "commune" => Ok(Tier::Commune),
            _ => Err(format!("tier {text:?} is not one of province, district, commune")),
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commune_may_sit_under_a_district_or_directly_under_the_province() {
        assert!(Tier::Commune.may_be_child_of(Tier::District));
        assert!(Tier::Commune.may_be_child_of(Tier::Province));
        assert!(Tier::District.may_be_child_of(Tier::Province));
    }

    #[test]
    fn no_unit_sits_under_a_lower_or_equal_tier() {
        assert!(!Tier::District.may_be_child_of(Tier::Commune));
        assert!(!Tier::District.may_be_child_of(Tier::District));
        assert!(!Tier::Province.may_be_child_of(Tier::Province));
        assert!(!Tier::Commune.may_be_child_of(Tier::Commune));
    }

    #[test]
    fn tiers_parse_from_the_gso_files() {
        assert_eq!("commune".parse::<Tier>(), Ok(Tier::Commune));
        assert_eq!("Province".parse::<Tier>(), Ok(Tier::Province));
        assert!("ward".parse::<Tier>().is_err());
    }
}
