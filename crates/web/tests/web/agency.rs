//! 帮办代办 through the router: the agency centre records an agreement (every mistake at its field, at
//! once; nobody else may), the agent submits in the enterprise's name through the API and the answer
//! says by whom for whom; outside the agreement the agent is refused with the reason and nothing is
//! stored; the enterprise lists its agreement and revokes it, after which the agent is refused.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::App;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_applies_for_the_enterprise_within_its_agreement_and_is_refused_outside_it() {
    let app = App::new("agency");
    let centre = app.login("approval1").await;
    // Every mistake at its field, at once; nothing stored.
    let (status, body) = app
        .post(
            "/api/v1/agreements",
            Some(&centre),
            json!({"enterprise_id": onego_test_support::PERSON_ID, "enterprise_name": "", "agent": "",
                   "items": ["not a code!"], "valid_from": "2026/03/01", "valid_until": "soon"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    for f in [
        "enterprise_id",
        "enterprise_name",
        "agent",
        "items",
        "valid_from",
        "valid_until",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let good = json!({"enterprise_id": onego_test_support::ENTERPRISE_ID, "enterprise_name": "菏泽蓝天餐饮有限公司",
                      "agent": "agent1", "items": ["SW-001"], "valid_from": "2026-03-01", "valid_until": "2099-01-01"});
    // Three years at most; only the centre records.
    let (status, body) = app.post("/api/v1/agreements", Some(&centre), good.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message_zh"].as_str().unwrap_or("").contains("三年"),
        "{body}"
    );
    let (status, _) = app
        .post(
            "/api/v1/agreements",
            Some(&app.login("market1").await),
            good.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut ok = good.clone();
    ok["valid_until"] = json!(format!(
        "{}",
        chrono::Local::now().date_naive() + chrono::Days::new(300)
    ));
    let (status, signed) = app.post("/api/v1/agreements", Some(&centre), ok).await;
    assert_eq!(status, StatusCode::CREATED, "{signed}");
    let id = signed["id"].as_i64().expect("id");
    assert_eq!(signed["in_force"], true);

    // The agent applies in the enterprise's name; the timeline says for whom, under which agreement.
    let agent = app.login("agent1").await;
    let application = json!({"item": "SW-001", "materials": ["M-APP-INVOICE", "M-ID-AGENT"],
                             "applicant": {"id": onego_test_support::ENTERPRISE_ID, "name": "菏泽蓝天餐饮有限公司"}});
    let (status, case) = app.post("/api/v1/cases", Some(&agent), application.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let submitted = &case["timeline"][0];
    assert_eq!(submitted["actor_role"], "agent", "{case}");
    assert_eq!(
        submitted["data"]["on_behalf_of"]["number"], signed["number"],
        "{case}"
    );
    let (status, _) = app
        .get(
            &format!("/api/v1/cases/{}", case["id"]),
            Some(&app.login("acme").await),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the enterprise reads what its agent filed"
    );
    // Outside the scope: refused with the reason, nothing stored.
    let (_, before) = app.get("/api/v1/cases", Some(&agent)).await;
    let mut outside = application.clone();
    outside["item"] = json!("SCJG-002");
    outside["materials"] = json!([]);
    let (status, body) = app.post("/api/v1/cases", Some(&agent), outside).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message_zh"].as_str().unwrap_or("").contains("代办协议范围"),
        "{body}"
    );
    let (_, after) = app.get("/api/v1/cases", Some(&agent)).await;
    assert_eq!(before, after);

    // The enterprise sees its agreement and revokes it; then the agent is refused.
    let acme = app.login("acme").await;
    let (_, list) = app.get("/api/v1/agreements", Some(&acme)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let (status, _) = app
        .post(
            &format!("/api/v1/agreements/{id}/commands"),
            Some(&agent),
            json!({"command": "revoke", "reason": "代办员自行终止"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the agent does not end it");
    let (status, body) = app
        .post(
            &format!("/api/v1/agreements/{id}/commands"),
            Some(&acme),
            json!({"command": "revoke", "reason": "企业自行办理"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "revoked");
    let agent = app.login("agent1").await;
    let (status, body) = app.post("/api/v1/cases", Some(&agent), application).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message_zh"].as_str().unwrap_or("").contains("已终止"),
        "{body}"
    );
    let (status, _) = app
        .get(&format!("/api/v1/cases/{}", case["id"]), Some(&agent))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no longer theirs to read");
}
