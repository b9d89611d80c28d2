//! 改革成效台账 as a page and a spreadsheet: the city's (or a supervisor's department's) reduction in
//! steps, materials, limits, visits and days really used, per department and per item, each item with
//! the source of its figures before the reform.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use onego_domain::org::Role;

use crate::AppState;
use crate::api::reform::{BaselineInput, FiguresView, ReductionView, ledger_for, save_baseline};
use crate::error::ApiError;
use crate::ui::form::FormData;
use crate::ui::view::PageResult;
use crate::ui::{Page, api_error_page, render};

const ROLES: &[Role] = &[Role::Leader, Role::Admin, Role::Supervisor];

/// A reduction as people read it: "60.0%", "—" when there was nothing before, a rise marked.
fn pct(p: Option<f64>) -> String {
    match p {
        Some(v) if v < 0.0 => format!("+{:.1}%", -v),
        Some(v) => format!("-{v:.1}%"),
        None => "—".to_owned(),
    }
}

fn days(d: Option<f64>) -> String {
    d.map_or_else(|| "—".to_owned(), |d| format!("{d:.1}"))
}

fn cells(before: &FiguresView, now: &FiguresView, r: &ReductionView) -> minijinja::Value {
    context! {
        steps => format!("{} → {}", before.steps, now.steps), steps_pct => pct(r.steps),
        materials => format!("{} → {}", before.materials, now.materials), materials_pct => pct(r.materials),
        shared => now.shared_materials,
        promised => format!("{} → {}", days(Some(before.promised_days)), days(Some(now.promised_days))), promised_pct => pct(r.promised_days),
        legal => format!("{} → {}", days(Some(before.legal_days)), days(Some(now.legal_days))), legal_pct => pct(r.legal_days),
        visits => format!("{} → {}", before.visits, now.visits), visits_pct => pct(r.visits),
        used => format!("{} → {}", days(before.used_days), days(now.used_days)), used_pct => pct(r.used_days),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: Option<String>,
}

pub async fn page(State(state): State<AppState>, page: Page, Query(q): Query<DoneQuery>) -> PageResult {
    let done = if q.done.as_deref() == Some("baseline") {
        page.tr(
            "改革前数据已保存，台账已按新数据重新计算。",
            "The figures before the reform are saved; the ledger is figured again with them.",
        )
    } else {
        String::new()
    };
    ledger_page(&state, &page, StatusCode::OK, None, None, &done).await
}

async fn ledger_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    refused: Option<&ApiError>,
    kept: Option<&FormData>,
    done: &str,
) -> PageResult {
    let (state, page) = (state.clone(), page);
    let auth = page.require_role(&state, ROLES)?.clone();
    let text = |k: &str| kept.map(|f| f.text(k)).unwrap_or_default();
    let admin = auth.user.role == Role::Admin;
    let today = state.engine.calendar().local_date(crate::ui::view::now());
    let choices: Vec<minijinja::Value> = if admin {
        state
            .engine
            .catalog()
            .items_on(today)
            .iter()
            .map(|i| context! { code => i.impl_code.to_string(), name => i.name.clone() })
            .collect()
    } else {
        vec![]
    };
    let ledger = ledger_for(&state, &auth, page.lang)
        .await
        .map_err(|e| api_error_page(&state, page, e))?;
    let whole = ledger.totals.last().map(|t| {
        context! {
            name => t.department_name.clone(), items => t.items, ..cells(&t.before, &t.now, &t.reduction),
        }
    });
    Ok(render(
        &state,
        page,
        "reform.html",
        status,
        context! {
            whole => whole, admin => admin, choices => choices, done => done,
            f => context! {
                item => text("item"), steps => text("steps"), materials => text("materials"), promised_days => text("promised_days"),
                legal_days => text("legal_days"), visits => text("visits"), used_days => text("used_days"), basis => text("basis"),
            },
            departments => ledger.totals.iter().filter(|t| t.department.is_some()).map(|t| context! {
                name => t.department_name.clone(), items => t.items, ..cells(&t.before, &t.now, &t.reduction),
            }).collect::<Vec<_>>(),
            items => ledger.items.iter().map(|i| context! {
                code => i.code.clone(), name => i.name.clone(), department => i.department_name.clone(), basis => i.basis.clone(),
                ..cells(&i.before, &i.now, &i.reduction),
            }).collect::<Vec<_>>(),
            ..refused.map_or_else(crate::ui::form::no_refusal, |e| crate::ui::form::refusal(e, page.lang)),
        },
    ))
}

/// An administrator enters an item's figures before the reform from the form.
pub async fn enter(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let auth = page.require_role(&state, &[Role::Admin])?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let number = |k: &str| form.text(k).trim().parse::<f64>().ok();
    let whole = |k: &str| form.text(k).trim().parse::<u32>().ok();
    let input = match (
        whole("steps"),
        whole("materials"),
        number("promised_days"),
        number("legal_days"),
        whole("visits"),
    ) {
        (Some(steps), Some(materials), Some(promised_days), Some(legal_days), Some(visits)) => {
            Ok(BaselineInput {
                steps,
                materials,
                promised_days,
                legal_days,
                visits,
                used_days: number("used_days"),
                basis: form.text("basis"),
            })
        }
        _ => Err(ApiError::unprocessable(onego_domain::messages::Msg::new(
            "baseline_numbers",
            "环节、材料、跑动次数请填整数，时限请填天数（可带小数）",
            "give steps, materials and visits as whole numbers and limits as days",
        ))),
    };
    let result = match input {
        Ok(i) => save_baseline(&state, &auth, &form.text("item"), i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/reform?done=baseline").into_response()),
        Err(e) => ledger_page(&state, &page, e.status, Some(&e), Some(&form), "").await,
    }
}

/// The same ledger as a spreadsheet (CSV with a byte-order mark so Excel reads the Chinese): one row per
/// item, then one per department and the whole.
pub async fn csv(State(state): State<AppState>, page: Page) -> PageResult {
    let auth = page.require_role(&state, ROLES)?.clone();
    let ledger = ledger_for(&state, &auth, page.lang)
        .await
        .map_err(|e| api_error_page(&state, &page, e))?;
    let head = [
        page.tr("事项编码", "Item code"),
        page.tr("事项/部门", "Item / department"),
        page.tr("部门", "Department"),
        page.tr("环节（前→后）", "Steps (before → now)"),
        page.tr("环节压减", "Steps cut"),
        page.tr("材料（前→后）", "Materials (before → now)"),
        page.tr("材料压减", "Materials cut"),
        page.tr("免提交材料", "Materials by shared data"),
        page.tr(
            "承诺时限（工作日，前→后）",
            "Promised limit (working days, before → now)",
        ),
        page.tr("时限压缩", "Limit cut"),
        page.tr("跑动次数（前→后）", "Visits (before → now)"),
        page.tr("跑动压减", "Visits cut"),
        page.tr(
            "实际用时（工作日，前→后）",
            "Days used (working days, before → now)",
        ),
        page.tr("用时压缩", "Days used cut"),
        page.tr("改革前数据来源", "Source of the figures before"),
    ];
    let row = |code: &str,
               name: &str,
               dept: &str,
               b: &FiguresView,
               n: &FiguresView,
               r: &ReductionView,
               basis: &str| {
        vec![
            code.to_owned(),
            name.to_owned(),
            dept.to_owned(),
            format!("{} → {}", b.steps, n.steps),
            pct(r.steps),
            format!("{} → {}", b.materials, n.materials),
            pct(r.materials),
            n.shared_materials.to_string(),
            format!(
                "{} → {}",
                days(Some(b.promised_days)),
                days(Some(n.promised_days))
            ),
            pct(r.promised_days),
            format!("{} → {}", b.visits, n.visits),
            pct(r.visits),
            format!("{} → {}", days(b.used_days), days(n.used_days)),
            pct(r.used_days),
            basis.to_owned(),
        ]
    };
    let mut lines: Vec<Vec<String>> = ledger
        .items
        .iter()
        .map(|i| {
            row(
                &i.code,
                &i.name,
                &i.department_name,
                &i.before,
                &i.now,
                &i.reduction,
                &i.basis,
            )
        })
        .collect();
    for t in &ledger.totals {
        lines.push(row(
            "",
            &t.department_name,
            &t.department_name,
            &t.before,
            &t.now,
            &t.reduction,
            "",
        ));
    }
    Ok(crate::views::csv_response("reform.csv", &head, &lines))
}
