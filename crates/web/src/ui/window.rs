//! The one window: finding an applicant's cases, the queues, registering an application.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use onego_domain::case::{Applicant, CaseStatus, Channel, SubjectRef, Submission};
use onego_domain::labels::Label;
use onego_domain::messages::Msg;
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
        return window_page(&state, &page, StatusCode::OK, None, None, None).await;
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
                None,
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
                Some(&ApiError::unprocessable(e.msg().at("applicant"))),
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
    refused: Option<&ApiError>,
    found: Option<(String, Vec<CaseListRow>)>,
    kept: Option<&FormData>,
) -> PageResult {
    // After an error the clerk's entries stay in the form.
    let text = |k: &str| kept.map(|f| f.text(k)).unwrap_or_default();
    let kept_form = context! {
        applicant_id => text("applicant_id"), applicant_name => text("applicant_name"),
        mobile => text("mobile"), subject => text("subject"),
        holder_consent => text("holder_consent") == "true",
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
            f => kept_form,
            found => found.as_ref().map(|(id, rows)| context! {
                id => id.clone(),
                rows => rows.iter().map(|r| context! { ..row(r), ..context! { status_zh => r.status.zh() } }).collect::<Vec<_>>(),
            }),
            ..refused.map_or_else(crate::ui::form::no_refusal, |e| crate::ui::form::refusal(e, page.lang)),
        },
    ))
}

/// The materials of an application that the applicant's usable certificates satisfy.
async fn shared_materials(
    state: &AppState,
    actor: &onego_domain::org::Actor,
    holder: &ApplicantId,
    subject: &SubjectRef,
) -> Vec<onego_domain::case::ProvidedMaterial> {
    let catalog = state.engine.catalog();
    let t = now();
    let today = state.engine.calendar().local_date(t);
    let held = state
        .engine
        .usable_certificates(actor, holder)
        .await
        .unwrap_or_default();
    let mut out: Vec<onego_domain::case::ProvidedMaterial> = Vec::new();
    for item in onego_domain::case::shared::items_of(&*catalog, subject, today) {
        for m in &item.materials {
            let Some(c) = m
                .certificate
                .as_ref()
                .and_then(|t| held.iter().find(|c| &c.content.type_code == t))
            else {
                continue;
            };
            if out.iter().any(|p| p.code == m.code) {
                continue;
            }
            out.push(onego_domain::case::ProvidedMaterial {
                code: m.code.clone(),
                at: t,
                file: None,
                certificate: Some(onego_domain::case::UsedCertificate {
                    id: c.id,
                    identifier: String::new(),
                    type_name: String::new(),
                }),
            });
        }
    }
    out
}

/// The window registers an application for a person or organisation (validated ID or 统一社会信用代码).
pub async fn window_register(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let auth = page.require_role(&state, &[Role::Clerk])?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    // Every field is checked before answering, so the clerk sees all mistakes at once, each beside its field.
    let mut bad = crate::error::FieldErrors::default();
    let id = bad.check(
        "applicant_id",
        ApplicantId::parse(&form.text("applicant_id")).map_err(|e| e.msg()),
    );
    let name = form.text("applicant_name");
    if name.is_empty() {
        bad.add(
            "applicant_name",
            Msg::new(
                "name_needed",
                "请填写申请人姓名或单位名称。",
                "Give the applicant's name.",
            ),
        );
    }
    let mobile = bad
        .check(
            "mobile",
            form.get("mobile")
                .filter(|m| !m.trim().is_empty())
                .map(Mobile::parse)
                .transpose()
                .map_err(|e| e.msg()),
        )
        .flatten();
    let subject = match form.text("subject").split_once(':') {
        Some(("item", c)) => Code::parse(c).ok().map(|code| SubjectRef::Item { code }),
        Some(("bundle", c)) => Code::parse(c).ok().map(|code| SubjectRef::Bundle { code }),
        _ => None,
    };
    if subject.is_none() {
        bad.add(
            "subject",
            Msg::new(
                "subject_needed",
                "请选择办理的事项或一件事。",
                "Choose the item or bundle.",
            ),
        );
    }
    let consent = form.text("holder_consent") == "true";
    let submission = match (bad.finish(), id, subject) {
        (Ok(()), Some(id), Some(subject)) => Submission {
            // With the applicant's consent, every material their valid certificates satisfy is
            // attached from them (免提交); the clerk checks only the rest.
            materials: if consent {
                shared_materials(&state, &auth.actor, &id, &subject).await
            } else {
                vec![]
            },
            subject,
            channel: Channel::Window,
            applicant: Applicant {
                id,
                name,
                mobile,
                user_id: None,
            },
            form: serde_json::json!({}),
            holder_consent: consent,
            project: None,
        },
        (refused, _, _) => {
            let e = refused
                .err()
                .unwrap_or_else(|| ApiError::unprocessable("the form is incomplete"));
            return window_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&e),
                None,
                Some(&form),
            )
            .await;
        }
    };
    match state.engine.open_case(&auth.actor, submission, None, now()).await {
        Ok(out) => Ok(Redirect::to(&format!("/cases/{}?done=registered", out.state.id)).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            window_page(&state, &page, e.status, Some(&e), None, Some(&form)).await
        }
    }
}
