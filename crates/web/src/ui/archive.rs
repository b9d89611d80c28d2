//! 云查档: every decided case kept as an archive record with its result documents — the decision
//! letter (PDF), the certificates the decision issued, the printed notices — and how long it is kept.
//! Applicants read their own; a department finds the archived cases of its own items and opens one only
//! after saying why (查档事由), each lookup a journal entry on the case that its applicant sees too.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use chrono::Datelike;
use minijinja::{Value, context};
use onego_domain::case::{Case, Command};
use onego_domain::labels::Label;
use onego_domain::org::Role;
use onego_domain::policy;
use onego_domain::values::ApplicantId;
use onego_store::case::CaseFilter;

use crate::AppState;
use crate::error::ApiError;
use crate::ui::form::FormData;
use crate::ui::view::{PageResult, now, time};
use crate::ui::{Page, api_error_page, error_page, render};

#[derive(Debug, Default, serde::Deserialize)]
pub struct ArchiveQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub done: Option<String>,
}

/// (years kept, the last day kept): the longest any of the case's items asks (licensing 30 years).
pub(crate) fn retention(state: &AppState, case: &Case) -> Option<(u32, chrono::NaiveDate)> {
    use onego_domain::case::Registry;
    let catalog = state.engine.catalog();
    let years = case
        .flows
        .iter()
        .filter_map(|f| catalog.item_version(&f.item, f.item_version))
        .map(|i| i.kind.retention_years())
        .max()
        .unwrap_or(10);
    let decided = state.engine.calendar().local_date(case.decided_at?);
    let until = chrono::NaiveDate::from_ymd_opt(
        decided.year() + years as i32,
        decided.month(),
        decided.day().min(28),
    )?;
    Some((years, until))
}

fn staff(role: Role) -> bool {
    matches!(role, Role::Approver | Role::Supervisor)
}

/// The archive: an applicant's own decided cases; a department's search of its own.
pub async fn archive(State(state): State<AppState>, page: Page, Query(q): Query<ArchiveQuery>) -> PageResult {
    let auth = page
        .require_role(&state, &[Role::Applicant, Role::Approver, Role::Supervisor])?
        .clone();
    let scope = policy::case_list_scope(&auth.actor)
        .map_err(|d| api_error_page(&state, &page, ApiError::forbidden(d.0)))?;
    let mut filter = CaseFilter::new(scope, 100);
    filter.archived = true;
    let query = q.q.clone().unwrap_or_default().trim().to_owned();
    let searching = staff(auth.user.role);
    if searching {
        if query.is_empty() {
            filter.limit = 20;
        } else if let Ok(id) = ApplicantId::parse(&query) {
            filter.applicant_key = Some(id.as_str().to_owned());
        } else {
            filter.text = Some(query.clone());
        }
    }
    let rows = state
        .engine
        .store()
        .cases()
        .list(filter)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let done = match q.done.as_deref() {
        Some("need_reason") => page.tr(
            "调阅档案前请先填写查档事由。",
            "Say why you look the record up before opening it.",
        ),
        _ => String::new(),
    };
    let list: Vec<Value> = rows
        .iter()
        .map(|r| {
            context! {
                id => r.id, number => r.number.clone(), title => r.title.clone(),
                decided => r.decided_at.map(time),
                outcome => r.outcome.map(|o| o.label(page.lang).to_owned()),
                status => r.status.label(page.lang).to_owned(),
            }
        })
        .collect();
    Ok(render(
        &state,
        &page,
        "archive.html",
        StatusCode::OK,
        context! { rows => list, searching => searching, q => query, done => done, error => "" },
    ))
}

/// A department's lookup: the reason is recorded on the case, then the record opens.
pub async fn consult(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let auth = page
        .require_role(&state, &[Role::Approver, Role::Supervisor])?
        .clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let cmd = Command::ConsultArchive {
        reason: form.text("reason"),
    };
    match state.engine.run_case(&auth.actor, id, &cmd, now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/archive/{id}?done=consulted")).into_response()),
        Err(e) => Err(api_error_page(&state, &page, e.into())),
    }
}

/// One archive record: what was decided, its documents, how long it is kept, and who looked it up.
pub async fn record(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<ArchiveQuery>,
) -> PageResult {
    let auth = page
        .require_role(&state, &[Role::Applicant, Role::Approver, Role::Supervisor])?
        .clone();
    let fail = |e: onego_store::engine::EngineError| api_error_page(&state, &page, e.into());
    let stored = state.engine.case(&auth.actor, id).await.map_err(fail)?;
    let case = &stored.value;
    let Some((years, until)) = retention(&state, case) else {
        return Err(error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr(
                "该办件尚未办结，还不在档案中。",
                "This case is not decided yet, so it is not in the archive.",
            ),
        ));
    };
    let journal = state
        .engine
        .timeline::<Case>(&auth.actor, id)
        .await
        .map_err(fail)?;
    let lookups: Vec<&onego_store::aggregate::JournalRow> = journal
        .iter()
        .filter(|j| j.action == "archive_consulted")
        .collect();
    // Staff open a record only after a lookup of their own in this working session.
    if staff(auth.user.role) && !crate::api::cases::looked_up_recently(&journal, auth.user.id) {
        return Ok(Redirect::to(&format!("/archive?q={}&done=need_reason", case.number)).into_response());
    }
    let certificates = state
        .engine
        .certificates_of_case(&auth.actor, id)
        .await
        .map_err(fail)?;
    let done = match q.done.as_deref() {
        Some("consulted") => page.tr(
            "查档已记录。以下是该办件的档案；申请人可以看到本次调阅记录。",
            "The lookup is recorded. Here is the case's record; its applicant sees this lookup too.",
        ),
        _ => String::new(),
    };
    let outcome = case.outcome.map(|o| o.label(page.lang).to_owned());
    // onego's own words for a plain decision ("准予许可") say no more than the outcome: shown once.
    let reason = case.decision_reason.clone().filter(|r| {
        case.outcome
            .is_none_or(|o| r != o.label(onego_domain::labels::Lang::Zh))
    });
    Ok(render(
        &state,
        &page,
        "archive_record.html",
        StatusCode::OK,
        context! {
            id => id, number => case.number.to_string(), title => case.title.clone(),
            outcome => outcome, reason => reason,
            decided => case.decided_at.map(time), years => years, until => until.format("%Y-%m-%d").to_string(),
            status => case.status.label(page.lang).to_owned(),
            accepted => case.accepted_at.is_some(),
            certificates => certificates.iter().map(|c| context! {
                id => c.id, name => c.content.type_name.clone(), identifier => c.content.identifier.clone(),
                status => c.status.label(page.lang).to_owned(),
            }).collect::<Vec<_>>(),
            lookups => lookups.iter().map(|j| context! {
                at => time(onego_calendar::Timestamp::from_millis(j.at)), by => j.actor_name.clone(), reason => j.opinion.clone(),
            }).collect::<Vec<_>>(),
            done => done,
        },
    ))
}

/// The decision letter of a decided case as a PDF: its applicant, and the departments that handled
/// it (staff after a lookup).
pub async fn decision_pdf(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> PageResult {
    let auth = page.require()?.clone();
    let fail = |e: ApiError| api_error_page(&state, &page, e);
    let bytes = crate::api::cases::decision_letter(&state, &auth.actor, &headers, id)
        .await
        .map_err(fail)?;
    let stored = state
        .engine
        .case(&auth.actor, id)
        .await
        .map_err(|e| fail(e.into()))?;
    Ok(crate::api::certificates::pdf_download(
        bytes,
        &format!("决定书-{}.pdf", stored.value.number),
        &format!("decision-{}.pdf", stored.value.number),
    ))
}
