//! Major projects as people use them: the list (a steward records new ones there), one project with its
//! stages, days against the target and its plan (the enterprise applies for each procedure from it;
//! stewards edit the plan with a reason; stages start in order or on a 容缺 reason), and the public
//! flowchart behind its QR code (码上流程图): every procedure with its department, place, phone,
//! materials and status, readable on a phone without logging in.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use onego_domain::labels::Label;
use onego_domain::org::Role;
use onego_domain::project::{ProjectCommand, Stage};
use onego_domain::values::Code;

use crate::AppState;
use crate::api::projects::{ProjectInput, project_view};
use crate::error::ApiError;
use crate::ui::form::FormData;
use crate::ui::view::{PageResult, now};
use crate::ui::{Page, api_error_page, render};
use crate::views::value;

const ROLES: &[Role] = &[
    Role::Applicant,
    Role::Approver,
    Role::Supervisor,
    Role::Clerk,
    Role::Leader,
    Role::Agent,
];

#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: Option<String>,
}

fn stage_of(text: &str) -> Option<Stage> {
    Stage::ALL.into_iter().find(|s| s.as_str() == text)
}

/// The projects the reader may see; stewards record new ones here.
pub async fn list(State(state): State<AppState>, page: Page) -> PageResult {
    let auth = page.require_role(&state, ROLES)?.clone();
    list_page(&state, &page, &auth, StatusCode::OK, None, None).await
}

async fn list_page(
    state: &AppState,
    page: &Page,
    auth: &crate::auth::Auth,
    status: StatusCode,
    refused: Option<&ApiError>,
    kept: Option<&FormData>,
) -> PageResult {
    let rows = state
        .engine
        .projects(&auth.actor)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let catalog = state.engine.catalog();
    // Stewards: the staff of a department that steers some project type.
    let steward = matches!(auth.user.role, Role::Approver | Role::Supervisor)
        && catalog
            .project_paths
            .iter()
            .any(|p| auth.actor.department.as_ref() == Some(&p.steward));
    let text = |k: &str| kept.map(|f| f.text(k)).unwrap_or_default();
    let label_of_stage = |s: &str| match stage_of(s) {
        Some(st) => st.label(page.lang).to_owned(),
        None if s == "completed" => page.tr("已竣工验收", "completed"),
        None => page.tr("筹备中", "planning"),
    };
    Ok(render(
        state,
        page,
        "projects.html",
        status,
        context! {
            rows => rows.iter().map(|r| context! {
                id => r.id, code => r.code.clone(), name => r.name.clone(),
                kind => catalog.project_paths.iter().find(|p| p.kind.as_str() == r.kind).map(|p| p.kind.label(page.lang)).unwrap_or(""),
                stage => label_of_stage(&r.stage),
            }).collect::<Vec<_>>(),
            steward => steward,
            board => matches!(auth.user.role, Role::Leader | Role::Supervisor | Role::Approver),
            f => context! {
                code => text("code"), name => text("name"), investor_id => text("investor_id"), investor_name => text("investor_name"),
                address => text("address"), lat => text("lat"), lon => text("lon"), kind => text("kind"), investment => text("investment"), land_parcel => text("land_parcel"),
                key_level => text("key_level"),
            },
            ..refused.map_or_else(crate::ui::form::no_refusal, |e| crate::ui::form::refusal(e, page.lang)),
        },
    ))
}

/// A steward records a project from the form.
pub async fn create(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let auth = page.require_role(&state, ROLES)?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let input = ProjectInput {
        code: form.text("code"),
        name: form.text("name"),
        investor_id: form.text("investor_id"),
        investor_name: form.text("investor_name"),
        address: form.text("address"),
        // Optional; a number that does not read is kept as NaN so the range check names the field.
        lat: Some(form.text("lat"))
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().parse().unwrap_or(f64::NAN)),
        lon: Some(form.text("lon"))
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().parse().unwrap_or(f64::NAN)),
        kind: form.text("kind"),
        investment: form.text("investment").trim().parse().unwrap_or(0),
        land_parcel: form.text("land_parcel"),
        key_level: form.text("key_level"),
    };
    let result = match onego_domain::project::NewProject::try_from(input) {
        Ok(new) => state
            .engine
            .open_project(&auth.actor, new, now())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(out) => Ok(Redirect::to(&format!("/projects/{}?done=created", out.state.id)).into_response()),
        Err(e) => list_page(&state, &page, &auth, e.status, Some(&e), Some(&form)).await,
    }
}

/// One project: stages, days, plan, and what the reader may do next.
pub async fn one(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let done = match q.done.as_deref() {
        Some("created") => page.tr(
            "项目已登记，审批计划已按项目类型生成。请启动第一阶段，建设单位即可逐项申请。",
            "The project is recorded and its plan made from its type. Start the first stage; the enterprise then applies for each procedure.",
        ),
        Some("start_stage") => page.tr(
            "阶段已启动，开始计时。本阶段的事项现在可以申请。",
            "The stage has started and its clock runs. Its procedures can now be applied for.",
        ),
        Some("add_procedure") => page.tr("事项已加入审批计划，调整理由已记录。", "The item is added to the plan; the reason is recorded."),
        Some("drop_procedure") => page.tr("事项已调出审批计划，调整理由已记录。", "The item is dropped from the plan; the reason is recorded."),
        Some("set_team") => page.tr("项目团队已保存。超期时将提醒包保领导。", "The team is saved. The lead leader is told when something is late."),
        Some("assign") => page.tr(
            "已指定负责人和计划办结日期：到期前一天提醒负责人和项目管家，超期后提醒包保领导。",
            "The responsible person and planned date are set: they and the stewards are reminded the day before; the lead leader once it is late.",
        ),
        Some("visit") => page.tr("走访记录已保存。需跟踪的问题请在下方登记并指定责任人和期限。", "The visit is recorded. Record any problem to follow below, with its owner and deadline."),
        Some("problem") => page.tr("问题已登记，将在期限前提醒责任人。", "The problem is recorded; its owner is reminded before the deadline."),
        Some("resolve") => page.tr("问题已办结。", "The problem is resolved."),
        Some("whistle") => page.tr(
            "已“企业吹哨”：诉求已派给点名的部门，须在2个工作小时内报到；诉求编号记在问题旁，可随时跟踪。",
            "Whistled: the request went to the departments named, who must report within 2 working hours; its number is kept beside the problem.",
        ),
        Some("acquire_land") => page.tr(
            "拿地已登记：预审通过的事项已转为正式许可，相应证照已签发。",
            "The land is recorded: the pre-reviewed approvals are formal now and their certificates issued.",
        ),
        _ => String::new(),
    };
    project_page(&state, &page, id, StatusCode::OK, None, &done).await
}

async fn project_page(
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
        .project(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let p = &stored.value;
    let steward = p.is_steward(&auth.actor);
    let investor = p.is_investor(&auth.actor);
    // An agent whose agreement in force names the project applies for its procedures in its name.
    let agent_for = (auth.actor.role == Role::Agent && p.visible_to(&auth.actor))
        .then(|| p.investor.id.as_str().to_owned());
    let view = project_view(state, p, page.lang);
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    let started = |s: Stage| p.stage(s).is_some_and(|x| x.started_at.is_some());
    let stages: Vec<minijinja::Value> = view
        .stages
        .iter()
        .map(|s| {
            let st = stage_of(&s.stage).unwrap_or(Stage::LandPlanning);
            let procedures: Vec<minijinja::Value> = view
                .procedures
                .iter()
                .filter(|q| q.stage == s.stage)
                .map(|q| {
                    // In its started stage, or as 预审 before the land (拿地即开工).
                    let apply = (investor || agent_for.is_some()) && q.status == "planned" && (started(st) || (q.pre_review && p.land.is_none()));
                    context! { ..value(q), ..context! { apply => apply } }
                })
                .collect();
            context! { ..value(s), ..context! { procedures => procedures, can_start => (steward || investor) && !started(st) } }
        })
        .collect();
    Ok(render(
        state,
        page,
        "project.html",
        status,
        context! {
            p => value(&view), stages => stages, steward => steward, investor => investor, done => done,
            agent_for => agent_for,
            departments => catalog.departments.iter().map(|d| context! { code => d.code.to_string(), name => d.name.clone() }).collect::<Vec<_>>(),
            plan_items => p.procedures.iter().filter(|q| q.counts()).map(|q| context! { code => q.item.to_string(), name => q.name.clone() }).collect::<Vec<_>>(),
            over => view.land_to_permit_days.is_some_and(|d| d > i64::from(view.target_days)),
            items => catalog.items_on(today).iter().map(|i| context! { code => i.impl_code.to_string(), name => i.name.clone() }).collect::<Vec<_>>(),
            stage_choices => Stage::ALL.iter().map(|s| context! { code => s.as_str(), name => s.label(page.lang) }).collect::<Vec<_>>(),
            ..refused.map_or_else(crate::ui::form::no_refusal, |e| crate::ui::form::refusal(e, page.lang)),
        },
    ))
}

/// Start a stage, add or drop a procedure.
pub async fn act(State(state): State<AppState>, page: Page, Path(id): Path<i64>, body: Bytes) -> PageResult {
    let auth = page.require_role(&state, ROLES)?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let action = form.text("action");
    let bad_choice = || {
        ApiError::unprocessable(onego_domain::messages::Msg::new(
            "project_choice",
            "请选择阶段或事项",
            "choose the stage or the item",
        ))
    };
    let cmd = match action.as_str() {
        "start_stage" => stage_of(&form.text("stage"))
            .map(|stage| ProjectCommand::StartStage {
                stage,
                shortfall_reason: Some(form.text("shortfall_reason")).filter(|r| !r.trim().is_empty()),
            })
            .ok_or_else(bad_choice),
        "add_procedure" => match (Code::parse(&form.text("item")), stage_of(&form.text("stage"))) {
            (Ok(item), Some(stage)) => Ok(ProjectCommand::AddProcedure {
                item,
                stage,
                reason: form.text("reason"),
            }),
            _ => Err(bad_choice()),
        },
        "drop_procedure" => Code::parse(&form.text("item"))
            .map(|item| ProjectCommand::DropProcedure {
                item,
                reason: form.text("reason"),
            })
            .map_err(|_| bad_choice()),
        "set_team" => team_from(&form).map(|team| ProjectCommand::SetTeam { team }),
        "assign" => match (
            Code::parse(&form.text("item")),
            member_from(&form, "person", "person_phone"),
            date_from(&form, "planned_end"),
        ) {
            (Ok(item), Ok(responsible), Ok(planned_end)) => Ok(ProjectCommand::AssignProcedure {
                item,
                responsible,
                planned_end,
            }),
            (Err(_), _, _) => Err(bad_choice()),
            (_, Err(e), _) | (_, _, Err(e)) => Err(e),
        },
        "visit" => date_from(&form, "on").map(|on| ProjectCommand::RecordVisit {
            on,
            people: form.text("people"),
            needs: form.text("needs"),
            follow_up: form.text("follow_up"),
        }),
        "problem" => match (
            member_from(&form, "owner", "owner_phone"),
            date_from(&form, "deadline"),
        ) {
            (Ok(owner), Ok(deadline)) => Ok(ProjectCommand::RaiseProblem {
                title: form.text("title"),
                owner,
                deadline,
            }),
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
        "acquire_land" => Ok(ProjectCommand::AcquireLand {
            certificate: form.text("certificate").trim().to_owned(),
        }),
        "resolve" => form
            .text("problem")
            .parse()
            .map(|problem| ProjectCommand::ResolveProblem {
                problem,
                note: form.text("note"),
            })
            .map_err(|_| bad_choice()),
        "whistle" => match (
            form.text("problem").parse(),
            crate::ui::commands::codes(&form, "departments"),
        ) {
            (Ok(problem), Ok(departments)) => Ok(ProjectCommand::WhistleProblem {
                problem,
                departments,
                ticket: None,
            }),
            _ => Err(bad_choice()),
        },
        _ => Err(bad_choice()),
    };
    let result = match cmd {
        Ok(cmd) => state
            .engine
            .run_project(&auth.actor, id, &cmd, now())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/projects/{id}?done={action}")).into_response()),
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status == StatusCode::FORBIDDEN => {
            Err(api_error_page(&state, &page, e))
        }
        Err(e) => project_page(&state, &page, id, e.status, Some(&e), "").await,
    }
}

/// A person of the ledger from two form fields (name, mobile); the phone may be left out.
fn member_from(
    form: &FormData,
    name: &str,
    phone: &'static str,
) -> Result<onego_domain::project::Member, ApiError> {
    let number = form.text(phone);
    let phone_value = if number.trim().is_empty() {
        None
    } else {
        Some(
            onego_domain::values::Mobile::parse(number.trim())
                .map_err(|e| ApiError::unprocessable(e.msg().at(phone)))?,
        )
    };
    Ok(onego_domain::project::Member {
        name: form.text(name),
        phone: phone_value,
        department: None,
        duty: String::new(),
    })
}

/// The team from its form: the lead leader and the steward, and one contact a line ("姓名 手机 职责").
fn team_from(form: &FormData) -> Result<onego_domain::project::Team, ApiError> {
    let optional =
        |name: &str, phone: &'static str| -> Result<Option<onego_domain::project::Member>, ApiError> {
            if form.text(name).trim().is_empty() {
                Ok(None)
            } else {
                member_from(form, name, phone).map(Some)
            }
        };
    let mut contacts = Vec::new();
    for (n, line) in form
        .text("contacts")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let mut parts = line.split_whitespace();
        let name = parts.next().unwrap_or_default().to_owned();
        let phone = match parts.next() {
            Some(p) => Some(onego_domain::values::Mobile::parse(p).map_err(|e| {
                ApiError::unprocessable(
                    e.msg()
                        .prefixed(
                            &format!("联络员第 {} 行：", n + 1),
                            &format!("contact line {}: ", n + 1),
                        )
                        .at("contacts"),
                )
            })?),
            None => None,
        };
        contacts.push(onego_domain::project::Member {
            name,
            phone,
            department: None,
            duty: parts.collect::<Vec<_>>().join(" "),
        });
    }
    Ok(onego_domain::project::Team {
        leader: optional("leader", "leader_phone")?,
        steward: optional("steward", "steward_phone")?,
        contacts,
    })
}

/// A date from a form field (YYYY-MM-DD, as a date input sends it).
fn date_from(form: &FormData, key: &'static str) -> Result<chrono::NaiveDate, ApiError> {
    chrono::NaiveDate::parse_from_str(form.text(key).trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::unprocessable(
            onego_domain::messages::Msg::new("date_needed", "请选择日期", "choose the date").at(key),
        )
    })
}

/// 码上流程图: the project's own path for anyone with its QR code — each procedure in order with its
/// status, department, place, phone and materials; no personal data (the investor is an enterprise).
pub async fn flow(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> PageResult {
    let stored = state
        .engine
        .project_public(id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let p = &stored.value;
    let view = project_view(&state, p, page.lang);
    let catalog = state.engine.catalog();
    let url = format!("{}/projects/{id}/flow", state.public_base(&headers));
    let steps: Vec<minijinja::Value> = view
        .stages
        .iter()
        .map(|s| {
            let procedures: Vec<minijinja::Value> = p
                .procedures
                .iter()
                .zip(&view.procedures)
                .filter(|(q, _)| q.stage.as_str() == s.stage && q.counts())
                .map(|(q, v)| {
                    let item = catalog.items.iter().filter(|i| i.impl_code == q.item).max_by_key(|i| i.version);
                    context! {
                        name => v.name.clone(), status => v.status.clone(), status_name => v.status_name.clone(),
                        department => v.department.clone(),
                        place => item.map(|i| i.place.clone()), phone => item.map(|i| i.consult_phone.clone()),
                        hours => item.map(|i| i.hours.clone()),
                        promised => item.map(|i| crate::ui::view::limit_text(&page, i.promised_limit)),
                        materials => item.map(|i| i.materials.iter().map(|m| m.name.clone()).collect::<Vec<_>>()).unwrap_or_default(),
                        // The person who answers for it, masked: the chart is public.
                        contact => q.responsible.as_ref().map(|m| onego_domain::privacy::mask_name(&m.name)),
                        contact_phone => q.responsible.as_ref().and_then(|m| m.phone.as_ref()).map(|m| onego_domain::privacy::mask_phone(m.as_str())),
                    }
                })
                .collect();
            context! { ..value(s), ..context! { procedures => procedures } }
        })
        .collect();
    Ok(render(
        &state,
        &page,
        "project_flow.html",
        StatusCode::OK,
        context! { p => value(&view), steps => steps, qr => crate::ui::qr_svg(&url), url => url },
    ))
}

/// 重大项目调度: every project the reader may see — leaders all — by stage and key level, the late ones
/// first, each with its working days per stage drawn against its target; a click opens its ledger.
pub async fn board(State(state): State<AppState>, page: Page) -> PageResult {
    let auth = page
        .require_role(&state, &[Role::Leader, Role::Supervisor, Role::Approver])?
        .clone();
    let projects = state
        .engine
        .project_states(&auth.actor)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let calendar = state.engine.calendar();
    let t = now();
    let mut rows: Vec<(usize, i64, minijinja::Value)> = projects
        .iter()
        .map(|p| {
            let late = p.procedures.iter().filter(|q| q.counts() && q.late && q.approved.is_none()).count()
                + p.problems.iter().filter(|q| q.late && q.resolved.is_none()).count()
                + p.stages.iter().filter(|s| s.late && s.completed_at.is_none()).count();
            let used = p.land_to_permit_days(&calendar, t);
            let stages: Vec<i64> = Stage::ALL
                .iter()
                .map(|s| p.stage_days(*s, &calendar, t).unwrap_or(0))
                .collect();
            let stage_now = p
                .stages
                .iter()
                .rev()
                .find(|s| s.started_at.is_some())
                .map_or_else(|| page.tr("筹备中", "planning"), |s| s.stage.label(page.lang).to_owned());
            let key = match p.key_level {
                onego_domain::project::KeyLevel::Province => 0,
                onego_domain::project::KeyLevel::City => 1,
                onego_domain::project::KeyLevel::District => 2,
                onego_domain::project::KeyLevel::None => 3,
            };
            let view = context! {
                id => p.id, name => p.name.clone(), code => p.code.clone(),
                key_level => p.key_level.label(page.lang), stage => stage_now, late => late,
                used => used, target => p.target_days, over => used.is_some_and(|u| u > i64::from(p.target_days)),
                bars => bars_svg(&stages, p.target_days, &page),
            };
            (late, key, view)
        })
        .collect();
    // The late first, then by key level.
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    // 云勘验 and 云会商 in figures: leaders the city's, a department its own.
    let scope = match auth.user.role {
        Role::Leader => None,
        _ => auth.user.department.as_ref().map(ToString::to_string),
    };
    let figures = state
        .engine
        .store()
        .stats()
        .query(onego_store::stats::StatsQuery {
            group_by: onego_store::stats::GroupBy::Department,
            from_day: None,
            to_day: None,
            department: scope,
            item: None,
        })
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let weighted = |pairs: Vec<(i64, Option<f64>)>| {
        let n: i64 = pairs.iter().map(|(n, _)| n).sum();
        let sum: f64 = pairs.iter().map(|(n, a)| *n as f64 * a.unwrap_or(0.0)).sum();
        (n, (n > 0).then(|| (sum / n as f64 * 10.0).round() / 10.0))
    };
    let (inspected, inspection_hours) = weighted(
        figures
            .iter()
            .map(|r| (r.inspected, r.avg_inspection_hours))
            .collect(),
    );
    let (met, meeting_days) = weighted(
        figures
            .iter()
            .map(|r| (r.met, r.avg_meeting_to_decision_days))
            .collect(),
    );
    Ok(render(
        &state,
        &page,
        "project_board.html",
        StatusCode::OK,
        context! {
            rows => rows.into_iter().map(|r| r.2).collect::<Vec<_>>(),
            legend => Stage::ALL.iter().map(|s| s.label(page.lang)).collect::<Vec<_>>(),
            review => context! { inspected => inspected, inspection_hours => inspection_hours, met => met, meeting_days => meeting_days },
        },
    ))
}

/// Working days per stage as one stacked bar, the target as a line.
fn bars_svg(days: &[i64], target: u32, page: &Page) -> String {
    const COLOURS: [&str; 4] = ["#1a5fb4", "#26a269", "#e5a50a", "#9141ac"];
    let total: i64 = days.iter().sum();
    let scale_max = (total.max(i64::from(target)).max(1)) as f64;
    let width = 320.0;
    let mut x = 0.0;
    let mut parts = String::new();
    for (n, d) in days.iter().enumerate() {
        if *d == 0 {
            continue;
        }
        let w = *d as f64 / scale_max * width;
        parts.push_str(&format!(
            r#"<rect x="{x:.1}" y="4" width="{w:.1}" height="16" fill="{}"><title>{} {d}</title></rect>"#,
            COLOURS[n % 4],
            Stage::ALL[n].label(page.lang)
        ));
        x += w;
    }
    let tx = f64::from(target) / scale_max * width;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 24" class="bars" role="img" aria-label="{label}">{parts}<line x1="{tx:.1}" y1="0" x2="{tx:.1}" y2="24" stroke="#c01c28" stroke-width="2"/></svg>"##,
        label = page.tr("各阶段工作日与目标", "working days per stage against the target"),
    )
}
