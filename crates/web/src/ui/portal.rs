//! The portal: the home page with the catalog, and the guides of items and bundles.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::{Value, context};
use onego_domain::case::Registry;
use onego_domain::catalog::ServiceItem;
use onego_domain::values::Code;

use crate::AppState;
use crate::ui::{Page, error_page, process_svg, qr_svg, render};

use crate::ui::form::FormData;
use crate::ui::view::*;

// --- Portal ---------------------------------------------------------------------------------------

pub async fn home(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    let query = form.text("q");
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let hit = |texts: &[&str]| {
        words
            .iter()
            .all(|w| texts.iter().any(|t| t.to_lowercase().contains(w.as_str())))
    };
    let depts = departments(&state);
    let items: Vec<Value> = catalog
        .items_on(today)
        .into_iter()
        .filter(|i| {
            hit(&[
                &i.name,
                i.impl_code.as_str(),
                depts.get(i.department.as_str()).map(String::as_str).unwrap_or(""),
                &i.result_name,
            ])
        })
        .map(|i| item_view(&state, &page, i))
        .collect();
    let bundles: Vec<Value> = catalog
        .bundles_on(today)
        .into_iter()
        .filter(|b| hit(&[&b.name, b.code.as_str(), &b.description]))
        .map(|b| {
            context! {
                code => b.code.to_string(), name => b.name.clone(), description => b.description.clone(),
                members => b.members.len(), promised => limit_text(&page, b.promised_limit),
            }
        })
        .collect();
    render(
        &state,
        &page,
        "home.html",
        StatusCode::OK,
        context! { q => query, items => items, bundles => bundles },
    )
}

pub(crate) fn steps_svg(state: &AppState, page: &Page, item: &ServiceItem) -> String {
    let catalog = state.engine.catalog();
    let fields = crate::views::field_labels(state);
    catalog
        .latest_process(&item.process)
        .map(|d| {
            process_svg(
                d,
                &departments(state),
                Some(item.department.as_str()),
                &fields,
                page.lang,
            )
        })
        .unwrap_or_default()
}

pub async fn item_guide(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    let Some(item) = Code::parse(&code).ok().and_then(|c| catalog.item(&c, today)) else {
        return error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个事项。", "There is no such service item."),
        );
    };
    let url = format!(
        "http://{}/items/{}",
        headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost"),
        item.impl_code
    );
    let ctx = context! {
        kind => "item",
        item => item_view(&state, &page, item),
        title => item.name.clone(),
        conditions => item.conditions.clone(),
        materials => item.materials.iter().map(|m| material_view(&page, m)).collect::<Vec<_>>(),
        fees => item.fees.clone(),
        result => format!("{}（{}）", item.result_name, item.result_type),
        place => item.place.clone(), hours => item.hours.clone(),
        consult => item.consult_phone.clone(), complaint => item.complaint_phone.clone(),
        flow => steps_svg(&state, &page, item),
        qr => qr_svg(&url), url => url,
        apply => format!("/apply/item/{}", item.impl_code),
    };
    render(&state, &page, "guide.html", StatusCode::OK, ctx)
}

pub async fn bundle_guide(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    let Some(bundle) = Code::parse(&code).ok().and_then(|c| catalog.bundle(&c, today)) else {
        return error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个“一件事”。", "There is no such bundle."),
        );
    };
    let items: Vec<ServiceItem> = bundle
        .members
        .iter()
        .filter_map(|m| catalog.item(m, today).cloned())
        .collect();
    let merged = bundle.merged_materials(&items);
    let url = format!(
        "http://{}/bundles/{}",
        headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost"),
        bundle.code
    );
    let ctx = context! {
        kind => "bundle",
        title => bundle.name.clone(),
        description => bundle.description.clone(),
        promised => limit_text(&page, bundle.promised_limit),
        lead => dept_name(&state, bundle.lead_department.as_str()),
        members => items.iter().map(|i| item_view(&state, &page, i)).collect::<Vec<_>>(),
        flows => items.iter().map(|i| context! { name => i.name.clone(), flow => steps_svg(&state, &page, i) }).collect::<Vec<_>>(),
        materials => merged.iter().map(|m| {
            let needed: Vec<String> = m.needed_by.iter().filter_map(|c| items.iter().find(|i| &i.impl_code == c).map(|i| i.name.clone())).collect();
            context! { ..material_view(&page, &m.spec), ..context! { needed_by => needed.join("、") } }
        }).collect::<Vec<_>>(),
        result => bundle.result_name.clone(),
        qr => qr_svg(&url), url => url,
        apply => format!("/apply/bundle/{}", bundle.code),
    };
    render(&state, &page, "guide.html", StatusCode::OK, ctx)
}
