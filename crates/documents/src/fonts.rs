//! Liberation Serif (SIL Open Font License, `assets/fonts/LICENSE-LiberationSerif`):
//! metric-compatible with Times New Roman, with every Vietnamese letter
//! precomposed. Widths come from the font's own advance widths, so a line is
//! measured as the PDF will print it.

use std::sync::LazyLock;

use printpdf::ParsedFont;

/// A point in millimetres.
pub const PT_IN_MM: f32 = 25.4 / 72.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Face {
    Regular,
    Bold,
    Italic,
    BoldItalic,
}

static FACES: LazyLock<[ParsedFont; 4]> = LazyLock::new(|| {
    Face::ALL.map(|face| ParsedFont::from_bytes(face.bytes(), 0, &mut Vec::new()).expect("the shipped fonts parse"))
});

impl Face {
    pub const ALL: [Face; 4] = [Face::Regular, Face::Bold, Face::Italic, Face::BoldItalic];

    pub fn bytes(self) -> &'static [u8] {
        match self {
            Face::Regular => include_bytes!("../assets/fonts/LiberationSerif-Regular.ttf"),
            Face::Bold => include_bytes!("../assets/fonts/LiberationSerif-Bold.ttf"),
            Face::Italic => include_bytes!("../assets/fonts/LiberationSerif-Italic.ttf"),
            Face::BoldItalic => include_bytes!("../assets/fonts/LiberationSerif-BoldItalic.ttf"),
        }
    }

    pub(crate) fn parsed(self) -> &'static ParsedFont {
        &FACES[self as usize]
    }

    /// Whether the font has a glyph for every letter of `text`.
    pub fn covers(self, text: &str) -> bool {
        let font = self.parsed();
        text.chars().all(|c| c.is_whitespace() || font.lookup_glyph_index(c as u32).is_some())
    }

    /// How wide `text` prints at `size` points, in millimetres.
    pub fn width(self, text: &str, size: f32) -> f32 {
        let font = self.parsed();
        let units: u32 = text
            .chars()
            .map(|c| font.lookup_glyph_index(c as u32).and_then(|g| font.get_glyph_width(g)).unwrap_or(0) as u32)
            .sum();
        units as f32 / f32::from(font.units_per_em) * size * PT_IN_MM
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vietnamese_letter_has_a_glyph_in_every_face() {
        let letters = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ";
        for face in Face::ALL {
            assert!(face.covers(letters), "{face:?}");
            assert!(face.covers(&letters.to_uppercase()), "{face:?}");
        }
    }

    #[test]
    fn widths_are_the_fonts_own() {
        // Times New Roman's advance widths, which Liberation Serif keeps:
        // "m" is 778/1000 of an em, "i" 278/1000.
        let m = Face::Regular.width("m", 1000.0 / PT_IN_MM);
        let i = Face::Regular.width("i", 1000.0 / PT_IN_MM);
        assert!((m - 778.0).abs() < 1.0, "{m}");
        assert!((i - 278.0).abs() < 1.0, "{i}");
        assert!(Face::Bold.width("HƯNG YÊN", 13.0) > Face::Regular.width("HƯNG YÊN", 13.0));
    }
}
