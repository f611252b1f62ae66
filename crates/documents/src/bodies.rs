//! The three bodies whose heads hold dialogues, as their documents name
//! them: the issuer block, the symbol after the number, and the authority
//! a head signs with. A unit is named as the GSO list names it ("Tỉnh Hưng
//! Yên", "Thành phố Hưng Yên", "Xã Tân Tiến").

use crate::{Format, Issuer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Cấp ủy: its documents follow the Party's format.
    PartyCommittee,
    /// HĐND.
    PeoplesCouncil,
    /// UBND.
    PeoplesCommittee,
}

impl Body {
    /// From the directory's name of it (`BODY_PARTY_COMMITTEE`, …).
    pub fn from_name(name: &str) -> Option<Body> {
        match name {
            "BODY_PARTY_COMMITTEE" => Some(Body::PartyCommittee),
            "BODY_PEOPLES_COUNCIL" => Some(Body::PeoplesCouncil),
            "BODY_PEOPLES_COMMITTEE" => Some(Body::PeoplesCommittee),
            _ => None,
        }
    }

    /// From the directory's value; none when unspecified.
    pub fn from_proto(body: doithoai_proto::scheduling::v1::Body) -> Option<Body> {
        use doithoai_proto::scheduling::v1::Body as Wire;
        match body {
            Wire::PartyCommittee => Some(Body::PartyCommittee),
            Wire::PeoplesCouncil => Some(Body::PeoplesCouncil),
            Wire::PeoplesCommittee => Some(Body::PeoplesCommittee),
            Wire::Unspecified => None,
        }
    }

    /// The directory's name of it.
    pub fn proto_name(self) -> &'static str {
        match self {
            Body::PartyCommittee => "BODY_PARTY_COMMITTEE",
            Body::PeoplesCouncil => "BODY_PEOPLES_COUNCIL",
            Body::PeoplesCommittee => "BODY_PEOPLES_COMMITTEE",
        }
    }

    /// The kind of the body's office in the directory.
    pub fn office_kind(self) -> &'static str {
        match self {
            Body::PartyCommittee => "ORGANIZATION_KIND_PARTY_COMMITTEE_OFFICE",
            Body::PeoplesCouncil | Body::PeoplesCommittee => "ORGANIZATION_KIND_COUNCIL_AND_COMMITTEE_OFFICE",
        }
    }

    pub fn format(self) -> Format {
        match self {
            Body::PartyCommittee => Format::Party,
            Body::PeoplesCouncil | Body::PeoplesCommittee => Format::State,
        }
    }

    /// The body as the issuer of its own documents (the reports): "ĐẢNG BỘ
    /// TỈNH HƯNG YÊN" over "TỈNH ỦY"; "ỦY BAN NHÂN DÂN" over "TỈNH HƯNG YÊN".
    pub fn issuer(self, unit_name: &str, parent_unit_name: Option<&str>) -> Issuer {
        let (kind, place) = split_unit(unit_name);
        match self {
            Body::PartyCommittee => {
                let above = parent_unit_name.filter(|_| !is_province(kind)).unwrap_or(unit_name);
                let name = if is_province(kind) { "Tỉnh ủy".to_owned() } else { party_committee(unit_name) };
                Issuer { parent: format!("Đảng bộ {}", lower_kind(above)), name }
            }
            Body::PeoplesCouncil => {
                Issuer { parent: String::new(), name: format!("Hội đồng nhân dân\n{kind} {place}") }
            }
            Body::PeoplesCommittee => {
                Issuer { parent: String::new(), name: format!("Ủy ban nhân dân\n{kind} {place}") }
            }
        }
    }

    /// The body's office, which issues the conference's notices for the
    /// host: "TỈNH ỦY HƯNG YÊN" over "VĂN PHÒNG"; "UBND TỈNH HƯNG YÊN" over
    /// "VĂN PHÒNG". `office_name` is the office as the directory names it,
    /// used when it is not simply "Văn phòng …" of the body.
    pub fn office_issuer(self, unit_name: &str, office_name: Option<&str>) -> Issuer {
        let parent = match self {
            Body::PartyCommittee => party_committee(unit_name),
            Body::PeoplesCouncil => state_body("HĐND", unit_name),
            Body::PeoplesCommittee => state_body("UBND", unit_name),
        };
        let name = office_name.map(short_office).filter(|o| !o.is_empty()).unwrap_or_else(|| "Văn phòng".to_owned());
        Issuer { parent, name }
    }

    /// The symbol after a document's number: the type's abbreviation
    /// ("TB", "BC", "BB", "GM") and the issuer's, in the format's own form.
    pub fn symbol(self, type_abbreviation: &str, unit_name: &str, by_office: bool) -> String {
        let (kind, _) = split_unit(unit_name);
        match self {
            Body::PartyCommittee => {
                let committee = match kind {
                    "Tỉnh" | "Thành phố" | "Thị xã" => "TU",
                    "Huyện" => "HU",
                    _ => "ĐU",
                };
                let issuer = if by_office { format!("VP{committee}") } else { committee.to_owned() };
                format!("{type_abbreviation}/{issuer}")
            }
            Body::PeoplesCouncil if !by_office => format!("{type_abbreviation}-HĐND"),
            Body::PeoplesCommittee if !by_office => format!("{type_abbreviation}-UBND"),
            _ => format!("{type_abbreviation}-VP"),
        }
    }

    /// "T/M BAN THƯỜNG VỤ" / "BÍ THƯ"; "TM. ỦY BAN NHÂN DÂN" / "CHỦ TỊCH".
    pub fn head_signs(self, unit_name: &str) -> (String, String) {
        let (kind, _) = split_unit(unit_name);
        match self {
            Body::PartyCommittee if matches!(kind, "Xã" | "Phường" | "Thị trấn" | "") => {
                ("T/M Đảng ủy".into(), "Bí thư".into())
            }
            Body::PartyCommittee => ("T/M Ban Thường vụ".into(), "Bí thư".into()),
            Body::PeoplesCouncil => ("TM. Thường trực HĐND".into(), "Chủ tịch".into()),
            Body::PeoplesCommittee => ("TM. Ủy ban nhân dân".into(), "Chủ tịch".into()),
        }
    }
}

/// The name a Party committee is known by, from its unit's name: "Tỉnh Hưng
/// Yên" → "Tỉnh ủy Hưng Yên", "Thành phố Hưng Yên" → "Thành ủy Hưng Yên",
/// "Xã Tân Tiến" → "Đảng ủy xã Tân Tiến".
pub fn party_committee(unit_name: &str) -> String {
    let (kind, place) = split_unit(unit_name);
    match kind {
        "Tỉnh" => format!("Tỉnh ủy {place}"),
        "Thành phố" => format!("Thành ủy {place}"),
        "Huyện" => format!("Huyện ủy {place}"),
        "Thị xã" => format!("Thị ủy {place}"),
        "" => format!("Đảng ủy {place}"),
        other => format!("Đảng ủy {} {place}", other.to_lowercase()),
    }
}

/// "UBND tỉnh Hưng Yên", "HĐND xã Tân Tiến".
pub fn state_body(short: &str, unit_name: &str) -> String {
    format!("{short} {}", lower_kind(unit_name))
}

fn is_province(kind: &str) -> bool {
    kind == "Tỉnh"
}

/// "Phường Hiến Nam" → "phường Hiến Nam", as a unit reads inside a sentence.
pub fn in_sentence(unit_name: &str) -> String {
    lower_kind(unit_name)
}

/// "Tỉnh Hưng Yên" → "tỉnh Hưng Yên", as it reads inside a name.
fn lower_kind(unit_name: &str) -> String {
    match split_unit(unit_name) {
        ("", place) => place.to_owned(),
        (kind, place) => format!("{} {place}", kind.to_lowercase()),
    }
}

/// "Văn phòng Tỉnh ủy" under "TỈNH ỦY HƯNG YÊN" is written "VĂN PHÒNG";
/// "Văn phòng HĐND và UBND xã Tân Tiến" keeps "VĂN PHÒNG HĐND VÀ UBND".
fn short_office(office_name: &str) -> String {
    let name = office_name.trim();
    let Some(rest) = name.strip_prefix("Văn phòng") else { return name.to_owned() };
    let rest = rest.trim();
    if rest.starts_with("HĐND và UBND") {
        return "Văn phòng HĐND và UBND".to_owned();
    }
    "Văn phòng".to_owned()
}

/// "Thành phố Hưng Yên" → ("Thành phố", "Hưng Yên").
fn split_unit(unit_name: &str) -> (&'static str, &str) {
    const KINDS: [&str; 7] = ["Thành phố", "Thị trấn", "Thị xã", "Tỉnh", "Huyện", "Phường", "Xã"];
    let name = unit_name.trim();
    for kind in KINDS {
        if let Some(rest) = name.strip_prefix(kind).filter(|r| r.starts_with(' ')) {
            return (kind, rest.trim_start());
        }
    }
    ("", name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_party_committee_is_named_after_its_unit() {
        assert_eq!(party_committee("Tỉnh Hưng Yên"), "Tỉnh ủy Hưng Yên");
        assert_eq!(party_committee("Thành phố Hưng Yên"), "Thành ủy Hưng Yên");
        assert_eq!(party_committee("Huyện Văn Giang"), "Huyện ủy Văn Giang");
        assert_eq!(party_committee("Thị xã Mỹ Hào"), "Thị ủy Mỹ Hào");
        assert_eq!(party_committee("Xã Tân Tiến"), "Đảng ủy xã Tân Tiến");
        assert_eq!(party_committee("Phường Hiến Nam"), "Đảng ủy phường Hiến Nam");
    }

    #[test]
    fn a_state_body_is_named_after_its_unit() {
        assert_eq!(state_body("UBND", "Tỉnh Hưng Yên"), "UBND tỉnh Hưng Yên");
        assert_eq!(state_body("HĐND", "Xã Tân Tiến"), "HĐND xã Tân Tiến");
        assert_eq!(state_body("UBND", "Thị trấn Như Quỳnh"), "UBND thị trấn Như Quỳnh");
    }

    #[test]
    fn the_body_that_issues_decides_the_format() {
        assert_eq!(Body::PartyCommittee.format(), Format::Party);
        assert_eq!(Body::PeoplesCouncil.format(), Format::State);
        assert_eq!(Body::PeoplesCommittee.format(), Format::State);
    }

    #[test]
    fn a_party_committee_issues_under_its_party_organisation() {
        let province = Body::PartyCommittee.issuer("Tỉnh Hưng Yên", None);
        assert_eq!((province.parent.as_str(), province.name.as_str()), ("Đảng bộ tỉnh Hưng Yên", "Tỉnh ủy"));
        let city = Body::PartyCommittee.issuer("Thành phố Hưng Yên", Some("Tỉnh Hưng Yên"));
        assert_eq!((city.parent.as_str(), city.name.as_str()), ("Đảng bộ tỉnh Hưng Yên", "Thành ủy Hưng Yên"));
        let commune = Body::PartyCommittee.issuer("Xã Tân Tiến", Some("Huyện Văn Giang"));
        assert_eq!(commune.parent, "Đảng bộ huyện Văn Giang");
    }

    #[test]
    fn a_state_body_issues_under_its_own_name() {
        let committee = Body::PeoplesCommittee.issuer("Tỉnh Hưng Yên", None);
        assert_eq!((committee.parent.as_str(), committee.name.as_str()), ("", "Ủy ban nhân dân\nTỉnh Hưng Yên"));
    }

    #[test]
    fn an_office_issues_under_its_body() {
        let office = Body::PartyCommittee.office_issuer("Thành phố Hưng Yên", Some("Văn phòng Thành ủy Hưng Yên"));
        assert_eq!((office.parent.as_str(), office.name.as_str()), ("Thành ủy Hưng Yên", "Văn phòng"));
        let commune = Body::PeoplesCommittee.office_issuer("Xã Tân Tiến", Some("Văn phòng HĐND và UBND xã Tân Tiến"));
        assert_eq!((commune.parent.as_str(), commune.name.as_str()), ("UBND xã Tân Tiến", "Văn phòng HĐND và UBND"));
        assert_eq!(Body::PeoplesCommittee.office_issuer("Tỉnh Hưng Yên", None).name, "Văn phòng");
    }

    #[test]
    fn each_format_writes_its_symbol() {
        assert_eq!(Body::PartyCommittee.symbol("TB", "Thành phố Hưng Yên", true), "TB/VPTU");
        assert_eq!(Body::PartyCommittee.symbol("BC", "Huyện Văn Giang", false), "BC/HU");
        assert_eq!(Body::PartyCommittee.symbol("BC", "Xã Tân Tiến", false), "BC/ĐU");
        assert_eq!(Body::PeoplesCommittee.symbol("BC", "Tỉnh Hưng Yên", false), "BC-UBND");
        assert_eq!(Body::PeoplesCommittee.symbol("TB", "Tỉnh Hưng Yên", true), "TB-VP");
        assert_eq!(Body::PeoplesCouncil.symbol("BC", "Xã Tân Tiến", false), "BC-HĐND");
    }

    #[test]
    fn a_head_signs_for_the_collective() {
        assert_eq!(Body::PartyCommittee.head_signs("Tỉnh Hưng Yên").0, "T/M Ban Thường vụ");
        assert_eq!(Body::PartyCommittee.head_signs("Xã Tân Tiến").0, "T/M Đảng ủy");
        assert_eq!(Body::PeoplesCommittee.head_signs("Xã Tân Tiến"), ("TM. Ủy ban nhân dân".into(), "Chủ tịch".into()));
    }
}
