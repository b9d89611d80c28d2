//! onego's printable documents. A page is laid out by hand-sized builders ([`pdf::Page`]: text runs
//! that wrap, rules, boxes, a QR code) and written as a PDF with the shipped CJK font embedded — only
//! the glyphs the document uses — and a text layer that maps back to Unicode, so a reader can search,
//! copy and extract what it says.
//!
//! - `font.rs`: the shipped Noto Sans SC subset, its glyphs and widths;
//! - `pdf.rs`: pages and the PDF writer;
//! - `certificate.rs`: an electronic certificate as a printable document with its seal and QR code;
//! - `decision.rs`: a decision letter (准予许可决定书 / 不予许可决定书).

pub mod certificate;
pub mod decision;
pub mod font;
pub mod pdf;

pub use certificate::certificate_pdf;
pub use decision::{Decision, decision_pdf};
