//! `/admin/templates`: the message templates — every kind in both languages and both channels, which
//! are the built-in texts and which an administrator changed; one template's editor with a preview
//! rendered from sample parameters, and an SMS's length checked before it is saved.

// Page handlers answer an error page as their `Err`, as every page module does.
#![allow(clippy::result_large_err)]

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use minijinja::context;
use onego_domain::labels::Label;
use onego_domain::messages::Msg;
use onego_domain::org::Role;
use onego_notify::templates::{
    SMS_MAX, Template, TemplateError, built_in, in_force, kinds, render, sample_params, sms_segments,
};
use onego_store::outbox::{Channel, TemplateRow};

use super::{Page, error_page, render as render_page};
use crate::AppState;
use crate::error::{ApiError, FieldErrors};
use crate::ui::form::{FormData, no_refusal, refusal};
use crate::ui::view::PageResult;
use crate::views::time;

const LANGS: [&str; 2] = ["zh", "en"];

fn lang_name(page: &Page, lang: &str) -> String {
    if lang == "en" {
        page.tr("英文", "English")
    } else {
        page.tr("中文", "Chinese")
    }
}

pub async fn templates(State(state): State<AppState>, page: Page) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let saved = state
        .engine
        .store()
        .outbox()
        .templates()
        .await
        .map_err(|e| super::api_error_page(&state, &page, e.into()))?;
    let rows: Vec<minijinja::Value> = kinds()
        .into_iter()
        .map(|(kind, zh, en)| {
            let cells: Vec<minijinja::Value> = Channel::ALL
                .into_iter()
                .flat_map(|c| LANGS.map(move |l| (c, l)))
                .map(|(c, l)| {
                    let edited = saved
                        .iter()
                        .find(|r| r.kind == kind && r.channel == c.as_str() && r.lang == l);
                    context! {
                        href => format!("/admin/templates/{kind}/{}/{l}", c.as_str()),
                        what => format!("{} · {}", c.label(page.lang), lang_name(&page, l)),
                        edited => edited.map(|r| format!("{} {}", r.updated_by, time(onego_calendar::Timestamp::from_millis(r.updated_at)))),
                    }
                })
                .collect();
            context! { name => page.tr(zh, en), cells => cells }
        })
        .collect();
    Ok(render_page(
        &state,
        &page,
        "admin_templates.html",
        StatusCode::OK,
        context! { rows => rows },
    ))
}

/// The kind, channel and language named by the path, or a 404 page.
fn target(
    state: &AppState,
    page: &Page,
    kind: &str,
    channel: &str,
    lang: &str,
) -> Result<(Channel, Template), axum::response::Response> {
    let c = Channel::parse(channel);
    match (c, LANGS.contains(&lang)) {
        (Some(c), true) => built_in(kind, c, lang).map(|t| (c, t)),
        _ => None,
    }
    .ok_or_else(|| {
        error_page(
            state,
            page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个消息模板。", "There is no such message template."),
        )
    })
}

struct Shown<'a> {
    template: &'a Template,
    status: StatusCode,
    refused: Option<&'a ApiError>,
    done: &'a str,
}

async fn editor(state: &AppState, page: &Page, shown: Shown<'_>) -> PageResult {
    let t = shown.template;
    let name = kinds()
        .into_iter()
        .find(|(k, _, _)| *k == t.kind)
        .map_or_else(String::new, |(_, zh, en)| page.tr(zh, en));
    let preview = match render(t, &sample_params()) {
        Ok(r) => context! {
            subject => r.subject, body => r.body.clone(),
            chars => r.body.chars().count(), segments => sms_segments(&r.body),
        },
        Err(_) => context! {},
    };
    Ok(render_page(
        state,
        page,
        "admin_template.html",
        shown.status,
        context! {
            name => name, kind => t.kind.clone(), channel => t.channel.as_str(), channel_name => t.channel.label(page.lang),
            lang_name => lang_name(page, &t.lang), lang_code => t.lang.clone(),
            sms => t.channel == Channel::Sms, sms_max => SMS_MAX,
            f => context! { subject => t.subject.clone(), body => t.body.clone(), sms_code => t.sms_code.clone() },
            preview => preview, done => shown.done,
            variables => sample_params().into_iter().map(|(k, v)| context! { name => k, sample => v }).collect::<Vec<_>>(),
            ..shown.refused.map_or_else(no_refusal, |e| refusal(e, page.lang)),
        },
    ))
}

pub async fn template(
    State(state): State<AppState>,
    page: Page,
    Path((kind, channel, lang)): Path<(String, String, String)>,
) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let (c, _) = target(&state, &page, &kind, &channel, &lang)?;
    let saved = state
        .engine
        .store()
        .outbox()
        .templates()
        .await
        .map_err(|e| super::api_error_page(&state, &page, e.into()))?;
    let t = in_force(&saved, &kind, c, &lang).expect("a known kind has a built-in template");
    editor(
        &state,
        &page,
        Shown {
            template: &t,
            status: StatusCode::OK,
            refused: None,
            done: "",
        },
    )
    .await
}

/// Whether a template can be used: it renders with sample parameters, an SMS fits two segments and
/// names the gateway's template code, an e-mail has a subject; every mistake at its field.
fn check(t: &Template) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    if t.body.trim().is_empty() {
        errors.add(
            "body",
            Msg::new("template_body_empty", "请填写消息正文", "Write the message text"),
        );
    }
    if t.channel == Channel::Email && t.subject.trim().is_empty() {
        errors.add(
            "subject",
            Msg::new(
                "template_subject_empty",
                "请填写邮件主题",
                "Write the e-mail's subject",
            ),
        );
    }
    if !errors.has("body")
        && let Err(e) = render(t, &sample_params())
    {
        let (zh, en) = e.texts();
        let field = match e {
            TemplateError::NoCode => "sms_code",
            _ => "body",
        };
        errors.add(field, Msg::new("template_invalid", zh, en));
    }
    errors.finish()
}

/// Previews (`action=preview`), restores the built-in text into the form (`action=builtin`, not saved)
/// or saves (`action=save`, after the checks).
pub async fn save(
    State(state): State<AppState>,
    page: Page,
    Path((kind, channel, lang)): Path<(String, String, String)>,
    body: Bytes,
) -> PageResult {
    let auth = page.require_role(&state, &[Role::Admin])?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let (c, original) = target(&state, &page, &kind, &channel, &lang)?;
    let action = form.text("action");
    let typed = Template {
        kind: kind.clone(),
        channel: c,
        lang: lang.clone(),
        subject: if c == Channel::Email {
            form.text("subject")
        } else {
            String::new()
        },
        body: form
            .get("body")
            .unwrap_or("")
            .replace("\r\n", "\n")
            .trim()
            .to_owned(),
        sms_code: if c == Channel::Sms {
            form.text("sms_code")
        } else {
            String::new()
        },
    };
    if action == "builtin" {
        let done = page.tr(
            "已把内置文本填入表单，尚未保存；确认后请按“保存”。",
            "The built-in text is in the form, not saved yet; press Save to use it.",
        );
        return editor(
            &state,
            &page,
            Shown {
                template: &original,
                status: StatusCode::OK,
                refused: None,
                done: &done,
            },
        )
        .await;
    }
    if let Err(e) = check(&typed) {
        return editor(
            &state,
            &page,
            Shown {
                template: &typed,
                status: e.status,
                refused: Some(&e),
                done: "",
            },
        )
        .await;
    }
    if action != "save" {
        let done = page.tr(
            "预览如下，尚未保存。",
            "The preview is below; nothing is saved yet.",
        );
        return editor(
            &state,
            &page,
            Shown {
                template: &typed,
                status: StatusCode::OK,
                refused: None,
                done: &done,
            },
        )
        .await;
    }
    let row = TemplateRow {
        kind: typed.kind.clone(),
        channel: c.as_str().to_owned(),
        lang: typed.lang.clone(),
        subject: typed.subject.clone(),
        body: typed.body.clone(),
        sms_code: typed.sms_code.clone(),
        updated_at: onego_store::now_millis(),
        updated_by: auth.user.username.clone(),
    };
    state
        .engine
        .store()
        .outbox()
        .save_template(row)
        .await
        .map_err(|e| super::api_error_page(&state, &page, e.into()))?;
    let done = page.tr(
        "已保存。此后产生的这类消息按新模板发送；已在队列中的消息发送时也用新模板。",
        "Saved. Messages of this kind use the new template from now on, including those already waiting.",
    );
    editor(
        &state,
        &page,
        Shown {
            template: &typed,
            status: StatusCode::OK,
            refused: None,
            done: &done,
        },
    )
    .await
}
