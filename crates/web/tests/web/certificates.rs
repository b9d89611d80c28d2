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
