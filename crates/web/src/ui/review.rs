//! 云会商 and 云勘验 on the case page: the meetings (topic, departments, time, link, minutes, opinions)
//! and inspections (photos and videos with when and where, checklist, conclusion) as the reader sees them,
//! the forms a reviewing department uses, and the inspection form's handler (its files wait in memory
//! until everything is checked, then are tied to the case in the command's commit).

use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use onego_calendar::Timestamp;
use onego_domain::case::{Case, CheckItem, Command, Evidence, EvidenceKind, MeetingOpinion};
use onego_domain::messages::Msg;
use onego_domain::policy;

use crate::AppState;
use crate::error::ApiError;
use crate::ui::form::FormData;
use crate::ui::view::{PageResult, now};
use crate::ui::{Page, api_error_page};
use crate::views::{dept_name, time};

/// Checklist rows the inspection form offers.
pub const CHECK_ROWS: usize = 5;

/// A local date and time as a form's `datetime-local` gives it (China Standard Time).
pub(crate) fn local_time(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    let with_seconds = if t.len() == 16 {
        format!("{t}:00")
    } else {
        t.to_owned()
    };
    Timestamp::parse_rfc3339(&format!("{with_seconds}+08:00"))
}

fn when_msg(field: &str) -> ApiError {
    ApiError::unprocessable(
        Msg::new(
            "review_time",
            "请填写日期和时间，例如 2026-12-08 14:30",
            "give the date and time, e.g. 2026-12-08 14:30",
        )
        .at(field),
    )
}

/// The meeting forms' commands (the case page's `/cases/{id}/act` posts them).
pub(crate) fn meeting_command(form: &FormData, case: &Case) -> Result<Option<Command>, ApiError> {
    Ok(match form.get("command").unwrap_or("") {
        "convene_meeting" => Some(Command::ConveneMeeting {
            topic: form.text("topic"),
            departments: crate::ui::commands::codes(form, "departments")?,
            at: local_time(&form.text("at")).ok_or_else(|| when_msg("at"))?,
            link: Some(form.text("link")).filter(|l| !l.trim().is_empty()),
        }),
        "record_meeting" => {
            let meeting: u32 = form
                .text("meeting")
                .parse()
                .map_err(|_| ApiError::unprocessable("which meeting?"))?;
            let invited = case
                .meetings
                .iter()
                .find(|m| m.id == meeting)
                .map(|m| m.departments.clone())
                .unwrap_or_default();
            let opinions = invited
                .iter()
                .filter(|d| !form.text(&format!("opinion_{d}")).trim().is_empty())
                .map(|d| MeetingOpinion {
                    department: d.clone(),
                    agree: form.text(&format!("agree_{d}")) != "no",
                    opinion: form.text(&format!("opinion_{d}")),
                })
                .collect();
            Some(Command::RecordMeeting {
                meeting,
                minutes: form.text("minutes"),
                opinions,
            })
        }
        _ => None,
    })
}

/// What the case page shows of meetings and inspections, and which forms the reader gets.
pub(crate) fn review_view(state: &AppState, actor: &onego_domain::org::Actor, case: &Case) -> Value {
    let can = |cmd: &Command| policy::authorize_command(actor, case, cmd).is_ok();
    let reviewing = case.status == onego_domain::case::CaseStatus::InReview;
    let convene = reviewing
        && can(&Command::ConveneMeeting {
            topic: String::new(),
            departments: vec![],
            at: now(),
            link: None,
        });
    let meetings: Vec<Value> = case
        .meetings
        .iter()
        .map(|m| {
            let mine = actor.department.as_ref() == Some(&m.convened_by);
            context! {
                id => m.id, topic => m.topic.clone(), at => time(m.at), link => m.link.clone(),
                convened_by => dept_name(state, m.convened_by.as_str()),
                departments => m.departments.iter().map(|d| context! { code => d.to_string(), name => dept_name(state, d.as_str()) }).collect::<Vec<_>>(),
                minutes => m.minutes.clone(), held => m.held_at.map(time),
                opinions => m.opinions.iter().map(|o| context! {
                    department => dept_name(state, o.department.as_str()), agree => o.agree, opinion => o.opinion.clone(),
                }).collect::<Vec<_>>(),
                record => reviewing && mine && m.held_at.is_none() && can(&Command::RecordMeeting { meeting: m.id, minutes: String::new(), opinions: vec![] }),
            }
        })
        .collect();
    let inspections: Vec<Value> = case
        .inspections
        .iter()
        .map(|i| context! {
            id => i.id, department => dept_name(state, i.department.as_str()), inspector => i.inspector.clone(),
            recorded => time(i.recorded_at), conclusion => i.conclusion.clone(), passed => i.passed,
            hours => ((i.recorded_at.as_millis() - i.task_opened_at.as_millis()).max(0) as f64 / 3_600_000.0 * 10.0).round() / 10.0,
            checklist => i.checklist.iter().map(|c| context! { item => c.item.clone(), passed => c.passed }).collect::<Vec<_>>(),
            evidence => i.evidence.iter().map(|e| context! {
                href => e.file.to_string(), video => e.kind == EvidenceKind::Video,
                taken => time(e.captured_at), place => format!("{:.5}, {:.5}", e.lat, e.lon),
            }).collect::<Vec<_>>(),
        })
        .collect();
    // The open tasks the reader may record an inspection on.
    let inspect_tasks: Vec<Value> = if reviewing {
        case.open_tasks()
            .filter(|t| policy::may_act_on_task(actor, t).is_ok())
            .map(|t| context! { id => t.id, name => t.name.clone() })
            .collect()
    } else {
        vec![]
    };
    let departments: Vec<Value> = state
        .engine
        .catalog()
        .departments
        .iter()
        .filter(|d| actor.department.as_ref() != Some(&d.code))
        .map(|d| context! { code => d.code.to_string(), name => d.name.clone() })
        .collect();
    context! {
        meetings => meetings, inspections => inspections, convene => convene,
        inspect_tasks => inspect_tasks, departments => departments, check_rows => CHECK_ROWS,
        shown => !case.meetings.is_empty() || !case.inspections.is_empty() || convene,
    }
}

/// Records a remote inspection: evidence files (photos, short videos) with when and where they were
/// taken, the checklist and the conclusion.
pub async fn inspection(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    mp: Multipart,
) -> PageResult {
    let auth = page.require()?.clone();
    let (form, held, problem) = crate::held_files::read_form(mp, |f| f == "evidence").await;
    page.check_csrf(&state, form.get("csrf"))?;
    let stored = state
        .engine
        .case(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let again = |e: ApiError| {
        let state = state.clone();
        let page = &page;
        async move { crate::ui::cases::case_page(&state, page, id, e.status, &e.text(page.lang), "").await }
    };
    let task: u32 = match form.text("task").parse() {
        Ok(t) => t,
        Err(_) => return again(ApiError::unprocessable("which task?")).await,
    };
    let probe = Command::RecordInspection {
        task,
        evidence: vec![],
        checklist: vec![],
        conclusion: String::new(),
    };
    if let Err(d) = policy::authorize_command(&auth.actor, &stored.value, &probe) {
        return Err(api_error_page(&state, &page, ApiError::forbidden(d.0)));
    }
    if let Some(problem) = problem {
        return again(ApiError::unprocessable(Msg::new(
            "upload_refused",
            problem.message(false),
            problem.message(true),
        )))
        .await;
    }
    let Some(taken) = local_time(&form.text("captured_at")) else {
        return again(when_msg("captured_at")).await;
    };
    let (Ok(lat), Ok(lon)) = (
        form.text("lat").trim().parse::<f64>(),
        form.text("lon").trim().parse::<f64>(),
    ) else {
        return again(ApiError::unprocessable(
            Msg::new(
                "inspection_place",
                "请填写拍摄地点的纬度和经度（例如 35.2510 和 115.4720）",
                "give the latitude and longitude where they were taken (e.g. 35.2510 and 115.4720)",
            )
            .at("lat"),
        ))
        .await;
    };
    let checklist: Vec<CheckItem> = (1..=CHECK_ROWS)
        .filter(|n| !form.text(&format!("check_{n}")).trim().is_empty())
        .map(|n| CheckItem {
            item: form.text(&format!("check_{n}")),
            passed: form.text(&format!("passed_{n}")) == "yes",
        })
        .collect();
    let kinds: Vec<EvidenceKind> = held
        .iter()
        .map(|f| {
            if f.content_type.starts_with("video/") {
                EvidenceKind::Video
            } else {
                EvidenceKind::Photo
            }
        })
        .collect();
    if held.is_empty() {
        return again(ApiError::unprocessable(
            Msg::new(
                "inspection_evidence",
                "请上传现场照片或视频（1至20个）",
                "upload photos or videos from the site (1 to 20)",
            )
            .at("evidence"),
        ))
        .await;
    }
    let files = match crate::held_files::store(
        &state,
        auth.user.id,
        held.into_iter().map(|f| ("inspection".to_owned(), f)).collect(),
    )
    .await
    {
        Ok(f) => f,
        Err(e) => return again(e).await,
    };
    let cmd = Command::RecordInspection {
        task,
        evidence: files
            .iter()
            .zip(kinds)
            .map(|(f, kind)| Evidence {
                file: *f,
                kind,
                captured_at: taken,
                lat,
                lon,
            })
            .collect(),
        checklist,
        conclusion: form.text("conclusion"),
    };
    match state.engine.run_case(&auth.actor, id, &cmd, now()).await {
        Ok(_) => {
            state.metrics.count_command("record_inspection");
            Ok(Redirect::to(&format!("/cases/{id}?done=record_inspection")).into_response())
        }
        Err(e) => {
            crate::held_files::discard(&state, auth.user.id, &files).await;
            again(ApiError::from(e)).await
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_form_time_is_read_in_china_standard_time() {
        let t = super::local_time("2026-12-08T14:30").expect("time");
        assert_eq!(crate::views::time(t), "2026-12-08 14:30");
        assert!(super::local_time("tomorrow").is_none());
    }
}
