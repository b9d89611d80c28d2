//! 帮办代办 as people use it: the agency centre records signed agreements (with the scanned copy) and
//! ends or renews them; an enterprise reads its agreements and every step its agents took for it; an
//! agent's desk lists the enterprises they act for, what each agreement lets them apply for, their
//! projects' next procedures with dates, and their cases in progress (补正 first).

use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use onego_domain::agency::{Agreement, AgreementCommand};
use onego_domain::case::{CaseStatus, Registry};
use onego_domain::labels::Label;
use onego_domain::org::Role;
use onego_store::case::CaseFilter;

use crate::AppState;
use crate::api::agreements::{AgreementInput, ParsedAgreement, agreement_view};
use crate::error::ApiError;
use crate::ui::form::FormData;
use crate::ui::view::{PageResult, now};
use crate::ui::{Page, api_error_page, render};
use crate::views::{CaseRowView, time, value};

const ROLES: &[Role] = &[
    Role::Applicant,
    Role::Agent,
    Role::Approver,
    Role::Supervisor,
    Role::Leader,
];

#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: Option<String>,
}

fn agreement_action(page: &Page, action: &str) -> String {
    match action {
        "agreement_signed" => page.tr("签订代办协议", "Agreement signed"),
        "agreement_revoked" => page.tr("终止协议", "Agreement revoked"),
        "agreement_renewed" => page.tr("续签协议", "Agreement renewed"),
        "agreement_expiry_reminded" => page.tr("到期前提醒", "Reminded before expiry"),
        "agreement_expired" => page.tr("协议到期", "Agreement expired"),
        _ => page.tr("其他操作", "Other step"),
    }
}

/// The scope of an agreement in words: item names and project names.
async fn scope_words(state: &AppState, page: &Page, auth: &crate::auth::Auth, a: &Agreement) -> Vec<String> {
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    let mut out: Vec<String> = a
        .items
        .iter()
        .map(|c| {
            Registry::item(&*catalog, c, today)
                .map(|i| i.name.clone())
                .or_else(|| Registry::bundle(&*catalog, c, today).map(|b| b.name.clone()))
                .unwrap_or_else(|| c.to_string())
        })
        .collect();
    for pid in &a.projects {
        let name = match state.engine.project(&auth.actor, *pid).await {
            Ok(p) => p.value.name.clone(),
            Err(_) => format!("{}{pid}", page.tr("项目 #", "project #")),
        };
        out.push(format!("{}{name}", page.tr("项目：", "Project: ")));
    }
    out
}

/// Agreements as their parties and the agency centre list them; the centre records new ones here.
pub async fn list(State(state): State<AppState>, page: Page, Query(q): Query<DoneQuery>) -> PageResult {
    let auth = page.require_role(&state, ROLES)?.clone();
    let done = match q.done.as_deref() {
        Some("revoke") => page.tr(
            "协议已终止：代办员不能再代为办理，已提交的办件继续由企业本人跟进。",
            "The agreement is revoked: the agent can no longer act; the enterprise follows its cases itself.",
        ),
        _ => String::new(),
    };
    list_page(&state, &page, &auth, StatusCode::OK, None, None, &done).await
}

async fn list_page(
    state: &AppState,
    page: &Page,
    auth: &crate::auth::Auth,
    status: StatusCode,
    refused: Option<&ApiError>,
    kept: Option<&FormData>,
    done: &str,
) -> PageResult {
    let rows = state
        .engine
        .agreements(&auth.actor)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let centre = state.engine.is_agency_centre(&auth.actor);
    let steps = state
        .engine
        .agent_steps(&auth.actor)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let text = |k: &str| kept.map(|f| f.text(k)).unwrap_or_default();
    let mut views = Vec::new();
    for a in &rows {
        views.push(context! {
            ..value(agreement_view(state, a, page.lang)),
            ..context! { scope => scope_words(state, page, auth, a).await.join(page.tr("；", "; ").as_str()) },
        });
    }
    let today = state.engine.calendar().local_date(now());
    Ok(render(
        state,
        page,
        "agreements.html",
        status,
        context! {
            rows => views, centre => centre, done => done,
            enterprise => auth.user.role == Role::Applicant,
            steps => steps.iter().map(|s| context! {
                case_id => s.aggregate_id, number => s.number.clone(), title => s.title.clone(), at => time(onego_calendar::Timestamp::from_millis(s.at)),
                agent => s.agent.clone(), agreement => s.agreement.clone(), opinion => s.opinion.clone(),
                action => crate::ui::cases::action_label(page, &s.action, &serde_json::Value::Null),
            }).collect::<Vec<_>>(),
            f => context! {
                enterprise_id => text("enterprise_id"), enterprise_name => text("enterprise_name"), agent => text("agent"),
                items => text("items"), projects => text("projects"),
                valid_from => kept.map(|f| f.text("valid_from")).unwrap_or_else(|| today.to_string()),
                valid_until => kept.map(|f| f.text("valid_until")).unwrap_or_else(|| (today + chrono::Duration::days(365)).to_string()),
            },
            ..refused.map_or_else(crate::ui::form::no_refusal, |e| crate::ui::form::refusal(e, page.lang)),
        },
    ))
}

/// A list typed into one field: codes or ids separated by commas, spaces or 、.
fn split_list(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ' ', '\n', ';', '；'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The agency centre records a signed agreement, with its scanned copy.
pub async fn create(State(state): State<AppState>, page: Page, mp: Multipart) -> PageResult {
    let auth = page
        .require_role(&state, &[Role::Approver, Role::Supervisor])?
        .clone();
    let (form, files, problem) = crate::held_files::read_form(mp, |f| f == "file").await;
    page.check_csrf(&state, form.get("csrf"))?;
    let again = |e: ApiError| {
        let state = state.clone();
        let page = &page;
        let auth = &auth;
        let form = &form;
        async move { list_page(&state, page, auth, e.status, Some(&e), Some(form), "").await }
    };
    if let Some(problem) = problem {
        return again(ApiError::unprocessable(onego_domain::messages::Msg::new(
            "upload_refused",
            problem.message(false),
            problem.message(true),
        )))
        .await;
    }
    let mut projects = Vec::new();
    for p in split_list(&form.text("projects")) {
        match p.trim_start_matches('#').parse::<i64>() {
            Ok(id) => projects.push(id),
            Err(_) => {
                return again(ApiError::unprocessable(
                    onego_domain::messages::Msg::new(
                        "agreement_project_number",
                        "项目请填写项目编号（数字），多个用逗号分隔",
                        "give projects by their number, separated by commas",
                    )
                    .at("projects"),
                ))
                .await;
            }
        }
    }
    let input = AgreementInput {
        enterprise_id: form.text("enterprise_id"),
        enterprise_name: form.text("enterprise_name"),
        agent: form.text("agent"),
        projects,
        items: split_list(&form.text("items")),
        valid_from: form.text("valid_from"),
        valid_until: form.text("valid_until"),
        file: None,
    };
    let parsed = match ParsedAgreement::try_from(input) {
        Ok(p) => p,
        Err(e) => return again(e).await,
    };
    // The scanned copy is stored only once everything typed has passed its checks.
    let held = files.into_iter().map(|f| ("agreement".to_owned(), f)).collect();
    let stored = match crate::held_files::store(&state, auth.user.id, held).await {
        Ok(f) => f,
        Err(e) => return again(e).await,
    };
    let mut terms = parsed.terms;
    terms.file = stored.first().copied();
    match state
        .engine
        .sign_agreement(&auth.actor, &parsed.agent, terms, now())
        .await
    {
        Ok(out) => Ok(Redirect::to(&format!("/agreements/{}?done=signed", out.state.id)).into_response()),
        Err(e) => {
            crate::held_files::discard(&state, auth.user.id, &stored).await;
            again(ApiError::from(e)).await
        }
    }
}

/// One agreement: its terms, scope, file, history, and what the reader may do.
pub async fn one(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let done = match q.done.as_deref() {
        Some("signed") => page.tr(
            "代办协议已登记：代办员、企业和代办中心都能看到这份协议。代办员现在可以在协议范围内代企业申请，每一步都记录在案。",
            "The agreement is recorded: the agent, the enterprise and the centre can all see it. The agent can now apply for the enterprise within its scope; every step is recorded.",
        ),
        Some("renew") => page.tr(
            "协议已续签，新的截止日期已生效；到期前30天将再次提醒。",
            "The agreement is renewed to its new last day; you are reminded 30 days before it.",
        ),
        _ => String::new(),
    };
    one_page(&state, &page, id, StatusCode::OK, None, &done).await
}

async fn one_page(
    state: &AppState,
    page: &Page,
    id: i64,
    status: StatusCode,
    refused: Option<&ApiError>,
    done: &str,
) -> PageResult {
    let auth = page.require_role(state, ROLES)?.clone();
    let stored = state
        .engine
        .agreement(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let a = &stored.value;
    let journal = state
        .engine
        .timeline::<Agreement>(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let open = a.status == onego_domain::agency::AgreementStatus::Signed;
    Ok(render(
        state,
        page,
        "agreement.html",
        status,
        context! {
            a => value(agreement_view(state, a, page.lang)), done => done,
            scope => scope_words(state, page, &auth, a).await,
            may_revoke => open && (a.is_enterprise(&auth.actor) || a.is_centre(&auth.actor)),
            may_renew => a.status != onego_domain::agency::AgreementStatus::Revoked && a.is_centre(&auth.actor),
            history => journal.iter().map(|j| context! {
                at => time(onego_calendar::Timestamp::from_millis(j.at)), actor => j.actor_name.clone(),
                role => Role::parse(&j.actor_role).map(|r| r.label(page.lang)).unwrap_or(""),
                action => agreement_action(page, &j.action), opinion => j.opinion.clone(),
            }).collect::<Vec<_>>(),
            ..refused.map_or_else(crate::ui::form::no_refusal, |e| crate::ui::form::refusal(e, page.lang)),
        },
    ))
}

/// Revoke or renew.
pub async fn act(State(state): State<AppState>, page: Page, Path(id): Path<i64>, body: Bytes) -> PageResult {
    let auth = page.require_role(&state, ROLES)?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let action = form.text("action");
    let cmd = match action.as_str() {
        "revoke" => Ok(AgreementCommand::Revoke {
            reason: form.text("reason"),
        }),
        "renew" => chrono::NaiveDate::parse_from_str(form.text("valid_until").trim(), "%Y-%m-%d")
            .map(|valid_until| AgreementCommand::Renew {
                valid_until,
                reason: form.text("reason"),
            })
            .map_err(|_| {
                ApiError::unprocessable(
                    onego_domain::messages::Msg::new(
                        "agreement_date",
                        "请按“年-月-日”填写日期，例如 2026-12-31",
                        "give the date as year-month-day, e.g. 2026-12-31",
                    )
                    .at("valid_until"),
                )
            }),
        _ => Err(ApiError::unprocessable(onego_domain::messages::Msg::new(
            "agreement_choice",
            "请选择终止或续签",
            "choose revoke or renew",
        ))),
    };
    let result = match cmd {
        Ok(cmd) => state
            .engine
            .run_agreement(&auth.actor, id, &cmd, now())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) if action == "revoke" => Ok(Redirect::to("/agreements?done=revoke").into_response()),
        Ok(_) => Ok(Redirect::to(&format!("/agreements/{id}?done={action}")).into_response()),
        Err(e) => one_page(&state, &page, id, e.status, Some(&e), "").await,
    }
}

/// The agent's desk: for each agreement in force, what it lets them apply for, their projects' next
/// procedures with dates, and their cases in progress (补正 first).
pub async fn desk(State(state): State<AppState>, page: Page) -> PageResult {
    let auth = page.require_role(&state, &[Role::Agent])?.clone();
    let agreements = state
        .engine
        .agreements(&auth.actor)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let today = state.engine.calendar().local_date(now());
    let catalog = state.engine.catalog();
    let mut enterprises = Vec::new();
    let mut next_steps = Vec::new();
    for a in &agreements {
        let in_force = a.in_force(today);
        let items: Vec<minijinja::Value> = a
            .items
            .iter()
            .filter_map(|c| {
                let item = Registry::item(&*catalog, c, today)?;
                Some(context! { code => c.to_string(), name => item.name.clone(),
                href => format!("/apply/item/{c}?for={}", a.enterprise.id.as_str()) })
            })
            .collect();
        let mut projects = Vec::new();
        for pid in &a.projects {
            let Ok(p) = state.engine.project(&auth.actor, *pid).await else {
                continue;
            };
            let p = &p.value;
            projects.push(context! { id => p.id, name => p.name.clone() });
            if !in_force {
                continue;
            }
            for q in p.procedures.iter().filter(|q| q.counts() && q.approved.is_none()) {
                let started = p.stage(q.stage).is_some_and(|s| s.started_at.is_some());
                let can_apply = q.case_id.is_none() && (started || (q.pre_review && p.land.is_none()));
                if !(started || q.case_id.is_some() || can_apply) {
                    continue;
                }
                next_steps.push((
                    q.planned_end,
                    context! {
                        project => p.name.clone(), project_id => p.id, enterprise => a.enterprise.name.clone(),
                        name => q.name.clone(), stage => q.stage.label(page.lang),
                        planned_end => q.planned_end.map(|d| d.to_string()), late => q.late,
                        responsible => q.responsible.as_ref().map(|m| m.name.clone()),
                        case_id => q.case_id,
                        next => if q.case_id.is_some() { page.tr("跟进办理进度", "follow the case") } else { page.tr("准备材料并申请", "prepare and apply") },
                        href => if can_apply { Some(format!("/apply/item/{}?for={}&project={}", q.item, a.enterprise.id.as_str(), p.id)) } else { None },
                    },
                ));
            }
        }
        enterprises.push(context! {
            ..value(agreement_view(&state, a, page.lang)),
            ..context! { apply_items => items, project_links => projects },
        });
    }
    // Dated first, earliest first: what is due soonest leads.
    next_steps.sort_by_key(|(d, _)| (d.is_none(), *d));
    let scope = onego_domain::policy::case_list_scope(&auth.actor)
        .map_err(|d| api_error_page(&state, &page, ApiError::forbidden(d.0)))?;
    let rows = state
        .engine
        .store()
        .cases()
        .list(CaseFilter::new(scope, 100))
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    // Open cases, those waiting for the agent's 补正 first, then by due date.
    let mut open = Vec::new();
    for r in rows
        .iter()
        .filter(|r| matches!(r.status, CaseStatus::Submitted | CaseStatus::InReview))
        .take(50)
    {
        let supplement = match state.engine.case(&auth.actor, r.id).await {
            Ok(c) => c.value.supplement.is_some(),
            Err(_) => continue,
        };
        open.push((supplement, r));
    }
    open.sort_by_key(|(supplement, r)| (!supplement, r.due_at.map(|d| d.as_millis())));
    Ok(render(
        &state,
        &page,
        "agent.html",
        StatusCode::OK,
        context! {
            enterprises => enterprises,
            next_steps => next_steps.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
            cases => open.iter().map(|(supplement, r)| context! {
                ..value(CaseRowView::new(&state, r, page.lang)), ..context! { supplement => *supplement },
            }).collect::<Vec<_>>(),
        },
    ))
}
