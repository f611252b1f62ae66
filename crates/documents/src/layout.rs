//! Lays a document out on A4 pages: the margins, sizes and order of both
//! formats, lines wrapped and justified by the font's metrics, page numbers
//! from page 2. The PDF prints exactly what is laid out here.

use crate::fonts::{Face, PT_IN_MM};
use crate::{Block, Document, Format, MOTTO, MOTTO_2, PARTY_TITLE, Signature, composed, upper};

pub const PAGE_WIDTH: f32 = 210.0;
pub const PAGE_HEIGHT: f32 = 297.0;
/// Both formats: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
pub(crate) const TOP: f32 = 20.0;
pub(crate) const BOTTOM: f32 = 20.0;
pub const TEXT_LEFT: f32 = 30.0;
pub const TEXT_RIGHT: f32 = PAGE_WIDTH - 15.0;
pub(crate) const TEXT_WIDTH: f32 = TEXT_RIGHT - TEXT_LEFT;
/// The issuer's column of the header; the motto's is the rest.
pub(crate) const ISSUER_WIDTH: f32 = 68.0;
/// A signer's column, on the right; the recipients' is the rest.
pub(crate) const SIGNER_WIDTH: f32 = 85.0;
pub(crate) const INDENT: f32 = 10.0;
/// At least 6 pt between paragraphs.
const PARAGRAPH_SPACE: f32 = 6.0 * PT_IN_MM;

/// Sizes in points, each within the range its format prescribes.
pub(crate) struct Sizes {
    pub issuer: f32,
    pub top_right: f32,
    pub motto_2: f32,
    pub number: f32,
    pub kind: f32,
    pub title: f32,
    pub body: f32,
    pub recipients_head: f32,
    pub recipients: f32,
    pub signature: f32,
    pub page_number: f32,
}

const STATE: Sizes = Sizes {
    issuer: 12.0,
    top_right: 12.0,
    motto_2: 13.0,
    number: 13.0,
    kind: 14.0,
    title: 14.0,
    body: 13.0,
    recipients_head: 12.0,
    recipients: 11.0,
    signature: 13.0,
    page_number: 13.0,
};

const PARTY: Sizes = Sizes {
    issuer: 14.0,
    top_right: 15.0,
    motto_2: 0.0,
    number: 14.0,
    kind: 16.0,
    title: 14.0,
    body: 14.0,
    recipients_head: 14.0,
    recipients: 12.0,
    signature: 14.0,
    page_number: 14.0,
};

pub(crate) fn sizes(format: Format) -> &'static Sizes {
    match format {
        Format::State => &STATE,
        Format::Party => &PARTY,
    }
}

/// A piece of text where it is printed: `x` and `baseline` in millimetres
/// from the page's left and bottom edges.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub x: f32,
    pub baseline: f32,
    pub size: f32,
    pub face: Face,
    pub text: String,
}

/// A horizontal rule, in millimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub x1: f32,
    pub x2: f32,
    pub y: f32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub placed: Vec<Placed>,
    pub rules: Vec<Rule>,
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
    Justify,
}

struct Text {
    text: String,
    face: Face,
    size: f32,
    align: Align,
    indent: f32,
    underline: bool,
    after: f32,
}

enum Piece {
    Text(Text),
    /// A rule of this width, centred.
    Rule(f32),
    Gap(f32),
}

fn text(text: impl Into<String>, face: Face, size: f32, align: Align) -> Piece {
    Piece::Text(Text { text: text.into(), face, size, align, indent: 0.0, underline: false, after: 0.0 })
}

fn underlined(s: &str, face: Face, size: f32, align: Align) -> Piece {
    Piece::Text(Text { text: s.to_owned(), face, size, align, indent: 0.0, underline: true, after: 0.0 })
}

fn centred(s: impl Into<String>, face: Face, size: f32) -> Piece {
    text(s, face, size, Align::Center)
}

fn paragraph(s: &str, face: Face, size: f32, indent: f32) -> Piece {
    Piece::Text(Text {
        text: s.to_owned(),
        face,
        size,
        align: Align::Justify,
        indent,
        underline: false,
        after: PARAGRAPH_SPACE,
    })
}

/// One line of a column, relative to its own top-left corner.
#[derive(Default)]
struct Line {
    height: f32,
    baseline: f32,
    size: f32,
    face: Option<Face>,
    words: Vec<(f32, String)>,
    rules: Vec<(f32, f32, f32)>,
}

fn line_height(size: f32) -> f32 {
    size * 1.2 * PT_IN_MM
}

/// Greedy wrapping by measured width; a word wider than the line is broken.
fn wrap(text: &str, face: Face, size: f32, first: f32, rest: f32) -> Vec<String> {
    let space = face.width(" ", size);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut used = 0.0;
    let limit = |lines: &Vec<String>| if lines.is_empty() { first } else { rest };
    // No-break spaces hold words (and blanks left to fill in) together.
    for word in text.split(|c: char| c.is_whitespace() && c != '\u{a0}').filter(|w| !w.is_empty()) {
        let mut word = word.to_owned();
        let mut width = face.width(&word, size);
        if !current.is_empty() && used + space + width > limit(&lines) {
            lines.push(std::mem::take(&mut current));
            used = 0.0;
        }
        while width > limit(&lines) {
            let mut head = String::new();
            for c in word.chars() {
                if face.width(&format!("{head}{c}"), size) > limit(&lines) && !head.is_empty() {
                    break;
                }
                head.push(c);
            }
            word = word[head.len()..].to_owned();
            lines.push(head);
            width = face.width(&word, size);
        }
        if !current.is_empty() {
            current.push(' ');
            used += space;
        }
        current.push_str(&word);
        used += width;
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

fn set(piece: &Piece, width: f32) -> Vec<Line> {
    match piece {
        Piece::Gap(height) => vec![Line { height: *height, ..Line::default() }],
        Piece::Rule(length) => {
            let x1 = ((width - length) / 2.0).max(0.0);
            vec![Line { height: 3.0, rules: vec![(x1, x1 + length.min(width), 1.2)], ..Line::default() }]
        }
        Piece::Text(t) => {
            let wrapped = wrap(&composed(&t.text), t.face, t.size, width - t.indent, width);
            let count = wrapped.len();
            let mut lines: Vec<Line> = wrapped
                .into_iter()
                .enumerate()
                .map(|(n, content)| {
                    let offset = if n == 0 { t.indent } else { 0.0 };
                    let room = width - offset;
                    let used = t.face.width(&content, t.size);
                    let words = match t.align {
                        Align::Left => vec![(offset, content)],
                        Align::Center => vec![(((width - used) / 2.0).max(0.0), content)],
                        Align::Justify if n + 1 == count || !content.contains(' ') => vec![(offset, content)],
                        Align::Justify => justify(&content, t.face, t.size, offset, room),
                    };
                    let baseline = t.size * 0.9 * PT_IN_MM;
                    let rules = if t.underline {
                        let (x, _) = words[0];
                        vec![(x, x + used, baseline + 0.15 * t.size * PT_IN_MM)]
                    } else {
                        Vec::new()
                    };
                    Line { height: line_height(t.size), baseline, size: t.size, face: Some(t.face), words, rules }
                })
                .collect();
            if let Some(last) = lines.last_mut() {
                last.height += t.after;
            }
            lines
        }
    }
}

/// Spreads a line's words to fill its width, both edges straight.
fn justify(content: &str, face: Face, size: f32, offset: f32, room: f32) -> Vec<(f32, String)> {
    let words: Vec<&str> = content.split(' ').collect();
    let total: f32 = words.iter().map(|w| face.width(w, size)).sum();
    let gap = (room - total) / (words.len() - 1) as f32;
    let mut x = offset;
    words
        .into_iter()
        .map(|w| {
            let at = x;
            x += face.width(w, size) + gap;
            (at, w.to_owned())
        })
        .collect()
}

fn height(lines: &[Line]) -> f32 {
    lines.iter().map(|l| l.height).sum()
}

fn tallest(columns: &[(f32, Vec<Line>)]) -> f32 {
    columns.iter().map(|(_, lines)| height(lines)).fold(0.0, f32::max)
}

struct Flow {
    pages: Vec<Page>,
    top: f32,
}

impl Flow {
    fn new() -> Self {
        Flow { pages: vec![Page::default()], top: PAGE_HEIGHT - TOP }
    }

    fn break_page(&mut self) {
        self.pages.push(Page::default());
        self.top = PAGE_HEIGHT - TOP;
    }

    fn put(&mut self, x0: f32, top: f32, line: &Line) {
        let page = self.pages.last_mut().expect("a flow always has a page");
        if let Some(face) = line.face {
            for (dx, word) in &line.words {
                page.placed.push(Placed {
                    x: x0 + dx,
                    baseline: top - line.baseline,
                    size: line.size,
                    face,
                    text: word.clone(),
                });
            }
        }
        for (x1, x2, dy) in &line.rules {
            page.rules.push(Rule { x1: x0 + x1, x2: x0 + x2, y: top - dy });
        }
    }

    /// Lines of the full text width, breaking pages between them.
    fn lines(&mut self, lines: &[Line]) {
        for line in lines {
            if self.top - line.height < BOTTOM {
                self.break_page();
            }
            self.put(TEXT_LEFT, self.top, line);
            self.top -= line.height;
        }
    }

    /// Breaks the page unless `height` still fits on it (or it is empty).
    fn keep(&mut self, height: f32) {
        let fresh = self.pages.last().is_some_and(|p| p.placed.is_empty());
        if self.top - height < BOTTOM && !fresh {
            self.break_page();
        }
    }

    /// Columns side by side from the same top, kept on one page.
    fn columns(&mut self, columns: &[(f32, Vec<Line>)]) {
        let tallest = tallest(columns);
        self.keep(tallest);
        for (x0, lines) in columns {
            let mut top = self.top;
            for line in lines {
                self.put(*x0, top, line);
                top -= line.height;
            }
        }
        self.top -= tallest;
    }
}

pub(crate) fn lay_out(document: &Document) -> Vec<Page> {
    let (sizes, party) = (sizes(document.format), document.format == Format::Party);
    let mut flow = Flow::new();
    let issuer_column = |pieces: &[Piece]| (TEXT_LEFT, pieces.iter().flat_map(|p| set(p, ISSUER_WIDTH)).collect());
    let right_width = TEXT_WIDTH - ISSUER_WIDTH;
    let right_column =
        |pieces: &[Piece]| (TEXT_LEFT + ISSUER_WIDTH, pieces.iter().flat_map(|p| set(p, right_width)).collect());

    // The issuer beside the motto (State) or the Party's title.
    let issuer = &document.issuer;
    let mut left = Vec::new();
    for line in issuer.parent.lines().filter(|l| !l.is_empty()) {
        left.push(centred(upper(line), Face::Regular, sizes.issuer));
    }
    for line in issuer.name.lines() {
        left.push(centred(upper(line), Face::Bold, sizes.issuer));
    }
    let right = if party {
        left.push(centred("*", Face::Regular, sizes.issuer));
        vec![underlined(PARTY_TITLE, Face::Bold, sizes.top_right, Align::Center)]
    } else {
        let widest = issuer.name.lines().map(|l| Face::Bold.width(&upper(l), sizes.issuer)).fold(0.0, f32::max);
        let issuer_width = widest.min(ISSUER_WIDTH);
        left.push(Piece::Rule(issuer_width / 2.5));
        vec![
            centred(MOTTO, Face::Bold, sizes.top_right),
            centred(MOTTO_2, Face::Bold, sizes.motto_2),
            Piece::Rule(Face::Bold.width(MOTTO_2, sizes.motto_2)),
        ]
    };
    flow.columns(&[issuer_column(&left), right_column(&right)]);
    // The number under the issuer, level with the place and date.
    let number = document.number_line().map(|n| centred(n, Face::Regular, sizes.number));
    let marking = document.marking.as_ref().map(|m| centred(upper(m), Face::Bold, sizes.number));
    let date = document.date_line().map(|d| centred(d, Face::Italic, sizes.number));
    flow.columns(&[
        issuer_column(&[Piece::Gap(1.0)].into_iter().chain(number).chain(marking).collect::<Vec<_>>()),
        right_column(&[Piece::Gap(1.0)].into_iter().chain(date).collect::<Vec<_>>()),
    ]);

    // The type and the summary, centred, a short rule under them.
    let mut heading = vec![Piece::Gap(6.0)];
    if !document.kind.is_empty() {
        heading.push(centred(upper(&document.kind), Face::Bold, sizes.kind));
    }
    if !document.title.is_empty() {
        heading.push(centred(document.title.clone(), Face::Bold, sizes.title));
    }
    heading.extend([Piece::Rule(25.0), Piece::Gap(4.0)]);
    flow.lines(&heading.iter().flat_map(|p| set(p, TEXT_WIDTH)).collect::<Vec<_>>());

    // The recipients at the bottom left, the signer at the right; two
    // signers share the width and the recipients go under them.
    let recipients = recipients(document, sizes, party);
    let signer_x = TEXT_RIGHT - SIGNER_WIDTH;
    // Signers side by side have their names on one line.
    let head_lines = document.signatures.iter().map(Signature::head_lines).max().unwrap_or(0);
    let sign = |s: &Signature, width: f32| {
        signature(s, sizes, head_lines).iter().flat_map(|p| set(p, width)).collect::<Vec<_>>()
    };
    let closing: Vec<Vec<(f32, Vec<Line>)>> = match document.signatures.as_slice() {
        [one] => {
            let left: Vec<Line> = recipients.iter().flat_map(|p| set(p, signer_x - TEXT_LEFT - 2.0)).collect();
            vec![vec![(TEXT_LEFT, left), (signer_x, sign(one, SIGNER_WIDTH))]]
        }
        signers => {
            let width = TEXT_WIDTH / signers.len().max(1) as f32;
            let left: Vec<Line> = recipients.iter().flat_map(|p| set(p, TEXT_WIDTH / 2.0)).collect();
            vec![
                signers.iter().enumerate().map(|(n, s)| (TEXT_LEFT + n as f32 * width, sign(s, width))).collect(),
                vec![(TEXT_LEFT, left)],
            ]
        }
    };

    let gap = set(&Piece::Gap(4.0), TEXT_WIDTH);
    for (n, block) in document.body.iter().enumerate() {
        let piece = match block {
            Block::Paragraph(s) => paragraph(s, Face::Regular, sizes.body, INDENT),
            Block::Heading(s) => paragraph(s, Face::Bold, sizes.body, 0.0),
            Block::Item(s) => paragraph(s, Face::Regular, sizes.body, 0.0),
            Block::Note(s) => paragraph(s, Face::Italic, sizes.body, INDENT),
        };
        let lines = set(&piece, TEXT_WIDTH);
        // The last paragraph goes with the signatures, so they never stand alone on a page.
        if n + 1 == document.body.len() {
            flow.keep(height(&lines) + height(&gap) + closing.first().map_or(0.0, |c| tallest(c)));
        }
        flow.lines(&lines);
    }
    flow.lines(&gap);
    for columns in &closing {
        flow.columns(columns);
    }

    let mut pages = flow.pages;
    for (n, page) in pages.iter_mut().enumerate().skip(1) {
        let number = (n + 1).to_string();
        let width = Face::Regular.width(&number, sizes.page_number);
        page.placed.push(Placed {
            x: TEXT_LEFT + (TEXT_WIDTH - width) / 2.0,
            baseline: PAGE_HEIGHT - 12.0,
            size: sizes.page_number,
            face: Face::Regular,
            text: number,
        });
    }
    pages
}

/// A signer's block, its authority and title padded to `head_lines`.
fn signature(s: &Signature, sizes: &Sizes, head_lines: usize) -> Vec<Piece> {
    let mut pieces = Vec::new();
    if !s.authority.is_empty() {
        pieces.push(centred(upper(&s.authority), Face::Bold, sizes.signature));
    }
    if !s.title.is_empty() {
        pieces.push(centred(upper(&s.title), Face::Bold, sizes.signature));
    }
    let padding = head_lines.saturating_sub(s.head_lines());
    pieces.extend((0..padding).map(|_| Piece::Gap(line_height(sizes.signature))));
    // Room for the hand signature and the seal.
    if s.signed.is_empty() {
        pieces.push(Piece::Gap(22.0));
    } else {
        pieces.extend([Piece::Gap(6.0), centred(s.signed.clone(), Face::Italic, sizes.recipients), Piece::Gap(12.0)]);
    }
    pieces.push(centred(s.name.clone(), Face::Bold, sizes.signature));
    pieces
}

fn recipients(document: &Document, sizes: &Sizes, party: bool) -> Vec<Piece> {
    if document.recipients.is_empty() {
        return Vec::new();
    }
    let head = if party {
        underlined("Nơi nhận:", Face::Regular, sizes.recipients_head, Align::Left)
    } else {
        text("Nơi nhận:", Face::BoldItalic, sizes.recipients_head, Align::Left)
    };
    let lines = document.recipient_lines().into_iter();
    [head].into_iter().chain(lines.map(|l| text(l, Face::Regular, sizes.recipients, Align::Left))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_line_within_its_width() {
        let text = "Giao các cơ quan, đơn vị giải quyết các ý kiến, kiến nghị chưa được trả lời tại hội nghị; thông báo kết quả bằng văn bản cho công dân trong thời hạn 30 ngày làm việc.";
        let lines = wrap(text, Face::Regular, 13.0, 40.0, 60.0);
        assert!(lines.len() > 3);
        assert!(Face::Regular.width(&lines[0], 13.0) <= 40.0);
        for line in &lines[1..] {
            assert!(Face::Regular.width(line, 13.0) <= 60.0, "{line}");
        }
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn a_word_wider_than_the_line_is_broken() {
        let lines = wrap(&"Đ".repeat(60), Face::Bold, 14.0, 50.0, 50.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| Face::Bold.width(l, 14.0) <= 50.0));
        assert_eq!(lines.concat(), "Đ".repeat(60));
    }

    #[test]
    fn a_justified_line_ends_at_the_right_edge() {
        let words = justify("một hai ba bốn năm", Face::Regular, 13.0, 10.0, 100.0);
        let (x, last) = words.last().unwrap();
        assert!((x + Face::Regular.width(last, 13.0) - 110.0).abs() < 0.01);
    }
}
