//! Data travels instead of people, through the router: a department imports its shared data set
//! (checked whole, stored whole or not at all, refused to others); the holder's application form marks
//! what needs no upload and does not ask for what the data already says; a 秒批 application is
//! decided and its certificate issued as it is submitted, the case page showing the certificate used
//! and the rule with the data it read; the API submits with certificates too.

use axum::http::StatusCode;
use onego_domain::org::Actor;
use onego_test_support::{applicant, applicant_id, at};
use serde_json::json;

use crate::support::App;

const SOCIAL_INSURANCE: &str = "11100000000013360P001";
const RESIDENT_ID: &str = "11100000000019713D001";

/// 张三's resident ID card, issued by the police.
async fn id_card(app: &App) -> i64 {
    let engine = &app.state.engine;
    let issue = engine
        .issue_of_type(RESIDENT_ID, applicant_id(), "张三", json!({}), None)
        .expect("type");
    engine
        .issue_certificate(&Actor::system(), issue, at("2026-03-02T08:00:00"))
        .await
        .expect("issued")
        .state
        .id
}

/// 张三's social-insurance record, imported by the department that provides it; its id.
async fn insured(app: &App) -> i64 {
    let hrss = app.login("hrss1").await;
    let (status, body) = app
        .post(
            "/api/v1/shared-data",
            Some(&hrss),
            json!({"type_code": SOCIAL_INSURANCE, "source": "省社会保险信息系统",
                   "records": [{"holder_id": onego_test_support::PERSON_ID, "holder_name": "张三",
                                "data": {"参保状态": "正常", "累计缴费月数": "60"}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.state
        .engine
        .my_certificates(&applicant())
        .await
        .expect("mine")
        .into_iter()
        .find(|c| c.content.type_code == SOCIAL_INSURANCE)
        .expect("the record")
        .id
}

async fn certificate_count(app: &App) -> i64 {
    app.state
        .engine
        .store()
        .raw_read(|c| c.query_one("SELECT COUNT(*) FROM certificates", &[]))
        .await
        .expect("count")
        .map(|r| r.int(0).expect("int"))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_imports_its_data_set_whole_or_not_at_all_and_nobody_else_may() {
    let app = App::new("shared-import");
    let hrss = app.login("hrss1").await;
    let record = |data: serde_json::Value| json!({"holder_id": onego_test_support::PERSON_ID, "holder_name": "张三", "data": data, "valid_until": "2027-03-01"});
    let good = record(json!({"参保状态": "正常", "累计缴费月数": "60"}));
    let before = certificate_count(&app).await;

    // One bad record refuses the whole batch, naming the record and its field, in both languages.
    let (status, body) = app
        .post(
            "/api/v1/shared-data",
            Some(&hrss),
            json!({"type_code": SOCIAL_INSURANCE, "source": "省社会保险信息系统",
                   "records": [good, record(json!({"参保状态": "正常", "月缴费额": "800"}))]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "records[1].data", "{body}");
    assert!(
        body["message_zh"].as_str().unwrap_or("").contains("第 2 条记录"),
        "{body}"
    );
    let (status, body) = app
        .post(
            "/api/v1/shared-data",
            Some(&hrss),
            json!({"type_code": SOCIAL_INSURANCE, "source": "省社会保险信息系统",
                   "records": [record(json!({"参保状态": "正常"}))]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a required field missing: {body}"
    );
    let (status, body) = app
        .post(
            "/api/v1/shared-data",
            Some(&hrss),
            json!({"type_code": SOCIAL_INSURANCE, "source": "省社会保险信息系统",
                   "records": [{"holder_id": "370102199001011234", "holder_name": "张三", "data": {}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a wrong ID: {body}");
    assert_eq!(body["fields"][0]["field"], "records[0].holder_id", "{body}");
    assert_eq!(certificate_count(&app).await, before, "a refusal stores nothing");
    // Another department may not provide this data set.
    let market = app.login("market1").await;
    let (status, _) = app
        .post(
            "/api/v1/shared-data",
            Some(&market),
            json!({"type_code": SOCIAL_INSURANCE, "source": "x", "records": [good.clone()]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = app
        .post(
            "/api/v1/shared-data",
            Some(&hrss),
            json!({"type_code": SOCIAL_INSURANCE, "source": "省社会保险信息系统", "records": [good]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["imported"], 1);
    assert!(
        body["message_zh"].as_str().unwrap_or("").contains("我的证照"),
        "{body}"
    );
    // The holder finds it among their certificates, its source sealed into it.
    let zhangsan = app.login("zhangsan").await;
    let (_, mine) = app.get("/api/v1/certificates", Some(&zhangsan)).await;
    let text = mine.to_string();
    assert!(text.contains("社会保险参保缴费记录"), "{text}");
    let id = body["identifiers"][0].as_str().expect("identifier");
    let (status, check) = app.get(&format!("/api/v1/certificates/verify/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(check["genuine"], true, "{check}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_replaces_uploads_on_the_form_and_a_seconds_approval_is_decided_as_it_is_submitted() {
    let app = App::new("shared-apply");
    let card = id_card(&app).await;
    let insured = insured(&app).await;

    // The guide says how many materials data can replace; so does the form, which does not ask
    // for what the data says.
    let (_, guide) = app.page("/items/RS-005", None).await;
    assert!(guide.contains("2 项材料可免提交"), "{guide}");
    let cookie = app.page_login("zhangsan").await;
    let (status, form) = app.page("/apply/item/RS-005", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("2 项材料可免提交"), "{form}");
    assert!(
        form.contains(&format!(r#"name="cert_M-ID-SELF" value="{card}" checked"#)),
        "{form}"
    );
    assert!(
        !form.contains(r#"name="si_status""#),
        "the form does not ask what the data says"
    );

    let csrf = app.csrf_of(&cookie).await;
    let (status, body) = app
        .multipart(
            "/apply/item/RS-005",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("description", "首次申领"),
                ("cert_M-ID-SELF", &card.to_string()),
                ("cert_M-SI-RECORD", &insured.to_string()),
            ],
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let issued = app
        .state
        .engine
        .my_certificates(&applicant())
        .await
        .expect("mine")
        .into_iter()
        .find(|c| c.content.type_name == "就业创业证")
        .expect("the card is issued at submission");
    let case_id = issued.case_id.expect("for the case");
    let (_, page) = app.page(&format!("/cases/{case_id}"), Some(&cookie)).await;
    assert!(
        page.contains("免提交：电子证照") && page.contains("社会保险参保缴费记录"),
        "{page}"
    );
    assert!(page.contains("智能秒批通过"), "{page}");
    assert!(
        page.contains("参保状态 = 正常"),
        "the rule's data is shown: {page}"
    );

    // The API submits with certificates as well; one not the applicant's is refused at its field.
    let zhangsan = app.login("zhangsan").await;
    let (status, body) = app
        .post(
            "/api/v1/cases",
            Some(&zhangsan),
            json!({"item": "RS-005", "certificates": {"M-ID-SELF": card, "M-SI-RECORD": insured}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "decided", "{body}");
    let (status, body) = app
        .post(
            "/api/v1/cases",
            Some(&app.login("lisi").await),
            json!({"item": "RS-005", "certificates": {"M-ID-SELF": card, "M-SI-RECORD": insured}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "materials", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_keeps_each_decided_case_with_its_documents_and_logs_every_departmental_lookup() {
    let app = App::new("archive");
    let card = id_card(&app).await;
    let insured = insured(&app).await;
    let zhangsan = app.login("zhangsan").await;
    let (status, case) = app
        .post(
            "/api/v1/cases",
            Some(&zhangsan),
            json!({"item": "RS-005", "certificates": {"M-ID-SELF": card, "M-SI-RECORD": insured}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_i64().expect("id");

    // The applicant's archive: the decided case, its documents, how long it is kept.
    let cookie = app.page_login("zhangsan").await;
    let (status, list) = app.page("/archive", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("就业创业证申领") && list.contains(&format!("/archive/{id}")),
        "{list}"
    );
    let (status, record) = app.page(&format!("/archive/{id}"), Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert!(record.contains(&format!("/cases/{id}/decision.pdf")), "{record}");
    assert!(
        record.contains("就业创业证") && record.contains("/pdf"),
        "the certificate it issued: {record}"
    );
    assert!(
        record.contains("10 年"),
        "kept ten years (a public service): {record}"
    );
    let (status, pdf) = app
        .page(&format!("/cases/{id}/decision.pdf"), Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with("%PDF-"));

    // A department opens a record only after saying why; the lookup is on the case for all to see.
    let staff = app.page_login("hrss1").await;
    let hrss = app.login("hrss1").await;
    let (status, _) = app.page(&format!("/archive/{id}"), Some(&staff)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a lookup first");
    let (status, _) = app
        .get(&format!("/api/v1/cases/{id}/decision-letter"), Some(&hrss))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let csrf = app.csrf_of(&staff).await;
    let (status, body, _) = app
        .form(
            &format!("/archive/{id}/consult"),
            Some(&staff),
            &format!("csrf={csrf}&reason="),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a lookup needs its reason: {body}"
    );
    assert!(body.contains("查档事由"), "{body}");
    let (status, _, headers) = app
        .form(
            &format!("/archive/{id}/consult"),
            Some(&staff),
            &format!("csrf={csrf}&reason=%E5%A4%8D%E6%A0%B8%E4%B8%BE%E6%8A%A5"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], format!("/archive/{id}?done=consulted"));
    let (status, record) = app
        .page(&format!("/archive/{id}?done=consulted"), Some(&staff))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        record.contains("查档已记录") && record.contains("复核举报"),
        "{record}"
    );
    let (status, _) = app
        .get(&format!("/api/v1/cases/{id}/decision-letter"), Some(&hrss))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, record) = app.page(&format!("/archive/{id}"), Some(&cookie)).await;
    assert!(
        record.contains("复核举报"),
        "the applicant sees who looked their record up: {record}"
    );
    // A department that had no part in it cannot look it up.
    let market = app.login("market1").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/cases/{id}/commands"),
            Some(&market),
            json!({"command": "consult_archive", "reason": "好奇"}),
        )
        .await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
        "{status}"
    );
}
