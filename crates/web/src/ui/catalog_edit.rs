//! Catalog editing: items and bundles, every save a new version.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use onego_domain::case::Registry;
use onego_domain::catalog::{FormField, MaterialKind, MaterialSource, Necessity, ServiceItem};
use onego_domain::labels::Label;
use onego_domain::messages::Msg;
use onego_domain::org::Role;

use crate::AppState;
use crate::error::ApiError;
use crate::ui::{Page, error_page, render};

use crate::ui::admin::admin_page;
use crate::ui::commands::*;
use crate::ui::form::FormData;
use crate::ui::view::*;

// --- Catalog editing: every save is a new version ---------------------------------------------------

pub(crate) const KINDS: [(&str, &str); 8] = [
    ("licensing", "行政许可"),
    ("confirmation", "行政确认"),
    ("benefit", "行政给付"),
    ("adjudication", "行政裁决"),
    ("award", "行政奖励"),
    ("filing", "行政备案"),
    ("other_power", "其他行政权力"),
    ("public_service", "公共服务"),
];

pub(crate) fn snake<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn item_form(item: Option<&ServiceItem>) -> Value {
    let Some(i) = item else {
        return context! { code => "", base => "", name => "", kind => "licensing", department => "", legal => "20wd", promised => "10wd",
        handling => "promised", visits => 1, process => "review-decide", result => "", result_type => "证照",
        place => "市政务服务中心一楼综合受理窗口", hours => "工作日 9:00-12:00，13:30-17:30", consult => "", complaint => "12345",
        conditions => "", fees => "", certificate_type => "", auto_approval => false, material_rows => blank_rows(4) };
    };
    context! {
        code => i.impl_code.to_string(), base => i.base_code.to_string(), name => i.name.clone(), kind => snake(&i.kind),
        department => i.department.to_string(), legal => i.legal_limit.compact(), promised => i.promised_limit.compact(),
        handling => snake(&i.handling), visits => i.visits_required, process => i.process.to_string(),
        result => i.result_name.clone(), result_type => i.result_type.clone(), place => i.place.clone(), hours => i.hours.clone(),
        consult => i.consult_phone.clone(), complaint => i.complaint_phone.clone(),
        conditions => i.conditions.join("\n"), fees => i.fees.join("\n"),
        certificate_type => i.certificate_type.clone().unwrap_or_default(), auto_approval => i.auto_approval,
        material_rows => i.materials.iter().map(|m| context! {
            code => m.code.to_string(), name => m.name.clone(), necessity => snake(&m.necessity), source => snake(&m.source), kind => snake(&m.kind),
            certificate => m.certificate.clone().unwrap_or_default(),
        }).chain(blank_rows(3)).collect::<Vec<_>>(),
    }
}

/// Empty material rows for adding materials.
fn blank_rows(n: usize) -> Vec<Value> {
    (0..n)
        .map(|_| context! { code => "", name => "", necessity => "required", source => "applicant", kind => "other", certificate => "" })
        .collect()
}

/// The material rows as submitted, to show again after an error (with room for more).
pub(crate) fn material_rows_from_form(form: &FormData) -> Vec<Value> {
    let (codes, names, nec, src, kinds, certs) = (
        form.all("m_code"),
        form.all("m_name"),
        form.all("m_necessity"),
        form.all("m_source"),
        form.all("m_kind"),
        form.all("m_certificate"),
    );
    let at = |v: &Vec<String>, i: usize, d: &str| v.get(i).cloned().unwrap_or_else(|| d.to_owned());
    (0..codes.len())
        .map(|i| {
            context! {
                code => at(&codes, i, ""), name => at(&names, i, ""), necessity => at(&nec, i, "required"),
                source => at(&src, i, "applicant"), kind => at(&kinds, i, "other"),
                certificate => at(&certs, i, ""),
            }
        })
        .chain(blank_rows(2))
        .collect()
}

pub(crate) fn item_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    form: Value,
    next_version: u32,
    error: &str,
) -> Response {
    let catalog = state.engine.catalog();
    let mut processes: Vec<String> = catalog.processes.iter().map(|p| p.code.to_string()).collect();
    processes.dedup();
    render(
        state,
        page,
        "admin_item.html",
        status,
        context! {
            item => form, next_version => next_version, error => error, processes => processes,
            kinds => KINDS.iter().map(|(c, n)| context! { code => *c, name => *n }).collect::<Vec<_>>(),
            choices => context! {
                necessity => [Necessity::Required, Necessity::Deferrable, Necessity::Optional].iter().map(|v| context! { code => snake(v), label => v.label(page.lang) }).collect::<Vec<_>>(),
                source => [MaterialSource::Applicant, MaterialSource::Government].iter().map(|v| context! { code => snake(v), label => v.label(page.lang) }).collect::<Vec<_>>(),
                kind => [MaterialKind::Licence, MaterialKind::Form, MaterialKind::Proof, MaterialKind::Other].iter().map(|v| context! { code => snake(v), label => v.label(page.lang) }).collect::<Vec<_>>(),
            },
            departments => catalog.departments.iter().map(|d| context! { code => d.code.to_string(), name => d.name.clone() }).collect::<Vec<_>>(),
            certificate_types => catalog.certificate_types.iter().map(|t| context! { code => t.code.clone(), name => t.name.clone() }).collect::<Vec<_>>(),
        },
    )
}

pub(crate) fn latest_item(state: &AppState, code: &str) -> Option<ServiceItem> {
    let catalog = state.engine.catalog();
    catalog
        .items
        .iter()
        .filter(|i| i.impl_code.as_str() == code)
        .max_by_key(|i| i.version)
        .cloned()
}

pub async fn admin_item_edit(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    if code == "new" {
        return Ok(item_page(&state, &page, StatusCode::OK, item_form(None), 1, ""));
    }
    let item = latest_item(&state, &code).ok_or_else(|| {
        error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个事项。", "There is no such service item."),
        )
    })?;
    Ok(item_page(
        &state,
        &page,
        StatusCode::OK,
        item_form(Some(&item)),
        item.version + 1,
        "",
    ))
}

pub async fn admin_item_save(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let version = latest_item(&state, &form.text("code"))
        .map(|i| i.version + 1)
        .unwrap_or(1);
    let today = state.engine.calendar().local_date(now());
    let echo = || {
        let keys = [
            "code",
            "base",
            "name",
            "kind",
            "department",
            "legal",
            "promised",
            "handling",
            "process",
            "result",
            "result_type",
            "place",
            "hours",
            "consult",
            "complaint",
            "conditions",
            "fees",
            "certificate_type",
        ];
        let mut map: BTreeMap<String, Value> = keys
            .iter()
            .map(|k| {
                let v = if matches!(*k, "legal" | "promised") {
                    form.limit_text(k)
                } else {
                    form.text(k)
                };
                (k.to_string(), Value::from(v))
            })
            .collect();
        map.insert(
            "visits".into(),
            Value::from(form.text("visits").parse::<i64>().unwrap_or(1)),
        );
        map.insert(
            "auto_approval".into(),
            Value::from(form.text("auto_approval") == "true"),
        );
        map.insert(
            "material_rows".into(),
            Value::from(material_rows_from_form(&form)),
        );
        Value::from(map)
    };
    let item = match item_from_form(&form, version, today) {
        Ok(i) => i,
        Err(e) => {
            return Ok(item_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                echo(),
                version,
                e.text(page.lang),
            ));
        }
    };
    if let Err(e) = item.validate_certificates(&state.engine.catalog().certificate_types) {
        return Ok(item_page(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            echo(),
            version,
            e.msg().text(page.lang),
        ));
    }
    if state.engine.catalog().department(&item.department).is_none()
        || state.engine.catalog().latest_process(&item.process).is_none()
    {
        return Ok(item_page(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            echo(),
            version,
            &page.tr("部门或流程不存在。", "The department or process does not exist."),
        ));
    }
    let name = item.name.clone();
    if let Err(e) = state.engine.store().catalog().save_item(item).await {
        return Ok(item_page(
            &state,
            &page,
            StatusCode::CONFLICT,
            echo(),
            version,
            &ApiError::from(e).text(page.lang),
        ));
    }
    let _ = state.engine.reload_config().await;
    admin_page(
        &state,
        &page,
        StatusCode::OK,
        "",
        &format!("{} {name} v{version}", page.tr("已保存事项", "Saved item")),
        "",
    )
    .await
}

pub(crate) fn latest_bundle(state: &AppState, code: &str) -> Option<onego_domain::catalog::Bundle> {
    state
        .engine
        .catalog()
        .bundles
        .iter()
        .filter(|b| b.code.as_str() == code)
        .max_by_key(|b| b.version)
        .cloned()
}

pub(crate) fn bundle_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    form: Value,
    next_version: u32,
    error: &str,
) -> Response {
    let catalog = state.engine.catalog();
    render(
        state,
        page,
        "admin_bundle.html",
        status,
        context! {
            bundle => form, next_version => next_version, error => error,
            departments => catalog.departments.iter().map(|d| context! { code => d.code.to_string(), name => d.name.clone() }).collect::<Vec<_>>(),
        },
    )
}

pub async fn admin_bundle_edit(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    if code == "new" {
        let empty = context! { code => "", name => "", lead => "approval", promised => "5wd", result => "", description => "", members => "", fields => "" };
        return Ok(bundle_page(&state, &page, StatusCode::OK, empty, 1, ""));
    }
    let b = latest_bundle(&state, &code).ok_or_else(|| {
        error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个“一件事”。", "There is no such bundle."),
        )
    })?;
    let form = context! {
        code => b.code.to_string(), name => b.name.clone(), lead => b.lead_department.to_string(), promised => b.promised_limit.compact(),
        result => b.result_name.clone(), description => b.description.clone(),
        members => b.members.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        fields => b.form_fields.iter().map(|f| format!("{} | {} | {} | {}", f.key, f.label, if f.required { "yes" } else { "no" }, f.field_type)).collect::<Vec<_>>().join("\n"),
    };
    Ok(bundle_page(
        &state,
        &page,
        StatusCode::OK,
        form,
        b.version + 1,
        "",
    ))
}

pub async fn admin_bundle_save(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let version = latest_bundle(&state, &form.text("code"))
        .map(|b| b.version + 1)
        .unwrap_or(1);
    let today = state.engine.calendar().local_date(now());
    let echo = || {
        let keys = [
            "code",
            "name",
            "lead",
            "promised",
            "result",
            "description",
            "members",
            "fields",
        ];
        Value::from(
            keys.iter()
                .map(|k| {
                    let v = if matches!(*k, "legal" | "promised") {
                        form.limit_text(k)
                    } else {
                        form.text(k)
                    };
                    (k.to_string(), Value::from(v))
                })
                .collect::<BTreeMap<_, _>>(),
        )
    };
    let parsed = (|| -> Result<onego_domain::catalog::Bundle, Msg> {
        let mut fields = Vec::new();
        for (n, line) in form
            .text("fields")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            let p: Vec<&str> = line.split('|').map(str::trim).collect();
            if p.len() != 4 {
                return Err(Msg::new(
                    "form_field_line",
                    format!(
                        "表单字段第 {} 行：请写成 键 | 名称 | yes/no | text/number/date",
                        n + 1
                    ),
                    format!(
                        "form field line {}: write key | label | yes/no | text/number/date",
                        n + 1
                    ),
                ));
            }
            fields.push(FormField {
                key: p[0].to_owned(),
                label: p[1].to_owned(),
                required: p[2] == "yes",
                field_type: p[3].to_owned(),
                choices: vec![],
            });
        }
        let members = form
            .text("members")
            .split([',', '，', ' '])
            .filter(|s| !s.is_empty())
            .map(|s| code_from(s, ("包含的事项", "members")))
            .collect::<Result<Vec<_>, _>>()?;
        let b = onego_domain::catalog::Bundle {
            code: code_from(&form.text("code"), ("一件事编码", "code"))?,
            version,
            effective_from: today,
            name: form.text("name"),
            description: form.text("description"),
            members,
            lead_department: code_from(&form.text("lead"), ("牵头部门", "lead department"))?,
            promised_limit: limit_from(&form, "promised", ("承诺时限", "promised limit"))?,
            result_name: form.text("result"),
            form_fields: fields,
        };
        let catalog = state.engine.catalog();
        let items: Vec<ServiceItem> = catalog.items_on(today).into_iter().cloned().collect();
        b.validate(&items).map_err(|e| e.msg())?;
        Ok(b)
    })();
    let bundle = match parsed {
        Ok(b) => b,
        Err(e) => {
            return Ok(bundle_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                echo(),
                version,
                e.text(page.lang),
            ));
        }
    };
    let name = bundle.name.clone();
    if let Err(e) = state.engine.store().catalog().save_bundle(bundle).await {
        return Ok(bundle_page(
            &state,
            &page,
            StatusCode::CONFLICT,
            echo(),
            version,
            &ApiError::from(e).text(page.lang),
        ));
    }
    let _ = state.engine.reload_config().await;
    admin_page(
        &state,
        &page,
        StatusCode::OK,
        "",
        &format!("{} {name} v{version}", page.tr("已保存一件事", "Saved bundle")),
        "",
    )
    .await
}
