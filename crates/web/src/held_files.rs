//! Forms that carry files for a request (a grid member's photo, an Open311 client's media): the files are
//! checked by content and held in memory until the request is accepted, then stored tied to it, so a
//! refused form stores nothing.

use axum::extract::Multipart;
use onego_store::StoreError;

use crate::AppState;
use crate::ui::pages::FormData;

/// A file sent with a form: its name, checked content type and bytes.
pub type HeldFile = (String, &'static str, Vec<u8>);

/// What went wrong while reading a form; the fields read are still returned with it.
pub enum FormProblem {
    /// The body ended early or could not be read.
    CutOff(String),
    /// A file that is not an accepted type (the message says which are).
    BadFile(String),
}

/// Reads a multipart form: text fields, and the files of `file_field`. Keeps reading after a bad file so
/// the form can be shown again with what was typed; reports the first problem.
pub async fn read_form(
    mut mp: Multipart,
    file_field: &str,
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
        if name == file_field {
            let file_name = field.file_name().unwrap_or(file_field).to_owned();
            match field.bytes().await {
                Ok(data) if data.is_empty() => {}
                Ok(data) => match onego_store::uploads::check(&file_name, &data) {
                    Ok(content_type) => files.push((file_name, content_type, data.to_vec())),
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
                Ok(text) => fields.push((name, text)),
                Err(e) => {
                    problem.get_or_insert(FormProblem::CutOff(e.to_string()));
                }
            }
        }
    }
    (FormData::from_pairs(fields), files, problem)
}

/// Stores held files as uploads of `owner` (material `material`) tied to the request `ticket`.
pub async fn store(
    state: &AppState,
    owner: i64,
    ticket: i64,
    material: &'static str,
    files: Vec<HeldFile>,
) -> Result<(), StoreError> {
    if files.is_empty() {
        return Ok(());
    }
    state
        .engine
        .store()
        .write(move |c| {
            let at = onego_store::now_millis();
            for (name, content_type, data) in files {
                let id = onego_store::uploads::insert(c, owner, material, &name, content_type, data, at)?;
                onego_store::uploads::attach(c, &[id], ticket, owner)?;
            }
            Ok(())
        })
        .await
}
