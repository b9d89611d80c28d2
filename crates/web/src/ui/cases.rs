//! Applications: the list (and its CSV), one case with its clocks, timeline and actions, and its printable
//! notices. Supplying materials and reading files are in `case_files.rs`; joint reviews and inspections in
//! `review.rs`.

// Page handlers answer with a full response on either side, as the other pages do.
#![allow(clippy::result_large_err)]

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use onego_calendar::Timestamp;
use onego_domain::case::{
    Case, CaseStatus, Channel, Command, DeliveryMethod, Registry, SpecialKind, TaskState,
};
use onego_domain::catalog::MaterialSpec;
use onego_domain::labels::Label;
use onego_domain::org::Role;
use onego_domain::policy::{self};
use onego_domain::process::{NodeKind, TaskAction};
use onego_store::case::CaseFilter;

use crate::AppState;
use crate::error::ApiError;
use crate::ui::{Page, api_error_page, error_page, render};

use crate::ui::commands::*;
use crate::ui::form::FormData;
use crate::ui::view::*;

// --- Cases ----------------------------------------------------------------------------------------

/// The reader's case list filter from a list page's query: scope from the policy, then status, words or
/// number, department, item, dates, overdue, and the page (keyset: `before=<submitted_at>:<id>`).
fn case_filter(
    state: &AppState,
    page: &Page,
    form: &FormData,
    limit: i64,
) -> Result<CaseFilter, axum::response::Response> {
    let auth = page.require()?;
    let day = |k: &str| {
        form.get(k)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(onego_store::day_number)
    };
    let Ok(scope) = policy::case_list_scope(&auth.actor) else {
        return Err(error_page(
            state,
            page,
            StatusCode::FORBIDDEN,
            &page.tr("管理员不查阅办件。", "Administrators do not read applications."),
        ));
    };
    let mut f = CaseFilter::new(scope, limit);
    f.status = form.get("status").and_then(CaseStatus::parse);
    f.department = form
        .get("department")
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    f.item_code = form.get("item").filter(|d| !d.is_empty()).map(str::to_owned);
    f.accepted_from_day = day("from");
    f.accepted_to_day = day("to");
    f.overdue = form.get("overdue").map(|o| o == "1" || o == "true");
    f.text = form
        .get("q")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_owned);
    f.before = form.get("before").and_then(|b| {
        let (at, id) = b.split_once(':')?;
        Some((at.parse().ok()?, id.parse().ok()?))
    });
    Ok(f)
}

/// Rows a list page shows at a time.
const PAGE_ROWS: i64 = 50;

pub async fn cases_list(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let auth = page.require()?.clone();
    let raw = q.unwrap_or_default();
    let form = FormData::parse(raw.as_bytes());
    let f = case_filter(&state, &page, &form, PAGE_ROWS)?;
    let store = state.engine.store();
    let total = store
        .cases()
        .count(f.clone())
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let rows = store
        .cases()
        .list(f)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    // The same query without its page, for the next page's link and the export.
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            form.0
                .iter()
                .filter(|(k, _)| k.as_str() != "before")
                .flat_map(|(k, vs)| vs.iter().map(move |v| (k, v))),
        )
        .finish();
    let next = (rows.len() as i64 == PAGE_ROWS)
        .then(|| {
            rows.last().map(|r| {
                format!(
                    "/cases?{query}{}before={}:{}",
                    if query.is_empty() { "" } else { "&" },
                    r.submitted_at.as_millis(),
                    r.id
                )
            })
        })
        .flatten();
    let notes = {
        let (id, dept) = (
            auth.user.id,
            auth.user.department.as_ref().map(ToString::to_string),
        );
        state
            .engine
            .store()
            .inbox()
            .notifications(id, dept, 10)
            .await
            .unwrap_or_default()
    };
    Ok(render(
        &state,
        &page,
        "cases.html",
        StatusCode::OK,
        context! {
            rows => rows.iter().map(|r| crate::views::value(crate::views::CaseRowView::new(&state, r, page.lang))).collect::<Vec<_>>(),
            notifications => notes.iter().map(|n| crate::views::value(crate::views::NotificationView::from(n))).collect::<Vec<_>>(),
            filtered => !form.0.is_empty(), total => total, next => next, query => query,
            q => form.text("q"), status => form.text("status"),
            statuses => CaseStatus::ALL.iter().map(|s| context! { code => s.as_str(), label => s.label(page.lang) }).collect::<Vec<_>>(),
        },
    ))
}

/// The list as a spreadsheet (CSV, UTF-8 with a byte-order mark so Excel reads the Chinese): the same
/// filters and scope as the page, up to 10,000 rows.
pub async fn cases_csv(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    let f = case_filter(&state, &page, &form, 10_000)?;
    let rows = state
        .engine
        .store()
        .cases()
        .list(f)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let head = [
        page.tr("办件编号", "Number"),
        page.tr("事项", "Service"),
        page.tr("状态", "Status"),
        page.tr("部门", "Department"),
        page.tr("提交时间", "Submitted"),
        page.tr("办结期限", "Due"),
        page.tr("超期", "Overdue"),
    ];
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let v = crate::views::CaseRowView::new(&state, r, page.lang);
            vec![
                v.number,
                v.title,
                v.status_label.to_owned(),
                v.department,
                v.submitted,
                v.due.unwrap_or_default(),
                if v.overdue {
                    page.tr("是", "yes")
                } else {
                    page.tr("否", "no")
                },
            ]
        })
        .collect();
    Ok(crate::views::csv_response("cases.csv", &head, &lines))
}

pub(crate) fn clock_view(
    state: &AppState,
    page: &Page,
    clock: Option<onego_calendar::Clock>,
    at: Timestamp,
    finished: Option<CaseStatus>,
) -> Value {
    let Some(c) = clock else { return Value::from(()) };
    let Ok(r) = c.read(&state.engine.calendar(), state.engine.config().policy, at) else {
        return Value::from(());
    };
    let final_state = finished.map(|status| match status {
        CaseStatus::Decided | CaseStatus::Delivered if r.state == onego_calendar::ClockState::Overdue => {
            page.tr("超期办结", "finished late")
        }
        CaseStatus::Decided | CaseStatus::Delivered => page.tr("按时办结", "finished on time"),
        _ => page.tr("已停止计时", "the clock has stopped"),
    });
    let days = |ms: i64| ((ms as f64) / onego_calendar::MS_PER_DAY as f64 * 10.0).round() / 10.0;
    context! {
        state => r.state.as_str(),
        state_zh => match r.state {
            onego_calendar::ClockState::Running => page.tr("正常", "on time"),
            onego_calendar::ClockState::Warning => page.tr("即将到期", "due soon"),
            onego_calendar::ClockState::Overdue => page.tr("已超期", "overdue"),
            onego_calendar::ClockState::Paused => page.tr("暂停计时", "paused"),
        },
        due => r.due.map(crate::views::due_text),
        limit => limit_text(page, r.total),
        // Once decided the clock has stopped: say how it ended, not how much is left.
        final => final_state,
        elapsed => days(r.elapsed_ms), remaining => days(r.remaining_ms.max(0)),
        provisional => r.provisional,
    }
}

pub(crate) fn action_label(page: &Page, action: &str, data: &serde_json::Value) -> String {
    let tr = |zh: &str, en: &str| page.tr(zh, en);
    match action {
        "submitted" => tr("提交申请", "Application submitted"),
        "accepted" => tr("窗口受理", "Accepted at the window"),
        "not_accepted" => tr("不予受理", "Not accepted"),
        "supplement_requested" => tr("一次性告知补正材料", "Supplement requested (one-time notice)"),
        "materials_supplied" => tr("补齐材料", "Materials supplied"),
        "task_opened" => format!(
            "{}{}",
            tr("进入环节：", "Step started: "),
            data.pointer("/task/name").and_then(|v| v.as_str()).unwrap_or("")
        ),
        "task_completed" => match data.get("action").and_then(|v| v.as_str()) {
            Some("approve") => tr("审查同意", "Approved"),
            Some("return") => tr("退回重审", "Returned"),
            Some("refuse") => tr("不予许可", "Refused"),
            _ => tr("环节办结", "Step done"),
        },
        "task_cancelled" => tr("环节取消", "Step cancelled"),
        "auto_decided" => {
            if data.get("passed").and_then(|v| v.as_bool()) == Some(true) {
                tr("智能秒批通过", "Auto-approved by rule")
            } else {
                tr("转人工审查", "Passed to a reviewer")
            }
        }
        "choice_taken" => tr("按条件分流", "Routed by condition"),
        "branch_arrived" => tr("并联环节完成", "Parallel branch done"),
        "branches_joined" => tr("并联意见汇总", "Parallel branches joined"),
        "flow_ended" => tr("事项办结", "Item finished"),
        "decided" => tr("作出决定", "Decided"),
        "special_procedure_started" => tr(
            "启动特别程序（暂停计时）",
            "Special procedure started (clock paused)",
        ),
        "special_procedure_ended" => tr("特别程序结束", "Special procedure ended"),
        "extension_requested" => tr("申请延期", "Extension requested"),
        "extension_denied" => tr("延期未获批准", "Extension denied"),
        "extension_granted" => tr("批准延期", "Extension granted"),
        "delivered" => tr("结果送达", "Result delivered"),
        "withdrawn" => tr("申请人撤回", "Withdrawn"),
        "rated" => tr("好差评", "Rated"),
        "collection_reminded" => tr("提醒领取结果", "Reminded to collect the result"),
        "archive_consulted" => tr("调阅档案", "Archive looked up"),
        "meeting_convened" => tr("发起云会商", "Joint review convened"),
        "meeting_held" => tr("云会商纪要", "Joint review minutes"),
        "inspection_recorded" => tr("云勘验记录", "Remote inspection recorded"),
        "alarmed" => {
            if data.get("alarm").and_then(|v| v.as_str()) == Some("overdue") {
                tr("红牌：已超期", "Red card: overdue")
            } else {
                tr("黄牌：即将到期", "Yellow card: due soon")
            }
        }
        other => other.to_owned(),
    }
}

pub(crate) async fn case_page(
    state: &AppState,
    page: &Page,
    id: i64,
    status: StatusCode,
    error: &str,
    done: &str,
) -> PageResult {
    let auth = page.require()?.clone();
    let stored = state
        .engine
        .case(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let case: &Case = &stored.value;
    let journal = state
        .engine
        .store()
        .cases()
        .journal(id)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let at = case.stopped_at().unwrap_or_else(now);
    let catalog_now = state.engine.catalog();
    let material_specs = case.material_specs(catalog_now.as_ref()).unwrap_or_default();
    let next = case
        .next_step(&|code| {
            material_specs
                .iter()
                .find(|s| &s.code == code)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| code.to_string())
        })
        .text(page.lang)
        .to_owned();
    let personal = policy::sees_personal_data(&auth.actor, case);
    let catalog = state.engine.catalog();
    let mut specs: Vec<MaterialSpec> = Vec::new();
    for f in &case.flows {
        if let Some(item) = catalog.item_version(&f.item, f.item_version) {
            for m in &item.materials {
                if !specs.iter().any(|s| s.code == m.code) {
                    specs.push(m.clone());
                }
            }
        }
    }
    let materials: Vec<Value> = specs
        .iter()
        .map(|m| {
            let have = case.materials.iter().find(|x| x.code == m.code);
            context! { ..material_view(page, m), ..context! {
                received => have.is_some(), file => have.and_then(|h| h.file).map(|f| f.to_string()),
                certificate => have.and_then(|h| h.certificate.clone()).map(|c| context! { name => c.type_name, identifier => c.identifier }),
                deferred => case.deferred.contains(&m.code),
            } }
        })
        .collect();
    let can = |cmd: &Command| policy::authorize_command(&auth.actor, case, cmd).is_ok();
    let my_tasks: Vec<Value> = case
        .open_tasks()
        .filter(|t| can(&Command::Act { task: t.id, action: TaskAction::Approve, return_to: None, opinion: String::new() }))
        .map(|t| {
            let def = catalog.process(&case.flows[t.flow].process, case.flows[t.flow].process_version);
            let (actions, returns) = match def.and_then(|d| d.node(&t.node)).map(|n| &n.kind) {
                Some(NodeKind::Task { actions, return_to, .. }) => (actions.iter().map(|a| format!("{a:?}").to_lowercase()).collect::<Vec<_>>(), return_to.clone()),
                _ => (vec!["approve".to_owned(), "refuse".to_owned()], vec![]),
            };
            context! { id => t.id, name => t.name.clone(), actions => actions, returns => returns, countersign => t.group.is_some() }
        })
        .collect();
    let ext = Command::GrantExtension {
        limit: case.promised_limit,
        reason: "x".into(),
    };
    let request_ext = Command::RequestExtension {
        limit: case.promised_limit,
        reason: "x".into(),
    };
    let supply = Command::SupplyMaterials {
        materials: vec![],
        files: Default::default(),
    };
    let is_applicant = auth.user.role == Role::Applicant;
    let actions = context! {
        accept => case.status == CaseStatus::Submitted && can(&Command::Accept { received: vec![], deferred: vec![], opinion: String::new() }),
        supplement => matches!(case.status, CaseStatus::Submitted | CaseStatus::InReview) && case.supplement.is_none()
            && can(&Command::RequestSupplement { missing: vec![], note: String::new() }),
        supply => (case.supplement.is_some() || !case.deferred.is_empty()) && can(&supply),
        deliver => case.status == CaseStatus::Decided && can(&Command::Deliver { delivery: DeliveryMethod::Window }),
        withdraw => matches!(case.status, CaseStatus::Submitted | CaseStatus::InReview) && can(&Command::Withdraw { reason: String::new() }),
        rate => matches!(case.status, CaseStatus::Delivered | CaseStatus::NotAccepted) && case.rating.is_none() && is_applicant && can(&Command::Rate { level: 5, comment: String::new() }),
        request_extension => case.status == CaseStatus::InReview && case.extension_request.is_none() && can(&request_ext) && auth.user.role == Role::Approver,
        grant_extension => case.status == CaseStatus::InReview && can(&ext),
        special_start => case.status == CaseStatus::InReview && case.special.is_none() && can(&Command::StartSpecialProcedure { kind: SpecialKind::Hearing, reason: "x".into() }),
        special_end => case.special.is_some() && can(&Command::EndSpecialProcedure { result: String::new() }),
        tasks => my_tasks,
    };
    // The journal as people read it: an automatic approval (秒批) is onego's, not the clerk's whose
    // acceptance set it off.
    let labels = crate::views::field_labels(state);
    // The rule an automatic step checked, in words, and every value it read.
    let rule_read = |data: &serde_json::Value| -> Option<String> {
        let rule = data.get("rule")?.as_str()?;
        let read: Vec<String> = data
            .get("read")
            .and_then(|r| r.as_object())
            .map(|o| {
                o.iter()
                    .map(|(k, v)| {
                        let name = labels.get(k).cloned().unwrap_or_else(|| k.clone());
                        format!("{name} = {}", crate::views::form_value(v, page.lang))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let words = crate::views::rule_words(rule, &labels, page.lang);
        Some(if read.is_empty() {
            words
        } else {
            format!(
                "{words}{}{}",
                page.tr("；读取：", "; read: "),
                read.join(&page.tr("，", ", "))
            )
        })
    };
    let entry = |j: &onego_store::aggregate::JournalView| {
        let dept = j
            .data
            .pointer("/task/department")
            .and_then(|v| v.as_str())
            .map(|d| dept_name(state, d));
        let automatic = j.action == "auto_decided";
        context! {
            at => time(j.at),
            actor => if automatic { page.tr("onego 系统", "onego") } else { j.actor_name.clone() },
            role => if automatic { page.tr("智能秒批", "automatic approval") } else {
                let role = onego_domain::org::Role::parse(&j.actor_role).map(|r| r.label(page.lang).to_owned()).unwrap_or_default();
                // "by agent X for enterprise Y": the agreement the step was taken under.
                match j.data.pointer("/on_behalf_of") {
                    Some(m) => format!(
                        "{role}{}{}{}{}{}",
                        page.tr("，代 ", ", for "),
                        m["enterprise"].as_str().unwrap_or(""),
                        page.tr("（代办协议 ", " (agreement "),
                        m["number"].as_str().unwrap_or(""),
                        page.tr("）", ")"),
                    ),
                    None => role,
                }
            },
            label => action_label(page, &j.action, &j.data), action => j.action.clone(),
            opinion => if automatic { rule_read(&j.data) } else { j.opinion.clone() }, department => dept, hash => j.hash.chars().take(12).collect::<String>(),
        }
    };
    let shown = crate::privacy::journal(&journal, personal);
    // The milestones everyone follows; the engine's every step (tokens, branches, alarms) one click away
    // for staff.
    let milestone = |a: &str| {
        !matches!(
            a,
            "branch_arrived"
                | "choice_taken"
                | "task_opened"
                | "task_cancelled"
                | "branches_joined"
                | "flow_ended"
                | "alarmed"
        )
    };
    let timeline: Vec<Value> = shown.iter().filter(|j| milestone(&j.action)).map(entry).collect();
    let journal_full: Vec<Value> = if auth.user.role == Role::Applicant {
        Vec::new()
    } else {
        shown.iter().map(entry).collect()
    };
    // Where the application stands: 提交 → 受理 → 审查 → 决定 → 出件.
    let reached = match case.status {
        CaseStatus::Submitted => 1,
        CaseStatus::NotAccepted | CaseStatus::Withdrawn if case.accepted_at.is_none() => 1,
        CaseStatus::InReview | CaseStatus::Withdrawn => 2,
        CaseStatus::NotAccepted => 2,
        CaseStatus::Decided => 4,
        CaseStatus::Delivered => 5,
    };
    let stages = [
        (page.tr("提交", "Submitted"), Some(case.submitted_at)),
        (page.tr("受理", "Accepted"), case.accepted_at),
        (
            page.tr("审查", "Review"),
            case.accepted_at.filter(|_| reached > 2),
        ),
        (page.tr("决定", "Decided"), case.decided_at),
        (page.tr("出件", "Handed over"), case.delivered_at),
    ];
    let stepper: Vec<Value> = stages
        .into_iter()
        .enumerate()
        .map(|(i, (name, at))| {
            let state = if i < reached {
                "done"
            } else if i == reached {
                "current"
            } else {
                "todo"
            };
            context! { name => name, state => state, at => at.map(time) }
        })
        .collect();
    let finished = matches!(
        case.status,
        CaseStatus::Decided | CaseStatus::Delivered | CaseStatus::NotAccepted | CaseStatus::Withdrawn
    )
    .then_some(case.status);
    let delivery = case.delivery.as_ref().map(|d| match d {
        DeliveryMethod::Window => page.tr("窗口领取", "collected at the window"),
        DeliveryMethod::Electronic => page.tr("电子送达", "sent electronically"),
        DeliveryMethod::Mail { tracking_number } => format!(
            "{}{tracking_number}",
            page.tr("邮寄送达，快递单号 ", "sent by mail, tracking number ")
        ),
    });
    let person = crate::privacy::applicant(&auth.actor, case);
    let tasks: Vec<Value> = case
        .tasks
        .iter()
        .map(|t| context! {
            id => t.id, name => t.name.clone(), department => dept_name(state, t.department.as_str()),
            state => match &t.state { TaskState::Open => "open", TaskState::Done { .. } => "done", TaskState::Cancelled { .. } => "cancelled" },
            by => match &t.state { TaskState::Done { by, at, .. } => format!("{by} {}", time(*at)), _ => String::new() },
            clock => if t.is_open() { clock_view(state, page, Some(case.task_clock(t)), at, None) } else { Value::from(()) },
        })
        .collect();
    let ctx = context! {
        case => context! {
            id => case.id, number => case.number.to_string(), title => case.title.clone(),
            status => case.status.as_str(), status_zh => case.status.label(page.lang), outcome => case.outcome.map(|o| o.as_str()),
            reason => case.decision_reason.clone(), department => dept_name(state, case.department.as_str()),
            applicant => person.name, applicant_id => person.id,
            channel => match case.channel { Channel::Online => page.tr("网上申请", "online"), Channel::Window => page.tr("窗口申请", "at the window") },
            submitted => time(case.submitted_at), accepted => case.accepted_at.map(time), decided => case.decided_at.map(time),
            supplement => case.supplement.as_ref().map(|s| context! { missing => s.missing.iter().map(|m| context! { code => m.code.to_string(), name => m.name.clone(), reason => m.reason.clone() }).collect::<Vec<_>>(), note => s.note.clone() }),
            special => case.special.as_ref().map(|s| format!("{}：{}", s.kind.zh(), s.reason)),
            extension_request => case.extension_request.as_ref().map(|r| format!("{} · {} · {}", r.by, limit_text(page, r.limit), r.reason)),
            rating => case.rating.as_ref().map(|r| r.level),
            form => if personal {
                let labels = crate::views::field_labels(state);
                case.form.as_object().map(|o| o.iter().map(|(k, v)| context! {
                    key => labels.get(k).cloned().unwrap_or_else(|| k.clone()), value => crate::views::form_value(v, page.lang),
                }).collect::<Vec<_>>())
            } else { None },
        },
        clock => clock_view(state, page, case.clock(), at, finished),
        legal_clock => clock_view(state, page, case.legal_clock(), at, finished),
        materials => materials,
        tasks => tasks,
        timeline => timeline,
        journal_full => journal_full,
        stepper => stepper,
        delivery => delivery,
        actions => actions,
        review => crate::ui::review::review_view(state, &auth.actor, case),
        error => error, done => done, next => next,
        unit => crate::views::limit_words(case.promised_limit, page.lang).trim_start_matches(char::is_numeric).trim().to_owned(),
    };
    Ok(render(state, page, "case.html", status, ctx))
}

pub async fn case_view(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    // After a command: what was done (the page below shows what comes next).
    // Where the new application stands (accepted and decided at once for 秒批).
    let status = match &page.auth {
        Some(a) => state
            .engine
            .case(&a.actor, id)
            .await
            .map(|c| c.value.status)
            .unwrap_or(onego_domain::case::CaseStatus::Submitted),
        None => onego_domain::case::CaseStatus::Submitted,
    };
    let done = match form.get("done") {
        Some("submitted") => Some(onego_domain::case::submitted_done(
            onego_domain::case::Channel::Online,
            status,
        )),
        Some("registered") => Some(onego_domain::case::submitted_done(
            onego_domain::case::Channel::Window,
            status,
        )),
        Some(d) => serde_json::from_value::<onego_domain::case::CaseCommandKind>(serde_json::Value::String(
            d.to_owned(),
        ))
        .ok()
        .map(|k| k.done()),
        None => None,
    }
    .map(|m| m.text(page.lang).to_owned())
    .unwrap_or_default();
    case_page(&state, &page, id, StatusCode::OK, "", &done).await
}

pub async fn case_act(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let auth = page.require()?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let stored = state
        .engine
        .case(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let result = match Command::try_from(CaseForm(&form, &stored.value)) {
        Ok(cmd) => state
            .engine
            .run_case(&auth.actor, id, &cmd, now())
            .await
            .map_err(ApiError::from)
            .map(|_| cmd.name()),
        Err(e) => Err(e),
    };
    match result {
        Ok(name) => {
            state.metrics.count_command(name);
            Ok(Redirect::to(&format!("/cases/{id}?done={name}")).into_response())
        }
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => {
            Err(api_error_page(&state, &page, e))
        }
        Err(e) => case_page(&state, &page, id, e.status, &e.text(page.lang), "").await,
    }
}

/// Printable notices: 受理通知书 and 一次性告知书.
pub async fn notice(
    State(state): State<AppState>,
    page: Page,
    Path((id, kind)): Path<(i64, String)>,
    axum::extract::Query(download): axum::extract::Query<DownloadQuery>,
) -> PageResult {
    let auth = page.require()?.clone();
    let stored = state
        .engine
        .case(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let case = &stored.value;
    let applicant = crate::privacy::applicant(&auth.actor, case).name;
    let reading = case.clock().and_then(|c| {
        c.read(
            &state.engine.calendar(),
            state.engine.config().policy,
            case.accepted_at.unwrap_or_else(now),
        )
        .ok()
    });
    // 容缺 materials still to come: the notice must say so rather than "材料齐全".
    let deferred_names: Vec<String> = case
        .material_specs(state.engine.catalog().as_ref())
        .map(|specs| {
            case.deferred
                .iter()
                .map(|c| {
                    specs
                        .iter()
                        .find(|s| &s.code == c)
                        .map(|s| s.name.clone())
                        .unwrap_or_else(|| c.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let ctx = match kind.as_str() {
        "acceptance" if case.accepted_at.is_some() => context! {
            heading => "受理通知书", case_number => case.number.to_string(), applicant => applicant.clone(),
            title => case.title.clone(), submitted => time(case.submitted_at), accepted => case.accepted_at.map(time),
            promised => limit_text(&page, case.promised_limit),
            due => reading.and_then(|r| r.due).map(crate::views::due_text),
            deferred => deferred_names,
            department => dept_name(&state, case.department.as_str()), kind => "acceptance",
        },
        "supplement" if case.supplement.is_some() => context! {
            heading => "补正材料一次性告知书", case_number => case.number.to_string(), applicant => applicant.clone(),
            title => case.title.clone(), kind => "supplement",
            missing => case.supplement.as_ref().map(|s| s.missing.iter().map(|m| context! { name => m.name.clone(), reason => m.reason.clone() }).collect::<Vec<_>>()),
            note => case.supplement.as_ref().map(|s| s.note.clone()),
            asked => case.supplement.as_ref().map(|s| time(s.at)),
            department => dept_name(&state, case.department.as_str()),
        },
        // The decision document (决定书) once decided: what was decided on each item, why, and for a
        // refusal the remedies the law gives (行政复议法 60 days, 行政诉讼法 6 months).
        "decision" if case.decided_at.is_some() => {
            let outcome = case.outcome.unwrap_or(onego_domain::case::CaseOutcome::Partial);
            let heading = match outcome {
                onego_domain::case::CaseOutcome::Approved => "准予许可决定书",
                onego_domain::case::CaseOutcome::Refused => "不予许可决定书",
                onego_domain::case::CaseOutcome::Partial => "办理结果通知书",
            };
            let results: Vec<String> = case
                .items_of(state.engine.catalog().as_ref())
                .iter()
                .map(|i| i.result_name.clone())
                .filter(|r| !r.is_empty())
                .collect();
            context! {
                heading => heading, case_number => case.number.to_string(), applicant => applicant.clone(),
                title => case.title.clone(), kind => "decision", submitted => time(case.submitted_at),
                accepted => case.accepted_at.map(time), decided => case.decided_at.map(time),
                outcome => outcome.as_str(), reason => case.decision_reason.clone(),
                flows => case.flows.iter().map(|f| context! {
                    item => f.item_name.clone(), department => dept_name(&state, f.department.as_str()),
                    approved => matches!(f.outcome, Some(onego_domain::process::Outcome::Approved)),
                }).collect::<Vec<_>>(),
                results => results,
                department => dept_name(&state, case.department.as_str()),
            }
        }
        _ => {
            return Err(error_page(
                &state,
                &page,
                StatusCode::NOT_FOUND,
                &page.tr("此办件没有这份通知书。", "This case has no such notice."),
            ));
        }
    };
    let mut response = render(&state, &page, "notice.html", StatusCode::OK, ctx);
    // `?download=1`: the same document as a file the applicant keeps (电子送达), printable or saved as PDF.
    if download.download.is_some() {
        let name = format!("{}-{}.html", kind, case.number);
        if let Ok(v) = axum::http::HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            response
                .headers_mut()
                .insert(axum::http::header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(response)
}

#[derive(serde::Deserialize, Default)]
pub struct DownloadQuery {
    pub download: Option<String>,
}
