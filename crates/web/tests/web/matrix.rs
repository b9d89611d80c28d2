//! The authorisation matrix: eighteen callers (every role, a stranger, an Open311 partner key and a
//! read-only token) against fifty-nine operations of the API and the pages. Each cell is written out
//! here, apart from the policy code, so a change in who may do what shows up as a failing cell.
//!
//! A cell is "allowed" when the answer is not a refusal of access (401, 403, 404, or a redirect to the
//! log-in page); the operations are chosen so an allowed caller meets a state or input error at most
//! (409/422), leaving the fixtures as they were for the next cell.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::support::{App, Session};

/// How a caller authenticates.
enum Cred {
    None,
    Session(Session, String),
    Bearer(String),
}

struct Caller {
    name: &'static str,
    cred: Cred,
}

const CALLERS: &[&str] = &[
    "anonymous",
    "zhangsan",
    "lisi",
    "acme",
    "window1",
    "market1",
    "tax1",
    "fire-chief",
    "leader",
    "admin",
    "operator1",
    "dispatcher",
    "grid1",
    "urban1",
    "approval1",
    "agent1",
    "open311-key",
    "read-token",
];

enum Op {
    Api(&'static str, String, Option<Value>),
    Page(String),
    Open311,
}

async fn call(app: &App, c: &Caller, op: &Op, open311_key: &str) -> StatusCode {
    match op {
        Op::Api(method, path, body) => {
            let mut req = Request::builder().method(*method).uri(path.as_str());
            match &c.cred {
                Cred::None => {}
                Cred::Session(s, _) => {
                    req = req
                        .header(header::COOKIE, &s.cookie)
                        .header("x-csrf-token", &s.csrf);
                }
                Cred::Bearer(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
            }
            let body = match body {
                Some(b) => {
                    req = req.header(header::CONTENT_TYPE, "application/json");
                    Body::from(b.to_string())
                }
                None => Body::empty(),
            };
            app.send(req.body(body).expect("request")).await.0
        }
        Op::Page(path) => {
            let mut req = Request::get(path.as_str());
            match &c.cred {
                Cred::None => {}
                Cred::Session(_, cookie) => req = req.header(header::COOKIE, cookie),
                Cred::Bearer(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
            }
            app.raw(req.body(Body::empty()).expect("request")).await.0
        }
        Op::Open311 => {
            // Each caller presents what it has as api_key: its token, or nothing.
            let key = match &c.cred {
                Cred::Bearer(t) => t.clone(),
                _ => String::new(),
            };
            let _ = open311_key;
            let body = format!(
                "api_key={key}&service_code=CG01&lat=35.23&long=115.42&description=%E4%B8%AD%E5%8D%8E%E8%B7%AF%E5%8F%A3%E5%8D%A0%E9%81%93%E7%BB%8F%E8%90%A5"
            );
            app.form("/open311/v2/requests.json", None, &body).await.0
        }
    }
}

/// Every person with an account (the read-only token and the partner key are not people).
const EVERYONE: &[&str] = &[
    "zhangsan",
    "lisi",
    "acme",
    "window1",
    "market1",
    "tax1",
    "fire-chief",
    "leader",
    "admin",
    "operator1",
    "dispatcher",
    "grid1",
    "urban1",
    "approval1",
    "agent1",
];
/// `base` and `extra` as one list of callers (cells take a slice).
fn plus(base: &[&'static str], extra: &[&'static str]) -> &'static [&'static str] {
    Box::leak([base, extra].concat().into_boxed_slice())
}

fn refused(s: StatusCode) -> bool {
    matches!(s.as_u16(), 401 | 403 | 404 | 303)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_may_do_exactly_what_its_cells_say() {
    let app = App::new("matrix");
    // Fixtures: case A (张三丰, a parallel review, accepted) and request T1 (urban leads, market assists).
    let zhangsan = app.login("zhangsan").await;
    let (_, a) = app
        .post(
            "/api/v1/cases",
            Some(&zhangsan),
            json!({"item": "SP-001", "materials": ["M-APP-MALL", "M-LICENCE", "M-FLOORPLAN"]}),
        )
        .await;
    let a = a["id"].as_i64().expect("case");
    let clerk = app.login("window1").await;
    let (_, accepted) = app
        .post(
            &format!("/api/v1/cases/{a}/commands"),
            Some(&clerk),
            json!({"command": "accept"}),
        )
        .await;
    let market_task = accepted["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["department"] == "market" && t["state"] == "open")
        .expect("market's task")["id"]
        .clone();
    let operator = app.login("operator1").await;
    let (_, t1) = app
        .post(
            "/api/v1/tickets",
            Some(&operator),
            json!({"channel": "phone", "kind": "complaint", "category": "CG01", "content": "中华路路口流动摊贩占道经营",
                   "lat": 35.23, "lon": 115.42}),
        )
        .await;
    let t1 = t1["ticket"]["id"].as_i64().expect("ticket");
    let dispatcher = app.login("dispatcher").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/tickets/{t1}/commands"),
            Some(&dispatcher),
            json!({"command": "dispatch", "lead": "urban", "assisting": ["market"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let admin = app.login("admin").await;
    let (_, key) = app
        .post(
            "/api/v1/tokens",
            Some(&admin),
            json!({"name": "partner", "scope": "open311", "for_user": "operator1"}),
        )
        .await;
    let key = key["token"].as_str().expect("key").to_owned();
    let leader = app.login("leader").await;
    let (_, read) = app
        .post(
            "/api/v1/tokens",
            Some(&leader),
            json!({"name": "report", "scope": "api_read"}),
        )
        .await;
    let read = read["token"].as_str().expect("token").to_owned();

    let licence = onego_test_support::commands::issue_licence_to_zhangsan(&app.state.engine).await;
    let project = onego_test_support::commands::project_of_acme(&app.state.engine).await;
    let agreement = onego_test_support::commands::agreement_of_acme(&app.state.engine, project).await;
    let mut callers = Vec::new();
    for &name in CALLERS {
        let cred = match name {
            "anonymous" => Cred::None,
            "open311-key" => Cred::Bearer(key.clone()),
            "read-token" => Cred::Bearer(read.clone()),
            user => Cred::Session(app.login(user).await, app.page_login(user).await),
        };
        callers.push(Caller { name, cred });
    }

    let case_cmd = |body: Value| Op::Api("POST", format!("/api/v1/cases/{a}/commands"), Some(body));
    let ticket_cmd = |body: Value| Op::Api("POST", format!("/api/v1/tickets/{t1}/commands"), Some(body));
    let cells: Vec<(&str, Op, &[&str])> = vec![
        (
            "read case A",
            Op::Api("GET", format!("/api/v1/cases/{a}"), None),
            // The applicant, the window, the departments with a part in it (the approval bureau leads
            // the joint approval), leaders.
            &[
                "zhangsan",
                "window1",
                "market1",
                "fire-chief",
                "leader",
                "approval1",
                "read-token",
            ],
        ),
        (
            "list cases",
            Op::Api("GET", "/api/v1/cases".into(), None),
            &[
                "zhangsan",
                "lisi",
                "acme",
                "window1",
                "market1",
                "tax1",
                "fire-chief",
                "leader",
                "urban1",
                "approval1",
                "agent1",
                "read-token",
            ],
        ),
        ("accept A", case_cmd(json!({"command": "accept"})), &["window1"]),
        (
            "act on market's task",
            case_cmd(
                json!({"command": "act", "task": market_task, "action": "return", "return_to": "nowhere"}),
            ),
            &["market1"],
        ),
        (
            "grant an extension on A",
            case_cmd(json!({"command": "grant_extension", "limit": "0wd", "reason": "x"})),
            &["fire-chief"],
        ),
        (
            "rate A",
            case_cmd(json!({"command": "rate", "level": 5})),
            &["zhangsan"],
        ),
        (
            "submit an application",
            Op::Api(
                "POST",
                "/api/v1/cases".into(),
                Some(json!({"item": "SP-002", "materials": ["M-APP-PROJECT", "M-LICENCE"]})),
            ),
            // An agent too, naming the enterprise (without it: 422; outside an agreement: 403).
            &["zhangsan", "lisi", "acme", "window1", "agent1"],
        ),
        (
            "department inbox",
            Op::Api("GET", "/api/v1/inbox".into(), None),
            &["market1", "tax1", "fire-chief", "grid1", "urban1", "approval1"],
        ),
        (
            "statistics",
            Op::Api("GET", "/api/v1/statistics".into(), None),
            &["fire-chief", "leader", "admin", "read-token"],
        ),
        (
            "read request T1",
            Op::Api("GET", format!("/api/v1/tickets/{t1}"), None),
            &[
                "market1",
                "leader",
                "operator1",
                "dispatcher",
                "grid1",
                "urban1",
                "read-token",
            ],
        ),
        (
            "dispatch T1",
            ticket_cmd(json!({"command": "dispatch", "lead": "urban"})),
            &["dispatcher"],
        ),
        (
            "answer T1",
            ticket_cmd(json!({"command": "reply", "answer": "已处理"})),
            &["urban1"],
        ),
        (
            "visit T1 back",
            ticket_cmd(json!({"command": "return_visit", "solved": true, "satisfaction": 5})),
            &["dispatcher"],
        ),
        (
            "register a request",
            Op::Api(
                "POST",
                "/api/v1/tickets".into(),
                Some(
                    json!({"channel": "web", "kind": "help", "category": "NOPE-1", "content": "路灯不亮了很久"}),
                ),
            ),
            &["zhangsan", "lisi", "acme", "operator1", "dispatcher"],
        ),
        (
            "routing suggestions",
            Op::Api(
                "POST",
                "/api/v1/tickets/suggest".into(),
                Some(json!({"text": "噪音扰民"})),
            ),
            &["operator1", "dispatcher", "grid1"],
        ),
        (
            "request rates",
            Op::Api("GET", "/api/v1/tickets/rates".into(), None),
            &["fire-chief", "leader", "dispatcher", "read-token"],
        ),
        (
            "issue a partner key",
            Op::Api(
                "POST",
                "/api/v1/tokens".into(),
                Some(json!({"name": "k", "scope": "open311", "for_user": "operator1", "expires_in_days": 0})),
            ),
            &["admin"],
        ),
        (
            "read my contact details",
            Op::Api("GET", "/api/v1/me/contact".into(), None),
            plus(EVERYONE, &["read-token"]),
        ),
        (
            "change my contact details",
            // Refused as malformed by every caller allowed to change them: nothing is changed.
            Op::Api(
                "PUT",
                "/api/v1/me/contact".into(),
                Some(json!({"email": "not an address", "by_email": true})),
            ),
            EVERYONE,
        ),
        (
            "my message settings page",
            Op::Page("/me/notifications".into()),
            EVERYONE,
        ),
        (
            "message delivery page",
            Op::Page("/admin/outbox".into()),
            &["admin"],
        ),
        (
            "message templates page",
            Op::Page("/admin/templates".into()),
            &["admin"],
        ),
        (
            "a message template",
            Op::Page("/admin/templates/accepted/sms/zh".into()),
            &["admin"],
        ),
        ("my certificates page", Op::Page("/certificates".into()), EVERYONE),
        (
            "a certificate, in the API",
            Op::Api("GET", format!("/api/v1/certificates/{}", licence.id), None),
            &["zhangsan", "market1"],
        ),
        (
            "the public check of a certificate, in the API",
            Op::Api(
                "GET",
                format!("/api/v1/certificates/verify/{}", licence.content.identifier),
                None,
            ),
            // Public: whatever the caller presents, the answer is the same masked check.
            CALLERS,
        ),
        (
            "a certificate as a PDF",
            Op::Page(format!("/certificates/{}/pdf", licence.id)),
            &["zhangsan", "market1"],
        ),
        (
            "a certificate as a PDF, in the API",
            Op::Api("GET", format!("/api/v1/certificates/{}/pdf", licence.id), None),
            &["zhangsan", "market1"],
        ),
        (
            "the projects page",
            Op::Page("/projects".into()),
            &[
                "zhangsan",
                "lisi",
                "acme",
                "window1",
                "market1",
                "tax1",
                "fire-chief",
                "leader",
                "urban1",
                "approval1",
                "agent1",
            ],
        ),
        (
            "the projects board",
            Op::Page("/projects/board".into()),
            &["market1", "tax1", "fire-chief", "leader", "urban1", "approval1"],
        ),
        (
            "a project",
            Op::Page(format!("/projects/{project}")),
            // The enterprise, its stewards, the departments with a part in it (fire reviews a
            // procedure), leaders, and the agent whose agreement names it.
            &["acme", "fire-chief", "leader", "approval1", "agent1"],
        ),
        (
            "a project, in the API",
            Op::Api("GET", format!("/api/v1/projects/{project}"), None),
            &[
                "acme",
                "fire-chief",
                "leader",
                "approval1",
                "agent1",
                "read-token",
            ],
        ),
        (
            "a project's flowchart (码上流程图)",
            Op::Page(format!("/projects/{project}/flow")),
            plus(EVERYONE, &["anonymous"]),
        ),
        (
            "record a project",
            Op::Api(
                "POST",
                "/api/v1/projects".into(),
                Some(json!({"code": "x", "name": "", "investor_id": "x",
                "investor_name": "", "address": "", "kind": "x", "investment": 0})),
            ),
            // Malformed: refused at its fields for every caller the API lets write (the engine would then
            // refuse anyone but a steward or the enterprise itself).
            &[
                "zhangsan",
                "lisi",
                "acme",
                "window1",
                "market1",
                "tax1",
                "fire-chief",
                "leader",
                "admin",
                "operator1",
                "dispatcher",
                "grid1",
                "urban1",
                "approval1",
                "agent1",
            ],
        ),
        (
            "start a project's stage",
            Op::Api(
                "POST",
                format!("/api/v1/projects/{project}/commands"),
                Some(json!({"command": "start_stage", "stage": "engineering_permit"})),
            ),
            // The enterprise and its stewards meet the order rule (409); fire sees it but may not
            // steer it, nor may the agent (403).
            &["acme", "approval1"],
        ),
        (
            "the agreements page (帮办代办)",
            Op::Page("/agreements".into()),
            &[
                "zhangsan",
                "lisi",
                "acme",
                "market1",
                "tax1",
                "fire-chief",
                "leader",
                "urban1",
                "approval1",
                "agent1",
            ],
        ),
        (
            "an agreement",
            Op::Page(format!("/agreements/{agreement}")),
            // Its enterprise, its agent, the agency centre that recorded it, leaders.
            &["acme", "leader", "approval1", "agent1"],
        ),
        (
            "an agreement, in the API",
            Op::Api("GET", format!("/api/v1/agreements/{agreement}"), None),
            &["acme", "leader", "approval1", "agent1", "read-token"],
        ),
        (
            "agreements in the API",
            Op::Api("GET", "/api/v1/agreements".into(), None),
            plus(EVERYONE, &["read-token"]),
        ),
        (
            "record an agreement",
            Op::Api(
                "POST",
                "/api/v1/agreements".into(),
                Some(
                    json!({"enterprise_id": "91371700MA3C5X1B29", "enterprise_name": "菏泽蓝天餐饮有限公司",
                    "agent": "agent1", "items": ["XX-999"], "valid_from": "2026-03-01", "valid_until": "2030-01-01"}),
                ),
            ),
            // Only the agency centre (it meets the unknown item, 422); everyone else is refused.
            &["approval1"],
        ),
        (
            "revoke an agreement",
            Op::Api(
                "POST",
                format!("/api/v1/agreements/{agreement}/commands"),
                Some(json!({"command": "revoke", "reason": ""})),
            ),
            // The enterprise and the centre (they meet the missing reason, 422); not the agent.
            &["acme", "approval1"],
        ),
        ("the agent desk", Op::Page("/agent".into()), &["agent1"]),
        (
            "the reform ledger (改革成效台账)",
            Op::Page("/reform".into()),
            &["fire-chief", "leader", "admin"],
        ),
        (
            "the reform ledger as a spreadsheet",
            Op::Page("/reform.csv".into()),
            &["fire-chief", "leader", "admin"],
        ),
        (
            "the reform ledger, in the API",
            Op::Api("GET", "/api/v1/reform".into(), None),
            &["fire-chief", "leader", "admin", "read-token"],
        ),
        (
            "enter an item's figures before the reform",
            Op::Api(
                "PUT",
                "/api/v1/reform/baselines/SW-002".into(),
                Some(
                    json!({"steps": 3, "materials": 4, "promised_days": 3.0, "legal_days": 3.0, "visits": 2, "basis": " "}),
                ),
            ),
            // Administrators only (they meet the missing source, 422).
            &["admin"],
        ),
        (
            "the archive page",
            Op::Page("/archive".into()),
            &[
                "zhangsan",
                "lisi",
                "acme",
                "market1",
                "tax1",
                "fire-chief",
                "urban1",
                "approval1",
            ],
        ),
        (
            // A is not decided yet: the departments involved meet a state refusal, nobody else gets in.
            "look case A up in the archive",
            case_cmd(json!({"command": "consult_archive", "reason": "复核投诉"})),
            &["market1", "fire-chief", "approval1"],
        ),
        ("case A's archive record", Op::Page(format!("/archive/{a}")), &[]),
        (
            "case A's decision letter, in the API",
            Op::Api("GET", format!("/api/v1/cases/{a}/decision-letter"), None),
            &[
                "zhangsan",
                "window1",
                "market1",
                "fire-chief",
                "leader",
                "approval1",
                "read-token",
            ],
        ),
        (
            "case A's decision letter",
            Op::Page(format!("/cases/{a}/decision.pdf")),
            &[
                "zhangsan",
                "window1",
                "market1",
                "fire-chief",
                "leader",
                "approval1",
            ],
        ),
        (
            "import of a shared data set",
            Op::Api(
                "POST",
                "/api/v1/shared-data".into(),
                // A record without its required fields: refused as malformed by the providing
                // department (hrss, see the shared-data tests), refused access to everyone here.
                Some(json!({"type_code": "11100000000013360P001", "source": "矩阵测试",
                            "records": [{"holder_id": onego_test_support::PERSON_ID, "holder_name": "张三", "data": {}}]})),
            ),
            &[],
        ),
        (
            "a certificate, in full",
            Op::Page(format!("/certificates/{}", licence.id)),
            &["zhangsan", "market1"],
        ),
        (
            "the public check of a certificate",
            Op::Page(format!("/verify/{}", licence.content.identifier)),
            // Anyone with a browser, logged in or not (API tokens do not open pages).
            plus(EVERYONE, &["anonymous"]),
        ),
        ("administration page", Op::Page("/admin".into()), &["admin"]),
        (
            "dashboard page",
            Op::Page("/dashboard".into()),
            &["fire-chief", "leader", "admin"],
        ),
        (
            "dispatch board page",
            Op::Page("/hotline/dispatch".into()),
            &["dispatcher"],
        ),
        ("window page", Op::Page("/window".into()), &["window1"]),
        ("Open311 report", Op::Open311, &["open311-key"]),
    ];
    let mut wrong = Vec::new();
    let mut n = 0;
    for (what, op, allowed) in &cells {
        for c in &callers {
            let status = call(&app, c, op, &key).await;
            let expected = allowed.contains(&c.name);
            let ok = if expected {
                matches!(status.as_u16(), 200 | 201 | 409 | 422)
            } else {
                refused(status)
            };
            if !ok {
                wrong.push(format!(
                    "{} {what}: {status} (expected {})",
                    c.name,
                    if expected { "allowed" } else { "refused" }
                ));
            }
            n += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {n} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(n, CALLERS.len() * cells.len());
    // Nothing the refused callers tried changed case A or request T1.
    let (_, case) = app.get(&format!("/api/v1/cases/{a}"), Some(&zhangsan)).await;
    assert_eq!(case["status"], "in_review");
    let (_, t) = app.get(&format!("/api/v1/tickets/{t1}"), Some(&dispatcher)).await;
    assert_eq!(t["ticket"]["status"], "dispatched");
}
