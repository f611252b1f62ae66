//! Vietnamese administrative documents (minutes, notices, reports) as PDF:
//! issuer and national motto in two columns, number and date, title, body,
//! signature block — set in DejaVu Sans, which covers Vietnamese, with
//! printpdf. A document is built as lines first, so its text can be checked;
//! the PDF carries the same text.

use printpdf::{Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, TextItem};

static REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

const PAGE_WIDTH: f32 = 210.0;
const PAGE_HEIGHT: f32 = 297.0;
const MARGIN: f32 = 20.0;
/// DejaVu Sans averages a little over half an em per character.
const CHAR_WIDTH_EM: f32 = 0.55;
const PT_IN_MM: f32 = 0.3528;

#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Left {
        text: String,
        bold: bool,
    },
    Center {
        text: String,
        bold: bool,
    },
    Right {
        text: String,
    },
    /// The header and signature blocks: two columns on one line.
    Columns {
        left: String,
        right: String,
        bold: bool,
    },
    Blank,
}

pub fn left(text: impl Into<String>) -> Line {
    Line::Left { text: text.into(), bold: false }
}

pub fn heading(text: impl Into<String>) -> Line {
    Line::Left { text: text.into(), bold: true }
}

pub fn center(text: impl Into<String>, bold: bool) -> Line {
    Line::Center { text: text.into(), bold }
}

pub fn columns(left: impl Into<String>, right: impl Into<String>, bold: bool) -> Line {
    Line::Columns { left: left.into(), right: right.into(), bold }
}

pub const MOTTO: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
pub const MOTTO_2: &str = "Độc lập - Tự do - Hạnh phúc";

/// "Hưng Yên, ngày 20 tháng 3 năm 2026".
pub fn place_and_date(place: &str, day: u32, month: u32, year: i32) -> String {
    format!("{place}, ngày {day} tháng {month} năm {year}")
}

fn wrap(text: &str, size: f32, width_mm: f32) -> Vec<String> {
    let per_line = ((width_mm / PT_IN_MM) / (size * CHAR_WIDTH_EM)).max(10.0) as usize;
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > per_line {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

fn width_mm(text: &str, size: f32) -> f32 {
    text.chars().count() as f32 * size * CHAR_WIDTH_EM * PT_IN_MM
}

/// Lays the lines out on A4 pages and returns the PDF.
pub fn render(title: &str, lines: &[Line]) -> Vec<u8> {
    let mut doc = PdfDocument::new(title);
    let mut warnings = Vec::new();
    let regular = doc.add_font(&ParsedFont::from_bytes(REGULAR, 0, &mut warnings).expect("the shipped font parses"));
    let bold = doc.add_font(&ParsedFont::from_bytes(BOLD, 0, &mut warnings).expect("the shipped font parses"));
    let size = 11.0;
    let step = size * 1.5 * PT_IN_MM;
    let text_width = PAGE_WIDTH - 2.0 * MARGIN;
    let column = text_width / 2.0;

    let mut pages = Vec::new();
    let mut ops = Vec::new();
    let mut y = PAGE_HEIGHT - MARGIN;
    let put = |ops: &mut Vec<Op>, y: &mut f32, pages: &mut Vec<PdfPage>, pieces: Vec<(f32, String, bool)>| {
        if *y < MARGIN + step {
            pages.push(PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), std::mem::take(ops)));
            *y = PAGE_HEIGHT - MARGIN;
        }
        for (x, text, is_bold) in pieces {
            if text.is_empty() {
                continue;
            }
            let font = if is_bold { bold.clone() } else { regular.clone() };
            ops.extend([
                Op::StartTextSection,
                Op::SetFont { font: PdfFontHandle::External(font), size: Pt(size) },
                Op::SetTextCursor { pos: Point::new(Mm(x), Mm(*y)) },
                Op::ShowText { items: vec![TextItem::Text(text)] },
                Op::EndTextSection,
            ]);
        }
        *y -= step;
    };
    for line in lines {
        match line {
            Line::Blank => y -= step,
            Line::Left { text, bold } => {
                for piece in wrap(text, size, text_width) {
                    put(&mut ops, &mut y, &mut pages, vec![(MARGIN, piece, *bold)]);
                }
            }
            Line::Center { text, bold } => {
                for piece in wrap(text, size, text_width) {
                    let x = MARGIN + ((text_width - width_mm(&piece, size)) / 2.0).max(0.0);
                    put(&mut ops, &mut y, &mut pages, vec![(x, piece, *bold)]);
                }
            }
            Line::Right { text } => {
                let x = PAGE_WIDTH - MARGIN - width_mm(text, size).min(text_width);
                put(&mut ops, &mut y, &mut pages, vec![(x, text.clone(), false)]);
            }
            Line::Columns { left, right, bold } => {
                let (lefts, rights) = (wrap(left, size, column - 5.0), wrap(right, size, column));
                for n in 0..lefts.len().max(rights.len()) {
                    let l = lefts.get(n).cloned().unwrap_or_default();
                    let r = rights.get(n).cloned().unwrap_or_default();
                    let right_x = MARGIN + column + ((column - width_mm(&r, size)) / 2.0).max(0.0);
                    put(&mut ops, &mut y, &mut pages, vec![(MARGIN, l, *bold), (right_x, r, *bold)]);
                }
            }
        }
    }
    pages.push(PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), ops));
    doc.with_pages(pages).save(&PdfSaveOptions::default(), &mut Vec::new())
}

/// The text a reader sees in a PDF, whitespace collapsed: for tests.
pub fn text_of(pdf: &[u8]) -> Result<String, String> {
    let doc = PdfDocument::parse(pdf, &printpdf::PdfParseOptions::default(), &mut Vec::new())?;
    let words: Vec<String> = doc
        .extract_text()
        .into_iter()
        .flatten()
        .flat_map(|t| t.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    Ok(words.join(" "))
}

/// How many pages a PDF has: for tests.
pub fn pages(pdf: &[u8]) -> Result<usize, String> {
    Ok(PdfDocument::parse(pdf, &printpdf::PdfParseOptions::default(), &mut Vec::new())?.pages.len())
}
