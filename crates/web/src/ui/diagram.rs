//! A process definition drawn as an SVG flowchart: nodes in layers by their distance from the start,
//! arrows along `next` edges. Server-side, so it needs no script and prints well.

use std::collections::BTreeMap;

use onego_domain::process::{NodeKind, ProcessDefinition};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `departments` maps department codes to names for the labels; `item_department` fills `@item`.
pub fn svg(
    def: &ProcessDefinition,
    departments: &BTreeMap<String, String>,
    item_department: Option<&str>,
    fields: &BTreeMap<String, String>,
    lang: onego_domain::labels::Lang,
) -> String {
    let words = |l: onego_calendar::Limit| crate::views::limit_words(l, lang);
    // Layer = longest distance from the start (the graph is acyclic), so joins sit below every branch.
    let mut layer: BTreeMap<&str, usize> = BTreeMap::new();
    layer.insert(def.start.as_str(), 0);
    for _ in 0..def.nodes.len() {
        let mut changed = false;
        for n in &def.nodes {
            let Some(&l) = layer.get(n.id.as_str()) else {
                continue;
            };
            for s in n.successors() {
                if layer.get(s).is_none_or(|&x| x < l + 1) {
                    layer.insert(s, l + 1);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let depth = layer.values().copied().max().unwrap_or(0) + 1;
    let mut rows: Vec<Vec<&str>> = vec![Vec::new(); depth];
    for n in &def.nodes {
        if let Some(&l) = layer.get(n.id.as_str()) {
            rows[l].push(n.id.as_str());
        }
    }
    let (w, h, gap_x, gap_y) = (170.0_f64, 52.0_f64, 24.0_f64, 40.0_f64);
    let widest = rows.iter().map(Vec::len).max().unwrap_or(1).max(1) as f64;
    let width = widest * (w + gap_x) + gap_x;
    let height = depth as f64 * (h + gap_y) + gap_y;
    let mut pos: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for (l, row) in rows.iter().enumerate() {
        let row_width = row.len() as f64 * (w + gap_x) - gap_x;
        let x0 = (width - row_width) / 2.0;
        for (i, id) in row.iter().enumerate() {
            pos.insert(id, (x0 + i as f64 * (w + gap_x), gap_y + l as f64 * (h + gap_y)));
        }
    }
    let dept = |d: &str| {
        let code = if d == "@item" {
            item_department.unwrap_or("@item")
        } else {
            d
        };
        departments.get(code).cloned().unwrap_or_else(|| code.to_owned())
    };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flow\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"{}\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>",
        esc(&def.name)
    );
    for n in &def.nodes {
        let Some(&(x, y)) = pos.get(n.id.as_str()) else {
            continue;
        };
        for s in n.successors() {
            if let Some(&(sx, sy)) = pos.get(s) {
                out.push_str(&format!(
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#555\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>",
                    x + w / 2.0,
                    y + h,
                    sx + w / 2.0,
                    sy
                ));
            }
        }
    }
    for n in &def.nodes {
        let Some(&(x, y)) = pos.get(n.id.as_str()) else {
            continue;
        };
        let (fill, sub) = match &n.kind {
            NodeKind::Task {
                department, limit, ..
            } => ("#e8f0fb", format!("{} · {}", dept(department), words(*limit))),
            NodeKind::Countersign {
                departments, limit, ..
            } => (
                "#fdf1dc",
                format!(
                    "{}{} · {}",
                    lang.pick("会签：", "countersign: "),
                    departments.iter().map(|d| dept(d)).collect::<Vec<_>>().join("、"),
                    words(*limit)
                ),
            ),
            NodeKind::Auto { rule_text, .. } => (
                "#e6f4ea",
                format!(
                    "{}{}",
                    lang.pick("规则：", "rule: "),
                    crate::views::rule_words(rule_text, fields, lang)
                ),
            ),
            NodeKind::Choice { .. } => ("#f3e8fb", lang.pick("按条件选择", "by condition").to_owned()),
            NodeKind::Parallel { .. } => ("#eeeeee", lang.pick("并联分发", "in parallel").to_owned()),
            NodeKind::Join { .. } => ("#eeeeee", lang.pick("汇合", "join").to_owned()),
            NodeKind::End { outcome } => (
                "#ffffff",
                match outcome {
                    onego_domain::process::Outcome::Approved => {
                        lang.pick("办结（准予）", "end (approved)").to_owned()
                    }
                    onego_domain::process::Outcome::Refused => {
                        lang.pick("办结（不予）", "end (refused)").to_owned()
                    }
                },
            ),
        };
        let sub: String = sub.chars().take(22).collect();
        // A node given no name of its own is called by what it is, never by its id.
        let title = if n.name == n.id {
            match &n.kind {
                NodeKind::End { .. } => lang.pick("办结", "end").to_owned(),
                NodeKind::Auto { .. } => lang.pick("自动审批", "automatic").to_owned(),
                NodeKind::Parallel { .. } | NodeKind::Join { .. } | NodeKind::Choice { .. } => String::new(),
                _ => lang.pick("审查", "review").to_owned(),
            }
        } else {
            n.name.clone()
        };
        out.push_str(&format!(
            "<g><rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"8\" fill=\"{fill}\" stroke=\"#1a5fb4\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{}</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">{}</text></g>",
            x + w / 2.0,
            y + 21.0,
            esc(&title),
            x + w / 2.0,
            y + 40.0,
            esc(&sub)
        ));
    }
    out.push_str("</svg>");
    out
}
