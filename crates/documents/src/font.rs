//! The font every document is set in: a GB 2312 subset of Noto Sans SC (SIL OFL 1.1; see
//! `fonts/README.md`), compiled into the binary so nothing is fetched at run time.

use std::sync::OnceLock;

/// The shipped font file.
pub static FONT: &[u8] = include_bytes!("../fonts/NotoSansSC-Regular-GB2312.ttf");

/// The PostScript name a PDF calls it by (after its subset tag).
pub const POSTSCRIPT_NAME: &str = "NotoSansSC-Regular";

/// What layout needs of the font, read once.
pub struct Metrics {
    units_per_em: f32,
    /// Advance width of each glyph, in font units.
    advances: Vec<u16>,
    /// Character → glyph, for every character the font maps.
    cmap: std::collections::HashMap<char, u16>,
    pub ascent: f32,
    pub descent: f32,
    pub cap_height: f32,
    /// The font's bounding box, in thousandths of an em.
    pub bbox: [f32; 4],
}

impl Metrics {
    fn read() -> Metrics {
        let face = ttf_parser::Face::parse(FONT, 0).expect("the shipped font parses");
        let upem = f32::from(face.units_per_em());
        let mut advances = Vec::with_capacity(usize::from(face.number_of_glyphs()));
        for g in 0..face.number_of_glyphs() {
            advances.push(face.glyph_hor_advance(ttf_parser::GlyphId(g)).unwrap_or(0));
        }
        let mut cmap = std::collections::HashMap::new();
        if let Some(table) = face.tables().cmap {
            for sub in table.subtables.into_iter().filter(|s| s.is_unicode()) {
                sub.codepoints(|cp| {
                    if let (Some(c), Some(g)) = (char::from_u32(cp), sub.glyph_index(cp)) {
                        cmap.entry(c).or_insert(g.0);
                    }
                });
            }
        }
        let scale = |v: i16| f32::from(v) * 1000.0 / upem;
        let b = face.global_bounding_box();
        Metrics {
            units_per_em: upem,
            advances,
            cmap,
            ascent: scale(face.ascender()),
            descent: scale(face.descender()),
            cap_height: face.capital_height().map_or(700.0, scale),
            bbox: [scale(b.x_min), scale(b.y_min), scale(b.x_max), scale(b.y_max)],
        }
    }

    /// The glyph that draws `c`: 0 (`.notdef`, an empty box) for a character outside the subset.
    pub fn glyph(&self, c: char) -> u16 {
        self.cmap.get(&c).copied().unwrap_or(0)
    }

    /// A glyph's advance in thousandths of an em.
    pub fn advance(&self, glyph: u16) -> f32 {
        let units = self.advances.get(usize::from(glyph)).copied().unwrap_or(0);
        f32::from(units) * 1000.0 / self.units_per_em
    }

    /// The width of `text` set at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(self.glyph(c))).sum::<f32>() * size / 1000.0
    }
}

/// The font's metrics (read on first use).
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_font_draws_chinese_latin_and_digits_and_measures_them() {
        let m = metrics();
        for c in "营业执照电子证照核验张三丰菏泽市Certificate0123456789（）：".chars() {
            assert_ne!(m.glyph(c), 0, "{c} is in the subset");
        }
        // A full-width character is one em; a digit about half.
        assert!((m.width("证", 10.0) - 10.0).abs() < 0.5);
        assert!(m.width("1", 10.0) < 7.0);
        assert_eq!(
            m.glyph('\u{20000}'),
            0,
            "a character outside the subset is .notdef"
        );
    }
}
