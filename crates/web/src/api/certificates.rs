//! Electronic certificates in the API: the public check (anyone), the holder's certificates and one
//! certificate's signed document with its use log (the holder and the issuing department), and commands
//! on one (use with a reason; suspend, reinstate, revoke by the issuing department).

use axum::extract::State;
use onego_domain::certificate::{Certificate, CertificateCommand};
use onego_domain::labels::Label;
use onego_domain::privacy;
use onego_store::engine::Verdict;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Json, Path, now};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};

/// What the public check found; the holder is masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateCheck {
    pub identifier: String,
    /// The seal holds over the content and was made with a key of the issuing body.
    pub genuine: bool,
    /// genuine, altered (the content does not match its seal), unknown_key
    pub verdict: String,
    pub verdict_zh: String,
    pub verdict_en: String,
    /// valid, suspended, revoked, expired
    pub status: String,
    pub status_zh: String,
    pub type_name: String,
    pub number: String,
    pub holder_name: String,
    pub holder_code: String,
    pub issuer_name: String,
    pub issued_on: String,
    pub valid_until: Option<String>,
}

/// The public check of a certificate by its identifier (what its QR code points to). No log-in.
#[utoipa::path(get, path = "/api/v1/certificates/verify/{identifier}", tag = "certificates",
    params(("identifier" = String, Path, description = "电子证照标识 (GB/T 36904)")),
    responses((status = 200, body = CertificateCheck), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    Path(identifier): Path<String>,
) -> ApiResult<Json<CertificateCheck>> {
    let v = state.engine.verify_certificate(&identifier).await?;
    let c = &v.certificate;
    let k = &c.content;
    let (code, zh, en) = match &v.verdict {
        Verdict::Genuine => (
            "genuine",
            "签章核验通过，由发证机关签发".to_owned(),
            "the seal checks: issued by the issuing body".to_owned(),
        ),
        Verdict::Altered(m) => ("altered", m.zh.clone(), m.en.clone()),
        Verdict::UnknownKey => (
            "unknown_key",
            "签章不是发证机关的密钥所签".to_owned(),
            "the seal was not made with a key of the issuing body".to_owned(),
        ),
    };
    Ok(Json(CertificateCheck {
        identifier: k.identifier.clone(),
        genuine: v.verdict == Verdict::Genuine,
        verdict: code.to_owned(),
        verdict_zh: zh,
        verdict_en: en,
        status: c.status.as_str().to_owned(),
        status_zh: c.status.zh().to_owned(),
        type_name: k.type_name.clone(),
        number: k.number.clone(),
        holder_name: privacy::applicant_name(&c.holder, &k.holder_name, false),
        holder_code: c.holder.masked(),
        issuer_name: k.issuer_name.clone(),
        issued_on: k.issued_on.to_string(),
        valid_until: k.valid_until.map(|d| d.to_string()),
    }))
}

/// One use or other step in a certificate's log.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateLogEntry {
    pub at: String,
    /// issue, use, suspend, reinstate, revoke, expire
    pub action: String,
    pub by: String,
    pub reason: Option<String>,
}

/// A certificate as its holder or issuer reads it: the signed document (any SM2 verifier checks
/// `signature` over base64-decoded `signed_content` with `public_key`, user ID 1234567812345678) and its log.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    pub id: i64,
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    pub uses: u64,
    pub log: Vec<CertificateLogEntry>,
}

/// The certificates I hold.
#[utoipa::path(get, path = "/api/v1/certificates", tag = "certificates",
    responses((status = 200, body = Vec<Object>), (status = 401, body = ErrorBody)))]
pub async fn mine(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<serde_json::Value>>> {
    let list = state.engine.my_certificates(&auth.actor).await?;
    Ok(Json(
        list.iter()
            .map(|c| {
                let mut d = c.document();
                d["id"] = c.id.into();
                d
            })
            .collect(),
    ))
}

async fn view(state: &AppState, auth: &Auth, id: i64) -> ApiResult<CertificateView> {
    let stored = state.engine.certificate(&auth.actor, id).await?;
    let journal = state.engine.timeline::<Certificate>(&auth.actor, id).await?;
    Ok(CertificateView {
        id,
        document: stored.value.document(),
        uses: stored.value.uses,
        log: journal
            .into_iter()
            .map(|j| CertificateLogEntry {
                at: onego_calendar::Timestamp::from_millis(j.at)
                    .to_rfc3339_in(onego_calendar::china_standard_time()),
                action: j.action,
                by: j.actor_name,
                reason: j.opinion,
            })
            .collect(),
    })
}

/// One certificate with its log (its holder and its issuing department).
#[utoipa::path(get, path = "/api/v1/certificates/{id}", tag = "certificates",
    params(("id" = i64, Path, description = "certificate id")),
    responses((status = 200, body = CertificateView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<CertificateView>> {
    Ok(Json(view(&state, &auth, id).await?))
}

/// A command on a certificate, tagged by `command`: `use` {reason, case_id}, `suspend` {reason},
/// `reinstate` {reason}, `revoke` {reason}.
#[utoipa::path(post, path = "/api/v1/certificates/{id}/commands", tag = "certificates",
    params(("id" = i64, Path, description = "certificate id")),
    request_body(content = Object, description = "one command"),
    responses((status = 200, body = CertificateView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(cmd): Json<CertificateCommand>,
) -> ApiResult<Json<CertificateView>> {
    state.engine.run_certificate(&auth.actor, id, &cmd, now()).await?;
    state.metrics.count_command("certificate");
    Ok(Json(view(&state, &auth, id).await?))
}

/// A batch of a shared data set from another system (社保、公积金 records …).
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharedDataImport {
    /// The data set's 证照类型代码 in the certificate catalog.
    pub type_code: String,
    /// The system the data comes from; recorded (and sealed) in every record as 数据来源.
    pub source: String,
    /// 1 to 1000 records.
    pub records: Vec<SharedRecordInput>,
}

/// One holder's record.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharedRecordInput {
    /// The holder's resident ID number or 统一社会信用代码.
    pub holder_id: String,
    pub holder_name: String,
    /// The data set's fields by their names (see the certificate catalog).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Last valid day (YYYY-MM-DD); none: without end.
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// What an import stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedDataImported {
    pub imported: usize,
    /// Each record's 电子证照标识, in the order sent.
    pub identifiers: Vec<String>,
    pub message_zh: String,
    pub message_en: String,
}

/// Imports records of a shared data set, sealed by the providing department: every record is checked
/// before any is stored, and all are stored together or none. Holders then find them under 我的证照
/// and use them as materials (免提交).
#[utoipa::path(post, path = "/api/v1/shared-data", tag = "certificates",
    request_body = SharedDataImport,
    responses((status = 201, body = SharedDataImported), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_shared_data(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<SharedDataImport>,
) -> ApiResult<(axum::http::StatusCode, Json<SharedDataImported>)> {
    use crate::error::ApiError;
    use onego_domain::messages::Msg;
    let mut records = Vec::with_capacity(body.records.len());
    for (n, r) in body.records.into_iter().enumerate() {
        let at = |field: &str| format!("records[{n}].{field}");
        let holder = onego_domain::values::ApplicantId::parse(&r.holder_id).map_err(|e| {
            ApiError::unprocessable(
                e.msg()
                    .prefixed(&format!("第 {} 条记录：", n + 1), &format!("record {}: ", n + 1))
                    .at(at("holder_id")),
            )
        })?;
        let valid_until = match r.valid_until.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => Some(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                ApiError::unprocessable(
                    Msg::new(
                        "record_date",
                        format!(
                            "第 {} 条记录：有效期截止日期须写作 YYYY-MM-DD，例如 2027-12-31",
                            n + 1
                        ),
                        format!(
                            "record {}: write the last valid day as YYYY-MM-DD, e.g. 2027-12-31",
                            n + 1
                        ),
                    )
                    .at(at("valid_until")),
                )
            })?),
        };
        records.push(onego_domain::certificate::SharedRecord {
            holder,
            holder_name: r.holder_name,
            data: r.data,
            valid_until,
        });
    }
    let import = onego_store::engine::SharedImport {
        type_code: body.type_code,
        source: body.source,
        records,
    };
    let sealed = state
        .engine
        .import_shared_data(&auth.actor, import, now())
        .await?;
    state.metrics.count_command("shared_data_import");
    let n = sealed.len();
    Ok((
        axum::http::StatusCode::CREATED,
        Json(SharedDataImported {
            imported: n,
            identifiers: sealed.into_iter().map(|c| c.content.identifier).collect(),
            message_zh: format!(
                "已导入 {n} 条共享数据记录。持有人可在“我的证照”中查看，并在申请时用以代替相应材料"
            ),
            message_en: format!(
                "{n} shared records imported. Holders see them under My certificates and can use them in place of the matching materials when they apply"
            ),
        }),
    ))
}

/// A certificate as a PDF to print or keep: its content, status when printed, seal data and a QR code
/// to the public check (its holder and issuing department).
#[utoipa::path(get, path = "/api/v1/certificates/{id}/pdf", tag = "certificates",
    params(("id" = i64, Path, description = "certificate id")),
    responses((status = 200, content_type = "application/pdf", description = "the certificate as a PDF"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn pdf(
    State(state): State<AppState>,
    auth: Auth,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    certificate_pdf_response(&state, &auth.actor, &headers, id).await
}

/// The PDF of a certificate the actor may see, as a download.
pub(crate) async fn certificate_pdf_response(
    state: &AppState,
    actor: &onego_domain::org::Actor,
    headers: &axum::http::HeaderMap,
    id: i64,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let stored = state.engine.certificate(actor, id).await?;
    let cert = stored.value.clone();
    let url = format!(
        "{}/verify/{}",
        state.public_base(headers),
        cert.content.identifier
    );
    let bytes = tokio::task::spawn_blocking(move || onego_documents::certificate_pdf(&cert, &url))
        .await
        .map_err(|e| crate::error::ApiError::internal(e.to_string()))?
        .map_err(crate::error::ApiError::internal)?;
    let name = format!(
        "{}-{}.pdf",
        stored.value.content.type_name, stored.value.content.number
    );
    Ok(pdf_download(bytes, &name, &format!("certificate-{id}.pdf")).into_response())
}

/// A PDF answer that downloads under `name` (ASCII `fallback` for old clients) and is never cached
/// (it carries personal data).
pub(crate) fn pdf_download(bytes: Vec<u8>, name: &str, fallback: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}
