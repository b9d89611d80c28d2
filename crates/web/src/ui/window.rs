//! The one window: finding an applicant's cases, the queues, registering an application.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use onego_domain::case::{Applicant, CaseStatus, Channel, SubjectRef, Submission};
use onego_domain::labels::Label;
use onego_domain::org::Role;
use onego_domain::policy::CaseScope;
use onego_domain::values::{ApplicantId, Code, Mobile};
use onego_store::case::{CaseFilter, CaseListRow};

use crate::AppState;
use crate::error::ApiError;
use crate::ui::{Page, api_error_page, render};

use crate::ui::form::FormData;
use crate::ui::view::*;

// --- Window, inbox, dashboard ---------------------------------------------------------------------

pub async fn window(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    page.require_role(&state, &[Role::Clerk])?;
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    let wanted = form.text("applicant");
    if wanted.is_empty() {
        return window_page(&state, &page, StatusCode::OK, "", None, None).await;
    }
    // Find an applicant's cases by ID number or 统一社会信用代码 (validated first).
    match ApplicantId::parse(&wanted) {
        Ok(id) => {
            let mut f = CaseFilter::new(CaseScope::All, 100);
            f.applicant_key = Some(id.as_str().to_owned());
            let rows = state
                .engine
                .store()
                .cases()
                .list(f)
                .await
                .map_err(|e| api_error_page(&state, &page, e.into()))?;
            window_page(
                &state,
                &page,
                StatusCode::OK,
                "",
                Some((id.as_str().to_owned(), rows)),
                None,
            )
            .await
        }
        Err(e) => {
            window_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                e.msg().text(page.lang),
                None,
                None,
            )
            .await
        }
    }
}

pub(crate) async fn window_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    error: &str,
    found: Option<(String, Vec<CaseListRow>)>,
    kept: Option<&FormData>,
) -> PageResult {
    // After an error the clerk's entries stay in the form.
    let text = |k: &str| kept.map(|f| f.text(k)).unwrap_or_default();
    let kept_form = context! {
        applicant_id => text("applicant_id"), applicant_name => text("applicant_name"),
        mobile => text("mobile"), subject => text("subject"),
    };
    let list = |s: CaseStatus| {
        let mut f = CaseFilter::new(CaseScope::All, 100);
        f.status = Some(s);
        async move { state.engine.store().cases().list(f).await.unwrap_or_default() }
    };
    let (waiting, to_deliver) = (list(CaseStatus::Submitted).await, list(CaseStatus::Decided).await);
    let row = |r: &CaseListRow| context! { id => r.id, number => r.number.clone(), title => r.title.clone(), submitted => time(r.submitted_at), department => dept_name(state, &r.department) };
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    Ok(render(
        state,
        page,
        "window.html",
        status,
        context! {
            waiting => waiting.iter().map(row).collect::<Vec<_>>(),
            to_deliver => to_deliver.iter().map(row).collect::<Vec<_>>(),
            items => catalog.items_on(today).iter().map(|i| context! { code => i.impl_code.to_string(), name => i.name.clone() }).collect::<Vec<_>>(),
            bundles => catalog.bundles_on(today).iter().map(|b| context! { code => b.code.to_string(), name => b.name.clone() }).collect::<Vec<_>>(),
            error => error, f => kept_form,
            found => found.as_ref().map(|(id, rows)| context! {
                id => id.clone(),
                rows => rows.iter().map(|r| context! { ..row(r), ..context! { status_zh => r.status.zh() } }).collect::<Vec<_>>(),
            }),
        },
    ))
}

/// The window registers an application for a person or organisation (validated ID or 统一社会信用代码).
pub async fn window_register(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let auth = page.require_role(&state, &[Role::Clerk])?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let parsed = (|| -> Result<Submission, String> {
        let id =
            ApplicantId::parse(&form.text("applicant_id")).map_err(|e| e.msg().text(page.lang).to_owned())?;
        let name = form.text("applicant_name");
        if name.is_empty() {
            return Err(page.tr("请填写申请人姓名或单位名称。", "Give the applicant's name."));
        }
        let mobile = form
            .get("mobile")
            .filter(|m| !m.trim().is_empty())
            .map(Mobile::parse)
            .transpose()
            .map_err(|e| e.msg().text(page.lang).to_owned())?;
        let subject = match form.text("subject").split_once(':') {
            Some(("item", c)) => SubjectRef::Item {
                code: Code::parse(c).map_err(|e| e.to_string())?,
            },
            Some(("bundle", c)) => SubjectRef::Bundle {
                code: Code::parse(c).map_err(|e| e.to_string())?,
            },
            _ => return Err(page.tr("请选择办理的事项或一件事。", "Choose the item or bundle.")),
        };
        Ok(Submission {
            subject,
            channel: Channel::Window,
            applicant: Applicant {
                id,
                name,
                mobile,
                user_id: None,
            },
            form: serde_json::json!({}),
            materials: vec![],
        })
    })();
    let submission = match parsed {
        Ok(s) => s,
        Err(m) => {
            return window_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &m,
                None,
                Some(&form),
            )
            .await;
        }
    };
    match state.engine.open_case(&auth.actor, submission, None, now()).await {
        Ok(out) => Ok(Redirect::to(&format!("/cases/{}", out.state.id)).into_response()),
        Err(e) => {
            window_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &ApiError::from(e).text(page.lang),
                None,
                Some(&form),
            )
            .await
        }
    }
}
