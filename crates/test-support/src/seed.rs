//! A store with the demo catalog, hotline data and the test users; an engine over it.

use onego_calendar::WorkingCalendar;
use onego_domain::values::{ApplicantId, Code, ResidentId, Uscc};
use onego_store::Store;
use onego_store::engine::{Engine, EngineConfig};
use onego_store::users::NewUser;

use crate::actors::{ENTERPRISE_ID, PASSWORD, PERSON_ID, USERS, display_name, mobile_of};
use crate::db::TestDb;

/// Runs a store call from synchronous setup, which may itself run inside a test's runtime: on a
/// thread of its own with a runtime of its own.
pub fn block_on<F: std::future::Future + Send>(f: F) -> F::Output
where
    F::Output: Send,
{
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(f)
        })
        .join()
        .expect("setup thread")
    })
}

/// Opens the store, loads the demo catalog and hotline data when missing, and adds the test users.
pub fn seeded_store(db: &TestDb) -> Store {
    let store = Store::open(&db.url).unwrap_or_else(|e| panic!("{}: {e}", db.backend));
    if block_on(store.catalog().is_empty()).expect("read") {
        block_on(store.demo().load_catalog()).expect("catalog");
        block_on(store.demo().load_hotline()).expect("hotline");
        let users = USERS
            .iter()
            .map(|&(username, role, dept)| NewUser {
                username: username.into(),
                name: display_name(username),
                role,
                department: dept.map(|d| Code::parse(d).expect("code")),
                applicant: match username {
                    "zhangsan" => Some(ApplicantId::Person {
                        id_number: ResidentId::parse(PERSON_ID).expect("id"),
                    }),
                    "lisi" => Some(ApplicantId::Person {
                        id_number: ResidentId::parse("110105198001010016").expect("id"),
                    }),
                    "acme" => Some(ApplicantId::Organisation {
                        uscc: Uscc::parse(ENTERPRISE_ID).expect("uscc"),
                    }),
                    _ => None,
                },
                mobile: Some(mobile_of(username).into()),
                email: None,
                by_email: true,
                by_sms: true,
                password: PASSWORD.into(),
            })
            .collect();
        block_on(store.demo().ensure_users(users, PASSWORD.into())).expect("users");
    }
    store
}

/// An engine over a seeded store (a fresh cache: another "server" when the database is shared).
pub fn engine_on(db: &TestDb) -> Engine {
    let engine = Engine::new(
        seeded_store(db),
        WorkingCalendar::default(),
        EngineConfig::default(),
    )
    .expect("engine");
    engine.set_master_key(crate::commands::master_key());
    engine
}
