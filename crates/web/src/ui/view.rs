//! Helpers that turn domain values into what a page shows (times, department names, limits,
//! materials, items): one copy each, shared by every page.

use std::collections::BTreeMap;

use axum::response::Response;
use minijinja::{Value, context};
use onego_calendar::Limit;
use onego_domain::catalog::{MaterialSpec, Necessity, ServiceItem};
use onego_domain::labels::Label;

use crate::AppState;
use crate::ui::Page;

pub(crate) type PageResult = Result<Response, Response>;

pub(crate) use crate::api::now;

pub(crate) use crate::views::{dept_name, time};

/// Every department's name by code.
pub(crate) fn departments(state: &AppState) -> BTreeMap<String, String> {
    state
        .engine
        .catalog()
        .departments
        .iter()
        .map(|d| (d.code.to_string(), d.name.clone()))
        .collect()
}

pub(crate) fn limit_text(page: &Page, l: Limit) -> String {
    if page.en() {
        l.to_string()
    } else {
        format!("{}{}", l.amount(), l.unit_zh())
    }
}

pub(crate) fn necessity(page: &Page, n: Necessity) -> String {
    match n {
        Necessity::Required => page.tr("必要", "required"),
        Necessity::Optional => page.tr("非必要", "optional"),
        Necessity::Deferrable => page.tr("容缺后补", "may follow later"),
    }
}

pub(crate) fn material_view(page: &Page, m: &MaterialSpec) -> Value {
    context! {
        code => m.code.to_string(),
        name => m.name.clone(),
        necessity => necessity(page, m.necessity),
        necessity_code => format!("{:?}", m.necessity).to_lowercase(),
        shared => m.certificate.is_some(),
        source => if m.certificate.is_some() {
            page.tr("政府部门核发：持有效电子证照的免提交", "issued by government: no upload needed with a valid electronic certificate")
        } else if m.source == onego_domain::catalog::MaterialSource::Government {
            page.tr("政府部门核发（可共享获取）", "issued by government (can be fetched by data sharing)")
        } else {
            page.tr("申请人自备", "supplied by the applicant")
        },
        form => format!("{:?}", m.form).to_lowercase(),
        copies => m.copies,
    }
}

pub(crate) fn item_view(state: &AppState, page: &Page, i: &ServiceItem) -> Value {
    context! {
        code => i.impl_code.to_string(),
        name => i.name.clone(),
        kind => i.kind.zh(),
        department => dept_name(state, i.department.as_str()),
        promised => limit_text(page, i.promised_limit),
        legal => limit_text(page, i.legal_limit),
        instant => i.handling == onego_domain::catalog::Handling::Instant,
        visits => i.visits_required,
    }
}
