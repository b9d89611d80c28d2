//! The leaders' dashboard: statistics by department, item and month, and the hotline's rates.

use axum::extract::State;
use axum::http::StatusCode;
use minijinja::{Value, context};
use onego_domain::org::Role;
use onego_store::stats::{GroupBy, StatsQuery};

use crate::AppState;
use crate::ui::{Page, api_error_page, render};

use crate::ui::form::FormData;
use crate::ui::view::*;

pub async fn dashboard(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let auth = page
        .require_role(&state, &[Role::Leader, Role::Supervisor, Role::Admin])?
        .clone();
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    let today = state.engine.calendar().local_date(now());
    let default_from = today - chrono::Duration::days(180);
    let from = form
        .get("from")
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(default_from);
    let to = form
        .get("to")
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(today);
    let department = if auth.user.role == Role::Supervisor {
        auth.user.department.as_ref().map(ToString::to_string)
    } else {
        None
    };
    let mut tables = Vec::new();
    let mut headline = Value::from(());
    for (group, zh, en) in [
        (GroupBy::Department, "按部门", "By department"),
        (GroupBy::Item, "按事项", "By item"),
        (GroupBy::Month, "按月份", "By month"),
    ] {
        let q = StatsQuery {
            group_by: group,
            from_day: Some(onego_store::day_number(from)),
            to_day: Some(onego_store::day_number(to)),
            department: department.clone(),
            item: None,
        };
        let rows = state
            .engine
            .store()
            .stats()
            .query(q)
            .await
            .map_err(|e| api_error_page(&state, &page, e.into()))?;
        if group == GroupBy::Department {
            // The figures leaders report upward, over the whole period (each case counts once, under
            // its responsible department).
            let sum = |f: fn(&onego_store::stats::StatsRow) -> i64| rows.iter().map(f).sum::<i64>();
            let (accepted, decided, on_time, rated) = (
                sum(|r| r.accepted),
                sum(|r| r.decided),
                sum(|r| r.on_time),
                sum(|r| r.rated),
            );
            let satisfied: f64 = rows
                .iter()
                .map(|r| r.satisfaction_rate.unwrap_or(0.0) * r.rated as f64)
                .sum();
            let share = |part: f64, whole: i64| {
                if whole == 0 {
                    "—".to_owned()
                } else {
                    format!("{:.1}%", part * 100.0 / whole as f64)
                }
            };
            headline = context! {
                accepted => accepted, decided => decided,
                completion => share(decided as f64, accepted),
                on_time => share(on_time as f64, decided),
                satisfaction => share(satisfied, rated),
                overdue => sum(|r| r.overdue_open), warning => sum(|r| r.warning_open),
            };
        }
        let catalog = state.engine.catalog();
        let pct = |x: Option<f64>| {
            x.map(|v| format!("{:.1}%", v * 100.0))
                .unwrap_or_else(|| "—".into())
        };
        let rows: Vec<Value> = rows
            .iter()
            .map(|r| {
                let label = crate::api::stats_label(&catalog, group, &r.key);
                let drill = match group {
                    GroupBy::Department => format!("/cases?department={}&from={from}&to={to}", r.key),
                    GroupBy::Item => format!("/cases?item={}&from={from}&to={to}", r.key),
                    _ => {
                        let y: i32 = r.key.get(..4).and_then(|s| s.parse().ok()).unwrap_or(2026);
                        let m: u32 = r.key.get(4..).and_then(|s| s.parse().ok()).unwrap_or(1);
                        let start = chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(from);
                        let end = start.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(to);
                        format!("/cases?from={start}&to={end}")
                    }
                };
                context! {
                    key => r.key.clone(), label => label, drill => drill,
                    accepted => r.accepted, decided => r.decided, completion => pct(r.completion_rate), on_time => pct(r.on_time_rate),
                    legal_on_time => pct(r.legal_on_time_rate), used => r.avg_used_days, promised => r.avg_promised_days, legal => r.avg_legal_days,
                    satisfaction => pct(r.satisfaction_rate), rated => r.rated, warning => r.warning_open, overdue => r.overdue_open,
                    on_time_value => r.on_time_rate.map(|v| (v * 1000.0).round() / 10.0),
                    satisfaction_value => r.satisfaction_rate.map(|v| (v * 1000.0).round() / 10.0),
                }
            })
            .collect();
        tables.push(
            context! { id => format!("{group:?}").to_lowercase(), title => page.tr(zh, en), rows => rows },
        );
    }
    let (a, b) = (onego_store::day_number(from), onego_store::day_number(to));
    let rates = state
        .engine
        .store()
        .tickets()
        .rates(a, b)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    Ok(render(
        &state,
        &page,
        "dashboard.html",
        StatusCode::OK,
        context! {
            tables => tables, headline => headline, from => from.to_string(), to => to.to_string(),
            scope => department.clone().map(|d| dept_name(&state, &d)),
            rates => rates.iter().filter(|r| department.as_ref().is_none_or(|d| *d == r.department)).map(|r| {
                let pct = |v: Option<f64>| v.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".into());
                let val = |v: Option<f64>| v.map(|x| (x * 1000.0).round() / 10.0);
                context! { department => dept_name(&state, &r.department), tickets => r.tickets, closed => r.closed, returned => r.returned, overdue => r.overdue,
                    response => pct(r.response_rate), on_time => pct(r.on_time_rate), first_time => pct(r.first_time_resolution_rate),
                    resolution => pct(r.resolution_rate), satisfaction => pct(r.satisfaction_rate), return_rate => pct(r.return_rate), reopen => pct(r.reopen_rate),
                    response_value => val(r.response_rate), on_time_value => val(r.on_time_rate), satisfaction_value => val(r.satisfaction_rate),
                    first_time_value => val(r.first_time_resolution_rate), label => dept_name(&state, &r.department) }
            }).collect::<Vec<_>>(),
        },
    ))
}
