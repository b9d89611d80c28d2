//! Certificates on both databases, on the engine's one path: issued with a checked identifier and a seal
//! that holds; used with a reason by the holder; suspended by the issuing department only (and then not
//! usable); read back by a second engine on the same database; the journal's hash chain intact; expired
//! by onego's own timer after the last valid day.

use chrono::NaiveDate;
use onego_domain::certificate::{CertificateCommand, CertificateId, CertificateStatus};
use onego_domain::org::Role;
use onego_store::engine::{EngineError, Issue};
use onego_store::keys::MasterKey;
use onego_test_support::{applicant, applicant_id, at, code, databases, engine_on, staff};

fn master() -> MasterKey {
    onego_test_support::commands::master_key()
}

fn licence() -> Issue {
    Issue {
        type_name: "食品经营许可证".into(),
        type_code: "11100000000013338W009".into(),
        number: None,
        holder: applicant_id(),
        holder_name: "张三".into(),
        department: code("market"),
        issuer_name: "菏泽市市场监督管理局".into(),
        issuer_code: "11370800MB28559184".into(),
        valid_until: NaiveDate::from_ymd_opt(2031, 3, 1),
        related: vec![],
        data: serde_json::json!({"经营场所": "牡丹区中华路1号", "主体业态": "餐饮服务经营者"}),
        case_id: Some(42),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_is_issued_used_suspended_read_back_and_expires_on_the_engines_path() {
    for db in databases("certificates") {
        let engine = engine_on(&db);
        let b = db.backend;
        let market = staff(Role::Supervisor, Some("market"));
        let tax = staff(Role::Supervisor, Some("tax"));
        let t0 = at("2026-03-02T09:00:00");

        // Only the issuing department (or onego itself) issues.
        assert!(matches!(
            engine.issue_certificate(&tax, licence(), t0).await,
            Err(EngineError::Denied(_))
        ));
        let out = engine
            .issue_certificate(&market, licence(), t0)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let cert = out.state.clone();
        let id = CertificateId::parse(&cert.content.identifier).unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(id.issuer(), "11370800MB28559184");
        assert_eq!(cert.content.number, id.serial(), "{b}");
        assert!(
            cert.content.number.starts_with("20260302"),
            "{b}: {}",
            cert.content.number
        );
        assert_eq!(cert.content.holder_code_type, "111");
        cert.seal_holds().unwrap_or_else(|e| panic!("{b}: {e}"));
        // Sealed with market's own key, made on first use and stored encrypted.
        let keys = engine.store().keys();
        let market_keys = keys.all("market").await.expect("keys");
        assert_eq!(market_keys.len(), 1, "{b}");
        assert_eq!(market_keys[0].public_key, cert.seal.public_key, "{b}");
        // A rotation makes a new key; the old one stays for verification and the next seal uses the new.
        keys.rotate("market", &master(), t0.as_millis())
            .await
            .expect("rotate");
        let second = engine
            .issue_certificate(&market, licence(), t0)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let market_keys = keys.all("market").await.expect("keys");
        assert_eq!(market_keys.len(), 2, "{b}");
        assert!(
            market_keys[1].retired_at.is_some() && market_keys[0].retired_at.is_none(),
            "{b}"
        );
        assert_eq!(second.state.seal.public_key, market_keys[0].public_key, "{b}");
        assert_ne!(second.state.content.identifier, cert.content.identifier, "{b}");
        // Under another key secret the stored key does not open: nothing is issued.
        let wrong = MasterKey::from_secret("somebody else's key secret, thirty-two+").expect("master");
        let elsewhere = onego_store::engine::Engine::new(
            engine.store().clone(),
            onego_calendar::WorkingCalendar::default(),
            onego_store::engine::EngineConfig::default(),
        )
        .expect("engine");
        elsewhere.set_master_key(wrong);
        assert!(
            elsewhere.issue_certificate(&market, licence(), t0).await.is_err(),
            "{b}"
        );

        // The holder uses it, with a reason; the use is a journal entry.
        let holder = applicant();
        let used = engine
            .run_certificate(
                &holder,
                cert.id,
                &CertificateCommand::Use {
                    reason: "申请开办餐饮店".into(),
                    case_id: Some(43),
                },
                at("2026-03-05T10:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(used.state.uses, 1);
        // Not without a reason; not by another department.
        assert!(matches!(
            engine
                .run_certificate(
                    &holder,
                    cert.id,
                    &CertificateCommand::Use {
                        reason: " ".into(),
                        case_id: None
                    },
                    t0
                )
                .await,
            Err(EngineError::Invalid(_))
        ));
        let suspend = CertificateCommand::Suspend {
            reason: "经营场所核查中".into(),
        };
        assert!(
            matches!(
                engine.run_certificate(&tax, cert.id, &suspend, t0).await,
                Err(EngineError::NotFound(_))
            ),
            "{b}: another department does not even see it"
        );
        engine
            .run_certificate(&market, cert.id, &suspend, at("2026-03-06T10:00:00"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(matches!(
            engine
                .run_certificate(
                    &holder,
                    cert.id,
                    &CertificateCommand::Use {
                        reason: "再次申请".into(),
                        case_id: None
                    },
                    at("2026-03-07T10:00:00"),
                )
                .await,
            Err(EngineError::NotAllowedNow(_))
        ));
        engine
            .run_certificate(
                &market,
                cert.id,
                &CertificateCommand::Reinstate {
                    reason: "核查无误".into(),
                },
                at("2026-03-08T10:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));

        // Another engine on the same database reads what was committed; the chain holds.
        let other = engine_on(&db);
        let read = other
            .certificate(&holder, cert.id)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            (read.value.status, read.value.uses),
            (CertificateStatus::Valid, 1),
            "{b}"
        );
        read.value.seal_holds().unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            other
                .certificate(&staff(Role::Leader, None), cert.id)
                .await
                .is_err()
        );
        let chain = engine.store().cases().verify_chain(cert.id).await.expect("chain");
        assert!(chain.intact && chain.entries == 4, "{b}: {chain:?}");
        let journal = engine.store().cases().journal(cert.id).await.expect("journal");
        assert_eq!(
            journal.iter().map(|j| j.action.as_str()).collect::<Vec<_>>(),
            ["issue", "use", "suspend", "reinstate"],
            "{b}"
        );
        assert_eq!(journal[1].opinion.as_deref(), Some("申请开办餐饮店"));

        // Its last valid day passes: onego's timer marks it expired, once (the reminders before it
        // fire on their own days: see tests/reminders.rs).
        other
            .fire_due_timers(at("2031-03-01T23:00:00"))
            .await
            .expect("timers");
        let read = engine.certificate(&holder, cert.id).await.expect("read");
        assert_eq!(
            read.value.status,
            CertificateStatus::Valid,
            "{b}: not before its last day ends"
        );
        other
            .fire_due_timers(at("2031-03-02T00:00:01"))
            .await
            .expect("timers");
        let read = engine.certificate(&holder, cert.id).await.expect("read");
        assert_eq!(read.value.status, CertificateStatus::Expired, "{b}");
        assert!(matches!(
            engine.store().cases().journal(cert.id).await.expect("journal").last().map(|j| j.action.clone()),
            Some(a) if a == "expire"
        ));
    }
}
