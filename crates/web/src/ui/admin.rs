//! Administration: users, departments, processes and holiday files.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Datelike;
use minijinja::context;
use onego_domain::labels::Label;
use onego_domain::org::Role;
use onego_domain::values::{ApplicantId, Code};

use crate::AppState;
use crate::error::ApiError;
use crate::ui::{Page, api_error_page, process_svg, render};

use crate::ui::form::FormData;
use crate::ui::view::*;

// --- Administration ---------------------------------------------------------------------------------

pub async fn admin(State(state): State<AppState>, page: Page) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    admin_page(&state, &page, StatusCode::OK, "", "", "").await
}

pub(crate) async fn admin_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    error: &str,
    done: &str,
    source: &str,
) -> PageResult {
    admin_page_with(state, page, status, error, done, source, None).await
}

/// The administration page; `preview` is the diagram of a process definition just checked.
pub(crate) async fn admin_page_with(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    error: &str,
    done: &str,
    source: &str,
    preview: Option<String>,
) -> PageResult {
    let catalog = state.engine.catalog();
    let depts = departments(state);
    let fields = crate::views::field_labels(state);
    let users = state
        .engine
        .store()
        .users()
        .list()
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let calendar = state.engine.calendar();
    let table = calendar.table();
    let today = state.engine.calendar().local_date(now());
    let mut latest: BTreeMap<String, &onego_domain::process::ProcessDefinition> = BTreeMap::new();
    for p in &catalog.processes {
        if latest.get(p.code.as_str()).is_none_or(|x| x.version < p.version) {
            latest.insert(p.code.to_string(), p);
        }
    }
    Ok(render(
        state,
        page,
        "admin.html",
        status,
        context! {
            error => error, done => done, source => source,
            processes => latest.values().map(|p| context! { code => p.code.to_string(), version => p.version, name => p.name.clone(), nodes => p.nodes.len(), svg => process_svg(p, &depts, None, &fields, page.lang) }).collect::<Vec<_>>(),
            items => catalog.items_on(today).iter().map(|i| context! { ..item_view(state, page, i), ..context! { process => i.process.to_string(), materials => i.materials.len(), version => i.version } }).collect::<Vec<_>>(),
            bundles => catalog.bundles_on(today).iter().map(|b| context! { code => b.code.to_string(), name => b.name.clone(), members => b.members.iter().map(ToString::to_string).collect::<Vec<_>>().join("、"), lead => dept_name(state, b.lead_department.as_str()), promised => limit_text(page, b.promised_limit) }).collect::<Vec<_>>(),
            departments => catalog.departments.iter().map(|d| context! { code => d.code.to_string(), name => d.name.clone(), uscc => d.uscc.as_ref().map(ToString::to_string) }).collect::<Vec<_>>(),
            // Staff act in office under their names; applicants' accounts are citizens', shown masked.
            users => users.iter().map(|u| context! { username => u.username.clone(),
                name => match &u.applicant { Some(id) => onego_domain::privacy::applicant_name(id, &u.name, false), None => u.name.clone() },
                contact => [u.email.as_deref().map(onego_domain::privacy::mask_email), u.mobile.as_deref().map(onego_domain::privacy::mask_phone)].into_iter().flatten().collect::<Vec<_>>().join(" · "),
                role => u.role.zh(), department => u.department.as_ref().map(|d| dept_name(state, d.as_str())) }).collect::<Vec<_>>(),
            years => table.years().map(|(y, n)| context! { year => y, notice => n }).collect::<Vec<_>>(),
            preview => preview,
            source_name => table.source().replace("built-in table", &page.tr("内置节假日表（国务院办公厅通知）", "built-in table (State Council notices)")),
            roles => Role::ALL.iter().filter(|r| **r != Role::System).map(|r| context! { code => r.as_str(), name => r.zh() }).collect::<Vec<_>>(),
        },
    ))
}

pub async fn admin_process(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let source = form.get("source").unwrap_or("").to_owned();
    let def = match onego_domain::process::ProcessDefinition::from_toml(&source) {
        Ok(d) => d,
        Err(e) => {
            return admin_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!(
                    "{}{}",
                    page.tr(
                        "流程定义有误，请按以下提示修改后重新提交：",
                        "The process definition has a mistake: "
                    ),
                    e.msg().text(page.lang)
                ),
                "",
                &source,
            )
            .await;
        }
    };
    if form.get("check_only").is_some() {
        let msg = format!(
            "{} {} v{}：{}{}",
            page.tr("校验通过", "Valid"),
            def.code,
            def.version,
            def.name,
            page.tr(
                "。下方是它的流程图；确认无误后导入。",
                ". Its diagram is below; import it when it looks right."
            )
        );
        // The diagram as it will be drawn on guides, before anything is stored.
        let preview = process_svg(
            &def,
            &departments(&state),
            None,
            &crate::views::field_labels(&state),
            page.lang,
        );
        return admin_page_with(&state, &page, StatusCode::OK, "", &msg, &source, Some(preview)).await;
    }
    let (code, version) = (def.code.to_string(), def.version);
    if let Err(e) = state
        .engine
        .store()
        .catalog()
        .save_process(def, onego_store::now_millis())
        .await
    {
        return admin_page(
            &state,
            &page,
            StatusCode::CONFLICT,
            &ApiError::from(e).text(page.lang),
            "",
            &source,
        )
        .await;
    }
    let _ = state.engine.reload_config().await;
    admin_page(
        &state,
        &page,
        StatusCode::OK,
        "",
        &format!("{} {code} v{version}", page.tr("已导入流程", "Imported process")),
        "",
    )
    .await
}

pub async fn admin_user(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let role = Role::parse(&form.text("role")).filter(|r| *r != Role::System);
    let department = form
        .get("department")
        .filter(|d| !d.is_empty())
        .map(Code::parse)
        .transpose();
    let applicant = form
        .get("applicant_id")
        .filter(|d| !d.trim().is_empty())
        .map(ApplicantId::parse)
        .transpose();
    let (Some(role), Ok(department), Ok(applicant)) = (role, department, applicant) else {
        return admin_page(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &page.tr(
                "角色、部门或证件号码无效。",
                "The role, department or ID is invalid.",
            ),
            "",
            "",
        )
        .await;
    };
    let new = onego_store::users::NewUser {
        username: form.text("username"),
        name: form.text("name"),
        role,
        department,
        applicant,
        // Normalised where they parse; a malformed one is kept as typed so `validate` names it.
        mobile: Some(form.text("mobile"))
            .filter(|m| !m.is_empty())
            .map(|m| onego_domain::values::Mobile::parse(&m).map_or(m, String::from)),
        email: Some(form.text("email"))
            .filter(|e| !e.is_empty())
            .map(|e| onego_domain::values::Email::parse(&e).map_or(e, String::from)),
        // A channel is on when ticked and its address is given (ticked by default on the form).
        by_email: form.get("by_email").is_some() && !form.text("email").is_empty(),
        by_sms: form.get("by_sms").is_some() && !form.text("mobile").is_empty(),
        password: form.get("password").unwrap_or("").to_owned(),
    };
    if let Err(e) = new.validate() {
        return admin_page(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                "{}{}",
                page.tr("用户信息有误：", "The user's details need a change: "),
                e.msg().text(page.lang)
            ),
            "",
            "",
        )
        .await;
    }
    let username = new.username.clone();
    match state
        .engine
        .store()
        .users()
        .add(new, onego_store::now_millis())
        .await
    {
        Ok(_) => {
            admin_page(
                &state,
                &page,
                StatusCode::OK,
                "",
                &format!("{} {username}", page.tr("已添加用户", "Added user")),
                "",
            )
            .await
        }
        Err(e) => {
            admin_page(
                &state,
                &page,
                StatusCode::CONFLICT,
                &ApiError::from(e).text(page.lang),
                "",
                "",
            )
            .await
        }
    }
}

pub async fn admin_department(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let code = match Code::parse(&form.text("code")) {
        Ok(c) => c,
        Err(e) => {
            return admin_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                e.msg().text(page.lang),
                "",
                "",
            )
            .await;
        }
    };
    let uscc = match form
        .get("uscc")
        .filter(|u| !u.trim().is_empty())
        .map(onego_domain::values::Uscc::parse)
        .transpose()
    {
        Ok(u) => u,
        Err(e) => {
            return admin_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                e.msg().text(page.lang),
                "",
                "",
            )
            .await;
        }
    };
    let name = form.text("name");
    if name.is_empty() {
        return admin_page(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &page.tr("请填写部门名称。", "Give the department's name."),
            "",
            "",
        )
        .await;
    }
    let d = onego_domain::org::Department { code, name, uscc };
    let label = d.name.clone();
    if let Err(e) = state.engine.store().catalog().save_department(d).await {
        return admin_page(
            &state,
            &page,
            StatusCode::CONFLICT,
            &ApiError::from(e).text(page.lang),
            "",
            "",
        )
        .await;
    }
    let _ = state.engine.reload_config().await;
    admin_page(
        &state,
        &page,
        StatusCode::OK,
        "",
        &format!("{} {label}", page.tr("已保存部门", "Saved department")),
        "",
    )
    .await
}

/// An administrator loads a holiday table file (a new year's notice, local rest days): validated against
/// the table in force, stored, and put in force at once.
pub async fn admin_holidays(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let auth = page.require_role(&state, &[Role::Admin])?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let source = form.get("holidays").unwrap_or("").to_owned();
    let name = format!("admin upload {}", time(now()));
    let current = state.engine.calendar();
    let uploaded = onego_calendar::HolidayTable::from_toml_str(&source, &name);
    // A year whose notice lacks some national holidays is probably typed in part: say so.
    let incomplete = uploaded
        .as_ref()
        .map(|t| t.incomplete_years())
        .unwrap_or_default();
    let merged = uploaded.and_then(|extra| current.table().clone().overlay(extra));
    let table = match merged {
        Ok(t) => t,
        Err(e) => {
            return admin_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("{}{e}", page.tr("节假日表有误，请按以下提示修改后重新提交：", "")),
                "",
                "",
            )
            .await;
        }
    };
    let span = table
        .year_span()
        .map(|(a, b)| format!("{a}-{b}"))
        .unwrap_or_default();
    let (n, src, by) = (name.clone(), source.clone(), auth.user.username.clone());
    if let Err(e) = state
        .engine
        .store()
        .catalog()
        .save_holiday_file(n, src, by, onego_store::now_millis())
        .await
    {
        return admin_page(
            &state,
            &page,
            StatusCode::CONFLICT,
            &ApiError::from(e).text(page.lang),
            "",
            "",
        )
        .await;
    }
    // Every server reloads the stored files (this one at once, the others within a second).
    let _ = state.engine.reload_config().await;
    admin_page(
        &state,
        &page,
        StatusCode::OK,
        "",
        &{
            let mut msg = format!(
                "{} {span}",
                page.tr("节假日表已生效，覆盖年份", "Holiday table in force, covering")
            );
            for (year, missing) in &incomplete {
                msg.push_str(&if page.en() {
                    format!(
                        " Warning: {year} lacks {} — check the notice.",
                        missing.join(", ")
                    )
                } else {
                    format!(
                        " 注意：{year}年缺少{}，请核对国务院办公厅通知。",
                        missing.join("、")
                    )
                });
            }
            msg
        },
        "",
    )
    .await
}

#[derive(serde::Deserialize, Default)]
pub struct MonthQuery {
    /// YYYY-MM; this month when left out.
    pub month: Option<String>,
}

/// A month of the working calendar: which days rest, which weekend days are worked (调休), by the
/// holiday table in force, so an administrator can check a notice they loaded.
pub async fn admin_calendar(
    State(state): State<AppState>,
    page: Page,
    axum::extract::Query(q): axum::extract::Query<MonthQuery>,
) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let calendar = state.engine.calendar();
    let today = calendar.local_date(now());
    let first = q
        .month
        .as_deref()
        .and_then(|m| chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok())
        .unwrap_or_else(|| today.with_day(1).unwrap_or(today));
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    let prev = first.checked_sub_months(chrono::Months::new(1)).unwrap_or(first);
    let mut weeks: Vec<Vec<minijinja::Value>> = Vec::new();
    let mut week: Vec<minijinja::Value> =
        vec![minijinja::Value::from(()); first.weekday().num_days_from_monday() as usize];
    let mut provisional = false;
    let mut day = first;
    while day < next {
        let reckoned = calendar.day_kind(day);
        provisional |= reckoned.provisional;
        let (kind, label) = match reckoned.value {
            onego_calendar::DayKind::Workday => ("workday", String::new()),
            onego_calendar::DayKind::Weekend => ("weekend", String::new()),
            onego_calendar::DayKind::Holiday { name } => ("holiday", name),
            onego_calendar::DayKind::MakeUpWorkday { name } => (
                "makeup",
                format!("{}{name}", page.tr("调休上班 · ", "worked for ")),
            ),
        };
        week.push(context! { n => day.day(), kind => kind, label => label });
        if week.len() == 7 {
            weeks.push(std::mem::take(&mut week));
        }
        day = day.succ_opt().unwrap_or(next);
    }
    if !week.is_empty() {
        week.resize(7, minijinja::Value::from(()));
        weeks.push(week);
    }
    let weekdays: Vec<String> = if page.en() {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            .map(String::from)
            .to_vec()
    } else {
        ["一", "二", "三", "四", "五", "六", "日"]
            .map(String::from)
            .to_vec()
    };
    Ok(render(
        &state,
        &page,
        "admin_calendar.html",
        StatusCode::OK,
        context! {
            month_name => if page.en() { first.format("%B %Y").to_string() } else { format!("{}年{}月", first.year(), first.month()) },
            prev => prev.format("%Y-%m").to_string(), next => next.format("%Y-%m").to_string(),
            weeks => weeks, weekdays => weekdays, provisional => provisional,
        },
    ))
}
