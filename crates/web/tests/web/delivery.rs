//! The delivery side as people meet it: my message settings (page and API) refuse a bad address where
//! it is entered and change nothing; administrators see the queue with recipients masked, resend a
//! failed message, and edit templates with a preview and an SMS length check; `/metrics` has the figures.

use axum::http::StatusCode;
use onego_store::outbox::{Channel, Outcome, Status};
use serde_json::json;

use crate::support::App;

fn beside(body: &str, field: &str) -> Option<String> {
    let marker = format!(r#"<p class="field-error" id="{field}-error">"#);
    let rest = body.split(&marker).nth(1)?;
    rest.split("</p>").next().map(str::to_owned)
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_message_settings_refuse_bad_addresses_beside_their_fields_and_save_good_ones() {
    let app = App::new("delivery-settings");
    let cookie = app.page_login("lisi").await;
    let csrf = app.csrf_of(&cookie).await;
    let (status, body, _) = app
        .form(
            "/me/notifications",
            Some(&cookie),
            &format!("csrf={csrf}&email=lisi%40example&by_email=1&mobile=12345&by_sms=1"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("有 2 处需要更正"), "{body}");
    assert!(
        beside(&body, "email").is_some_and(|m| m.contains("name@example.com")),
        "{body}"
    );
    assert!(
        beside(&body, "mobile").is_some_and(|m| m.contains("11位")),
        "{body}"
    );
    assert!(body.contains(r#"value="lisi@example""#), "what was typed stays");
    let api = app.login("lisi").await;
    let (_, saved) = app.get("/api/v1/me/contact", Some(&api)).await;
    assert_eq!(
        saved["email"],
        serde_json::Value::Null,
        "nothing was stored: {saved}"
    );

    // A channel chosen without its address is named at that address.
    let (status, err) = app
        .send_json(
            "PUT",
            "/api/v1/me/contact",
            Some(&api),
            json!({"by_sms": true, "mobile": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["fields"][0]["field"], "mobile", "{err}");
    assert_eq!(err["fields"][0]["message_zh"], "选择了短信通知，请填写手机号码");

    let (status, body, _) = app
        .form(
            "/me/notifications",
            Some(&cookie),
            &format!("csrf={csrf}&email=+Li.Si%40example.com+&by_email=1&mobile=%2B86+139-0530-0002&lang=en"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("已保存。今后的消息将通过站内通知、电子邮件通知您。"),
        "{body}"
    );
    let (_, saved) = app.get("/api/v1/me/contact", Some(&api)).await;
    assert_eq!(saved["email"], "Li.Si@example.com");
    assert_eq!(saved["mobile"], "13905300002", "normalised");
    assert_eq!(
        (saved["by_email"].as_bool(), saved["by_sms"].as_bool()),
        (Some(true), Some(false))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_see_the_queue_masked_resend_a_failure_and_read_the_figures() {
    let app = App::new("delivery-admin");
    let outbox = app.state.engine.store().outbox();
    outbox.set_channels(true, true).await.expect("channels");
    let now = onego_store::now_millis();
    let id = outbox
        .enqueue(
            "accepted",
            Channel::Email,
            "wangxiu@example.com",
            vec![("number".into(), "N1".into())],
            now,
        )
        .await
        .expect("queued");
    let claimed = outbox
        .claim("w1", vec![Channel::Email], now, 60_000, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    outbox
        .record(
            id,
            "w1",
            now,
            Outcome::Error {
                detail: "550 <wangxiu@example.com> mailbox unavailable".into(),
                retry_at: None,
            },
        )
        .await
        .expect("record");

    let admin = app.page_login("admin").await;
    let (status, body) = app.page("/admin/outbox?status=failed", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("w***@example.com"), "{body}");
    assert!(
        !body.contains("wangxiu@"),
        "the recipient is masked, in the error too: {body}"
    );
    assert!(
        body.contains("受理通知") && body.contains("电子邮件") && body.contains("发送失败"),
        "{body}"
    );
    let (_, page) = app.page(&format!("/admin/outbox/{id}"), Some(&admin)).await;
    assert!(
        page.contains("发送出错") && page.contains("mailbox unavailable"),
        "{page}"
    );

    let (_, metrics) = app.page("/metrics", None).await;
    assert!(
        metrics.contains("onego_outbox_messages{status=\"failed\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("onego_outbox_retries_total 1"), "{metrics}");

    let csrf = app.csrf_of(&admin).await;
    let (status, _, headers) = app
        .form(
            &format!("/admin/outbox/{id}/resend"),
            Some(&admin),
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/admin/outbox?done=resent");
    let m = outbox.get(id).await.expect("read").expect("message");
    assert_eq!(
        (m.status, m.attempts),
        (Status::Pending, 1),
        "pending again, its attempt kept"
    );
    // Resending what has not failed says so and changes nothing.
    let (status, body, _) = app
        .form(
            &format!("/admin/outbox/{id}/resend"),
            Some(&admin),
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("不是发送失败状态"), "{body}");
    // Another role may not.
    let clerk = app.page_login("window1").await;
    let clerk_csrf = app.csrf_of(&clerk).await;
    let (status, _, _) = app
        .form(
            &format!("/admin/outbox/{id}/resend"),
            Some(&clerk),
            &format!("csrf={clerk_csrf}"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_is_previewed_checked_for_length_and_saved_for_the_next_message() {
    let app = App::new("delivery-templates");
    let admin = app.page_login("admin").await;
    let csrf = app.csrf_of(&admin).await;
    let (status, list) = app.page("/admin/templates", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("受理通知") && list.contains("短信 · 中文") && list.contains("内置"),
        "{list}"
    );
    let (status, page) = app.page("/admin/templates/accepted/sms/zh", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("ONEGO_ACCEPTED") && page.contains("条短信"),
        "{page}"
    );
    let (status, _) = app.page("/admin/templates/nothing/sms/zh", Some(&admin)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Too long for two segments: refused beside the text, with its length; nothing saved.
    let long = "您申请的{{ title }}已受理".to_owned() + &"请".repeat(130);
    let (status, body, _) = app
        .form(
            "/admin/templates/accepted/sms/zh",
            Some(&admin),
            &format!("csrf={csrf}&action=save&sms_code=SMS_1&body={}", enc(&long)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        beside(&body, "body").is_some_and(|m| m.contains("需分 3 条发送")),
        "{body}"
    );
    let outbox = app.state.engine.store().outbox();
    assert!(outbox.templates().await.expect("read").is_empty());
    // A broken placeholder and a missing code are each named.
    let (status, body, _) = app
        .form(
            "/admin/templates/accepted/sms/zh",
            Some(&admin),
            &format!("csrf={csrf}&action=save&sms_code=&body={}", enc("编号{{ number")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        beside(&body, "body").is_some_and(|m| m.contains("模板写法有误")),
        "{body}"
    );

    // Preview shows the text with sample parameters and saves nothing.
    let good = "【菏泽政务】{{ title }}已受理，编号{{ number }}。";
    let (status, body, _) = app
        .form(
            "/admin/templates/accepted/sms/zh",
            Some(&admin),
            &format!("csrf={csrf}&action=preview&sms_code=SMS_2&body={}", enc(good)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("【菏泽政务】食品经营许可（新办）已受理，编号371700202612020001。"),
        "{body}"
    );
    assert!(outbox.templates().await.expect("read").is_empty());
    let (status, body, _) = app
        .form(
            "/admin/templates/accepted/sms/zh",
            Some(&admin),
            &format!("csrf={csrf}&action=save&sms_code=SMS_2&body={}", enc(good)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("已保存"), "{body}");
    let saved = outbox.templates().await.expect("read");
    assert_eq!(
        (
            saved.len(),
            saved[0].sms_code.as_str(),
            saved[0].updated_by.as_str()
        ),
        (1, "SMS_2", "admin")
    );
    let t = onego_notify::templates::in_force(&saved, "accepted", Channel::Sms, "zh").expect("in force");
    assert_eq!(t.body, good, "the next message uses it");
    let (_, list) = app.page("/admin/templates", Some(&admin)).await;
    assert!(list.contains("已修改：admin"), "{list}");
}
