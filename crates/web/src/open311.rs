//! Open311 GeoReport v2 at `/open311/v2`: discovery, services, service definitions, requests (POST with
//! an api_key, form-encoded or multipart with media; GET with filters and paging), one request, tokens.
//! Every resource answers in `.json` or `.xml`. Requests are tickets: the same intake, the same engine.
//!
//! Mapping: `service_code` is a request category's code; `service_request_id` (and the token) is the
//! ticket number; every state but closed and merged reads `open`; `status_notes` says where the request
//! stands in Chinese; `expected_datetime` is the solve deadline of the SLA. Reporter details (name,
//! phone, email, device and account ids) are taken in but never shown by any GET.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onego_calendar::{Clock, Timestamp};
use onego_domain::hotline::TicketCategory;
use onego_domain::org::Actor;
use onego_domain::policy::TicketScope;
use onego_domain::ticket::TicketStatus;
use onego_domain::ticket::{
    Category, Intake, Location, Requester, Ticket, TicketChannel, TicketType, Urgency,
};
use onego_domain::values::Mobile;
use onego_store::ticket::{TicketFilter, TicketRow};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

use crate::AppState;
use crate::error::ApiError;
use crate::held_files;
use crate::ui::form::FormData;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// An Open311 error: the status and `[{code, description}]` / `<errors>`.
struct O311Error {
    status: StatusCode,
    description: String,
    format: Format,
}

fn err(format: Format, status: StatusCode, description: impl Into<String>) -> O311Error {
    O311Error {
        status,
        description: description.into(),
        format,
    }
}

impl IntoResponse for O311Error {
    fn into_response(self) -> Response {
        let code = self.status.as_u16();
        let body = match self.format {
            Format::Json => json!([{ "code": code, "description": self.description }]).to_string(),
            Format::Xml => format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<errors><error><code>{code}</code><description>{}</description></error></errors>",
                esc(&self.description)
            ),
        };
        (
            self.status,
            [(header::CONTENT_TYPE, content_type(self.format))],
            body,
        )
            .into_response()
    }
}

/// An Open311 error answer for a request refused before its handler ran (the format from the path).
pub fn error_response(path: &str, status: StatusCode, description: &str) -> Response {
    let format = if path.ends_with(".xml") {
        Format::Xml
    } else {
        Format::Json
    };
    err(format, status, description).into_response()
}

fn content_type(f: Format) -> &'static str {
    match f {
        Format::Json => "application/json; charset=utf-8",
        Format::Xml => "text/xml; charset=utf-8",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders JSON as the GeoReport XML: arrays become repeated `item` elements under `list`; objects
/// become elements; `null` becomes an empty element.
fn to_xml(v: &Value, name: &str, item: &str, out: &mut String) {
    match v {
        Value::Array(items) => {
            out.push_str(&format!("<{name}>"));
            for i in items {
                let child = child_name(item);
                to_xml(i, item, child, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in map {
                to_xml(v, k, child_name(k), out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", esc(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

/// The element name of the items of a list element, as the GeoReport XML examples write them.
fn child_name(list: &str) -> &'static str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        _ => "item",
    }
}

fn respond(format: Format, status: StatusCode, root: &str, v: Value) -> Response {
    let body = match format {
        Format::Json => v.to_string(),
        Format::Xml => {
            let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            to_xml(&v, root, child_name(root), &mut s);
            s
        }
    };
    (status, [(header::CONTENT_TYPE, content_type(format))], body).into_response()
}

/// Splits `requests.json` into ("requests", Json). Without an extension JSON is assumed.
fn split_format(path: &str) -> Result<(&str, Format), O311Error> {
    match path.rsplit_once('.') {
        Some((p, "json")) => Ok((p, Format::Json)),
        Some((p, "xml")) => Ok((p, Format::Xml)),
        Some((_, other)) => Err(err(
            Format::Json,
            StatusCode::BAD_REQUEST,
            format!("format \"{other}\" is not offered; use .json or .xml"),
        )),
        None => Ok((path, Format::Json)),
    }
}

fn iso(t: Timestamp) -> String {
    // Local time with its offset, as GeoReport's W3C datetimes.
    chrono::DateTime::from_timestamp_millis(t.as_millis())
        .map(|d| {
            d.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!()))
                .format("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default()
}

fn parse_time(s: &str) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| Timestamp::from_millis(d.timestamp_millis()))
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .ok()
                .and_then(|d| {
                    d.and_hms_opt(0, 0, 0)
                        .map(|dt| Timestamp::from_millis(dt.and_utc().timestamp_millis() - 8 * 3_600_000))
                })
        })
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/open311/v2")
}

fn service_json(c: &TicketCategory) -> Value {
    let mut keywords = c.keywords.clone();
    keywords.push(c.level2.clone());
    json!({
        "service_code": c.code.as_str(),
        "service_name": c.level2,
        "description": c.description,
        "metadata": !c.attributes.is_empty(),
        "type": "realtime",
        "keywords": keywords.join(","),
        "group": c.level1,
    })
}

fn definition_json(c: &TicketCategory) -> Value {
    json!({
        "service_code": c.code.as_str(),
        "attributes": c.attributes.iter().enumerate().map(|(i, a)| json!({
            "variable": true,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": if a.datatype_description.is_empty() { Value::Null } else { json!(a.datatype_description) },
            "order": i + 1,
            "description": a.description,
            "values": a.values.iter().map(|(k, n)| json!({"key": k, "name": n})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Open or closed, and where the request stands in words.
fn status_of(status: TicketStatus, lead_name: Option<&str>) -> (&'static str, String) {
    let open = if status.is_open() { "open" } else { "closed" };
    let notes = match status {
        TicketStatus::Closed => "已办结，已回访".into(),
        TicketStatus::Merged => "已与相同诉求合并办理".into(),
        TicketStatus::Received => "已受理，待派单".into(),
        TicketStatus::Dispatched => format!("已派单至{}，待签收", lead_name.unwrap_or("承办单位")),
        TicketStatus::Handling => format!("{}办理中", lead_name.unwrap_or("承办单位")),
        TicketStatus::Replied => "已答复，待回访".into(),
    };
    (open, notes)
}

fn expected(state: &AppState, row: &TicketRow) -> Option<Timestamp> {
    if let Some(d) = row.solve_due_at {
        return Some(d);
    }
    // Not dispatched yet: the category's SLA counted from receipt.
    let h = state.engine.hotline();
    let sla = h.sla(h.category(&row.category_code)?.sla.as_str())?;
    Clock::new(row.received_at, sla.solve)
        .read(
            &state.engine.calendar(),
            state.engine.config().policy,
            row.received_at,
        )
        .ok()?
        .due
}

/// A request as GeoReport shows it; `media` is the first photo sent with it, if any.
fn request_json(state: &AppState, base: &str, row: &TicketRow, media: Option<i64>) -> Value {
    let lead_name = row.lead.as_deref().map(|d| crate::ui::view::dept_name(state, d));
    let (status, notes) = status_of(row.status, lead_name.as_deref());
    let name = state
        .engine
        .hotline()
        .category(&row.category_code)
        .map(|c| c.level2.clone())
        .unwrap_or_default();
    json!({
        "service_request_id": row.number,
        "status": status,
        "status_notes": notes,
        "service_name": name,
        "service_code": row.category_code,
        "description": row.content,
        "agency_responsible": lead_name,
        "service_notice": Value::Null,
        "requested_datetime": iso(row.received_at),
        "updated_datetime": iso(row.updated_at),
        "expected_datetime": expected(state, row).map(iso),
        "address": row.address,
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": row.lat,
        "long": row.lon,
        "media_url": media.map(|m| format!("{base}/media/{m}")),
    })
}

/// The first photo of each request, in one read for a whole list.
async fn media_of(state: &AppState, ids: Vec<i64>, format: Format) -> Result<HashMap<i64, i64>, O311Error> {
    state
        .engine
        .store()
        .uploads()
        .first_of(ids)
        .await
        .map_err(|e| err(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// GET /open311/v2/{resource}.{format}
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    match get_inner(&state, &headers, &path, &q).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn get_inner(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    q: &BTreeMap<String, String>,
) -> Result<Response, O311Error> {
    let (resource, format) = split_format(path)?;
    let base = base_url(headers);
    let hotline = state.engine.hotline();
    let parts: Vec<&str> = resource.split('/').collect();
    match parts.as_slice() {
        ["discovery"] => Ok(respond(
            format,
            StatusCode::OK,
            "discovery",
            json!({
                "changeset": "2026-11-22T00:00:00+08:00",
                "contact": "12345政务服务便民热线",
                "key_service": "api_key 由12345热线办发放（演示环境启动时打印）",
                "endpoints": [{
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "changeset": "2026-11-22T00:00:00+08:00",
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }],
            }),
        )),
        ["services"] => Ok(respond(
            format,
            StatusCode::OK,
            "services",
            Value::Array(hotline.categories.iter().map(service_json).collect()),
        )),
        ["services", code] => {
            let c = hotline.category(code).ok_or_else(|| {
                err(
                    format,
                    StatusCode::NOT_FOUND,
                    format!("there is no service_code {code}"),
                )
            })?;
            Ok(respond(
                format,
                StatusCode::OK,
                "service_definition",
                definition_json(c),
            ))
        }
        ["requests"] => {
            let rows = list(state, q, format).await?;
            let media = media_of(state, rows.iter().map(|r| r.id).collect(), format).await?;
            let out = rows
                .iter()
                .map(|r| request_json(state, &base, r, media.get(&r.id).copied()))
                .collect();
            Ok(respond(
                format,
                StatusCode::OK,
                "service_requests",
                Value::Array(out),
            ))
        }
        ["requests", number] => {
            let row = one(state, number, format).await?;
            let media = media_of(state, vec![row.id], format).await?;
            let v = request_json(state, &base, &row, media.get(&row.id).copied());
            Ok(respond(format, StatusCode::OK, "service_requests", json!([v])))
        }
        ["tokens", token] => {
            // The token handed out at POST is the request's number; the request exists at once.
            let row = one(state, token, format).await?;
            Ok(respond(
                format,
                StatusCode::OK,
                "service_requests",
                json!([{ "service_request_id": row.number, "token": row.number }]),
            ))
        }
        ["media", id] => media(state, id, format).await,
        _ => Err(err(
            format,
            StatusCode::NOT_FOUND,
            format!("there is no resource {resource}; see {base}/discovery.json"),
        )),
    }
}

async fn one(state: &AppState, number: &str, format: Format) -> Result<TicketRow, O311Error> {
    let n = number.trim().to_owned();
    let id = state
        .engine
        .store()
        .tickets()
        .id_by_number(&n)
        .await
        .map_err(|e| err(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .ok_or_else(|| {
            err(
                format,
                StatusCode::NOT_FOUND,
                format!("there is no service request {number}"),
            )
        })?;
    let mut f = TicketFilter::new(TicketScope::All, 1);
    f.ids = vec![id];
    state
        .engine
        .store()
        .tickets()
        .list(f)
        .await
        .map_err(|e| err(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .into_iter()
        .next()
        .ok_or_else(|| {
            err(
                format,
                StatusCode::NOT_FOUND,
                format!("there is no service request {number}"),
            )
        })
}

async fn list(
    state: &AppState,
    q: &BTreeMap<String, String>,
    format: Format,
) -> Result<Vec<TicketRow>, O311Error> {
    let bad = |m: String| err(format, StatusCode::BAD_REQUEST, m);
    let time = |key: &str| -> Result<Option<Timestamp>, O311Error> {
        match q.get(key).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => parse_time(s).map(Some).ok_or_else(|| {
                bad(format!(
                    "{key} \"{s}\" is not a W3C datetime such as 2026-11-22T09:00:00+08:00"
                ))
            }),
        }
    };
    let list_of = |key: &str| -> Vec<String> {
        q.get(key)
            .map(|s| {
                s.split(',')
                    .map(|x| x.trim().to_owned())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let int = |key: &str, default: i64, max: i64| -> Result<i64, O311Error> {
        match q.get(key).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => match s.parse::<i64>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(bad(format!("{key} must be a whole number from 1 to {max}"))),
            },
        }
    };
    // Open311 is public: every request, with what the public may see of it.
    let mut f = TicketFilter::new(TicketScope::All, 50);
    let ids = list_of("service_request_id");
    if !ids.is_empty() {
        // Named requests: every other filter is ignored, as the specification says.
        let numbers = ids.clone();
        f.ids = state
            .engine
            .store()
            .tickets()
            .ids_by_numbers(numbers)
            .await
            .map_err(|e| err(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        if f.ids.is_empty() {
            return Ok(Vec::new());
        }
        f.limit = 1000;
    } else {
        f.category = list_of("service_code");
        for s in list_of("status") {
            match s.as_str() {
                "open" => f
                    .status
                    .extend(TicketStatus::ALL.into_iter().filter(|s| s.is_open())),
                "closed" => f
                    .status
                    .extend(TicketStatus::ALL.into_iter().filter(|s| !s.is_open())),
                other => return Err(bad(format!("status \"{other}\" is neither open nor closed"))),
            }
        }
        let end = time("end_date")?;
        let start = time("start_date")?;
        let updated_after = time("updated_after")?;
        // Without dates: the last 90 days, as the specification suggests.
        let now = Timestamp::from_millis(onego_store::now_millis());
        f.received_to = Some(end.unwrap_or(now).as_millis());
        f.received_from = Some(
            start
                .unwrap_or_else(|| Timestamp::from_millis(f.received_to.unwrap_or(0) - 90 * 86_400_000))
                .as_millis(),
        );
        if updated_after.is_some() && start.is_none() {
            f.received_from = None;
        }
        f.updated_after = updated_after.map(Timestamp::as_millis);
        let page_size = int("page_size", 50, 1000)?;
        let page = int("page", 1, 1_000_000)?;
        f.limit = page_size;
        f.offset = (page - 1) * page_size;
    }
    state
        .engine
        .store()
        .tickets()
        .list(f)
        .await
        .map_err(|e| err(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

async fn media(state: &AppState, id: &str, format: Format) -> Result<Response, O311Error> {
    let not_found = || err(format, StatusCode::NOT_FOUND, format!("there is no media {id}"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let info = state
        .engine
        .store()
        .uploads()
        .info(id)
        .await
        .map_err(|e| err(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .ok_or_else(not_found)?;
    // Only media sent with a request through Open311 is public.
    let ticket = info.aggregate_id.ok_or_else(not_found)?;
    let public = state
        .engine
        .ticket_public(ticket)
        .await
        .map(|t| t.value.channel == TicketChannel::Open311)
        .unwrap_or(false);
    if !public {
        return Err(not_found());
    }
    let data = state
        .engine
        .store()
        .uploads()
        .data(id)
        .await
        .map_err(|e| err(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .ok_or_else(not_found)?;
    Ok(([(header::CONTENT_TYPE, info.content_type)], data).into_response())
}

/// POST /open311/v2/requests.{format}: form-encoded, or multipart with a `media` file.
pub async fn post(State(state): State<AppState>, Path(path): Path<String>, req: Request) -> Response {
    let format = match split_format(&path) {
        Ok((_, f)) => f,
        Err(e) => return e.into_response(),
    };
    match post_inner(&state, &path, req).await {
        Ok(r) => r,
        Err(mut e) => {
            e.format = format;
            e.into_response()
        }
    }
}

async fn post_inner(state: &AppState, path: &str, req: Request) -> Result<Response, O311Error> {
    let (resource, format) = split_format(path)?;
    if resource != "requests" {
        return Err(err(
            format,
            StatusCode::NOT_FOUND,
            format!("POST is for requests, not {resource}"),
        ));
    }
    let bad = |m: String| err(format, StatusCode::BAD_REQUEST, m);
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    // Files are held in memory: nothing is stored before the api_key and the request are accepted.
    let (form, files) = if is_multipart {
        let mp = Multipart::from_request(req, state)
            .await
            .map_err(|e| bad(format!("the multipart body could not be read: {e}")))?;
        match held_files::read_form(mp, |f| f == "media").await {
            (form, files, None) => (form, files),
            (_, _, Some(problem)) => return Err(bad(problem.message(true))),
        }
    } else {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| bad(format!("the body could not be read: {e}")))?;
        (FormData::parse(&body), Vec::new())
    };
    let user = api_user(state, &form, format).await?;
    let actor = user.actor();
    let service_code = form.text("service_code");
    if service_code.is_empty() {
        return Err(bad("service_code is required".into()));
    }
    let hotline = state.engine.hotline();
    let category = hotline
        .category(&service_code)
        .ok_or_else(|| {
            bad(format!(
                "there is no service_code {service_code}; see services.json"
            ))
        })?
        .clone();
    let lat = form.text("lat");
    let lon = form.text("long");
    let address = form.text("address_string");
    let location = match (lat.is_empty(), lon.is_empty()) {
        (false, false) => {
            let lat: f64 = lat
                .parse()
                .map_err(|_| bad(format!("lat \"{lat}\" is not a number")))?;
            let lon: f64 = lon
                .parse()
                .map_err(|_| bad(format!("long \"{lon}\" is not a number")))?;
            Some(Location {
                lat,
                lon,
                address: address.clone(),
            })
        }
        (true, true) if !address.is_empty() => None,
        (true, true) => {
            return Err(bad(
                "a location is required: lat and long, or address_string".into()
            ));
        }
        _ => return Err(bad("give both lat and long".into())),
    };
    let mut content = form.text("description");
    if location.is_none() {
        content = format!("{content}（地址：{address}）");
    }
    // attribute[code]=value and attribute[code][]=value (multivaluelist).
    let mut attributes = Vec::new();
    for key in form.keys() {
        if let Some(rest) = key.strip_prefix("attribute[") {
            let code = rest.trim_end_matches("[]").trim_end_matches(']').to_owned();
            for v in form.all(key) {
                attributes.push((code.clone(), v));
            }
        }
    }
    let phone = form.text("phone");
    let phone = if phone.is_empty() {
        None
    } else {
        Some(Mobile::parse(&phone).map_err(|e| bad(format!("phone: {e}")))?)
    };
    let name = format!("{}{}", form.text("last_name"), form.text("first_name"));
    // A media_url is kept as given; an uploaded file is stored and tied to the request after intake.
    let media_url = form.text("media_url");
    let attachments: Vec<String> = if media_url.is_empty() {
        Vec::new()
    } else {
        vec![media_url]
    };
    let intake = Intake {
        channel: TicketChannel::Open311,
        kind: TicketType::Complaint,
        category: Category {
            code: category.code.clone(),
            level1: String::new(),
            level2: String::new(),
        },
        content,
        location,
        requester: Requester {
            name: (!name.is_empty()).then_some(name),
            phone,
            user_id: None,
            // GeoReport v2 has no consent field: the phone serves the return visit only.
            notify: false,
        },
        urgency: Urgency::Normal,
        attachments,
        grid: None,
        summoned: Vec::new(),
        attributes,
    };
    let now = Timestamp::from_millis(onego_store::now_millis());
    let as_open311 = |api: ApiError| {
        let status = match api.status {
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::PAYLOAD_TOO_LARGE => api.status,
            StatusCode::INTERNAL_SERVER_ERROR => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        err(format, status, api.message.en)
    };
    let held = files.into_iter().map(|f| ("media".to_owned(), f)).collect();
    let stored = held_files::store(state, user.id, held)
        .await
        .map_err(as_open311)?;
    let out = match state.engine.open_ticket(&actor, intake, &stored, now).await {
        Ok(out) => out,
        Err(e) => {
            held_files::discard(state, user.id, &stored).await;
            return Err(as_open311(e.into()));
        }
    };
    state.metrics.count_command("open311_request");
    Ok(respond(
        format,
        StatusCode::CREATED,
        "service_requests",
        json!([{
            "service_request_id": out.state.number,
            "token": out.state.number,
            "service_notice": expected_notice(state, &out.state),
            "account_id": Value::Null,
        }]),
    ))
}

fn expected_notice(state: &AppState, t: &Ticket) -> String {
    let h = state.engine.hotline();
    let sla = h
        .category(t.category.code.as_str())
        .and_then(|c| h.sla(c.sla.as_str()));
    match sla {
        Some(s) => format!("已受理，按“{}”时限办理", s.name),
        None => "已受理".into(),
    }
}

async fn api_user(
    state: &AppState,
    form: &FormData,
    format: Format,
) -> Result<onego_store::users::User, O311Error> {
    let key = form.text("api_key");
    if key.is_empty() {
        return Err(err(
            format,
            StatusCode::FORBIDDEN,
            "api_key is required to submit a request",
        ));
    }
    let now = onego_store::now_millis();
    let (user, token) = state
        .engine
        .store()
        .users()
        .token_user(key, now)
        .await
        .map_err(|e| err(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .ok_or_else(|| {
            err(
                format,
                StatusCode::FORBIDDEN,
                "the api_key is not valid (unknown, expired or revoked); ask the 12345 centre for a new one",
            )
        })?;
    if onego_domain::policy::token_reaches(token.scope, onego_domain::policy::Surface::Open311Submit).is_err()
    {
        return Err(err(
            format,
            StatusCode::FORBIDDEN,
            "this key may not submit Open311 requests; ask for an Open311 partner key",
        ));
    }
    crate::auth::touch(state, token.id, now);
    let actor: Actor = user.actor();
    if onego_domain::policy::authorize_intake_channel(&actor, TicketChannel::Open311, None).is_err() {
        return Err(err(
            format,
            StatusCode::FORBIDDEN,
            "this api_key may not submit requests",
        ));
    }
    Ok(user)
}
