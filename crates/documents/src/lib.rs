//! Vietnamese official documents as the issuing body prints them: one model
//! (issuer, format, number, place and date, title, body, recipients,
//! signatures) and two renderings of it, PDF and DOCX.
//!
//! The body that issues a document decides its format: a Party committee or
//! its office follows the Party's (Quy định 66-QĐ/TW, Hướng dẫn
//! 36-HD/VPTW), HĐND and UBND bodies the State's (Nghị định 30/2020/NĐ-CP).
//! The text is set in Liberation Serif, metric-compatible with the Times New
//! Roman the formats prescribe, and every line is measured from its metrics.

pub mod bodies;
pub mod conference;
mod docx;
pub mod fonts;
mod layout;
mod names;
mod pdf;
pub mod read;

pub use bodies::{Body, in_sentence, party_committee, state_body};
use doithoai_proto::common::v1::{DocumentFormat, RenderedDocument};
pub use layout::{Page, Placed, TEXT_LEFT, TEXT_RIGHT};
pub use names::{vietnamese, weekday};

/// Which body's rules a document is set by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Quy định 66-QĐ/TW, Hướng dẫn 36-HD/VPTW: "ĐẢNG CỘNG SẢN VIỆT NAM".
    Party,
    /// Nghị định 30/2020/NĐ-CP: the national motto.
    State,
}

pub const PARTY_TITLE: &str = "ĐẢNG CỘNG SẢN VIỆT NAM";
pub const MOTTO: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
pub const MOTTO_2: &str = "Độc lập - Tự do - Hạnh phúc";

/// The issuer block (a line break in either name starts a new line): the
/// body directly above the issuer (empty for a body
/// named on its own, e.g. "ỦY BAN NHÂN DÂN\nTỈNH HƯNG YÊN")
/// over the issuer itself, e.g. "TỈNH ỦY HƯNG YÊN" over "VĂN PHÒNG".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Issuer {
    pub parent: String,
    pub name: String,
}

/// A document's number and symbol. The symbol is the type's abbreviation
/// and the issuer's as each format writes them: "TB-VP" for the State,
/// "TB/VPTU" for the Party. An empty number leaves room to write it by hand
/// when the office registers the document; an empty symbol prints the
/// number as the office registered it, symbol and all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Number {
    pub number: String,
    pub symbol: String,
}

/// The place and date line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    pub day: u32,
    pub month: u32,
    pub year: i32,
}

impl From<chrono::NaiveDate> for Date {
    fn from(day: chrono::NaiveDate) -> Self {
        use chrono::Datelike;
        Date { day: day.day(), month: day.month(), year: day.year() }
    }
}

/// A part of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Body text: justified, its first line indented.
    Paragraph(String),
    /// A section heading, bold: "I. KHAI MẠC".
    Heading(String),
    /// A line of a list, not indented: "1. …".
    Item(String),
    /// A remark in italics.
    Note(String),
}

/// One signer: the authority wording ("TM. ỦY BAN NHÂN DÂN", "TL. NGƯỜI
/// CHỦ TRÌ", "KT. CHỦ TỊCH", or none), the signer's title and name, and,
/// once signed in doithoai, when. Room for the hand signature and the seal
/// is left between the title and the name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signature {
    pub authority: String,
    pub title: String,
    pub name: String,
    /// "Đã ký lúc 10 giờ 15, ngày 20/3/2026", shown in the signature space.
    pub signed: String,
}

impl Signature {
    /// The lines above the signature space: the authority and the title.
    pub fn head_lines(&self) -> usize {
        usize::from(!self.authority.is_empty()) + usize::from(!self.title.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub format: Format,
    pub issuer: Issuer,
    pub number: Option<Number>,
    /// The mark of a document that holds State secrets ("MẬT"), under the
    /// number, as the Law on Protection of State Secrets (2018) requires.
    pub marking: Option<String>,
    pub place: String,
    pub date: Option<Date>,
    /// The type: "THÔNG BÁO", "BIÊN BẢN", "BÁO CÁO".
    pub kind: String,
    /// The summary under the type (trích yếu).
    pub title: String,
    pub body: Vec<Block>,
    /// "Nơi nhận", the last usually "Lưu: VT".
    pub recipients: Vec<String>,
    /// One signer on the right, or two side by side (the minutes).
    pub signatures: Vec<Signature>,
}

impl Document {
    /// "Số: 12/TB-VP" (State) or "Số 12-TB/VPTU" (Party).
    pub fn number_line(&self) -> Option<String> {
        self.number.as_ref().map(|n| {
            // Room to write the number by hand: no-break spaces, which wrapping keeps.
            let blank = "\u{a0}".repeat(8);
            let number = if n.number.is_empty() { blank.as_str() } else { n.number.as_str() };
            match (self.format, n.symbol.is_empty()) {
                (Format::State, false) => format!("Số: {number}/{}", n.symbol),
                (Format::Party, false) => format!("Số {number}-{}", n.symbol),
                (Format::State, true) => format!("Số: {number}"),
                (Format::Party, true) => format!("Số {number}"),
            }
        })
    }

    /// "Hưng Yên, ngày 05 tháng 01 năm 2026": both formats write a day
    /// below 10 and the months 1 and 2 with a leading zero.
    pub fn date_line(&self) -> Option<String> {
        self.date.map(|d| {
            let month = if d.month < 3 { format!("{:02}", d.month) } else { d.month.to_string() };
            format!("{}, ngày {:02} tháng {month} năm {}", self.place, d.day, d.year)
        })
    }

    /// "Nơi nhận" as both formats list it: "- X;" each, the last "- Lưu: VT.".
    pub fn recipient_lines(&self) -> Vec<String> {
        let last = self.recipients.len().saturating_sub(1);
        let end = |n: usize| if n == last { "." } else { ";" };
        self.recipients.iter().enumerate().map(|(n, r)| format!("- {r}{}", end(n))).collect()
    }

    /// The type's name on its own line, and the summary under it.
    pub fn heading_lines(&self) -> Vec<&str> {
        [self.kind.as_str(), self.title.as_str()].into_iter().filter(|s| !s.is_empty()).collect()
    }

    /// The pages as laid out: every piece of text where it is printed.
    pub fn pages(&self) -> Vec<Page> {
        layout::lay_out(self)
    }

    pub fn pdf(&self) -> Vec<u8> {
        pdf::render(self, &self.pages())
    }

    pub fn docx(&self) -> Vec<u8> {
        docx::render(self)
    }
}

pub const PDF: &str = "application/pdf";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The document as the file asked for, named `name` with its extension:
/// PDF unless DOCX.
pub fn rendered(document: &Document, format: DocumentFormat, name: &str) -> RenderedDocument {
    match format {
        DocumentFormat::Docx => {
            RenderedDocument { file_name: format!("{name}.docx"), content: document.docx(), content_type: DOCX.into() }
        }
        DocumentFormat::Pdf | DocumentFormat::Unspecified => {
            RenderedDocument { file_name: format!("{name}.pdf"), content: document.pdf(), content_type: PDF.into() }
        }
    }
}

/// A name the directory does not have yet: a line to write it on.
pub fn name_or_blank(name: &str) -> &str {
    if name.is_empty() { "…………" } else { name }
}

/// Uppercase as the issuer block and the titles write it ("ủy" → "ỦY").
pub fn upper(text: &str) -> String {
    text.to_uppercase()
}

/// Text in composed form (NFC), which the fonts' glyphs are for: text typed
/// on some systems arrives with its tone marks as separate characters.
pub(crate) fn composed(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(format: Format) -> Document {
        Document {
            format,
            issuer: Issuer::default(),
            number: Some(Number { number: "12".into(), symbol: "TB-VP".into() }),
            marking: None,
            place: "Hưng Yên".into(),
            date: Some(Date { day: 5, month: 1, year: 2026 }),
            kind: "THÔNG BÁO".into(),
            title: String::new(),
            body: Vec::new(),
            recipients: Vec::new(),
            signatures: Vec::new(),
        }
    }

    #[test]
    fn the_state_writes_its_number_with_a_colon_the_party_without() {
        assert_eq!(notice(Format::State).number_line().unwrap(), "Số: 12/TB-VP");
        let mut party = notice(Format::Party);
        party.number = Some(Number { number: "12".into(), symbol: "TB/VPTU".into() });
        assert_eq!(party.number_line().unwrap(), "Số 12-TB/VPTU");
    }

    #[test]
    fn days_below_ten_and_the_first_two_months_take_a_leading_zero() {
        assert_eq!(notice(Format::State).date_line().unwrap(), "Hưng Yên, ngày 05 tháng 01 năm 2026");
        let mut later = notice(Format::State);
        later.date = Some(Date { day: 20, month: 3, year: 2026 });
        assert_eq!(later.date_line().unwrap(), "Hưng Yên, ngày 20 tháng 3 năm 2026");
    }
}
