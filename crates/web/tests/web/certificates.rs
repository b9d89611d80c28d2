//! Certificates as people meet them: the public check behind the QR code (genuine, status, the holder
//! masked; a wrong identifier, one not issued here, and an altered certificate each refused plainly),
//! and the holder's own certificates with every use and its reason.

use axum::http::StatusCode;
use onego_domain::certificate::CertificateCommand;
use onego_test_support::commands::issue_licence_to_zhangsan;
use onego_test_support::{PERSON_ID, applicant, at};

use crate::support::App;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_check_says_genuine_with_the_holder_masked_and_refuses_what_does_not_hold() {
    let app = App::new("certificates-verify");
    let cert = issue_licence_to_zhangsan(&app.state.engine).await;
    let url = format!("/verify/{}", cert.content.identifier);
    let (status, body) = app.page(&url, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("真实有效"), "{body}");
    assert!(
        body.contains("张**") && body.contains("食品经营许可证") && body.contains("有效"),
        "{body}"
    );
    assert!(
        !body.contains("张三丰") && !body.contains(PERSON_ID),
        "the holder is masked: {body}"
    );

    // A mistyped identifier: the check character says so.
    let mut wrong = cert.content.identifier.clone();
    let last = wrong.pop().expect("check");
    wrong.push(if last == '0' { '1' } else { '0' });
    let (status, body) = app.page(&format!("/verify/{wrong}"), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("校验位"), "{body}");
    // A valid identifier never issued here.
    let (status, body) = app
        .page(
            "/verify/1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("本平台没有签发过此标识的电子证照"), "{body}");

    // Someone changes the stored content: the seal no longer holds and the check says so.
    let id = cert.id;
    app.state
        .engine
        .store()
        .raw_write(move |c| {
            c.execute(
                "UPDATE certificates SET state = REPLACE(state, '2031-03-01', '2099-12-31') WHERE id = $1",
                &[onego_store::sql::Value::Int(id)],
            )
        })
        .await
        .expect("tamper");
    let (status, body) = app.page(&url, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("核验不通过") && body.contains("签名与内容不符"),
        "{body}"
    );
    let (_, body) = app.page(&format!("{url}?lang=en"), Some("lang=en")).await;
    assert!(body.contains("Check failed"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holder_sees_their_certificates_and_every_use_and_others_do_not() {
    let app = App::new("certificates-mine");
    let cert = issue_licence_to_zhangsan(&app.state.engine).await;
    app.state
        .engine
        .run_certificate(
            &applicant(),
            cert.id,
            &CertificateCommand::Use {
                reason: "申请开办餐饮店，免交许可证复印件".into(),
                case_id: None,
            },
            at("2026-03-05T10:00:00"),
        )
        .await
        .expect("used");
    let zhangsan = app.page_login("zhangsan").await;
    let (status, list) = app.page("/certificates", Some(&zhangsan)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("食品经营许可证") && list.contains(&format!("/certificates/{}", cert.id)),
        "{list}"
    );
    let (status, page) = app
        .page(&format!("/certificates/{}", cert.id), Some(&zhangsan))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("签发") && page.contains("用证") && page.contains("免交许可证复印件"),
        "{page}"
    );
    assert!(page.contains("牡丹区中华路1号"), "the business data: {page}");
    assert!(
        page.contains(&format!("/certificates/{}/pdf", cert.id)),
        "a PDF to download"
    );
    let (status, pdf) = app
        .page(&format!("/certificates/{}/pdf", cert.id), Some(&zhangsan))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with("%PDF-"), "a PDF");

    let lisi = app.page_login("lisi").await;
    let (_, list) = app.page("/certificates", Some(&lisi)).await;
    assert!(
        !list.contains("食品经营许可证") && list.contains("您还没有电子证照"),
        "{list}"
    );
    let (status, _) = app.page(&format!("/certificates/{}", cert.id), Some(&lisi)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let market = app.page_login("market1").await;
    let (status, _) = app
        .page(&format!("/certificates/{}", cert.id), Some(&market))
        .await;
    assert_eq!(status, StatusCode::OK, "the issuing department sees it");
    let admin = app.page_login("admin").await;
    let (status, _) = app
        .page(&format!("/certificates/{}", cert.id), Some(&admin))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "administrators do not");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issuing_department_suspends_and_revokes_with_a_reason_and_the_public_check_follows() {
    let app = App::new("certificates-issuer");
    let cert = issue_licence_to_zhangsan(&app.state.engine).await;
    let page_url = format!("/certificates/{}", cert.id);
    let act = format!("{page_url}/act");
    let verify = format!("/verify/{}", cert.content.identifier);

    // The holder sees no issuer's form, and posting one is refused.
    let zhangsan = app.page_login("zhangsan").await;
    let (_, page) = app.page(&page_url, Some(&zhangsan)).await;
    assert!(!page.contains("issuer-actions"), "{page}");
    let csrf = app.csrf_of(&zhangsan).await;
    let (status, _, _) = app
        .form(
            &act,
            Some(&zhangsan),
            &format!("csrf={csrf}&action=revoke&reason=x"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let market = app.page_login("market1").await;
    let csrf = app.csrf_of(&market).await;
    let (_, page) = app.page(&page_url, Some(&market)).await;
    assert!(
        page.contains("issuer-actions") && page.contains(r#"value="suspend""#),
        "{page}"
    );
    // Without a reason: refused beside nothing changed.
    let (status, body, _) = app
        .form(
            &act,
            Some(&market),
            &format!("csrf={csrf}&action=suspend&reason=+"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请填写事由"), "{body}");
    let (status, _, headers) = app
        .form(
            &act,
            Some(&market),
            &format!("csrf={csrf}&action=suspend&reason=%E7%BB%8F%E8%90%A5%E5%9C%BA%E6%89%80%E6%A0%B8%E6%9F%A5%E4%B8%AD"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], format!("{page_url}?done=suspend"));
    let (_, page) = app.page(&format!("{page_url}?done=suspend"), Some(&market)).await;
    assert!(
        page.contains("已暂停。暂停期间") && page.contains("经营场所核查中"),
        "{page}"
    );
    let (status, body) = app.page(&verify, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("签章核验通过，但此证照当前") && body.contains("已暂停"),
        "{body}"
    );

    let (status, _, _) = app
        .form(
            &act,
            Some(&market),
            &format!("csrf={csrf}&action=revoke&reason=%E4%BE%9D%E6%B3%95%E5%90%8A%E9%94%80"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = app.page(&page_url, Some(&market)).await;
    assert!(
        !page.contains("issuer-actions"),
        "nothing more to do with a revoked certificate: {page}"
    );
    let (_, body) = app.page(&verify, None).await;
    assert!(body.contains("已注销"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_checks_publicly_and_serves_the_holder_the_signed_document_and_the_log() {
    let app = App::new("certificates-api");
    let cert = issue_licence_to_zhangsan(&app.state.engine).await;
    let (status, check) = app
        .get(
            &format!("/api/v1/certificates/verify/{}", cert.content.identifier),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(
        (check["genuine"].as_bool(), check["verdict"].as_str()),
        (Some(true), Some("genuine"))
    );
    assert_eq!(check["status"], "valid");
    assert_eq!(check["holder_name"], "张**");
    assert!(!check.to_string().contains(PERSON_ID), "{check}");
    let (status, err) = app
        .get(
            "/api/v1/certificates/verify/1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.8",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err["message_zh"].as_str().is_some_and(|m| m.contains("应为 9")),
        "{err}"
    );

    let zhangsan = app.login("zhangsan").await;
    let (status, list) = app.get("/api/v1/certificates", Some(&zhangsan)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["signature_algorithm"], "SM2-SM3");
    let (status, used) = app
        .post(
            &format!("/api/v1/certificates/{}/commands", cert.id),
            Some(&zhangsan),
            serde_json::json!({"command": "use", "reason": "办理食品经营许可变更"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{used}");
    assert_eq!(used["uses"], 1);
    assert_eq!(used["log"][1]["action"], "use");
    assert_eq!(used["log"][1]["reason"], "办理食品经营许可变更");
    let (status, _) = app
        .post(
            &format!("/api/v1/certificates/{}/commands", cert.id),
            Some(&zhangsan),
            serde_json::json!({"command": "revoke", "reason": "我不要了"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the issuing department revokes"
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/certificates/{}/commands", cert.id),
            Some(&zhangsan),
            serde_json::json!({"command": "expire"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "expiry is onego's own");
    let lisi = app.login("lisi").await;
    let (status, _) = app
        .get(&format!("/api/v1/certificates/{}", cert.id), Some(&lisi))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
