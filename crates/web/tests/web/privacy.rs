//! Personal data, scanned: every role logs in and reads every page and every API answer that can show
//! a case or a request; no answer may carry a name, ID number or phone number of an applicant or
//! requester that the role may not see. Who may see whom is the access policy; this test holds every
//! output to it, and pins the policy's main promises with explicit expectations.

use axum::http::StatusCode;
use onego_domain::org::Actor;
use onego_domain::policy;
use serde_json::json;

use crate::support::{App, PERSON_ID, USERS, mobile_of};

/// The personal data of one applicant or requester, and whose (which case or request) it is.
struct Secret {
    owner: Owner,
    values: Vec<String>,
}

#[derive(Clone, Copy)]
enum Owner {
    Case(i64),
    Ticket(i64),
}

/// The actor a user acts as, as a request makes it (an agent with the mandates of its agreements).
async fn actor_of(app: &App, username: &str) -> Actor {
    let u = username.to_owned();
    let user = app
        .state
        .engine
        .store()
        .users()
        .by_username(&u)
        .await
        .expect("read")
        .expect("user")
        .0;
    let mut actor = user.actor();
    actor.mandates = app
        .state
        .engine
        .mandates_of(
            user.id,
            user.role,
            onego_calendar::Timestamp::from_millis(onego_store::now_millis()),
        )
        .await
        .expect("mandates");
    actor
}

async fn may_see(app: &App, actor: &Actor, owner: Owner) -> bool {
    let system = Actor::system();
    match owner {
        Owner::Case(id) => {
            let case = app
                .state
                .engine
                .case(&system, id)
                .await
                .expect("case")
                .value
                .clone();
            policy::can_view_case(actor, &case) && policy::sees_personal_data(actor, &case)
        }
        Owner::Ticket(id) => {
            let t = app
                .state
                .engine
                .ticket(&system, id)
                .await
                .expect("ticket")
                .value
                .clone();
            policy::can_view_ticket(actor, &t) && policy::sees_requester(actor, &t)
        }
    }
}

/// The GET routes of the application (from the router's source), so a new one cannot be forgotten here.
fn get_routes() -> Vec<String> {
    let source = include_str!("../../src/lib.rs");
    source
        .split(".route(")
        .skip(1)
        .filter_map(|chunk| {
            let path = chunk.split('"').nth(1)?;
            let handlers = chunk.split(".route(").next()?;
            let first_call = handlers.split(")\n").next().unwrap_or(handlers);
            (first_call.contains("get(") || handlers.lines().take(3).any(|l| l.contains("get(")))
                .then(|| path.to_owned())
        })
        .collect()
}

/// Routes whose answers can show no applicant or requester: static files, documentation, guides and
/// forms to fill in, health. Everything else is scanned below.
const NOTHING_PERSONAL: &[&str] = &[
    "/static/{*path}",
    "/openapi.json",
    "/docs",
    "/healthz",
    "/metrics",
    "/favicon.ico",
    "/admin/calendar",
    "/prefs",
    "/login",
    "/items/{code}",
    "/bundles/{code}",
    "/catalog",
    "/catalog/items/{code}",
    "/catalog/bundles/{code}",
    "/apply/{kind}/{code}",
    "/uploads/{id}",
    "/tickets/{id}/photos/{upload}",
    "/tickets/categories",
    "/request",
    "/hotline/intake",
    "/admin/items/{code}",
    "/admin/bundles/{code}",
    "/admin/templates",
    "/admin/templates/{kind}/{channel}/{lang}",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_shows_a_person_to_a_role_that_may_not_see_them() {
    let app = App::new("privacy-scan");
    // E-mail and SMS on, so the delivery queue holds messages to these people and its pages are scanned.
    app.state
        .engine
        .store()
        .outbox()
        .set_channels(true, true)
        .await
        .expect("channels");
    // Case A: 张三丰 applies online for a parallel review (market, fire, housing, approval).
    let zhangsan = app.login("zhangsan").await;
    let (status, a) = app
        .post(
            "/api/v1/cases",
            Some(&zhangsan),
            json!({"item": "SP-001", "materials": ["M-APP-MALL", "M-LICENCE", "M-FLOORPLAN"], "form": {"mall": "万达广场"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let a = a["id"].as_i64().expect("id");
    // Case B: 李四光 is registered at the window for a single review.
    let clerk = app.login("window1").await;
    let (status, b) = app
        .post(
            "/api/v1/cases",
            Some(&clerk),
            json!({"item": "SP-002", "applicant": {"id": "110105198001010016", "name": "李四光", "mobile": "13955551234"},
                   "materials": ["M-APP-PROJECT", "M-LICENCE"], "accept": {"opinion": "当场受理"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let b = b["id"].as_i64().expect("id");
    let (status, _) = app
        .post(
            &format!("/api/v1/cases/{a}/commands"),
            Some(&clerk),
            json!({"command": "accept", "opinion": "材料齐全"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // A phone request by 王秀英, dispatched to the urban department with market assisting.
    let operator = app.login("operator1").await;
    let (status, t1) = app
        .post(
            "/api/v1/tickets",
            Some(&operator),
            json!({"channel": "phone", "kind": "complaint", "category": "CG01", "content": "中华路路口流动摊贩占道经营",
                   "lat": 35.23, "lon": 115.42, "name": "王秀英", "phone": "13905309999", "notify": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t1}");
    let t1 = t1["ticket"]["id"].as_i64().expect("id");
    let dispatcher = app.login("dispatcher").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/tickets/{t1}/commands"),
            Some(&dispatcher),
            json!({"command": "dispatch", "lead": "urban", "assisting": ["market"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // An Open311 report by 赵明.
    let admin = app.login("admin").await;
    let (_, key) = app
        .post(
            "/api/v1/tokens",
            Some(&admin),
            json!({"name": "app", "scope": "open311", "for_user": "operator1"}),
        )
        .await;
    let key = key["token"].as_str().expect("key").to_owned();
    let (status, o, _) = app
        .form(
            "/open311/v2/requests.json",
            None,
            &format!(
                "api_key={key}&service_code=CG01&lat=35.231&long=115.421&description=%E4%B8%AD%E5%8D%8E%E8%B7%AF%E5%8F%A3%E5%8D%A0%E9%81%93%E7%BB%8F%E8%90%A5&first_name=%E6%98%8E&last_name=%E8%B5%B5&phone=13911112222"
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    let number2: serde_json::Value = serde_json::from_str(&o).expect("json");
    let number2 = number2[0]["service_request_id"]
        .as_str()
        .expect("number")
        .to_owned();
    let t2 = app
        .state
        .engine
        .store()
        .tickets()
        .id_by_number(&number2)
        .await
        .expect("read")
        .expect("id");
    // 张三丰 raises a request online too.
    let (status, t3) = app
        .post(
            "/api/v1/tickets",
            Some(&zhangsan),
            json!({"channel": "web", "kind": "help", "category": "CG01", "content": "小区门口占道经营",
                   "lat": 35.232, "lon": 115.422, "name": "张三丰", "phone": mobile_of("zhangsan")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t3}");
    let t3 = t3["ticket"]["id"].as_i64().expect("id");

    let secrets = [
        Secret {
            owner: Owner::Case(a),
            values: vec!["张三丰".into(), PERSON_ID.into(), mobile_of("zhangsan").into()],
        },
        Secret {
            owner: Owner::Ticket(t3),
            values: vec!["张三丰".into(), mobile_of("zhangsan").into()],
        },
        Secret {
            owner: Owner::Case(b),
            values: vec!["李四光".into(), "110105198001010016".into(), "13955551234".into()],
        },
        Secret {
            owner: Owner::Ticket(t1),
            values: vec!["王秀英".into(), "13905309999".into()],
        },
        Secret {
            owner: Owner::Ticket(t2),
            values: vec!["赵明".into(), "13911112222".into()],
        },
    ];
    let na = app.get(&format!("/api/v1/cases/{a}"), Some(&zhangsan)).await.1;
    let number_a = na["number"].as_str().expect("number").to_owned();
    let number1 = app.get(&format!("/api/v1/tickets/{t1}"), Some(&operator)).await.1["ticket"]["number"]
        .as_str()
        .expect("number")
        .to_owned();
    // 张三丰 holds a licence the market department issued.
    let licence = onego_test_support::commands::issue_licence_to_zhangsan(&app.state.engine).await;
    // A major project of the test enterprise (an enterprise's data: nothing personal).
    let project = onego_test_support::commands::project_of_acme(&app.state.engine).await;
    // The enterprise's agency agreement: its agent reads the enterprise's cases, nobody else's.
    let agreement = onego_test_support::commands::agreement_of_acme(&app.state.engine, project).await;
    let queued = app
        .state
        .engine
        .store()
        .outbox()
        .list(None, 100)
        .await
        .expect("outbox");
    let to_caller = queued
        .iter()
        .find(|m| m.recipient == "13905309999")
        .expect("the consenting caller's SMS is queued")
        .id;
    let urls: Vec<String> = [
        "/api/v1/me".to_owned(),
        "/api/v1/me/contact".into(),
        "/me/notifications".into(),
        "/certificates".into(),
        format!("/certificates/{}", licence.id),
        format!("/verify/{}", licence.content.identifier),
        "/api/v1/certificates".into(),
        format!("/api/v1/certificates/{}", licence.id),
        format!("/api/v1/certificates/verify/{}", licence.content.identifier),
        // PDFs: their text is compressed glyph codes this scan cannot read; who may fetch them at all
        // is the matrix's (the holder and the issuing department), and tests/certificates reads one.
        format!("/certificates/{}/pdf", licence.id),
        format!("/api/v1/certificates/{}/pdf", licence.id),
        "/projects".into(),
        "/projects/board".into(),
        format!("/projects/{project}"),
        format!("/projects/{project}/flow"),
        "/api/v1/projects".into(),
        format!("/api/v1/projects/{project}"),
        "/agreements".into(),
        format!("/agreements/{agreement}"),
        "/agent".into(),
        "/reform".into(),
        "/reform.csv".into(),
        "/api/v1/reform".into(),
        "/api/v1/agreements".into(),
        format!("/api/v1/agreements/{agreement}"),
        "/archive".into(),
        format!("/archive?q={PERSON_ID}"),
        format!("/archive/{a}"),
        format!("/cases/{a}/decision.pdf"),
        format!("/api/v1/cases/{a}/decision-letter"),
        "/admin/outbox".into(),
        "/admin/outbox?status=pending".into(),
        format!("/admin/outbox/{to_caller}"),
        "/api/v1/cases".into(),
        "/api/v1/cases?limit=200".into(),
        format!("/api/v1/cases/{a}"),
        format!("/api/v1/cases/{b}"),
        format!("/api/v1/cases/{number_a}"),
        format!("/api/v1/cases/{a}/verify"),
        "/api/v1/inbox".into(),
        "/api/v1/notifications".into(),
        "/api/v1/statistics".into(),
        "/api/v1/statistics?group_by=item".into(),
        "/api/v1/tickets".into(),
        format!("/api/v1/tickets/{t1}"),
        format!("/api/v1/tickets/{t2}"),
        format!("/api/v1/tickets/{t3}"),
        format!("/api/v1/tickets/{number1}"),
        "/api/v1/tickets/rates".into(),
        "/api/v1/tokens".into(),
        "/".into(),
        "/cases".into(),
        "/cases.csv".into(),
        "/hotline/tickets.csv".into(),
        format!("/cases/{a}"),
        format!("/cases/{b}"),
        format!("/cases/{a}/notice/acceptance"),
        format!("/cases/{b}/notice/acceptance"),
        format!("/cases/{a}/notice/decision?download=1"),
        "/window".into(),
        format!("/window?applicant={PERSON_ID}"),
        "/inbox".into(),
        "/dashboard".into(),
        "/admin".into(),
        "/hotline/dispatch".into(),
        "/hotline/visits".into(),
        "/hotline/supervision".into(),
        "/hotline/tickets".into(),
        format!("/tickets/{t1}"),
        format!("/tickets/{t2}"),
        format!("/tickets/{t3}"),
        format!("/track?number={number1}"),
        format!("/track?number={number2}"),
        "/grid/report".into(),
        "/tokens".into(),
        "/open311/v2/requests.json".into(),
        "/open311/v2/requests.xml".into(),
        format!("/open311/v2/requests/{number2}.json"),
        format!("/open311/v2/tokens/{number2}.json"),
        "/open311/v2/services.json".into(),
        "/open311/v2/discovery.json".into(),
    ]
    .into_iter()
    .collect();

    // Every GET route is scanned here or listed as showing nobody.
    let scanned: Vec<String> = urls
        .iter()
        .map(|u| u.split('?').next().unwrap_or(u).to_owned())
        .collect();
    for route in get_routes() {
        let covered = NOTHING_PERSONAL.contains(&route.as_str())
            || route == "/open311/v2/{*path}"
            || scanned.iter().any(|u| {
                let (us, rs): (Vec<&str>, Vec<&str>) = (
                    u.trim_start_matches("/api/v1").split('/').collect(),
                    route.split('/').collect(),
                );
                us.len() == rs.len() && us.iter().zip(&rs).all(|(a, b)| b.starts_with('{') || a == b)
            });
        assert!(
            covered,
            "GET {route} is neither scanned for personal data nor listed as showing nobody"
        );
    }

    let mut checked = 0;
    let mut leaks = Vec::new();
    for &(username, _, _) in USERS {
        let viewer = actor_of(&app, username).await;
        let session = app.login(username).await;
        let cookie = app.page_login(username).await;
        let mut allowed = Vec::new();
        for s in &secrets {
            allowed.push(may_see(&app, &viewer, s.owner).await);
        }
        for url in &urls {
            let body = if url.starts_with("/api/") {
                app.get(url, Some(&session)).await.1.to_string()
            } else {
                app.page(url, Some(&cookie)).await.1
            };
            for (s, ok) in secrets.iter().zip(&allowed) {
                for v in &s.values {
                    // A value shared by two owners (the same person) is fine if either may be seen.
                    let shared_ok = secrets
                        .iter()
                        .zip(&allowed)
                        .any(|(o, ok2)| *ok2 && o.values.contains(v));
                    // The reader's own address echoed back (a search they typed) is not a disclosure.
                    let typed = url.contains(v.as_str());
                    if !ok && !shared_ok && !typed && body.contains(v.as_str()) {
                        leaks.push(format!("{username} GET {url} shows {v}"));
                    }
                }
            }
            checked += 1;
        }
    }
    // Anonymous readers: the public pages and Open311.
    for url in urls.iter().filter(|u| {
        u.starts_with("/track") || u.starts_with("/open311") || u.starts_with("/verify") || *u == "/"
    }) {
        let body = app.page(url, None).await.1;
        for s in &secrets {
            for v in &s.values {
                if body.contains(v.as_str()) {
                    leaks.push(format!("anonymous GET {url} shows {v}"));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "{} leaks:\n{}", leaks.len(), leaks.join("\n"));
    assert!(checked >= USERS.len() * 40, "{checked} answers scanned");

    // The policy's promises, pinned: the leader and grid staff never see a person; the applicant, the
    // window and the involved departments see the applicant; the centre and the lead see the requester.
    for (user, owner, expected) in [
        ("leader", Owner::Case(a), false),
        ("leader", Owner::Ticket(t1), false),
        ("admin", Owner::Case(a), false),
        ("grid1", Owner::Ticket(t1), false),
        ("tax1", Owner::Case(a), false),
        ("lisi", Owner::Case(a), false),
        ("market1", Owner::Ticket(t1), false),
        ("zhangsan", Owner::Case(a), true),
        ("window1", Owner::Case(b), true),
        ("fire1", Owner::Case(a), true),
        ("dispatcher", Owner::Ticket(t2), true),
        ("urban1", Owner::Ticket(t1), true),
        ("zhangsan", Owner::Ticket(t3), true),
    ] {
        let viewer = actor_of(&app, user).await;
        assert_eq!(may_see(&app, &viewer, owner).await, expected, "{user}");
    }
}
