//! Forms that carry files (an application's materials, a 补正, a grid member's photo, an Open311 client's
//! media): one reader for all of them. Files are checked by content and held in memory while the form
//! is checked (CSRF, access, fields); they are stored only then, within the account's daily quota, and
//! tied to their case or request in the same commit as the command. If the command is refused, the files
//! just stored are removed again (and a sweep removes any a crash left behind).

use axum::extract::Multipart;
use onego_domain::values::FileRef;
use onego_store::uploads::NewFile;

use crate::AppState;
use crate::error::ApiError;
use crate::ui::form::FormData;

/// A file sent with a form: the field it came in, its name, its checked content type and bytes.
#[derive(Debug)]
pub struct HeldFile {
    pub field: String,
    pub name: String,
    pub content_type: &'static str,
    pub data: Vec<u8>,
}

/// What went wrong while reading a form; the fields read are still returned with it.
pub enum FormProblem {
    /// The body ended early or could not be read.
    CutOff(String),
    /// A file that is not an accepted type (the message says which are).
    BadFile(String),
    /// A field with characters that cannot be stored (NUL, control characters).
    BadText(String),
}

impl FormProblem {
    /// What to tell the person, in the page's language.
    pub fn message(&self, en: bool) -> String {
        match (self, en) {
            (FormProblem::CutOff(e), false) => format!("上传中断，请重新提交（{e}）。"),
            (FormProblem::CutOff(e), true) => format!("The upload was cut off; send the form again ({e})."),
            (FormProblem::BadFile(m), _) => m.clone(),
            (FormProblem::BadText(field), false) => {
                format!("“{field}”中含有不能保存的字符（空字符或控制字符），请删去后重新提交。")
            }
            (FormProblem::BadText(field), true) => format!(
                "\"{field}\" contains characters that cannot be stored (NUL or control characters); remove them and send it again."
            ),
        }
    }
}

/// Reads a multipart form: text fields, and the files of the fields `is_file` names. Keeps reading after a
/// problem so the form can be shown again with what was typed; reports the first problem.
pub async fn read_form(
    mut mp: Multipart,
    is_file: impl Fn(&str) -> bool,
) -> (FormData, Vec<HeldFile>, Option<FormProblem>) {
    let mut fields = Vec::new();
    let mut files = Vec::new();
    let mut problem = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                problem.get_or_insert(FormProblem::CutOff(e.to_string()));
                break;
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if is_file(&name) {
            let file_name = field.file_name().unwrap_or(&name).to_owned();
            match field.bytes().await {
                // An empty file input (no file chosen).
                Ok(data) if data.is_empty() => {}
                Ok(data) => match onego_store::uploads::check(&file_name, &data) {
                    Ok(content_type) => files.push(HeldFile {
                        field: name,
                        name: file_name
                            .chars()
                            .filter(|c| onego_domain::values::allowed_char(*c))
                            .collect(),
                        content_type,
                        data: data.to_vec(),
                    }),
                    Err(e) => {
                        problem.get_or_insert(FormProblem::BadFile(e.to_string()));
                    }
                },
                Err(e) => {
                    problem.get_or_insert(FormProblem::CutOff(e.to_string()));
                }
            }
        } else {
            match field.text().await {
                Ok(text) if onego_domain::values::forbidden_char(&text).is_some() => {
                    problem.get_or_insert(FormProblem::BadText(name));
                }
                Ok(text) => fields.push((name, text)),
                Err(e) => {
                    problem.get_or_insert(FormProblem::CutOff(e.to_string()));
                }
            }
        }
    }
    (FormData::from_pairs(fields), files, problem)
}

/// Stores held files as `owner`'s uploads (material = the code each is for), within the daily quota.
/// Returns a reference to each, in order. Call only after every check of the form has passed.
pub async fn store(
    state: &AppState,
    owner: i64,
    files: Vec<(String, HeldFile)>,
) -> Result<Vec<FileRef>, ApiError> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let new: Vec<NewFile> = files
        .into_iter()
        .map(|(material, f)| (material, f.name, f.content_type, f.data))
        .collect();
    let now = onego_store::now_millis();
    let ids = state
        .engine
        .store()
        .uploads()
        .store_all(owner, new, now, onego_store::uploads::DAILY_QUOTA_BYTES)
        .await?;
    Ok(ids.into_iter().map(FileRef::new).collect())
}

/// Removes uploads just stored for a command that was then refused (only while no case holds them).
pub async fn discard(state: &AppState, owner: i64, files: &[FileRef]) {
    if files.is_empty() {
        return;
    }
    let ids: Vec<i64> = files.iter().map(|f| f.upload_id()).collect();
    if let Err(e) = state.engine.store().uploads().discard(owner, ids).await {
        tracing::warn!(error = %e, "uploads of a refused command were left for the sweep");
    }
}
