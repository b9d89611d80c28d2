//! Forms show every mistake at once beside its field, keep what was typed, and survive an expired
//! session: the person is sent to log in and comes back to the form.

use axum::http::{StatusCode, header};

use crate::support::App;

/// The text of the message shown beside `field`, if any.
fn beside(body: &str, field: &str) -> Option<String> {
    let marker = format!(r#"<p class="field-error" id="{field}-error">"#);
    let rest = body.split(&marker).nth(1)?;
    rest.split("</p>").next().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_request_form_shows_every_mistake_beside_its_field_and_keeps_the_input() {
    let app = App::new("forms-request");
    let (status, body, _) = app
        .form(
            "/request",
            None,
            "category=&kind=complaint&content=%E5%90%B5&name=%E6%9D%8E&phone=12345",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("有 3 处需要更正"), "{body}");
    assert_eq!(beside(&body, "category").as_deref(), Some("请选择诉求分类"));
    assert!(
        beside(&body, "content").is_some_and(|m| m.contains("至少4个字")),
        "{body}"
    );
    assert!(
        beside(&body, "phone").is_some_and(|m| m.contains("手机")),
        "{body}"
    );
    assert!(body.contains(r#"aria-invalid="true" aria-describedby="phone-error""#));
    assert!(body.contains(r#"value="12345""#), "what was typed stays: {body}");
    // In English, the same three, in English.
    let (_, body, _) = app
        .form(
            "/request",
            Some("lang=en"),
            "category=&kind=complaint&content=x&phone=12345",
        )
        .await;
    assert!(body.contains("3 things need correcting"), "{body}");
    assert!(beside(&body, "content").is_some_and(|m| m.contains("at least 4 characters")));
    // Nothing was stored.
    let (_, list) = app
        .get("/api/v1/tickets", Some(&app.login("dispatcher").await))
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_lists_each_fields_mistake() {
    let app = App::new("forms-api");
    let operator = app.login("operator1").await;
    let (status, err) = app
        .post(
            "/api/v1/tickets",
            Some(&operator),
            serde_json::json!({"channel": "phone", "kind": "complaint", "category": "", "content": "x", "phone": "1"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["reason"], "several_fields");
    let fields: Vec<&str> = err["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["category", "content", "phone"], "{err}");
    assert!(
        err["fields"][1]["message_zh"]
            .as_str()
            .is_some_and(|m| m.contains("至少4个字"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_registration_marks_each_wrong_field_at_once() {
    let app = App::new("forms-window");
    let clerk = app.page_login("window1").await;
    let csrf = app.csrf_of(&clerk).await;
    let (status, body, _) = app
        .form(
            "/window/register",
            Some(&clerk),
            &format!("csrf={csrf}&applicant_id=110105194912310021&applicant_name=&mobile=123&subject="),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("有 4 处需要更正"), "{body}");
    for field in ["applicant_id", "applicant_name", "mobile", "subject"] {
        assert!(beside(&body, field).is_some(), "{field} is marked: {body}");
    }
    assert!(
        body.contains(r#"value="110105194912310021""#),
        "the ID typed stays"
    );
    // A name that does not belong to the ID is shown beside the name.
    let (status, body, _) = app
        .form(
            "/window/register",
            Some(&clerk),
            &format!("csrf={csrf}&applicant_id=110105198001010032&applicant_name=%E6%9D%8E%E5%9B%9B&subject=item:SCJG-002"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (status, body, _) = app
        .form(
            "/window/register",
            Some(&clerk),
            &format!("csrf={csrf}&applicant_id=110105198001010032&applicant_name=%E7%8E%8B%E4%BA%94&subject=item:SCJG-002"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        beside(&body, "applicant_name").is_some_and(|m| m.contains("已登记为另一名称")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_sent_after_the_session_expired_leads_to_login_and_back_to_the_form() {
    let app = App::new("forms-expired");
    let clerk = app.page_login("window1").await;
    let csrf = app.csrf_of(&clerk).await;
    // The session ends (an administrator, a timeout): the cookie no longer opens it.
    let (status, _, _) = app.form("/logout", Some(&clerk), &format!("csrf={csrf}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let req = axum::http::Request::post("/window/register")
        .header(header::COOKIE, &clerk)
        .header(header::HOST, "localhost")
        .header(header::REFERER, "http://localhost/window")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!(
            "csrf={csrf}&applicant_id=110105194912310023&applicant_name=x&subject=item:SCJG-002"
        )))
        .expect("request");
    let (status, _, headers) = app.raw(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = headers[header::LOCATION].to_str().expect("location");
    assert_eq!(to, "/login?next=%2Fwindow&expired=1&resume=1");
    let (_, login) = app.page(to, None).await;
    assert!(
        login.contains("登录已超时") && login.contains("自动填回"),
        "{login}"
    );
    assert!(login.contains(r#"name="resume" value="1""#));
    // Logging in again returns to the form's page, where the browser fills it in (browser test).
    let (status, _, headers) = app
        .form(
            "/login",
            None,
            &format!(
                "username=window1&password={}&next=%2Fwindow&resume=1",
                onego_test_support::PASSWORD
            ),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/window?resume=1");
    // Nothing was registered by the form sent without a session.
    let (_, list) = app.get("/api/v1/cases", Some(&app.login("window1").await)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    // A referer from another site is not followed back.
    let req = axum::http::Request::post("/window/register")
        .header(header::COOKIE, &clerk)
        .header(header::HOST, "localhost")
        .header(header::REFERER, "https://evil.example/window")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("csrf=x"))
        .expect("request");
    let (_, _, headers) = app.raw(req).await;
    assert_eq!(
        headers[header::LOCATION],
        "/login?next=%2Fwindow%2Fregister&expired=1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_file_with_a_mistake_is_explained_in_the_readers_language() {
    let app = App::new("forms-process");
    let admin = app.page_login("admin").await;
    let csrf = app.csrf_of(&admin).await;
    let source = "code = \"p\"\nversion = 1\nname = \"n\"\nstart = = \"a\"\n";
    let body = format!(
        "csrf={csrf}&check_only=1&source={}",
        form_urlencoded::byte_serialize(source.as_bytes()).collect::<String>()
    );
    let (status, page, _) = app.form("/admin/processes", Some(&admin), &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("流程文件第 4 行第"), "{page}");
    assert!(!page.contains("expected"), "no parser English on a Chinese page");
    let (_, page, _) = app
        .form("/admin/processes", Some(&format!("{admin}; lang=en")), &body)
        .await;
    assert!(page.contains("not valid at line 4"), "{page}");
}
