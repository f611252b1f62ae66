//! The same document as DOCX, for the office to open in Word or
//! LibreOffice, edit and print: the same margins, sizes and order as the
//! PDF, the header and the signatures in borderless tables, page numbers
//! in the header from page 2.

use docx_rs::{
    AlignmentType, Docx, Header, LineSpacing, PageMargin, PageNum, Paragraph, Run, RunFonts, SpecialIndentType, Table,
    TableCell, TableLayoutType, TableRow, WidthType,
};

use crate::layout::{BOTTOM, INDENT, ISSUER_WIDTH, SIGNER_WIDTH, Sizes, TEXT_LEFT, TEXT_RIGHT, TEXT_WIDTH, TOP, sizes};
use crate::{Block, Document, Format, MOTTO, MOTTO_2, PARTY_TITLE, Signature, composed, upper};

/// Twentieths of a point per millimetre.
fn twips(mm: f32) -> i32 {
    (mm / 25.4 * 1440.0).round() as i32
}

/// The font named in the file: Word has it, LibreOffice substitutes the
/// metric-compatible Liberation Serif.
const FONT: &str = "Times New Roman";

#[derive(Clone, Copy, Default)]
struct Style {
    bold: bool,
    italic: bool,
    underline: bool,
}

const PLAIN: Style = Style { bold: false, italic: false, underline: false };
const BOLD: Style = Style { bold: true, italic: false, underline: false };
const ITALIC: Style = Style { bold: false, italic: true, underline: false };

fn run(text: &str, size: f32, style: Style) -> Run {
    let mut run = Run::new().add_text(composed(text)).size((size * 2.0).round() as usize);
    if style.bold {
        run = run.bold();
    }
    if style.italic {
        run = run.italic();
    }
    if style.underline {
        run = run.underline("single");
    }
    run
}

fn para(text: &str, size: f32, style: Style, align: AlignmentType) -> Paragraph {
    Paragraph::new().add_run(run(text, size, style)).align(align).line_spacing(LineSpacing::new().before(0).after(0))
}

fn centred(text: &str, size: f32, style: Style) -> Paragraph {
    para(text, size, style, AlignmentType::Center)
}

/// A short rule: underlined no-break spaces, which both editors print,
/// with room under it before the next line.
fn rule(spaces: usize, size: f32) -> Paragraph {
    let style = Style { underline: true, ..PLAIN };
    centred(&"\u{a0}".repeat(spaces), size * 0.5, style).line_spacing(LineSpacing::new().before(0).after(160))
}

fn cell(width: f32, paragraphs: Vec<Paragraph>) -> TableCell {
    let cell = TableCell::new().width(twips(width) as usize, WidthType::Dxa);
    let cell = if paragraphs.is_empty() {
        cell.add_paragraph(Paragraph::new())
    } else {
        paragraphs.into_iter().fold(cell, TableCell::add_paragraph)
    };
    cell.clear_all_border()
}

fn table(cells: Vec<(f32, Vec<Paragraph>)>) -> Table {
    let grid = cells.iter().map(|(w, _)| twips(*w) as usize).collect();
    // A row is kept whole on one page: a signature is never split from its name.
    Table::without_borders(vec![TableRow::new(cells.into_iter().map(|(w, p)| cell(w, p)).collect()).cant_split()])
        .set_grid(grid)
        .layout(TableLayoutType::Fixed)
        .width(twips(TEXT_WIDTH) as usize, WidthType::Dxa)
        .indent(0)
}

pub(crate) fn render(document: &Document) -> Vec<u8> {
    let sizes = sizes(document.format);
    let party = document.format == Format::Party;
    let issuer = &document.issuer;

    let mut left = Vec::new();
    for line in issuer.parent.lines().filter(|l| !l.is_empty()) {
        left.push(centred(&upper(line), sizes.issuer, PLAIN));
    }
    for line in issuer.name.lines() {
        left.push(centred(&upper(line), sizes.issuer, BOLD));
    }
    left.push(if party { centred("*", sizes.issuer, PLAIN) } else { rule(18, sizes.issuer) });
    left.extend(document.number_line().map(|n| centred(&n, sizes.number, PLAIN)));
    left.extend(document.marking.as_ref().map(|m| centred(&upper(m), sizes.number, BOLD)));
    let mut right = if party {
        vec![centred(PARTY_TITLE, sizes.top_right, Style { underline: true, ..BOLD })]
    } else {
        vec![centred(MOTTO, sizes.top_right, BOLD), centred(MOTTO_2, sizes.motto_2, Style { underline: true, ..BOLD })]
    };
    right.push(centred("", sizes.number, PLAIN));
    right.extend(document.date_line().map(|d| centred(&d, sizes.number, ITALIC)));

    let margins = PageMargin::new()
        .top(twips(TOP))
        .bottom(twips(BOTTOM))
        .left(twips(TEXT_LEFT))
        .right(twips(crate::layout::PAGE_WIDTH - TEXT_RIGHT))
        .header(twips(10.0))
        .footer(twips(10.0));
    let page_number = Paragraph::new()
        .add_page_num(PageNum::new())
        .align(AlignmentType::Center)
        .size((sizes.page_number * 2.0) as usize);
    let mut docx = Docx::new()
        .page_size(11906, 16838)
        .page_margin(margins)
        .default_fonts(RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT).east_asia(FONT))
        .default_size((sizes.body * 2.0) as usize)
        .header(Header::new().add_paragraph(page_number))
        .first_header(Header::new())
        .title_pg()
        .add_table(table(vec![(ISSUER_WIDTH, left), (TEXT_WIDTH - ISSUER_WIDTH, right)]))
        .add_paragraph(Paragraph::new());

    if !document.kind.is_empty() {
        docx = docx.add_paragraph(centred(&upper(&document.kind), sizes.kind, BOLD));
    }
    if !document.title.is_empty() {
        docx = docx.add_paragraph(centred(&document.title, sizes.title, BOLD));
    }
    docx = docx.add_paragraph(rule(24, sizes.title)).add_paragraph(Paragraph::new());

    for (n, block) in document.body.iter().enumerate() {
        let (text, style, indent) = match block {
            Block::Paragraph(s) => (s, PLAIN, true),
            Block::Heading(s) => (s, BOLD, false),
            Block::Item(s) => (s, PLAIN, false),
            Block::Note(s) => (s, ITALIC, true),
        };
        let mut p = Paragraph::new()
            .add_run(run(text, sizes.body, style))
            .align(AlignmentType::Both)
            .line_spacing(LineSpacing::new().before(0).after(120));
        if indent {
            p = p.indent(None, Some(SpecialIndentType::FirstLine(twips(INDENT))), None, None);
        }
        // The last paragraph goes with the signatures, so they never stand alone on a page.
        if n + 1 == document.body.len() {
            p = p.keep_next(true).keep_lines(true);
        }
        docx = docx.add_paragraph(p);
    }
    docx = docx.add_paragraph(Paragraph::new().keep_next(true));

    let recipients = recipients(document, sizes, party);
    match document.signatures.as_slice() {
        [one] => {
            docx = docx.add_table(table(vec![
                (TEXT_WIDTH - SIGNER_WIDTH, recipients),
                (SIGNER_WIDTH, signature(one, sizes, 0)),
            ]));
        }
        signers => {
            let width = TEXT_WIDTH / signers.len().max(1) as f32;
            if !signers.is_empty() {
                let head_lines = signers.iter().map(Signature::head_lines).max().unwrap_or(0);
                let blocks = signers.iter().map(|s| (width, signature(s, sizes, head_lines))).collect();
                docx = docx.add_table(table(blocks));
            }
            for p in recipients {
                docx = docx.add_paragraph(p);
            }
        }
    }

    let mut out = std::io::Cursor::new(Vec::new());
    docx.build().pack(&mut out).expect("a DOCX is written to memory");
    out.into_inner()
}

/// A signer's block, its authority and title padded to `head_lines`.
fn signature(s: &Signature, sizes: &Sizes, head_lines: usize) -> Vec<Paragraph> {
    let mut out = Vec::new();
    if !s.authority.is_empty() {
        out.push(centred(&upper(&s.authority), sizes.signature, BOLD));
    }
    if !s.title.is_empty() {
        out.push(centred(&upper(&s.title), sizes.signature, BOLD));
    }
    out.extend((0..head_lines.saturating_sub(s.head_lines())).map(|_| centred("", sizes.signature, PLAIN)));
    // Room for the hand signature and the seal.
    out.push(centred("", sizes.signature, PLAIN));
    out.push(centred(&s.signed, sizes.recipients, ITALIC));
    out.extend((0..3).map(|_| centred("", sizes.signature, PLAIN)));
    out.push(centred(&s.name, sizes.signature, BOLD));
    out
}

fn recipients(document: &Document, sizes: &Sizes, party: bool) -> Vec<Paragraph> {
    if document.recipients.is_empty() {
        return Vec::new();
    }
    let head =
        if party { Style { underline: true, ..PLAIN } } else { Style { bold: true, italic: true, underline: false } };
    let mut out = vec![para("Nơi nhận:", sizes.recipients_head, head, AlignmentType::Left)];
    out.extend(document.recipient_lines().iter().map(|l| para(l, sizes.recipients, PLAIN, AlignmentType::Left)));
    out
}
