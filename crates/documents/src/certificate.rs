//! An electronic certificate as a printable document: its type as the title, the identifier, every
//! field of its content in Chinese with the English beside it, its status when printed, the seal's
//! data (algorithm, SM2 user ID, public key, signature) and a QR code to the public check.

use onego_domain::certificate::Certificate;

use crate::pdf::{A4, Document, Page};

const MARGIN: f32 = 56.0;

fn status_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "valid" => ("有效", "valid"),
        "suspended" => ("已暂停", "suspended"),
        "revoked" => ("已注销", "revoked"),
        _ => ("已过期", "expired"),
    }
}

fn date(d: chrono::NaiveDate) -> String {
    d.format("%Y年%m月%d日").to_string()
}

/// The PDF of `cert`, its QR code pointing at `verify_url` (the public check of its identifier).
pub fn certificate_pdf(cert: &Certificate, verify_url: &str) -> Result<Vec<u8>, String> {
    let c = &cert.content;
    let (width, height) = A4;
    let mut page = Page::new();
    // A frame, as printed certificates have.
    page.rect(28.0, 28.0, width - 56.0, height - 56.0, None, Some(0.35));
    page.rect(34.0, 34.0, width - 68.0, height - 68.0, None, Some(0.6));
    let mut y = height - 96.0;
    page.centered(width / 2.0, y, 26.0, &c.type_name);
    y -= 22.0;
    page.centered(width / 2.0, y, 10.0, "电子证照 · Electronic certificate");
    y -= 26.0;
    page.shaded_text(MARGIN, y, 8.5, 0.25, "电子证照标识 Identifier (GB/T 36904)");
    y -= 13.0;
    page.text(MARGIN, y, 9.5, &c.identifier);
    y -= 10.0;
    page.line((MARGIN, y), (width - MARGIN, y), 0.6, 0.5);
    y -= 24.0;

    let validity = match c.valid_until {
        Some(until) => format!("{} 至 {}", date(c.valid_from), date(until)),
        None => format!("{} 起长期有效", date(c.valid_from)),
    };
    let (status_zh, status_en) = status_words(cert.status.as_str());
    let mut rows: Vec<(String, String)> = vec![
        ("证照编号 No.".into(), c.number.clone()),
        ("持证主体 Holder".into(), c.holder_name.clone()),
        (
            if c.holder_code_type == "001" {
                "统一社会信用代码 USCC".into()
            } else {
                "身份证件号码 ID number".into()
            },
            c.holder_code.clone(),
        ),
        ("颁发机构 Issued by".into(), c.issuer_name.clone()),
        ("颁发日期 Issued on".into(), date(c.issued_on)),
        ("有效期 Valid".into(), validity),
        ("属地 Region".into(), c.region.clone()),
        (
            "状态 Status".into(),
            format!("{status_zh} {status_en}（打印时 when printed）"),
        ),
    ];
    if let Some(data) = c.data.as_object() {
        for (k, v) in data {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            rows.push((k.clone(), v));
        }
    }
    if !c.related.is_empty() {
        rows.push(("关联证照 Related".into(), c.related.join("\n")));
    }
    let label_w = 150.0;
    let value_w = width - 2.0 * MARGIN - label_w;
    for (label, value) in &rows {
        page.shaded_text(MARGIN, y, 10.0, 0.3, label);
        y = page.paragraph(MARGIN + label_w, y, 11.5, value_w, 16.0, value) - 4.0;
        if y < 300.0 {
            break;
        }
    }

    // The seal: what any SM2 verifier needs, beside the QR code to the public check.
    let qr_size = 128.0;
    let seal_top = 262.0;
    page.line(
        (MARGIN, seal_top + 14.0),
        (width - MARGIN, seal_top + 14.0),
        0.6,
        0.5,
    );
    page.text(MARGIN, seal_top, 11.0, "电子签章 Seal");
    let seal_w = width - 2.0 * MARGIN - qr_size - 16.0;
    let mut sy = seal_top - 16.0;
    for (label, value) in [
        (
            "签名算法 Algorithm",
            "SM2 over SM3 (GB/T 32918, GB/T 32905)".to_owned(),
        ),
        (
            "SM2 用户标识 User ID",
            onego_domain::certificate::seal::DEFAULT_ID.to_owned(),
        ),
        ("签章公钥 Public key", cert.seal.public_key.clone()),
        ("签名值 Signature (r‖s)", cert.seal.signature.clone()),
    ] {
        page.shaded_text(MARGIN, sy, 8.0, 0.3, label);
        sy = page.paragraph(MARGIN, sy - 10.0, 7.0, seal_w, 9.0, &value) - 3.0;
    }
    page.qr(
        width - MARGIN - qr_size,
        seal_top - qr_size + 8.0,
        qr_size,
        verify_url,
    )?;
    page.centered(
        width - MARGIN - qr_size / 2.0,
        seal_top - qr_size,
        7.5,
        "扫码核验 Scan to check",
    );
    let note = format!(
        "核验真伪：扫描二维码或访问 {verify_url}。签名覆盖证照内容的规范 JSON（signed_content），可用任何 SM2 验证工具独立核验。\
         To check it, scan the code or visit the address; the signature covers the canonical JSON of the content and any SM2 verifier can check it."
    );
    let fy = page.paragraph(MARGIN, 92.0, 7.5, width - 2.0 * MARGIN, 10.0, &note);
    debug_assert!(fy > 40.0);
    Document {
        title: format!("{}（{}）", c.type_name, c.number),
        subject: c.identifier.clone(),
        pages: vec![page],
    }
    .to_pdf()
}
