//! A decision letter (准予行政许可决定书 / 不予行政许可决定书 / 部分准予): what was decided on a case,
//! for whom, by whom, when and why; the certificates it issued; and, when anything was refused, the
//! applicant's right to administrative reconsideration or litigation, which the Administrative
//! Licensing Law (art. 38) requires a refusal to state.

use chrono::NaiveDate;

use crate::pdf::{A4, Document, Page};

/// What a decision letter says.
#[derive(Debug, Clone)]
pub struct Decision {
    /// approved, refused, partial or not_accepted.
    pub outcome: String,
    /// 办件编号.
    pub case_number: String,
    pub applicant_name: String,
    /// As the letter may show it (masked for anyone but the applicant and the department).
    pub applicant_code: String,
    /// The deciding department.
    pub department: String,
    /// Each item with its own result in words.
    pub items: Vec<(String, String)>,
    pub submitted_on: NaiveDate,
    pub decided_on: NaiveDate,
    pub reason: String,
    /// Identifiers of the certificates the decision issued.
    pub certificates: Vec<String>,
    /// Where the case can be looked up.
    pub lookup_url: String,
}

fn date(d: NaiveDate) -> String {
    d.format("%Y年%m月%d日").to_string()
}

/// The PDF of a decision letter.
pub fn decision_pdf(d: &Decision) -> Result<Vec<u8>, String> {
    let (width, height) = A4;
    let margin = 64.0;
    let text_w = width - 2.0 * margin;
    let (title_zh, title_en) = match d.outcome.as_str() {
        "approved" => ("准予行政许可决定书", "Decision to grant"),
        "refused" => ("不予行政许可决定书", "Decision to refuse"),
        "not_accepted" => ("不予受理决定书", "Decision not to accept"),
        _ => ("部分准予行政许可决定书", "Decision granting in part"),
    };
    let mut page = Page::new();
    let mut y = height - 90.0;
    page.centered(width / 2.0, y, 22.0, title_zh);
    y -= 20.0;
    page.centered(width / 2.0, y, 10.0, title_en);
    y -= 18.0;
    page.centered(
        width / 2.0,
        y,
        10.0,
        &format!("办件编号 Case No. {}", d.case_number),
    );
    y -= 34.0;
    page.text(
        margin,
        y,
        12.0,
        &format!("{}（{}）：", d.applicant_name, d.applicant_code),
    );
    y -= 24.0;
    let names: Vec<&str> = d.items.iter().map(|(n, _)| n.as_str()).collect();
    let body = format!(
        "你（单位）于{}提出的{}申请，本机关已依法审查。经审查，决定如下：",
        date(d.submitted_on),
        names.join("、")
    );
    y = page.paragraph(margin + 24.0, y, 12.0, text_w - 24.0, 20.0, &body) - 6.0;
    for (name, result) in &d.items {
        y = page.paragraph(
            margin + 24.0,
            y,
            12.0,
            text_w - 24.0,
            20.0,
            &format!("{name}：{result}。"),
        ) - 2.0;
    }
    y -= 6.0;
    y = page.paragraph(
        margin + 24.0,
        y,
        12.0,
        text_w - 24.0,
        20.0,
        &format!("理由：{}。", d.reason.trim_end_matches('。')),
    ) - 6.0;
    if !d.certificates.is_empty() {
        y = page.paragraph(
            margin + 24.0,
            y,
            12.0,
            text_w - 24.0,
            20.0,
            "本决定所颁发的电子证照已归集至“我的证照”，可凭下列标识在线核验：",
        );
        for id in &d.certificates {
            y = page.paragraph(margin + 36.0, y, 9.0, text_w - 36.0, 13.0, id) - 2.0;
        }
        y -= 8.0;
    }
    if d.outcome != "approved" {
        y = page.paragraph(
            margin + 24.0,
            y,
            12.0,
            text_w - 24.0,
            20.0,
            "如对本决定不服，可以自收到本决定书之日起六十日内依法申请行政复议，或者六个月内依法向人民法院提起行政诉讼。",
        ) - 6.0;
    }
    y -= 30.0;
    let right = width - margin;
    let sign = |page: &mut Page, y: f32, size: f32, t: &str| {
        let w = crate::font::metrics().width(t, size);
        page.text(right - w, y, size, t);
    };
    sign(&mut page, y, 12.0, &d.department);
    sign(&mut page, y - 22.0, 12.0, &date(d.decided_on));
    let note = format!(
        "本决定书由 onego 依据办件记录生成，与办件档案一致；可在 {} 查询。This letter is generated from the case record; look the case up at the address above.",
        d.lookup_url
    );
    page.paragraph(margin, 80.0, 7.5, text_w, 10.0, &note);
    Document {
        title: format!("{title_zh}（{}）", d.case_number),
        subject: d.case_number.clone(),
        pages: vec![page],
    }
    .to_pdf()
}
