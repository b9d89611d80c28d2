//! Pages and the PDF writer. A page is a list of things to draw at given positions (points from the
//! bottom left, A4); the writer embeds the shipped font cut down to the glyphs the document uses, as a
//! CID font (Identity-H) with its widths and a ToUnicode map, and compresses every stream.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::font::{self, FONT, POSTSCRIPT_NAME};

/// An A4 page's width and height in points.
pub const A4: (f32, f32) = (595.28, 841.89);

#[derive(Debug, Clone)]
enum Item {
    Text {
        x: f32,
        y: f32,
        size: f32,
        gray: f32,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<f32>,
        stroke: Option<f32>,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
        gray: f32,
    },
}

/// One page: what to draw, in drawing order.
#[derive(Debug, Clone, Default)]
pub struct Page {
    items: Vec<Item>,
}

impl Page {
    pub fn new() -> Page {
        Page::default()
    }

    /// Text on one line, its baseline at `y`, starting at `x`.
    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str) -> &mut Self {
        self.shaded_text(x, y, size, 0.0, text)
    }

    /// Text in a shade of gray (0 black, 1 white).
    pub fn shaded_text(&mut self, x: f32, y: f32, size: f32, gray: f32, text: &str) -> &mut Self {
        self.items.push(Item::Text {
            x,
            y,
            size,
            gray,
            text: text.to_owned(),
        });
        self
    }

    /// Text centred on `cx`.
    pub fn centered(&mut self, cx: f32, y: f32, size: f32, text: &str) -> &mut Self {
        let w = font::metrics().width(text, size);
        self.text(cx - w / 2.0, y, size, text)
    }

    /// Text wrapped to `width`, lines `leading` apart, the first baseline at `y`. Returns the baseline
    /// after the last line.
    pub fn paragraph(&mut self, x: f32, y: f32, size: f32, width: f32, leading: f32, text: &str) -> f32 {
        let mut y = y;
        for line in wrap(text, size, width) {
            self.text(x, y, size, &line);
            y -= leading;
        }
        y
    }

    pub fn rect(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<f32>,
        stroke: Option<f32>,
    ) -> &mut Self {
        self.items.push(Item::Rect {
            x,
            y,
            w,
            h,
            fill,
            stroke,
        });
        self
    }

    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, gray: f32) -> &mut Self {
        self.items.push(Item::Line {
            from,
            to,
            width,
            gray,
        });
        self
    }

    /// A QR code of `data`, `size` points square with its bottom left at (`x`, `y`), quiet zone
    /// included. Error correction M survives a fold or a smudge on a printout.
    pub fn qr(&mut self, x: f32, y: f32, size: f32, data: &str) -> Result<&mut Self, String> {
        let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)
            .map_err(|e| format!("a QR code cannot carry this: {e}"))?;
        let n = code.width();
        let quiet = 4;
        let module = size / (n + 2 * quiet) as f32;
        let colors = code.to_colors();
        for row in 0..n {
            for col in 0..n {
                if colors[row * n + col] == qrcode::Color::Dark {
                    let mx = x + (col + quiet) as f32 * module;
                    // Rows run top to bottom; PDF's y runs bottom to top.
                    let my = y + size - (row + quiet + 1) as f32 * module;
                    // A hair wider than a module, so neighbours join without seams.
                    self.rect(mx, my, module + 0.02, module + 0.02, Some(0.0), None);
                }
            }
        }
        Ok(self)
    }
}

/// Splits `text` into lines no wider than `width` at `size`: Chinese breaks between any two
/// characters, a Latin word or a long number moves to the next line whole where it can. Line breaks
/// in the text are kept.
pub fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let m = font::metrics();
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut w = 0.0;
        for c in para.chars() {
            let cw = m.advance(m.glyph(c)) * size / 1000.0;
            if w + cw > width && !line.is_empty() {
                // Inside a Latin word: carry the word over when the line has an earlier break.
                let carry = if c.is_ascii_alphanumeric() {
                    line.rfind(|ch: char| !ch.is_ascii_alphanumeric())
                        .map(|i| i + line[i..].chars().next().map_or(1, char::len_utf8))
                        .filter(|&i| i > 0 && i < line.len())
                } else {
                    None
                };
                match carry {
                    Some(i) => {
                        let rest = line.split_off(i);
                        lines.push(line.trim_end().to_owned());
                        line = rest;
                    }
                    None => lines.push(std::mem::take(&mut line)),
                }
                w = m.width(&line, size);
            }
            line.push(c);
            w += cw;
        }
        lines.push(line);
    }
    lines
}

/// A document: its title (in the PDF's properties) and pages.
#[derive(Debug, Clone)]
pub struct Document {
    pub title: String,
    pub subject: String,
    pub pages: Vec<Page>,
}

fn compress(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

impl Document {
    /// The PDF.
    pub fn to_pdf(&self) -> Result<Vec<u8>, String> {
        let m = font::metrics();
        // Every glyph the document draws, numbered in the order first met (CID = new glyph ID).
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut unicode: BTreeMap<u16, char> = BTreeMap::new();
        for page in &self.pages {
            for item in &page.items {
                if let Item::Text { text, .. } = item {
                    for c in text.chars() {
                        let g = m.glyph(c);
                        let cid = remapper.remap(g);
                        if g != 0 {
                            unicode.entry(cid).or_insert(c);
                        }
                    }
                }
            }
        }
        let subset = subsetter::subset(FONT, 0, &remapper).map_err(|e| format!("font subset: {e:?}"))?;
        let widths: Vec<f32> = remapper.remapped_gids().map(|g| m.advance(g)).collect();

        let mut next = 0;
        let mut id = || {
            next += 1;
            Ref::new(next)
        };
        let (catalog_id, pages_id, info_id) = (id(), id(), id());
        let (type0_id, cid_id, descriptor_id, file_id, cmap_id) = (id(), id(), id(), id(), id());
        let page_ids: Vec<(Ref, Ref)> = self.pages.iter().map(|_| (id(), id())).collect();

        let mut pdf = Pdf::new();
        pdf.catalog(catalog_id).pages(pages_id);
        pdf.pages(pages_id)
            .kids(page_ids.iter().map(|(p, _)| *p))
            .count(page_ids.len() as i32);
        pdf.document_info(info_id)
            .title(TextStr(&self.title))
            .subject(TextStr(&self.subject))
            .producer(TextStr("onego"));

        // A subset's name carries a six-letter tag (ISO 32000-1 §9.6.4), derived from its glyphs.
        let tag: String = {
            let mut h: u32 = 2_166_136_261;
            for g in remapper.remapped_gids() {
                h = (h ^ u32::from(g)).wrapping_mul(16_777_619);
            }
            (0..6)
                .map(|i| (b'A' + ((h >> (i * 5)) % 26) as u8) as char)
                .collect()
        };
        let base = format!("{tag}+{POSTSCRIPT_NAME}");
        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        pdf.type0_font(type0_id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_id)
            .to_unicode(cmap_id);
        let mut cid = pdf.cid_font(cid_id);
        cid.subtype(CidFontType::Type2)
            .base_font(Name(base.as_bytes()))
            .system_info(system)
            .font_descriptor(descriptor_id)
            .default_width(1000.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid.widths().consecutive(0, widths);
        cid.finish();
        let [x0, y0, x1, y1] = m.bbox;
        pdf.font_descriptor(descriptor_id)
            .name(Name(base.as_bytes()))
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(x0, y0, x1, y1))
            .italic_angle(0.0)
            .ascent(m.ascent)
            .descent(m.descent)
            .cap_height(m.cap_height)
            .stem_v(80.0)
            .font_file2(file_id);
        let packed = compress(&subset);
        pdf.stream(file_id, &packed)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), subset.len() as i32);
        let mut cmap = UnicodeCmap::new(Name(b"onego-UCS"), system);
        for (cid, c) in &unicode {
            cmap.pair(*cid, *c);
        }
        let cmap = cmap.finish();
        pdf.cmap(cmap_id, &cmap);

        for (page, (page_id, content_id)) in self.pages.iter().zip(&page_ids) {
            let mut content = Content::new();
            for item in &page.items {
                match item {
                    Item::Text {
                        x,
                        y,
                        size,
                        gray,
                        text,
                    } => {
                        let mut encoded = Vec::with_capacity(text.len() * 2);
                        for c in text.chars() {
                            let cid = remapper.get(m.glyph(c)).unwrap_or(0);
                            encoded.extend_from_slice(&cid.to_be_bytes());
                        }
                        content
                            .set_fill_gray(*gray)
                            .begin_text()
                            .set_font(Name(b"F1"), *size)
                            .set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *y])
                            .show(Str(&encoded))
                            .end_text();
                    }
                    Item::Rect {
                        x,
                        y,
                        w,
                        h,
                        fill,
                        stroke,
                    } => {
                        if let Some(g) = fill {
                            content.set_fill_gray(*g);
                        }
                        if let Some(g) = stroke {
                            content.set_stroke_gray(*g).set_line_width(0.8);
                        }
                        content.rect(*x, *y, *w, *h);
                        match (fill, stroke) {
                            (Some(_), Some(_)) => content.fill_nonzero_and_stroke(),
                            (Some(_), None) => content.fill_nonzero(),
                            _ => content.stroke(),
                        };
                    }
                    Item::Line {
                        from,
                        to,
                        width,
                        gray,
                    } => {
                        content
                            .set_stroke_gray(*gray)
                            .set_line_width(*width)
                            .move_to(from.0, from.1)
                            .line_to(to.0, to.1)
                            .stroke();
                    }
                }
            }
            let data = compress(&content.finish());
            pdf.stream(*content_id, &data).filter(Filter::FlateDecode);
            let mut p = pdf.page(*page_id);
            p.media_box(Rect::new(0.0, 0.0, A4.0, A4.1))
                .parent(pages_id)
                .contents(*content_id);
            p.resources().fonts().pair(Name(b"F1"), type0_id);
            p.finish();
        }
        Ok(pdf.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wrap_within_their_width_and_keep_latin_words_whole() {
        let lines = wrap(
            "经营范围：软件开发；信息技术咨询服务；餐饮服务（凭许可证经营）",
            10.0,
            100.0,
        );
        assert!(lines.len() > 2, "{lines:?}");
        for l in &lines {
            assert!(font::metrics().width(l, 10.0) <= 100.5, "{l}");
        }
        let original = "signature algorithm SM2-SM3 over the signed content";
        let lines = wrap(original, 10.0, 120.0);
        assert!(lines.iter().all(|l| !l.starts_with(' ')), "{lines:?}");
        // No word is cut between two letters: every piece is a word, or a word's part at a hyphen.
        for piece in lines.iter().flat_map(|l| l.split_whitespace()) {
            let whole = original.split_whitespace().any(|w| {
                w == piece
                    || (piece.ends_with('-') && w.starts_with(piece))
                    || w.ends_with(&format!("-{piece}"))
            });
            assert!(whole, "{piece} in {lines:?}");
        }
    }

    #[test]
    fn a_document_embeds_only_the_glyphs_it_uses_and_maps_them_back_to_text() {
        let mut page = Page::new();
        page.text(50.0, 800.0, 20.0, "营业执照 Business licence");
        page.qr(400.0, 50.0, 120.0, "https://example.gov.cn/verify/1")
            .expect("qr");
        let pdf = Document {
            title: "营业执照".into(),
            subject: "test".into(),
            pages: vec![page],
        }
        .to_pdf()
        .expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        // A few glyphs, not the 2 MB font.
        assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/FontFile2") && text.contains("/ToUnicode") && text.contains("Identity-H"));
        assert!(text.contains("+NotoSansSC-Regular"));
    }
}
