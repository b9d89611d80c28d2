//! Applying online: the form of an item or bundle, with its materials uploaded.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use onego_domain::case::{
    Applicant, Channel, ProvidedMaterial, Registry, SubjectRef, Submission, UsedCertificate,
};
use onego_domain::catalog::{FormField, MaterialSpec, ServiceItem};
use onego_domain::certificate::Certificate;
use onego_domain::messages::Msg;
use onego_domain::org::Role;
use onego_domain::process::NodeKind;
use onego_domain::values::{Code, Mobile};

use crate::AppState;
use crate::error::ApiError;
use crate::ui::{Page, api_error_page, error_page, render};

use crate::ui::view::*;

// --- Applying online -------------------------------------------------------------------------------

/// The form fields an application asks: a bundle's merged form, or the fields an item's process rules read.
pub(crate) fn form_fields(
    state: &AppState,
    kind: &str,
    code: &Code,
) -> Option<(String, Vec<FormField>, Vec<MaterialSpec>)> {
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    if kind == "bundle" {
        let b = catalog.bundle(code, today)?;
        let items: Vec<ServiceItem> = b
            .members
            .iter()
            .filter_map(|m| catalog.item(m, today).cloned())
            .collect();
        let materials = b.merged_materials(&items).into_iter().map(|m| m.spec).collect();
        return Some((b.name.clone(), b.form_fields.clone(), materials));
    }
    let item = catalog.item(code, today)?;
    let mut fields = vec![FormField {
        key: "description".into(),
        label: "申请事项说明".into(),
        required: false,
        field_type: "text".into(),
        choices: vec![],
    }];
    // Fields that the item's certificates and shared data fill are not asked: the data travels.
    let from_data: Vec<&str> = item
        .materials
        .iter()
        .filter_map(|m| m.certificate.as_deref())
        .filter_map(|t| catalog.certificate_type(t))
        .flat_map(|t| t.fields.iter().filter_map(|f| f.from.as_deref()))
        .collect();
    if let Some(def) = catalog.latest_process(&item.process) {
        for n in &def.nodes {
            let rules: Vec<&onego_domain::rule::Rule> = match &n.kind {
                NodeKind::Auto { rule, .. } => vec![rule],
                NodeKind::Choice { when, .. } => when.iter().map(|w| &w.0).collect(),
                _ => vec![],
            };
            for r in rules {
                for f in r.fields() {
                    if !fields.iter().any(|x| x.key == f) && !from_data.contains(&f) {
                        let (label, field_type) = crate::views::RULE_FIELDS
                            .iter()
                            .find(|(k, _, _)| *k == f)
                            .map(|(_, l, t)| (*l, *t))
                            .unwrap_or((f, "text"));
                        let choices = if field_type == "choice" {
                            vec!["true".into(), "false".into()]
                        } else {
                            vec![]
                        };
                        fields.push(FormField {
                            key: f.to_owned(),
                            label: label.into(),
                            required: true,
                            field_type: field_type.into(),
                            choices,
                        });
                    }
                }
            }
        }
    }
    Some((item.name.clone(), fields, item.materials.clone()))
}

/// The applicant's certificates usable today, by type code.
async fn usable_certificates(
    state: &AppState,
    actor: &onego_domain::org::Actor,
) -> std::collections::BTreeMap<String, Certificate> {
    let Some(holder) = actor.applicant.clone() else {
        return Default::default();
    };
    state
        .engine
        .usable_certificates(actor, &holder)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.content.type_code.clone(), c))
        .collect()
}

/// The materials of an application form, each with the applicant's certificate that can replace it.
fn material_views(
    page: &Page,
    materials: &[MaterialSpec],
    usable: &std::collections::BTreeMap<String, Certificate>,
) -> Vec<minijinja::Value> {
    materials
        .iter()
        .map(|m| {
            let cert = m.certificate.as_ref().and_then(|t| usable.get(t));
            context! { ..material_view(page, m), ..context! {
                cert_id => cert.map(|c| c.id),
                cert_name => cert.map(|c| c.content.type_name.clone()),
                cert_issuer => cert.map(|c| c.content.issuer_name.clone()),
            } }
        })
        .collect()
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ApplyQuery {
    /// Applying for a procedure of this major project.
    #[serde(default)]
    pub project: Option<i64>,
    /// An agent applying for this enterprise (its 统一社会信用代码), under an agreement.
    #[serde(default, rename = "for")]
    pub for_enterprise: Option<String>,
}

/// For an agent: the enterprise it applies for (the `for` field) and the agreement that allows this
/// item, or the message why not. For anyone else: none.
fn agent_mandate(
    actor: &onego_domain::org::Actor,
    enterprise: Option<&str>,
    item: &Code,
    project: Option<i64>,
) -> Result<Option<onego_domain::agency::Mandate>, Msg> {
    if actor.role != Role::Agent {
        return Ok(None);
    }
    let id = onego_domain::values::ApplicantId::parse(enterprise.unwrap_or("")).map_err(|_| {
        Msg::new(
            "agent_choose_enterprise",
            "请从代办工作台选择要代办的企业和事项",
            "choose the enterprise and item from your agent desk",
        )
    })?;
    onego_domain::agency::mandate_for(actor, &id, item, project).map(|m| Some(m.clone()))
}

pub async fn apply_page(
    State(state): State<AppState>,
    page: Page,
    Path((kind, code)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<ApplyQuery>,
) -> PageResult {
    let auth = page
        .require_role(&state, &[Role::Applicant, Role::Agent])?
        .clone();
    let usable = usable_certificates(&state, &auth.actor).await;
    let mandate = match Code::parse(&code) {
        Ok(c) => agent_mandate(&auth.actor, q.for_enterprise.as_deref(), &c, q.project)
            .map_err(|m| error_page(&state, &page, StatusCode::FORBIDDEN, m.text(page.lang)))?,
        Err(_) => None,
    };
    // A project the applicant may see: the form carries it, and says so.
    let project = match q.project {
        Some(id) => state
            .engine
            .project(&auth.actor, id)
            .await
            .ok()
            .map(|p| context! { id => id, name => p.value.name.clone() }),
        None => None,
    };
    let Some((title, fields, materials)) = Code::parse(&code)
        .ok()
        .and_then(|c| form_fields(&state, &kind, &c))
    else {
        return Err(error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个事项。", "There is no such service item."),
        ));
    };
    Ok(render(
        &state,
        &page,
        "apply.html",
        StatusCode::OK,
        context! {
            title => title, kind => kind, code => code,
            fields => fields.iter().map(|f| field_view(f, "")).collect::<Vec<_>>(),
            materials => material_views(&page, &materials, &usable),
            project => project,
            agent_for => mandate.map(|m| context! { id => m.enterprise.as_str(), name => m.enterprise_name.clone(), number => m.number.clone() }),
            ..crate::ui::form::no_refusal(),
        },
    ))
}

/// A field of the application form, with what was typed into it (kept after a refusal).
fn field_view(f: &FormField, value: &str) -> minijinja::Value {
    context! {
        key => f.key.clone(), label => f.label.clone(), required => f.required,
        field_type => f.field_type.clone(), choices => f.choices.clone(), value => value,
    }
}

/// Material files come in fields named `file_<material code>`.
pub(crate) fn material_of(field: &str) -> Option<Code> {
    field.strip_prefix("file_").and_then(|c| Code::parse(c).ok())
}

/// Held material files as (material code, file), or the message for a field that names no material.
pub(crate) fn material_files(
    page: &Page,
    files: Vec<crate::held_files::HeldFile>,
) -> Result<Vec<(String, crate::held_files::HeldFile)>, String> {
    files
        .into_iter()
        .map(|f| match material_of(&f.field) {
            Some(code) => Ok((code.to_string(), f)),
            None => Err(page.tr(
                "上传的文件不属于任何材料。",
                "An uploaded file belongs to no material.",
            )),
        })
        .collect()
}

pub async fn apply_submit(
    State(state): State<AppState>,
    page: Page,
    Path((kind, code)): Path<(String, String)>,
    mp: Multipart,
) -> PageResult {
    // Who may apply is known before the body is read; the files wait in memory until every check passed.
    let auth = page
        .require_role(&state, &[Role::Applicant, Role::Agent])?
        .clone();
    let code = Code::parse(&code)
        .map_err(|e| api_error_page(&state, &page, ApiError::unprocessable(e.to_string())))?;
    let (fields, held, problem) = crate::held_files::read_form(mp, |f| f.starts_with("file_")).await;
    let usable = usable_certificates(&state, &auth.actor).await;
    page.check_csrf(&state, fields.get("csrf"))?;
    let project: Option<i64> = fields.text("project").parse().ok();
    let for_enterprise = fields.text("for");
    let mandate = agent_mandate(&auth.actor, Some(&for_enterprise), &code, project)
        .map_err(|m| error_page(&state, &page, StatusCode::FORBIDDEN, m.text(page.lang)))?;
    let Some((title, form_spec, materials)) = form_fields(&state, &kind, &code) else {
        return Err(error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个事项。", "There is no such service item."),
        ));
    };
    // A refusal shows the form again with what was typed and every mistake beside its field (files
    // must be chosen again: a browser never refills a file input).
    let again = |e: &ApiError| {
        render(
            &state,
            &page,
            "apply.html",
            e.status,
            context! {
                title => title.clone(), kind => kind.clone(), code => code.to_string(),
                fields => form_spec.iter().map(|f| field_view(f, &fields.text(&f.key))).collect::<Vec<_>>(),
                materials => material_views(&page, &materials, &usable),
                project => project.map(|id| context! { id => id, name => "" }),
                agent_for => mandate.as_ref().map(|m| context! { id => m.enterprise.as_str(), name => m.enterprise_name.clone(), number => m.number.clone() }),
                ..crate::ui::form::refusal(e, page.lang),
            },
        )
    };
    if let Some(problem) = problem {
        return Ok(again(&ApiError::unprocessable(Msg::new(
            "upload_refused",
            problem.message(false),
            problem.message(true),
        ))));
    }
    let held = match material_files(&page, held) {
        Ok(h) => h,
        Err(m) => return Ok(again(&ApiError::unprocessable(m))),
    };
    // Materials the applicant chose to satisfy with a certificate (免提交): a file chosen as well
    // for one of them is not kept.
    let mut by_certificate: Vec<(Code, i64)> = Vec::new();
    for m in &materials {
        let chosen = fields.text(&format!("cert_{}", m.code));
        if chosen.is_empty() {
            continue;
        }
        match chosen.parse::<i64>() {
            Ok(id) => by_certificate.push((m.code.clone(), id)),
            Err(_) => {
                return Ok(again(&ApiError::unprocessable(
                    Msg::new(
                        "certificate_choice_invalid",
                        format!("“{}”选用的电子证照无法识别，请重新选择", m.name),
                        format!(
                            "the certificate chosen for “{}” is not recognised; choose again",
                            m.name
                        ),
                    )
                    .at(format!("file_{}", m.code)),
                )));
            }
        }
    }
    let held: Vec<_> = held
        .into_iter()
        .filter(|(c, _)| !by_certificate.iter().any(|(code, _)| code.as_str() == c))
        .collect();
    let mut bad = crate::error::FieldErrors::default();
    let mut form = serde_json::Map::new();
    for f in &form_spec {
        let v = fields.text(&f.key);
        if f.required && v.is_empty() {
            bad.add(
                f.key.clone(),
                Msg::new(
                    "field_needed",
                    format!("请填写：{}", f.label),
                    format!("Please fill in: {}", f.label),
                ),
            );
            continue;
        }
        let value = match f.field_type.as_str() {
            "number" => v
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::String(v)),
            "choice" if v == "true" || v == "false" => serde_json::Value::Bool(v == "true"),
            _ => serde_json::Value::String(v),
        };
        form.insert(f.key.clone(), value);
    }
    // Each required material without a file is marked at its upload, together with the fields.
    let uploaded: Vec<Code> = held
        .iter()
        .filter_map(|(c, _)| Code::parse(c).ok())
        .chain(by_certificate.iter().map(|(c, _)| c.clone()))
        .collect();
    let uploaded: Vec<&Code> = uploaded.iter().collect();
    for m in onego_domain::catalog::missing_required(&materials, &uploaded) {
        bad.add(
            format!("file_{}", m.code),
            Msg::new(
                "material_needed",
                format!("请上传必要材料：{}", m.name),
                format!("Upload the required material: {}", m.name),
            ),
        );
    }
    if let Err(e) = bad.finish() {
        return Ok(again(&e));
    }
    let t = now();
    // An agent applies in the enterprise's name as agreed; the journal records the agent and agreement.
    let applicant =
        match &mandate {
            Some(m) => Applicant {
                id: m.enterprise.clone(),
                name: m.enterprise_name.clone(),
                mobile: None,
                user_id: None,
            },
            None => Applicant {
                id: auth.user.applicant.clone().ok_or_else(|| {
                    error_page(&state, &page, StatusCode::FORBIDDEN, "no applicant identity")
                })?,
                name: auth.user.name.clone(),
                mobile: auth.user.mobile.as_deref().and_then(|m| Mobile::parse(m).ok()),
                user_id: Some(auth.user.id),
            },
        };
    let codes: Vec<String> = held.iter().map(|(c, _)| c.clone()).collect();
    let files = match crate::held_files::store(&state, auth.user.id, held).await {
        Ok(f) => f,
        Err(e) => return Ok(again(&e)),
    };
    let submission = Submission {
        subject: if kind == "bundle" {
            SubjectRef::Bundle { code: code.clone() }
        } else {
            SubjectRef::Item { code: code.clone() }
        },
        channel: Channel::Online,
        applicant,
        form: serde_json::Value::Object(form),
        materials: codes
            .iter()
            .zip(&files)
            .filter_map(|(c, f)| {
                Some(ProvidedMaterial {
                    code: Code::parse(c).ok()?,
                    at: t,
                    file: Some(*f),
                    certificate: None,
                })
            })
            .chain(by_certificate.iter().map(|(code, id)| ProvidedMaterial {
                code: code.clone(),
                at: t,
                file: None,
                certificate: Some(UsedCertificate {
                    id: *id,
                    identifier: String::new(),
                    type_name: String::new(),
                }),
            }))
            .collect(),
        // The holder applies: choosing their own certificates is their consent (an agent is offered none).
        holder_consent: mandate.is_none(),
        project,
    };
    match state.engine.open_case(&auth.actor, submission, None, t).await {
        Ok(out) => Ok(Redirect::to(&format!("/cases/{}?done=submitted", out.state.id)).into_response()),
        Err(e) => {
            crate::held_files::discard(&state, auth.user.id, &files).await;
            Ok(again(&ApiError::from(e)))
        }
    }
}
