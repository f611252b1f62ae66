//! Reading a rendered document back, as the tests of every service that
//! renders one do: printpdf's own reader, poppler's (which measures every
//! word) and LibreOffice's, which opens a DOCX and prints it.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use printpdf::{PdfDocument, PdfParseOptions};

use crate::{TEXT_LEFT, TEXT_RIGHT};

/// The text a reader sees in a PDF, whitespace collapsed.
pub fn text_of(pdf: &[u8]) -> Result<String, String> {
    let doc = PdfDocument::parse(pdf, &PdfParseOptions::default(), &mut Vec::new())?;
    let words: Vec<String> = doc
        .extract_text()
        .into_iter()
        .flatten()
        .flat_map(|t| t.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    Ok(words.join(" "))
}

/// How many pages a PDF has.
pub fn pages(pdf: &[u8]) -> Result<usize, String> {
    Ok(PdfDocument::parse(pdf, &PdfParseOptions::default(), &mut Vec::new())?.pages.len())
}

/// The paragraphs of a DOCX in order, each paragraph's text whole (the
/// cells of its tables row by row, left to right).
pub fn docx_paragraphs(docx: &[u8]) -> Result<Vec<String>, String> {
    use docx_rs::{DocumentChild, TableCellContent, TableChild, TableRowChild};
    let read = docx_rs::read_docx(docx).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for child in &read.document.children {
        match child {
            DocumentChild::Paragraph(p) => out.push(p.raw_text()),
            DocumentChild::Table(table) => {
                for TableChild::TableRow(row) in &table.rows {
                    for TableRowChild::TableCell(cell) in &row.cells {
                        for content in &cell.children {
                            if let TableCellContent::Paragraph(p) = content {
                                out.push(p.raw_text());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A word as poppler's `pdftotext -bbox` finds it: its page (from 1) and
/// its box in points from the page's top-left corner. Poppler measures each
/// glyph from the embedded font, apart from the layout that placed it.
#[derive(Debug, Clone)]
pub struct Word {
    pub page: usize,
    pub x_min: f32,
    pub y_min: f32,
    pub x_max: f32,
    pub text: String,
}

const MM: f32 = 72.0 / 25.4;

/// A temporary path of this process's own, new at every call, so that
/// parallel tests never share a file.
fn scratch(name: &str) -> std::path::PathBuf {
    static FILES: AtomicUsize = AtomicUsize::new(0);
    let n = FILES.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("doithoai-{}-{n}-{name}", std::process::id()))
}

/// The words of a PDF as poppler reads them (needs `pdftotext`, from
/// poppler-utils).
pub fn poppler_words(pdf: &[u8]) -> Result<Vec<Word>, String> {
    let path = scratch("read.pdf");
    std::fs::write(&path, pdf).map_err(|e| e.to_string())?;
    let out = Command::new("pdftotext").arg("-bbox").arg(&path).arg("-").output();
    let _ = std::fs::remove_file(&path);
    let out = out.map_err(|e| format!("pdftotext (poppler-utils) does not run: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let html = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    let attr = |tag: &str, name: &str| -> Option<f32> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        tag[start..].split('"').next()?.parse().ok()
    };
    let mut words = Vec::new();
    let mut page = 0;
    for line in html.lines().map(str::trim) {
        if line.starts_with("<page") {
            page += 1;
        } else if let Some(rest) = line.strip_prefix("<word ") {
            let (tag, text) = rest.split_once('>').ok_or("a word without its text")?;
            let unescaped = text
                .trim_end_matches("</word>")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            let (x_min, y_min, x_max) = (attr(tag, "xMin"), attr(tag, "yMin"), attr(tag, "xMax"));
            let (Some(x_min), Some(y_min), Some(x_max)) = (x_min, y_min, x_max) else {
                return Err(format!("a word without its box: {line}"));
            };
            words.push(Word { page, x_min, y_min, x_max, text: unescaped });
        }
    }
    Ok(words)
}

/// Where a phrase begins: the first of its words, when they follow each other.
pub fn find<'a>(words: &'a [Word], phrase: &str) -> Option<&'a Word> {
    let wanted: Vec<&str> = phrase.split_whitespace().collect();
    (0..words.len())
        .find(|&i| wanted.iter().enumerate().all(|(k, w)| words.get(i + k).is_some_and(|word| word.text == *w)))
        .map(|i| &words[i])
}

/// The words that leave the text area: left of the left margin, right of
/// the right one, or into the top 5 mm (the page number sits in the top
/// margin).
pub fn outside_margins(words: &[Word]) -> Vec<&Word> {
    words
        .iter()
        .filter(|w| w.x_min < TEXT_LEFT * MM - 0.5 || w.x_max > TEXT_RIGHT * MM + 0.5 || w.y_min < 5.0 * MM)
        .collect()
}

/// A DOCX printed to PDF by LibreOffice, as an office would print it
/// (needs `soffice`, from libreoffice-writer-nogui).
pub fn print_with_libreoffice(docx: &[u8]) -> Result<Vec<u8>, String> {
    let dir = scratch("print");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let docx_path = dir.join("document.docx");
    std::fs::write(&docx_path, docx).map_err(|e| e.to_string())?;
    // A profile of its own, so that parallel prints do not share one.
    let out = Command::new("soffice")
        .args(["--headless", "--norestore", "--convert-to", "pdf", "--outdir"])
        .arg(&dir)
        .arg(&docx_path)
        .env("HOME", &dir)
        .output()
        .map_err(|e| format!("soffice (libreoffice-writer-nogui) does not run: {e}"));
    let printed = std::fs::read(dir.join("document.pdf"));
    let _ = std::fs::remove_dir_all(&dir);
    let out = out?;
    printed.map_err(|_| format!("LibreOffice printed nothing: {}", String::from_utf8_lossy(&out.stderr)))
}

/// The words of a DOCX as LibreOffice prints it, joined by spaces: what an
/// office sees after opening and printing the file.
pub fn printed_text(docx: &[u8]) -> Result<String, String> {
    let words = poppler_words(&print_with_libreoffice(docx)?)?;
    Ok(words.into_iter().map(|w| w.text).collect::<Vec<_>>().join(" "))
}

/// Keeps a copy of a rendered file in `DOITHOAI_DOCUMENTS_OUT` when that is
/// set, so that the tests' documents can be looked at (`docs/documents.md`
/// shows pages of them).
pub fn keep(name: &str, bytes: &[u8]) {
    if let Ok(dir) = std::env::var("DOITHOAI_DOCUMENTS_OUT") {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot keep {}: {e}", path.display()));
    }
}
