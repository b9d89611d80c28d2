//! Certificates as people meet them: the public check behind a certificate's QR code
//! (`/verify/{identifier}`: genuine or not, its status, the holder masked), and the holder's own
//! "我的证照" (`/certificates`, each with its content and every use with its reason).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use onego_domain::certificate::{Certificate, CertificateCommand, CertificateStatus};
use onego_domain::labels::Label;
use onego_domain::org::Role;
use onego_domain::privacy;
use onego_store::engine::Verdict;

use super::{Page, api_error_page, render};
use crate::AppState;
use crate::error::ApiError;
use crate::ui::form::FormData;
use crate::ui::view::PageResult;
use crate::views::time;

fn status_view(page: &Page, s: CertificateStatus) -> minijinja::Value {
    context! { code => s.as_str(), name => s.label(page.lang) }
}

fn date(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The content as the holder or the issuer reads it (the holder in full).
fn full_view(page: &Page, c: &Certificate, today: chrono::NaiveDate) -> minijinja::Value {
    let k = &c.content;
    // Renewal is offered from the first reminder on, and once it has ended.
    let due = match (k.valid_until, c.reminders.before_expiry.iter().max()) {
        (Some(until), Some(ahead)) => until - chrono::Days::new(u64::from(*ahead)) <= today,
        _ => false,
    } || c.status == CertificateStatus::Expired;
    let renew = c.reminders.renewal_item.clone().filter(|_| due);
    context! {
        renew => renew,
        id => c.id, identifier => k.identifier.clone(), type_name => k.type_name.clone(), number => k.number.clone(),
        holder_name => k.holder_name.clone(), holder_code => k.holder_code.clone(),
        issuer_name => k.issuer_name.clone(), issued_on => date(k.issued_on), valid_from => date(k.valid_from),
        valid_until => k.valid_until.map(date), status => status_view(page, c.status), uses => c.uses,
        data => k.data.as_object().map(|o| o.iter().map(|(key, v)| context! { name => key.clone(),
            value => v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()) }).collect::<Vec<_>>()).unwrap_or_default(),
    }
}

/// Words for a certificate journal action.
fn action_words(page: &Page, action: &str) -> String {
    let (zh, en) = match action {
        "issue" => ("签发", "issued"),
        "use" => ("用证", "used"),
        "suspend" => ("暂停", "suspended"),
        "reinstate" => ("恢复", "reinstated"),
        "revoke" => ("注销", "revoked"),
        "expire" => ("到期", "expired"),
        "remind_expiry" => ("到期提醒", "reminded of expiry"),
        "remind_annual_report" => ("年报提醒", "reminded of the annual report"),
        _ => ("其他", "other"),
    };
    page.tr(zh, en)
}

/// The public check: anyone, no log-in. A wrong identifier, one not issued here, and a seal that does
/// not hold are each said plainly; the holder's name and code are masked.
pub async fn verify(State(state): State<AppState>, page: Page, Path(identifier): Path<String>) -> PageResult {
    match state.engine.verify_certificate(&identifier).await {
        Ok(v) => {
            let c = &v.certificate;
            let k = &c.content;
            let (genuine, verdict) = match &v.verdict {
                Verdict::Genuine => (true, String::new()),
                Verdict::Altered(m) => (false, m.text(page.lang).to_owned()),
                Verdict::UnknownKey => (
                    false,
                    page.tr(
                        "签章不是发证机关的密钥所签，此证照不可信。",
                        "The seal was not made with a key of the issuing body: do not trust this certificate.",
                    ),
                ),
            };
            let status = if genuine {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok(render(
                &state,
                &page,
                "certificate_verify.html",
                status,
                context! {
                    identifier => k.identifier.clone(), genuine => genuine, verdict => verdict,
                    usable => genuine && c.status == CertificateStatus::Valid,
                    c => context! {
                        type_name => k.type_name.clone(), number => k.number.clone(),
                        holder_name => privacy::applicant_name(&c.holder, &k.holder_name, false),
                        holder_code => c.holder.masked(), issuer_name => k.issuer_name.clone(),
                        issued_on => date(k.issued_on), valid_until => k.valid_until.map(date),
                        status => status_view(&page, c.status),
                    },
                },
            ))
        }
        Err(e) => {
            let e: ApiError = e.into();
            Ok(render(
                &state,
                &page,
                "certificate_verify.html",
                e.status,
                context! { identifier => identifier, refused => e.text(page.lang) },
            ))
        }
    }
}

/// 我的证照: the certificates the logged-in person holds.
pub async fn mine(State(state): State<AppState>, page: Page) -> PageResult {
    let auth = page.require()?.clone();
    let list = state
        .engine
        .my_certificates(&auth.actor)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    Ok(render(
        &state,
        &page,
        "certificates.html",
        StatusCode::OK,
        context! { certificates => list.iter().map(|c| full_view(&page, c, state.engine.calendar().local_date(crate::ui::view::now()))).collect::<Vec<_>>() },
    ))
}

/// One certificate with every use (who, when, for which case, why), for its holder and its issuer;
/// the issuing department's approvers and supervisors also find the forms to suspend, reinstate or
/// revoke it, each with a reason.
pub async fn one(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let done = match q.done.as_deref() {
        Some("suspend") => page.tr(
            "已暂停。暂停期间此证照不能用于办事，公开核验显示“已暂停”；恢复后即可再用。",
            "Suspended. While suspended it cannot be used, and the public check says so; reinstate it to allow use again.",
        ),
        Some("reinstate") => page.tr("已恢复，证照重新有效。", "Reinstated: the certificate is valid again."),
        Some("revoke") => page.tr(
            "已注销。此证照从此不能再用，公开核验显示“已注销”。",
            "Revoked. It can never be used again, and the public check says so.",
        ),
        _ => String::new(),
    };
    certificate_page(&state, &page, id, StatusCode::OK, "", &done).await
}

async fn certificate_page(
    state: &AppState,
    page: &Page,
    id: i64,
    status: StatusCode,
    error: &str,
    done: &str,
) -> PageResult {
    let auth = page.require()?.clone();
    let fail = |e: onego_store::engine::EngineError| api_error_page(state, page, e.into());
    let stored = state.engine.certificate(&auth.actor, id).await.map_err(fail)?;
    let journal = state
        .engine
        .timeline::<Certificate>(&auth.actor, id)
        .await
        .map_err(fail)?;
    let log: Vec<minijinja::Value> = journal
        .iter()
        .map(|j| {
            let case_id = serde_json::from_str::<serde_json::Value>(&j.data)
                .ok()
                .and_then(|d| d.get("case_id").and_then(serde_json::Value::as_i64));
            context! {
                at => time(onego_calendar::Timestamp::from_millis(j.at)), what => action_words(page, &j.action),
                who => if j.actor_role == "system" { page.tr("系统", "onego") } else { j.actor_name.clone() },
                reason => j.opinion.clone(), case_id => case_id,
            }
        })
        .collect();
    let c = &stored.value;
    let issuer = matches!(auth.actor.role, Role::Approver | Role::Supervisor)
        && auth.actor.department.as_ref() == Some(&c.department);
    let actions: Vec<minijinja::Value> = if issuer {
        [
            (
                c.status == CertificateStatus::Valid,
                "suspend",
                page.tr("暂停", "Suspend"),
            ),
            (
                c.status == CertificateStatus::Suspended,
                "reinstate",
                page.tr("恢复", "Reinstate"),
            ),
            (
                matches!(
                    c.status,
                    CertificateStatus::Valid | CertificateStatus::Suspended | CertificateStatus::Expired
                ),
                "revoke",
                page.tr("注销", "Revoke"),
            ),
        ]
        .into_iter()
        .filter(|(ok, _, _)| *ok)
        .map(|(_, code, name)| context! { code => code, name => name })
        .collect()
    } else {
        vec![]
    };
    Ok(render(
        state,
        page,
        "certificate.html",
        status,
        context! { c => full_view(page, c, state.engine.calendar().local_date(crate::ui::view::now())), log => log, actions => actions, error => error, done => done },
    ))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: Option<String>,
}

/// The issuing department suspends, reinstates or revokes a certificate, with its reason.
pub async fn act(State(state): State<AppState>, page: Page, Path(id): Path<i64>, body: Bytes) -> PageResult {
    let auth = page.require()?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let reason = form.text("reason");
    let action = form.text("action");
    let cmd = match action.as_str() {
        "suspend" => CertificateCommand::Suspend { reason },
        "reinstate" => CertificateCommand::Reinstate { reason },
        "revoke" => CertificateCommand::Revoke { reason },
        _ => {
            return certificate_page(
                &state,
                &page,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &page.tr("请选择要进行的操作。", "Choose what to do."),
                "",
            )
            .await;
        }
    };
    match state
        .engine
        .run_certificate(&auth.actor, id, &cmd, crate::api::now())
        .await
        .map_err(ApiError::from)
    {
        Ok(_) => {
            state.metrics.count_command("certificate");
            Ok(Redirect::to(&format!("/certificates/{id}?done={action}")).into_response())
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(api_error_page(&state, &page, e)),
        Err(e) => certificate_page(&state, &page, id, e.status, &e.text(page.lang), "").await,
    }
}

/// The certificate as a PDF download (its holder and issuing department).
pub async fn pdf(
    State(state): State<AppState>,
    page: Page,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> PageResult {
    let auth = page.require()?.clone();
    crate::api::certificates::certificate_pdf_response(&state, &auth.actor, &headers, id)
        .await
        .map_err(|e| api_error_page(&state, &page, e))
}
