//! Files of an application: supplying materials with their files (补正, 容缺后补), and reading an
//! uploaded file (an application's material, an agreement's signed copy, an inspection's evidence) for
//! whoever may read what it belongs to.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect};
use onego_domain::case::Command;
use onego_domain::policy;
use onego_domain::values::Code;

use crate::AppState;
use crate::error::ApiError;
use crate::ui::apply::material_files;
use crate::ui::cases::case_page;
use crate::ui::view::*;
use crate::ui::{Page, api_error_page, error_page};

/// Supplying materials with files (补正, 容缺后补). The files wait in memory until the form and the
/// caller's access are checked; they are tied to the case in the same commit as the command.
pub async fn case_supply(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    mp: Multipart,
) -> PageResult {
    let auth = page.require()?.clone();
    let (fields, held, problem) = crate::held_files::read_form(mp, |f| f.starts_with("file_")).await;
    page.check_csrf(&state, fields.get("csrf"))?;
    let stored = state
        .engine
        .case(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let probe = Command::SupplyMaterials {
        materials: vec![],
        files: Default::default(),
    };
    if let Err(d) = policy::authorize_command(&auth.actor, &stored.value, &probe) {
        return Err(api_error_page(&state, &page, ApiError::forbidden(d.0)));
    }
    if let Some(problem) = problem {
        return case_page(
            &state,
            &page,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            &problem.message(page.en()),
            "",
        )
        .await;
    }
    let held = match material_files(&page, held) {
        Ok(h) if !h.is_empty() => h,
        Ok(_) => {
            let m = page.tr("请选择要上传的材料文件。", "Choose the files to upload.");
            return case_page(&state, &page, id, StatusCode::UNPROCESSABLE_ENTITY, &m, "").await;
        }
        Err(m) => return case_page(&state, &page, id, StatusCode::UNPROCESSABLE_ENTITY, &m, "").await,
    };
    let codes: Vec<String> = held.iter().map(|(c, _)| c.clone()).collect();
    let files = match crate::held_files::store(&state, auth.user.id, held).await {
        Ok(f) => f,
        Err(e) => return case_page(&state, &page, id, e.status, &e.text(page.lang), "").await,
    };
    let cmd = Command::SupplyMaterials {
        materials: codes.iter().filter_map(|c| Code::parse(c).ok()).collect(),
        files: codes.iter().cloned().zip(files.iter().copied()).collect(),
    };
    match state.engine.run_case(&auth.actor, id, &cmd, now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?done=supply_materials")).into_response()),
        Err(e) => {
            crate::held_files::discard(&state, auth.user.id, &files).await;
            let e = ApiError::from(e);
            case_page(&state, &page, id, e.status, &e.text(page.lang), "").await
        }
    }
}

pub async fn upload(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    let auth = page.require()?.clone();
    let info = state
        .engine
        .store()
        .uploads()
        .info(id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let not_found = || {
        error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个文件。", "There is no such file."),
        )
    };
    let Some(info) = info else { return Err(not_found()) };
    let allowed = match info.aggregate_id {
        // An application's material, or an agency agreement's signed copy: whoever may read either.
        Some(id) => {
            state.engine.case(&auth.actor, id).await.is_ok()
                || state.engine.agreement(&auth.actor, id).await.is_ok()
        }
        None => info.owner_user_id == auth.user.id,
    };
    if !allowed {
        return Err(not_found());
    }
    let data = state
        .engine
        .store()
        .uploads()
        .data(id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?
        .unwrap_or_default();
    let name: String = info
        .file_name
        .chars()
        .filter(|c| c.is_alphanumeric() || ".-_".contains(*c))
        .collect();
    Ok((
        [
            (CONTENT_TYPE, info.content_type.clone()),
            (CONTENT_DISPOSITION, format!("inline; filename=\"{name}\"")),
        ],
        data,
    )
        .into_response())
}
