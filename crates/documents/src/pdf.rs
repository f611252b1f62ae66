//! The laid-out pages as PDF, with the fonts embedded (subset).

use printpdf::{
    Color, Line, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rgb, TextItem,
};

use crate::Document;
use crate::fonts::Face;
use crate::layout::{PAGE_HEIGHT, PAGE_WIDTH, Page};

pub(crate) fn render(document: &Document, pages: &[Page]) -> Vec<u8> {
    let title = document.heading_lines().join(" ");
    let mut pdf = PdfDocument::new(&title);
    let fonts = Face::ALL.map(|face| pdf.add_font(face.parsed()));
    let black = Color::Rgb(Rgb { r: 0.0, g: 0.0, b: 0.0, icc_profile: None });
    let pages = pages
        .iter()
        .map(|page| {
            let mut ops = vec![Op::SetOutlineColor { col: black.clone() }, Op::SetOutlineThickness { pt: Pt(0.6) }];
            for placed in &page.placed {
                ops.extend([
                    Op::StartTextSection,
                    Op::SetFont {
                        font: PdfFontHandle::External(fonts[placed.face as usize].clone()),
                        size: Pt(placed.size),
                    },
                    Op::SetTextCursor { pos: Point::new(Mm(placed.x), Mm(placed.baseline)) },
                    Op::ShowText { items: vec![TextItem::Text(placed.text.clone())] },
                    Op::EndTextSection,
                ]);
            }
            for rule in &page.rules {
                let at = |x: f32| LinePoint { p: Point::new(Mm(x), Mm(rule.y)), bezier: false };
                ops.push(Op::DrawLine { line: Line { points: vec![at(rule.x1), at(rule.x2)], is_closed: false } });
            }
            PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), ops)
        })
        .collect();
    pdf.with_pages(pages).save(&PdfSaveOptions::default(), &mut Vec::new())
}
