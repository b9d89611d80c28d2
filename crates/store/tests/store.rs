//! The store and the engine on both backends. Every test runs on SQLite and on PostgreSQL; without a
//! reachable PostgreSQL the PostgreSQL half says it skipped (in CI, ONEGO_REQUIRE_DATABASE makes that a
//! failure).

use std::sync::Arc;

use onego_calendar::WorkingCalendar;
use onego_domain::aggregate::AggregateKind;
use onego_domain::case::*;
use onego_domain::org::Role;
use onego_domain::policy::CaseScope;
use onego_domain::ticket::TicketTask;
use onego_domain::values::*;
use onego_store::aggregate::{self as agg, Aggregate};
use onego_store::engine::{Engine, EngineConfig, EngineError};
use onego_store::inbox::InboxTask;
use onego_store::stats::{GroupBy, StatsQuery};
use onego_store::users::{self, NewUser};
use onego_store::{Store, StoreError, case as cases, demo};
use serde_json::json;

use onego_test_support::commands::{approve, submission};
use onego_test_support::{applicant, at, code, databases, engine_on, staff};

const MALL: &[&str] = &["M-APP-MALL", "M-LICENCE", "M-FLOORPLAN"];

async fn mall_case(engine: &Engine, now: &str) -> CaseId {
    let out = engine
        .open_case(
            &applicant(),
            submission(SubjectRef::Item { code: code("SP-001") }, MALL, json!({})),
            None,
            at(now),
        )
        .await
        .expect("submit");
    let id = out.state.id;
    let accept = Command::Accept {
        received: vec![],
        deferred: vec![],
        opinion: "材料齐全".into(),
    };
    engine
        .run_case(&staff(Role::Clerk, None), id, &accept, at(now))
        .await
        .expect("accept");
    id
}

fn task_of(case: &Case, dept: &str) -> TaskId {
    case.open_tasks()
        .find(|t| t.department.as_str() == dept)
        .map(|t| t.id)
        .expect("open task")
}

// --- Tests ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_and_reopening_changes_nothing() {
    for db in databases("migrate") {
        drop(Store::open(&db.url).expect("open"));
        let store = Store::open(&db.url).expect("reopen");
        let applied = store
            .raw_read_blocking(|c| c.query("SELECT version FROM schema_migrations", &[]))
            .expect("read");
        assert_eq!(
            applied.len(),
            onego_store::SCHEMA_VERSION,
            "{}: each migration is recorded once",
            db.backend
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_runs_to_delivery_and_every_step_is_journaled_with_an_intact_hash_chain() {
    for db in databases("lifecycle") {
        let engine = engine_on(&db);
        let id = mall_case(&engine, "2026-03-02T10:00:00").await;
        let inbox = engine
            .store()
            .inbox()
            .tasks("fire", None, 10, 0)
            .await
            .expect("inbox");
        assert_eq!(inbox.len(), 1, "{}", db.backend);
        assert_eq!(inbox[0].due_at, Some(at("2026-03-06T00:00:00")));
        for dept in ["market", "fire", "housing", "approval"] {
            let case = engine
                .case(&staff(Role::Approver, Some(dept)), id)
                .await
                .expect("visible")
                .value
                .clone();
            engine
                .run_case(
                    &staff(Role::Approver, Some(dept)),
                    id,
                    &approve(task_of(&case, dept)),
                    at("2026-03-03T10:00:00"),
                )
                .await
                .expect("approve");
        }
        let clerk = staff(Role::Clerk, None);
        engine
            .run_case(
                &clerk,
                id,
                &Command::Deliver {
                    delivery: DeliveryMethod::Electronic,
                },
                at("2026-03-03T11:00:00"),
            )
            .await
            .expect("deliver");
        // A fresh engine reads everything back from the database.
        drop(engine);
        let engine = engine_on(&db);
        let stored = engine.case(&applicant(), id).await.expect("own case");
        assert_eq!(stored.value.status, CaseStatus::Delivered, "{}", db.backend);
        let journal = engine.timeline::<Case>(&applicant(), id).await.expect("timeline");
        let actions: Vec<&str> = journal.iter().map(|j| j.action.as_str()).collect();
        assert_eq!(actions.first(), Some(&"submitted"));
        assert_eq!(actions.last(), Some(&"delivered"));
        assert_eq!(actions.iter().filter(|a| **a == "task_completed").count(), 4);
        let check = engine
            .store()
            .raw_read(move |c| agg::verify_chain(c, id))
            .await
            .expect("verify");
        assert!(check.intact, "{}: {check:?}", db.backend);
        assert_eq!(check.entries, journal.len());
        let inbox = engine
            .store()
            .inbox()
            .tasks("fire", None, 10, 0)
            .await
            .expect("inbox");
        assert!(inbox.is_empty(), "done tasks leave the inbox");
        let stats = engine
            .store()
            .raw_read(|c| {
                onego_store::stats::query(
                    c,
                    &StatsQuery {
                        group_by: GroupBy::Department,
                        from_day: None,
                        to_day: None,
                        department: None,
                        item: None,
                    },
                )
            })
            .await
            .expect("stats");
        let approval = stats.iter().find(|r| r.key == "approval").expect("approval row");
        assert_eq!(
            (approval.accepted, approval.decided, approval.on_time),
            (1, 1, 1),
            "{}",
            db.backend
        );
        // Day limits count from the day after acceptance: by Tuesday 10:00, 10 hours of Tuesday are used.
        assert_eq!(approval.avg_used_days, Some(0.42), "{}", db.backend);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_with_the_journal_shows_in_the_hash_chain() {
    for db in databases("tamper") {
        let engine = engine_on(&db);
        let id = mall_case(&engine, "2026-03-02T10:00:00").await;
        engine
            .store()
            .raw_write(move |c| {
                c.execute(
                    "UPDATE journal SET opinion = 'forged' WHERE aggregate_id = $1 AND seq = 2",
                    &[id.into()],
                )
            })
            .await
            .expect("tamper");
        let check = engine
            .store()
            .raw_read(move |c| agg::verify_chain(c, id))
            .await
            .expect("verify");
        assert!(!check.intact, "{}", db.backend);
        assert_eq!(check.broken_at, Some(2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_approvals_of_parallel_branches_all_count_and_the_join_fires_once() {
    for db in databases("concurrent") {
        let engine = Arc::new(engine_on(&db));
        // A second engine on the same database plays a second onego process with its own cache.
        let other = Arc::new(engine_on(&db));
        let mut ids = Vec::new();
        for i in 0..6 {
            ids.push(mall_case(&engine, &format!("2026-03-02T10:0{i}:00")).await);
        }
        let mut handles = Vec::new();
        for (n, &id) in ids.iter().enumerate() {
            // Warm the second engine's cache so its commits start from the same version.
            other
                .case(&staff(Role::Approver, Some("fire")), id)
                .await
                .expect("load");
            for (k, dept) in ["market", "fire", "housing"].into_iter().enumerate() {
                let e = if (n + k) % 2 == 0 {
                    engine.clone()
                } else {
                    other.clone()
                };
                handles.push(tokio::spawn(async move {
                    let who = staff(Role::Approver, Some(dept));
                    let case = e.case(&who, id).await.expect("visible").value.clone();
                    e.run_case(
                        &who,
                        id,
                        &approve(task_of(&case, dept)),
                        at("2026-03-03T10:00:00"),
                    )
                    .await
                }));
            }
        }
        for h in handles {
            h.await.expect("task").expect("every approval counts");
        }
        for id in ids {
            let journal = engine
                .store()
                .raw_read(move |c| agg::journal(c, id))
                .await
                .expect("journal");
            let joined = journal.iter().filter(|j| j.action == "branches_joined").count();
            let completed = journal.iter().filter(|j| j.action == "task_completed").count();
            assert_eq!((completed, joined), (3, 1), "{}: case {id}", db.backend);
            let stored = engine
                .store()
                .raw_read(move |c| cases::load(c, id))
                .await
                .expect("load")
                .expect("exists");
            assert_eq!(stored.value.open_tasks().count(), 1, "only the decision is open");
            assert_eq!(
                stored.value.open_tasks().next().map(|t| t.name.as_str()),
                Some("审批决定")
            );
        }
        assert!(
            engine
                .store()
                .metrics()
                .conflicts
                .load(std::sync::atomic::Ordering::Relaxed)
                + other
                    .store()
                    .metrics()
                    .conflicts
                    .load(std::sync::atomic::Ordering::Relaxed)
                > 0,
            "{}: simultaneous approvals should have met a version conflict and been retried",
            db.backend
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_from_a_stale_version_is_refused_and_changes_nothing() {
    for db in databases("stale") {
        let engine = engine_on(&db);
        let id = mall_case(&engine, "2026-03-02T10:00:00").await;
        let stored = engine
            .store()
            .raw_read(move |c| cases::load(c, id))
            .await
            .expect("load")
            .expect("exists");
        let before = engine
            .store()
            .raw_read(move |c| agg::journal(c, id))
            .await
            .expect("journal")
            .len();
        let mut write = agg::Write {
            kind: AggregateKind::Case,
            column_names: Case::COLUMNS,
            id,
            number: stored.value.number.to_string(),
            title: stored.value.title.clone(),
            expected_version: Some(stored.value.version - 1),
            new_version: stored.value.version,
            state: serde_json::to_string(&stored.value).expect("json"),
            columns: engine
                .with_env(|env| cases::columns(&stored.value, env, at("2026-03-02T10:00:00")).values()),
            previous: None,
            journal: vec![],
            tasks_removed: vec![],
            tasks_added: vec![],
            timers_removed: vec![],
            timers_added: vec![],
            notifications: vec![],
            side_rows: vec![],
            attach: None,
        };
        write.journal = agg::JournalRow::chain(
            id,
            stored.last_seq,
            &stored.last_hash,
            &[Entry {
                at: at("2026-03-02T11:00:00"),
                actor: staff(Role::Clerk, None),
                event: Event::Withdrawn { reason: "x".into() },
            }],
        )
        .expect("chain");
        assert_eq!(
            engine.store().commit(write).await,
            Err(StoreError::Conflict),
            "{}",
            db.backend
        );
        let after = engine
            .store()
            .raw_read(move |c| agg::journal(c, id))
            .await
            .expect("journal")
            .len();
        assert_eq!(before, after);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_never_fire_early_fire_after_a_restart_and_firing_twice_changes_nothing() {
    for db in databases("timers") {
        let engine = engine_on(&db);
        let id = mall_case(&engine, "2026-03-02T10:00:00").await;
        // Branch tasks: 3 working days from Monday (Tue, Wed, Thu) → due at the start of Friday; the
        // warning comes when 80 % (2.4 days) is used: Thursday 09:36.
        assert_eq!(
            engine
                .fire_due_timers(at("2026-03-05T09:35:59"))
                .await
                .expect("fire"),
            0,
            "{}",
            db.backend
        );
        assert_eq!(
            engine.next_timer_at().await.expect("next"),
            Some(at("2026-03-05T09:36:00"))
        );
        drop(engine);
        // After a restart, every due timer fires.
        let engine = engine_on(&db);
        let fired = engine
            .fire_due_timers(at("2026-03-05T10:00:00"))
            .await
            .expect("fire");
        assert_eq!(fired, 3, "{}", db.backend);
        let case = engine
            .store()
            .raw_read(move |c| cases::load(c, id))
            .await
            .expect("load")
            .expect("exists")
            .value;
        assert!(case.open_tasks().all(|t| t.warned && !t.overdue));
        assert_eq!(
            engine
                .fire_due_timers(at("2026-03-05T10:00:00"))
                .await
                .expect("again"),
            0
        );
        let fired = engine
            .fire_due_timers(at("2026-03-06T00:00:00"))
            .await
            .expect("overdue");
        assert_eq!(fired, 3);
        let notes = engine
            .store()
            .inbox()
            .notifications(0, Some("fire".into()), 10)
            .await
            .expect("notes");
        assert_eq!(
            notes.len(),
            2,
            "{}: a warning and an overdue notice for the fire department",
            db.backend
        );
        assert!(notes[0].text.contains("已超期"), "{}", notes[0].text);
        let journal = engine
            .store()
            .raw_read(move |c| agg::journal(c, id))
            .await
            .expect("journal");
        assert_eq!(journal.iter().filter(|j| j.action == "alarmed").count(), 6);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claimed_timer_is_not_claimed_again_while_its_lease_lasts() {
    for db in databases("lease") {
        let engine = engine_on(&db);
        mall_case(&engine, "2026-03-02T10:00:00").await;
        let now = at("2026-03-05T10:00:00").as_millis();
        let first = engine
            .store()
            .raw_write(move |c| agg::claim_due_timers(c, "a", now, 60_000, 100))
            .await
            .expect("claim");
        let second = engine
            .store()
            .raw_write(move |c| agg::claim_due_timers(c, "b", now, 60_000, 100))
            .await
            .expect("claim");
        assert_eq!((first.len(), second.len()), (3, 0), "{}", db.backend);
        let later = now + 61_000;
        let third = engine
            .store()
            .raw_write(move |c| agg::claim_due_timers(c, "b", later, 60_000, 100))
            .await
            .expect("claim");
        assert_eq!(
            third.len(),
            3,
            "{}: an expired lease hands the timers on",
            db.backend
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_submissions_share_commits_and_all_survive() {
    for db in databases("group") {
        let engine = Arc::new(engine_on(&db));
        let mut handles = Vec::new();
        for i in 0..120 {
            let e = engine.clone();
            handles.push(tokio::spawn(async move {
                let sub = submission(SubjectRef::Item { code: code("SP-001") }, MALL, json!({"n": i}));
                e.open_case(&applicant(), sub, None, at("2026-03-02T10:00:00"))
                    .await
                    .map(|o| o.state.number.clone())
            }));
        }
        let mut numbers = Vec::new();
        for h in handles {
            numbers.push(h.await.expect("task").expect("submitted").to_string());
        }
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 120, "case numbers are unique");
        assert!(numbers.iter().all(|n| n.starts_with("37170020260302")));
        let m = engine.store().metrics();
        let (commits, writes) = (
            m.commits.load(std::sync::atomic::Ordering::Relaxed),
            m.committed_writes.load(std::sync::atomic::Ordering::Relaxed),
        );
        assert_eq!(writes, 120);
        eprintln!("{}: 120 writes in {commits} commits", db.backend);
        drop(engine);
        let store = Store::open(&db.url).expect("reopen");
        let n = store
            .raw_read_blocking(|c| c.query_one("SELECT COUNT(*) FROM cases", &[]))
            .expect("count")
            .expect("row")
            .int(0)
            .expect("int");
        assert_eq!(n, 120, "{}", db.backend);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_lists_filter_by_applicant_status_and_department() {
    for db in databases("lists") {
        let engine = engine_on(&db);
        let id = mall_case(&engine, "2026-03-02T10:00:00").await;
        engine
            .open_case(
                &applicant(),
                submission(
                    SubjectRef::Item { code: code("GA-001") },
                    &["M-LICENCE", "M-ID-LEGAL"],
                    json!({}),
                ),
                None,
                at("2026-03-02T11:00:00"),
            )
            .await
            .expect("submit");
        let mine = engine
            .store()
            .raw_read(|c| {
                cases::list(
                    c,
                    &cases::CaseFilter::new(
                        CaseScope::Own {
                            user_id: 100,
                            applicant: None,
                        },
                        10,
                    ),
                )
            })
            .await
            .expect("list");
        assert_eq!(mine.len(), 2, "{}", db.backend);
        let waiting = engine
            .store()
            .raw_read(|c| {
                cases::list(
                    c,
                    &cases::CaseFilter {
                        status: Some(CaseStatus::Submitted),
                        ..cases::CaseFilter::new(CaseScope::All, 10)
                    },
                )
            })
            .await
            .expect("list");
        assert_eq!(waiting.len(), 1);
        let fire = engine
            .store()
            .raw_read(|c| {
                cases::list(
                    c,
                    &cases::CaseFilter {
                        department: Some("fire".into()),
                        ..cases::CaseFilter::new(CaseScope::All, 10)
                    },
                )
            })
            .await
            .expect("list");
        assert!(
            fire.is_empty(),
            "{}: the fire department only reviews; the case is the approval bureau's",
            db.backend
        );
        let approval = engine
            .store()
            .raw_read(|c| {
                cases::list(
                    c,
                    &cases::CaseFilter {
                        department: Some("approval".into()),
                        ..cases::CaseFilter::new(CaseScope::All, 10)
                    },
                )
            })
            .await
            .expect("list");
        assert_eq!(approval.iter().map(|r| r.id).collect::<Vec<_>>(), vec![id]);
        let denied = engine.case(&staff(Role::Approver, Some("tax")), id).await;
        assert!(
            matches!(denied, Err(EngineError::NotFound(_))),
            "a department without a part in the case cannot see it"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_sessions_and_api_tokens_work_and_passwords_are_hashed() {
    for db in databases("users") {
        let store = Store::open(&db.url).expect("open");
        let new = NewUser {
            username: "clerk1".into(),
            name: "王窗口".into(),
            role: Role::Clerk,
            department: None,
            applicant: None,
            mobile: None,
            email: None,
            by_email: false,
            by_sms: false,
            password: "correct horse".into(),
        };
        new.validate().expect("valid");
        let hash = users::hash_password(&new.password).expect("hash");
        assert!(hash.starts_with("$argon2"));
        let n = new.clone();
        let user = store
            .raw_write(move |c| users::insert(c, &n, &hash, 0))
            .await
            .expect("insert");
        let n = new.clone();
        let dup = store.raw_write(move |c| users::insert(c, &n, "x", 0)).await;
        assert!(
            matches!(&dup, Err(StoreError::Constraint(m)) if m.contains("exists already")),
            "{}: {dup:?}",
            db.backend
        );
        let (found, stored_hash) = store
            .raw_read(|c| users::by_username(c, "clerk1"))
            .await
            .expect("read")
            .expect("found");
        assert_eq!(found, user);
        assert!(users::verify_password("correct horse", &stored_hash));
        assert!(!users::verify_password("wrong horse", &stored_hash));

        let token = users::new_token();
        let t = token.clone();
        store
            .raw_write(move |c| users::create_session(c, user.id, &t, "csrf", 1_000, 10_000))
            .await
            .expect("session");
        let t = token.clone();
        let live = store
            .raw_read(move |c| users::session_user(c, &t, 5_000))
            .await
            .expect("read");
        assert_eq!(
            live.map(|(u, csrf)| (u.username, csrf)),
            Some(("clerk1".into(), "csrf".into()))
        );
        let t = token.clone();
        assert!(
            store
                .raw_read(move |c| users::session_user(c, &t, 20_000))
                .await
                .expect("read")
                .is_none(),
            "expired"
        );
        let raw = store
            .raw_read(|c| c.query("SELECT token_hash FROM sessions", &[]))
            .await
            .expect("read");
        assert_ne!(raw[0].text(0).expect("text"), token, "tokens are stored hashed");

        let api = users::new_token();
        let a = api.clone();
        let id = store
            .raw_write(move |c| {
                users::create_api_token(
                    c,
                    user.id,
                    "ci",
                    &a,
                    onego_domain::org::TokenScope::ApiRead,
                    50_000,
                    0,
                )
            })
            .await
            .expect("token");
        let lookup = |at: i64| {
            let (a, store) = (api.clone(), store.clone());
            async move {
                store
                    .raw_read(move |c| users::api_token_user(c, &a, at))
                    .await
                    .expect("read")
            }
        };
        let (found, info) = lookup(1_000).await.expect("live");
        assert_eq!(
            (found.id, info.id, info.scope),
            (user.id, id, onego_domain::org::TokenScope::ApiRead)
        );
        assert!(
            lookup(50_000).await.is_none(),
            "{}: expired tokens open nothing",
            db.backend
        );
        store
            .raw_write(move |c| users::touch_token(c, id, 2_000))
            .await
            .expect("touch");
        assert_eq!(
            store
                .raw_read(move |c| users::token(c, id))
                .await
                .expect("read")
                .and_then(|t| t.last_used_at),
            Some(2_000),
            "the last use is recorded"
        );
        assert!(
            store
                .raw_write(move |c| users::revoke_token(c, id, 3_000))
                .await
                .expect("revoke")
        );
        assert!(
            lookup(4_000).await.is_none(),
            "{}: revoked tokens open nothing",
            db.backend
        );
        assert!(
            store
                .raw_read(|c| users::api_token_user(c, "nope", 0))
                .await
                .expect("read")
                .is_none()
        );
        let raw = store
            .raw_read(|c| c.query("SELECT token_hash FROM api_tokens", &[]))
            .await
            .expect("read");
        assert_ne!(raw[0].text(0).expect("text"), api, "API tokens are stored hashed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_round_trips_and_a_stored_version_cannot_be_overwritten() {
    for db in databases("catalog") {
        let engine = engine_on(&db);
        let catalog = engine.catalog();
        let expected = demo::catalog().expect("demo");
        assert_eq!(catalog.items.len(), expected.items.len(), "{}", db.backend);
        for item in &expected.items {
            let stored = catalog.items.iter().find(|i| i.impl_code == item.impl_code);
            assert!(
                stored == Some(item),
                "{}: item {} differs after a round trip",
                db.backend,
                item.impl_code
            );
        }
        assert_eq!(catalog.bundles.len(), expected.bundles.len());
        for b in &expected.bundles {
            assert!(
                catalog.bundles.contains(b),
                "{}: bundle {} differs",
                db.backend,
                b.code
            );
        }
        assert_eq!(catalog.processes.len(), expected.processes.len());
        let item = expected.items[0].clone();
        let err = engine
            .store()
            .raw_write(move |c| onego_store::catalog::save_item(c, &item))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("save the change as version 2"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_application_is_one_case_with_a_flow_per_member() {
    for db in databases("bundle") {
        let engine = engine_on(&db);
        let materials = [
            "M-APP-REG",
            "M-ARTICLES",
            "M-SHAREHOLDER",
            "M-ID-LEGAL",
            "M-PREMISES",
            "M-LICENCE",
            "M-APP-INVOICE",
            "M-ID-AGENT",
            "M-APP-SI",
            "M-APP-HPF",
        ];
        let form = json!({"company_name": "菏泽云帆科技有限公司", "registered_capital": 500000, "business_scope_standard": true});
        let out = engine
            .open_case(
                &applicant(),
                submission(SubjectRef::Bundle { code: code("QYKB") }, &materials, form),
                None,
                at("2026-03-02T09:00:00"),
            )
            .await
            .expect("submit");
        let id = out.state.id;
        let accepted = engine
            .run_case(
                &staff(Role::Clerk, None),
                id,
                &Command::Accept {
                    received: vec![],
                    deferred: vec![],
                    opinion: String::new(),
                },
                at("2026-03-02T09:30:00"),
            )
            .await
            .expect("accept");
        // 设立登记 passes its 秒批 rule at once; the other four members wait for their departments.
        let depts: Vec<&str> = accepted
            .state
            .open_tasks()
            .map(|t| t.department.as_str())
            .collect();
        assert_eq!(depts, ["police", "tax", "hrss", "hpf"], "{}", db.backend);
        let items = engine
            .store()
            .raw_read(move |c| {
                c.query(
                    "SELECT item_code FROM case_items WHERE case_id = $1 ORDER BY item_code",
                    &[id.into()],
                )
            })
            .await
            .expect("items");
        assert_eq!(items.len(), 5);
        for dept in ["police", "tax", "hrss", "hpf"] {
            let case = engine
                .case(&staff(Role::Approver, Some(dept)), id)
                .await
                .expect("visible")
                .value
                .clone();
            engine
                .run_case(
                    &staff(Role::Approver, Some(dept)),
                    id,
                    &approve(task_of(&case, dept)),
                    at("2026-03-02T14:00:00"),
                )
                .await
                .expect("approve");
        }
        let case = engine.case(&applicant(), id).await.expect("own").value.clone();
        assert_eq!(case.outcome, Some(CaseOutcome::Approved), "{}", db.backend);
        let by_item = engine
            .store()
            .raw_read(|c| {
                onego_store::stats::query(
                    c,
                    &StatsQuery {
                        group_by: GroupBy::Item,
                        from_day: Some(20260301),
                        to_day: Some(20260331),
                        department: None,
                        item: None,
                    },
                )
            })
            .await
            .expect("stats");
        assert_eq!(by_item.len(), 5);
        assert!(by_item.iter().all(|r| r.decided == 1 && r.on_time == 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_checked_by_content_stored_with_their_hash_and_tied_to_a_case() {
    use onego_store::uploads;
    assert_eq!(uploads::check("a.pdf", b"%PDF-1.7 ..."), Ok("application/pdf"));
    assert!(
        uploads::check("a.pdf", b"MZ\x90\x00 not a pdf")
            .unwrap_err()
            .to_string()
            .contains("PDF, JPEG, PNG or MP4")
    );
    assert!(uploads::check("a.pdf", b"").is_err());
    assert!(
        uploads::check("big.pdf", &vec![b'%'; uploads::MAX_UPLOAD_BYTES + 1])
            .unwrap_err()
            .to_string()
            .contains("10 MiB")
    );
    for db in databases("uploads") {
        let store = Store::open(&db.url).expect("open");
        let bytes = b"%PDF-1.4 demo".to_vec();
        let id = store
            .raw_write(move |c| uploads::insert(c, 7, "M-ID", "身份证.pdf", "application/pdf", bytes, 0))
            .await
            .expect("insert");
        store
            .raw_write(move |c| uploads::attach(c, &[id], 42, 99))
            .await
            .expect("attach");
        let info = store
            .raw_read(move |c| uploads::info(c, id))
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(
            info.aggregate_id, None,
            "{}: only the owner can attach",
            db.backend
        );
        store
            .raw_write(move |c| uploads::attach(c, &[id], 42, 7))
            .await
            .expect("attach");
        let info = store
            .raw_read(move |c| uploads::info(c, id))
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(
            (info.aggregate_id, info.size, info.file_name.as_str()),
            (Some(42), 13, "身份证.pdf")
        );
        assert_eq!(info.sm3.len(), 64);
        let data = store
            .raw_read(move |c| uploads::data(c, id))
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(data, b"%PDF-1.4 demo");
    }
}

// --- Requests (tickets) ------------------------------------------------------------------------------

mod tickets {
    use super::*;
    use onego_domain::ticket::TicketCommand as TicketAction;
    use onego_domain::ticket::{
        Category, Intake, Location, Requester, TicketChannel, TicketStatus, TicketType, Urgency,
    };
    use onego_store::ticket as t;

    fn intake(category: &str, content: &str, lat: f64, lon: f64) -> Intake {
        Intake {
            channel: TicketChannel::Phone,
            kind: TicketType::Complaint,
            category: Category {
                code: code(category),
                level1: String::new(),
                level2: String::new(),
            },
            content: content.into(),
            location: Some(Location {
                lat,
                lon,
                address: "中华路".into(),
            }),
            requester: Requester {
                name: Some("王女士".into()),
                phone: Mobile::parse("13905301234").ok(),
                user_id: None,
                notify: false,
            },
            urgency: Urgency::Normal,
            attachments: vec![],
            grid: None,
            summoned: vec![],
            // The noise category requires its source.
            attributes: if category == "HB01" {
                vec![("source".into(), "construction".into())]
            } else {
                vec![]
            },
        }
    }

    fn dispatch(lead: &str) -> TicketAction {
        TicketAction::Dispatch {
            lead: code(lead),
            assisting: vec![],
            category: None,
            sla: None,
            note: String::new(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_runs_the_loop_on_the_shared_journal_inbox_and_timers_and_counts_in_the_rates() {
        for db in databases("tickets") {
            let engine = engine_on(&db);
            let b = db.backend;
            let operator = staff(Role::Operator, None);
            let centre = staff(Role::Dispatcher, Some("hotline"));
            let urban = staff(Role::Approver, Some("urban"));
            // Monday 2026-03-02, 09:00.
            let out = engine
                .open_ticket(
                    &operator,
                    intake("CG01", "中华路路口有流动摊贩占道经营，影响通行", 35.23, 115.42),
                    &[],
                    at("2026-03-02T09:00:00"),
                )
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
            let id = out.state.id;
            assert_eq!(
                out.state.category.level2, "占道经营",
                "{b}: the category is filled in from its code"
            );
            assert_eq!(
                out.state.grid,
                Some(code("zhonghua-1")),
                "{b}: the coordinates land in their grid"
            );
            assert!(
                out.state.number.starts_with("R371700"),
                "{b}: {}",
                out.state.number
            );
            let inbox = engine
                .store()
                .inbox()
                .tasks("hotline", None, 10, 0)
                .await
                .expect("inbox");
            assert!(
                inbox.iter().any(|r| r.aggregate_id == id
                    && r.kind == AggregateKind::Ticket
                    && r.task == InboxTask::Ticket(TicketTask::Dispatch)),
                "{b}: {inbox:?}"
            );

            engine
                .run_ticket(&centre, id, &dispatch("urban"), at("2026-03-02T09:10:00"))
                .await
                .expect("dispatched");
            let inbox = engine
                .store()
                .inbox()
                .tasks("urban", None, 10, 0)
                .await
                .expect("inbox");
            let sign = inbox
                .iter()
                .find(|r| r.aggregate_id == id)
                .unwrap_or_else(|| panic!("{b}: {inbox:?}"));
            assert_eq!(sign.task, InboxTask::Ticket(TicketTask::Sign));
            assert_eq!(
                sign.due_at,
                Some(at("2026-03-02T11:10:00")),
                "{b}: 2110 — two hours to be on site"
            );

            // Nobody signs: the response timer fires once, marks it overdue and supervision starts.
            let fired = engine
                .fire_due_timers(at("2026-03-02T11:30:00"))
                .await
                .expect("timers");
            assert!(fired >= 1, "{b}");
            assert_eq!(
                engine
                    .fire_due_timers(at("2026-03-02T11:31:00"))
                    .await
                    .expect("again"),
                0,
                "{b}: once"
            );
            let stored = engine.ticket(&centre, id).await.expect("visible");
            assert!(
                stored.value.supervision.is_some(),
                "{b}: overdue brings supervision"
            );
            let notes = engine
                .store()
                .inbox()
                .notifications(0, Some("urban".into()), 20)
                .await
                .expect("notes");
            assert!(
                notes.iter().any(|n| n.text.contains("签收时限已超期")),
                "{b}: {notes:?}"
            );

            assert!(
                matches!(
                    engine
                        .run_ticket(
                            &urban,
                            id,
                            &TicketAction::Return {
                                reason: "不归我们".into()
                            },
                            at("2026-03-02T11:40:00")
                        )
                        .await,
                    Err(EngineError::NotAllowedNow(_))
                ),
                "{b}: a return after the deadline is refused"
            );
            engine
                .run_ticket(&urban, id, &TicketAction::Sign, at("2026-03-02T11:45:00"))
                .await
                .expect("signed");
            engine
                .run_ticket(
                    &urban,
                    id,
                    &TicketAction::Reply {
                        answer: "已劝离摊贩并设置提示牌".into(),
                    },
                    at("2026-03-03T10:00:00"),
                )
                .await
                .expect("replied");
            engine
                .run_ticket(
                    &centre,
                    id,
                    &TicketAction::ReturnVisit {
                        solved: true,
                        satisfaction: 5,
                        note: String::new(),
                    },
                    at("2026-03-03T15:00:00"),
                )
                .await
                .expect("visited");
            let stored = engine.ticket(&centre, id).await.expect("visible");
            assert_eq!(stored.value.status, TicketStatus::Closed, "{b}");
            let check = engine
                .store()
                .raw_read(move |c| agg::verify_chain(c, id))
                .await
                .expect("verify");
            assert!(check.intact && check.entries >= 7, "{b}: {check:?}");
            let inbox = engine
                .store()
                .inbox()
                .tasks("urban", None, 10, 0)
                .await
                .expect("inbox");
            assert!(
                !inbox.iter().any(|r| r.aggregate_id == id),
                "{b}: a closed request leaves every inbox"
            );

            // A second request goes to the wrong department first, which returns it in time.
            let other = engine
                .open_ticket(
                    &operator,
                    intake("JT02", "和平路路面塌陷出现大坑", 35.25, 115.35),
                    &[],
                    at("2026-03-02T09:00:00"),
                )
                .await
                .expect("intake");
            engine
                .run_ticket(
                    &centre,
                    other.state.id,
                    &dispatch("market"),
                    at("2026-03-02T09:05:00"),
                )
                .await
                .expect("dispatched");
            engine
                .run_ticket(
                    &staff(Role::Approver, Some("market")),
                    other.state.id,
                    &TicketAction::Return {
                        reason: "道路不归市场监管".into(),
                    },
                    at("2026-03-02T09:20:00"),
                )
                .await
                .expect("returned");

            let rates = engine
                .store()
                .raw_read(|c| t::rates(c, 20260301, 20260331))
                .await
                .expect("rates");
            let urban_rates = rates
                .iter()
                .find(|r| r.department == "urban")
                .unwrap_or_else(|| panic!("{b}: {rates:?}"));
            assert_eq!(urban_rates.tickets, 1);
            assert_eq!(urban_rates.response_rate, Some(0.0), "{b}: signed late");
            assert_eq!(
                urban_rates.on_time_rate,
                Some(1.0),
                "{b}: answered within ten working days"
            );
            assert_eq!(urban_rates.first_time_resolution_rate, Some(1.0));
            assert_eq!(urban_rates.satisfaction_rate, Some(1.0));
            let market = rates
                .iter()
                .find(|r| r.department == "market")
                .unwrap_or_else(|| panic!("{b}: {rates:?}"));
            assert_eq!((market.returned, market.return_rate), (1, Some(1.0)), "{b}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn routing_learns_from_past_dispatches_and_a_dispatcher_override_teaches_more() {
        for db in databases("routing") {
            let engine = engine_on(&db);
            let centre = staff(Role::Dispatcher, Some("hotline"));
            let operator = staff(Role::Operator, None);
            let texts = [
                ("HB01", "工地夜间施工噪音扰民，影响休息"),
                ("HB01", "广场舞音响噪音扰民"),
                ("SW01", "小区停水一天了没有通知"),
                ("SW01", "停水，水压太低"),
            ];
            for (n, (cat, text)) in texts.iter().enumerate() {
                let when = at(&format!("2026-03-02T09:{:02}:00", n));
                let out = engine
                    .open_ticket(&operator, intake(cat, text, 35.23, 115.42), &[], when)
                    .await
                    .expect("intake");
                let lead = if *cat == "HB01" { "ecology" } else { "water" };
                engine
                    .run_ticket(&centre, out.state.id, &dispatch(lead), when)
                    .await
                    .expect("dispatch");
            }
            // A fresh process learns the same from the stored dispatches.
            let fresh = Engine::new(
                engine.store().clone(),
                WorkingCalendar::default(),
                EngineConfig::default(),
            )
            .expect("engine");
            assert_eq!(fresh.train_routing(1000).expect("train"), 4);
            let s = fresh.suggest("晚上工地噪音扰民", 2);
            assert_eq!(
                (s[0].category.as_str(), s[0].department.as_str()),
                ("HB01", "ecology"),
                "{s:?}"
            );
            assert!(
                s[0].words.iter().any(|w| w == "噪音扰民"),
                "the words that led to it: {s:?}"
            );
            assert!(s[0].confidence > 0.5);
            // The dispatcher sends a noise complaint to the urban department instead, twice: overrides weigh more.
            for n in 0..2 {
                let out = engine
                    .open_ticket(
                        &operator,
                        intake("HB01", "施工噪音扰民，渣土车", 35.23, 115.42),
                        &[],
                        at(&format!("2026-03-02T10:0{n}:00")),
                    )
                    .await
                    .expect("intake");
                engine
                    .run_ticket(
                        &centre,
                        out.state.id,
                        &dispatch("urban"),
                        at("2026-03-02T10:05:00"),
                    )
                    .await
                    .expect("dispatch");
            }
            let s = engine.suggest("施工噪音扰民", 1);
            assert_eq!(
                s[0].department, "urban",
                "{}: two overrides outweigh two ordinary dispatches: {s:?}",
                db.backend
            );
        }
    }
}

/// Several onego processes on one database: each engine keeps its own cache, and every read and every
/// decision must still see the committed version.
mod scale_out {
    use super::*;
    use onego_domain::ticket::TicketCommand as TicketAction;
    use onego_domain::ticket::{
        Category, Intake, Location, Requester, TicketChannel, TicketStatus, TicketType, Urgency,
    };

    fn phone_intake(n: usize) -> Intake {
        Intake {
            channel: TicketChannel::Phone,
            kind: TicketType::Complaint,
            category: Category {
                code: code("CG01"),
                level1: String::new(),
                level2: String::new(),
            },
            content: format!("中华路第{n}个路口有流动摊贩占道经营"),
            location: Some(Location {
                lat: 35.23,
                lon: 115.42,
                address: "中华路".into(),
            }),
            requester: Requester {
                name: Some("王女士".into()),
                phone: Mobile::parse("13905301234").ok(),
                user_id: None,
                notify: false,
            },
            urgency: Urgency::Normal,
            attachments: vec![],
            grid: None,
            summoned: vec![],
            attributes: vec![],
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_case_changed_on_one_server_is_seen_and_advanced_on_another() {
        for db in databases("coherent-cases") {
            let b = db.backend;
            let (a, other) = (engine_on(&db), engine_on(&db));
            let clerk = staff(Role::Clerk, None);
            let out = a
                .open_case(
                    &applicant(),
                    submission(SubjectRef::Item { code: code("SP-001") }, MALL, json!({})),
                    None,
                    at("2026-03-02T09:00:00"),
                )
                .await
                .expect("submit");
            let id = out.state.id;
            // Server A has the case cached as submitted; server B accepts it.
            assert_eq!(
                a.case(&clerk, id).await.expect("seen").value.status,
                CaseStatus::Submitted
            );
            let accept = Command::Accept {
                received: vec![],
                deferred: vec![],
                opinion: "材料齐全".into(),
            };
            other
                .run_case(&clerk, id, &accept, at("2026-03-02T09:30:00"))
                .await
                .expect("accepted on B");
            let seen = a.case(&clerk, id).await.expect("seen on A");
            assert_eq!(
                seen.value.status,
                CaseStatus::InReview,
                "{b}: server A shows the state server B committed"
            );
            // Alternate the three departments' approvals between the servers, each deciding on a task
            // that exists only in the other server's newest state.
            for (turn, dept) in ["market", "fire", "housing"].into_iter().enumerate() {
                let who = staff(Role::Approver, Some(dept));
                let (reader, writer) = if turn % 2 == 0 { (&other, &a) } else { (&a, &other) };
                let case = reader.case(&who, id).await.expect("visible").value.clone();
                writer
                    .run_case(
                        &who,
                        id,
                        &approve(task_of(&case, dept)),
                        at("2026-03-03T10:00:00"),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{b}: {dept} approves on the other server: {e}"));
            }
            for e in [&a, &other] {
                let case = e.case(&clerk, id).await.expect("seen").value.clone();
                assert_eq!(
                    case.open_tasks().map(|t| t.name.as_str()).collect::<Vec<_>>(),
                    vec!["审批决定"],
                    "{b}: both servers show the join reached"
                );
            }
            let check = a
                .store()
                .raw_read(move |c| agg::verify_chain(c, id))
                .await
                .expect("chain");
            assert!(check.intact, "{b}: {check:?}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_timer_fired_on_a_stale_server_never_deletes_the_timers_another_server_set() {
        for db in databases("coherent-timers") {
            let b = db.backend;
            let (a, other) = (engine_on(&db), engine_on(&db));
            let operator = staff(Role::Operator, None);
            let centre = staff(Role::Dispatcher, Some("hotline"));
            let mut ids = Vec::new();
            // Server A takes in the requests (and caches them as received) …
            for n in 0..4 {
                let out = a
                    .open_ticket(&operator, phone_intake(n), &[], at("2026-03-02T09:00:00"))
                    .await
                    .expect("intake");
                ids.push(out.state.id);
            }
            // … server B dispatches them, which sets their response and solve timers.
            for &id in &ids {
                other
                    .run_ticket(
                        &centre,
                        id,
                        &TicketAction::Dispatch {
                            lead: code("urban"),
                            assisting: vec![],
                            category: None,
                            sla: None,
                            note: String::new(),
                        },
                        at("2026-03-02T09:10:00"),
                    )
                    .await
                    .expect("dispatch on B");
            }
            let timers_of = |e: &Engine| {
                let ids = ids.clone();
                let store = e.store().clone();
                async move {
                    store
                        .raw_read(move |c| {
                            let mut n = 0;
                            for id in &ids {
                                n += c
                                    .query_one(
                                        "SELECT COUNT(*) FROM timers WHERE aggregate_id = $1",
                                        &[onego_store::Value::Int(*id)],
                                    )?
                                    .map(|r| r.int(0))
                                    .transpose()?
                                    .unwrap_or(0);
                            }
                            Ok(n)
                        })
                        .await
                        .expect("timers")
                }
            };
            let before = timers_of(&a).await;
            assert!(before >= 8, "{b}: dispatch set timers ({before})");
            // The response warning falls due; server A, whose cache still says "received", fires it.
            let fired = a
                .fire_due_timers(at("2026-03-02T10:50:00"))
                .await
                .expect("fire on A");
            assert_eq!(fired, 4, "{b}: each request's response warning is marked");
            let after = timers_of(&a).await;
            assert_eq!(
                after,
                before - 4,
                "{b}: only the fired warnings left; every other timer stays"
            );
            for &id in &ids {
                let t = other.ticket(&centre, id).await.expect("seen").value.clone();
                assert_eq!(t.status, TicketStatus::Dispatched, "{b}");
                assert_eq!(t.alarms.len(), 1, "{b}: the warning is on record: {:?}", t.alarms);
            }
            // The overdue point passes; B fires that, and the requests go overdue and are supervised.
            let fired = other
                .fire_due_timers(at("2026-03-02T11:30:00"))
                .await
                .expect("fire on B");
            assert_eq!(fired, 4, "{b}");
            for &id in &ids {
                let t = a.ticket(&centre, id).await.expect("seen on A").value.clone();
                assert!(
                    t.supervision.is_some(),
                    "{b}: overdue raises supervision, seen on A"
                );
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn configuration_changed_on_one_server_reaches_the_others() {
        for db in databases("coherent-config") {
            let b = db.backend;
            let (a, other) = (engine_on(&db), engine_on(&db));
            assert!(
                !other.refresh_config().await.expect("refresh"),
                "{b}: nothing changed yet"
            );
            let mut item = a
                .catalog()
                .items
                .iter()
                .rfind(|i| i.impl_code.as_str() == "SP-001")
                .cloned()
                .expect("item");
            item.version += 1;
            item.name = "大型商场消防安全检查（新版）".into();
            a.store()
                .raw_write(move |c| onego_store::catalog::save_item(c, &item))
                .await
                .expect("saved on A");
            let holidays = "[[year]]\nyear = 2030\nnotice = \"test\"\n[[year.holiday]]\nname = \"元旦\"\nrest = [\"2030-01-01\", \"2030-01-01\"]\nwork = []\n";
            a.store()
                .raw_write(move |c| onego_store::catalog::save_holiday_file(c, "2030", holidays, "admin", 0))
                .await
                .expect("holidays saved on A");
            assert!(
                other.refresh_config().await.expect("refresh"),
                "{b}: B sees the change"
            );
            let names: Vec<String> = other
                .catalog()
                .items
                .iter()
                .filter(|i| i.impl_code.as_str() == "SP-001")
                .map(|i| i.name.clone())
                .collect();
            assert!(names.iter().any(|n| n.contains("新版")), "{b}: {names:?}");
            let day = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).expect("date");
            assert!(
                !other.calendar().day_kind(day).value.is_working(),
                "{b}: the stored holiday file is in force on B"
            );
            assert!(!other.refresh_config().await.expect("refresh"), "{b}: once");
            // A server started later loads the stored holiday files too.
            let late = engine_on(&db);
            assert!(!late.calendar().day_kind(day).value.is_working(), "{b}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_write_ahead_log_stays_bounded_under_steady_writes() {
    let db = databases("wal").into_iter().next().expect("sqlite");
    let store = Store::open(&db.url).expect("store");
    let wal = format!("{}-wal", db.url);
    let mut largest = 0;
    // 120 MB through the log, one 512 KiB file at a time, without a pause for the checkpoint to catch up.
    for n in 0..240 {
        let data = vec![(n % 251) as u8; 512 * 1024];
        store
            .raw_write(move |c| {
                onego_store::uploads::insert(c, 1, "M-X", "x.pdf", "application/pdf", data, 0)
            })
            .await
            .expect("write");
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    assert!(
        largest < 48 * 1024 * 1024,
        "the write-ahead log reached {:.1} MB",
        largest as f64 / 1e6
    );
    assert!(
        store
            .metrics()
            .wal_resets
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_with_nul_is_refused_alike_on_both_databases_and_changes_nothing() {
    for db in databases("nul") {
        let store = Store::open(&db.url).expect("store");
        let department = onego_domain::org::Department {
            code: code("nul-dept"),
            name: "某\u{0}部门".into(),
            uscc: None,
        };
        let result = store
            .raw_write(move |c| onego_store::catalog::save_department(c, &department))
            .await;
        assert_eq!(result, Err(StoreError::InvalidText), "{}", db.backend);
        let found = store
            .raw_read(|c| c.query_one("SELECT 1 FROM departments WHERE code = 'nul-dept'", &[]))
            .await
            .expect("read");
        assert!(found.is_none(), "{}: nothing stored", db.backend);
        let looked_up = store.raw_read(|c| users::by_username(c, "a\u{0}b")).await;
        assert_eq!(
            looked_up,
            Err(StoreError::InvalidText),
            "{}: even in a lookup",
            db.backend
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_keep_to_a_daily_quota_and_orphans_are_swept() {
    for db in databases("quota") {
        let store = Store::open(&db.url).expect("store");
        let pdf = |n: usize| {
            let mut d = b"%PDF-1.4\n".to_vec();
            d.resize(n, b'x');
            ("M-X".to_owned(), "a.pdf".to_owned(), "application/pdf", d)
        };
        let now = 10 * 86_400_000;
        let ids = store
            .raw_write(move |c| onego_store::uploads::insert_all(c, 7, vec![pdf(600), pdf(300)], now, 1_000))
            .await
            .expect("within the quota");
        assert_eq!(ids.len(), 2);
        let over = store
            .raw_write(move |c| onego_store::uploads::insert_all(c, 7, vec![pdf(200)], now, 1_000))
            .await;
        assert!(
            matches!(over, Err(StoreError::Quota { .. })),
            "{}: {over:?}",
            db.backend
        );
        let tomorrow = now + 86_400_000 + 1;
        store
            .raw_write(move |c| onego_store::uploads::insert_all(c, 7, vec![pdf(200)], tomorrow, 1_000))
            .await
            .expect("a day later the quota is free again");
        // One upload is tied to a case; the others are orphans an hour later.
        let first = ids[0];
        store
            .raw_write(move |c| onego_store::uploads::attach(c, &[first], 99, 7))
            .await
            .expect("attach");
        let swept = store
            .raw_write(move |c| onego_store::housekeeping(c, tomorrow + 3_600_001))
            .await
            .expect("sweep");
        assert_eq!(swept.orphan_uploads, 2, "{}", db.backend);
        let left = store
            .raw_read(|c| onego_store::uploads::of_case(c, 99))
            .await
            .expect("read");
        assert_eq!(left, vec![first], "{}: the case keeps its file", db.backend);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_material_file_must_be_the_actors_own_upload_not_yet_tied_elsewhere() {
    for db in databases("file-refs") {
        let b = db.backend;
        let engine = engine_on(&db);
        let pdf = || {
            (
                "M-LICENCE".to_owned(),
                "l.pdf".to_owned(),
                "application/pdf",
                b"%PDF-1.4 x".to_vec(),
            )
        };
        let applicant_id = applicant().user_id;
        let mine = engine
            .store()
            .raw_write(move |c| {
                onego_store::uploads::insert_all(c, applicant_id, vec![pdf(), pdf()], 0, i64::MAX)
            })
            .await
            .expect("upload");
        let theirs = engine
            .store()
            .raw_write(move |c| onego_store::uploads::insert_all(c, 555, vec![pdf()], 0, i64::MAX))
            .await
            .expect("upload");
        let with_file = |file: i64| {
            let mut s = submission(SubjectRef::Item { code: code("SP-001") }, MALL, json!({}));
            s.materials[1].file = Some(FileRef::new(file));
            s
        };
        let err = engine
            .open_case(
                &applicant(),
                with_file(theirs[0]),
                None,
                at("2026-03-02T09:00:00"),
            )
            .await
            .expect_err("another's upload");
        assert!(err.to_string().contains("not uploaded by you"), "{b}: {err}");
        let err = engine
            .open_case(&applicant(), with_file(987_654), None, at("2026-03-02T09:00:00"))
            .await
            .expect_err("no such upload");
        assert!(err.to_string().contains("does not exist"), "{b}: {err}");
        let out = engine
            .open_case(&applicant(), with_file(mine[0]), None, at("2026-03-02T09:00:00"))
            .await
            .expect("own upload");
        let id = out.state.id;
        let tied = engine
            .store()
            .raw_read(move |c| onego_store::uploads::of_case(c, id))
            .await
            .expect("read");
        assert_eq!(tied, vec![mine[0]], "{b}: tied in the same commit");
        let err = engine
            .open_case(&applicant(), with_file(mine[0]), None, at("2026-03-02T09:05:00"))
            .await
            .expect_err("already another case's");
        assert!(
            err.to_string().contains("belongs to another application"),
            "{b}: {err}"
        );
        // Anything but an upload reference is not a file at all.
        for bad in [
            "javascript:alert(1)",
            "https://evil.example/x.pdf",
            "/uploads/abc",
            "/uploads/-3",
        ] {
            assert!(FileRef::parse(bad).is_err(), "{bad}");
            let json = serde_json::json!({"command": "supply_materials", "materials": ["M-LICENCE"], "files": {"M-LICENCE": bad}});
            assert!(serde_json::from_value::<Command>(json).is_err(), "{bad}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_lists_search_count_and_page_by_keyset_on_both_backends() {
    for db in databases("listpaging") {
        let engine = engine_on(&db);
        let b = db.backend;
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(mall_case(&engine, &format!("2026-03-02T10:0{n}:00")).await);
        }
        let all = || cases::CaseFilter::new(CaseScope::All, 2);
        let store = engine.store();
        assert_eq!(store.cases().count(all()).await.expect("count"), 3, "{b}");
        let first = store.cases().list(all()).await.expect("list");
        assert_eq!(
            first.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![ids[2], ids[1]],
            "{b}: newest first"
        );
        let last = first.last().expect("a row");
        let mut next = all();
        next.before = Some((last.submitted_at.as_millis(), last.id));
        let second = store.cases().list(next.clone()).await.expect("list");
        assert_eq!(
            second.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![ids[0]],
            "{b}: the page after"
        );
        assert_eq!(
            store.cases().count(next).await.expect("count"),
            3,
            "{b}: a count covers every page"
        );
        // By words of the title, by number, and % taken literally.
        let mut words = all();
        words.text = Some(first[0].title.chars().take(4).collect());
        assert_eq!(store.cases().count(words).await.expect("count"), 3, "{b}");
        let mut number = all();
        number.text = Some(first[0].number.clone());
        assert_eq!(store.cases().list(number).await.expect("list").len(), 1, "{b}");
        let mut percent = all();
        percent.text = Some("%".into());
        assert_eq!(
            store.cases().count(percent).await.expect("count"),
            0,
            "{b}: % matches only itself"
        );
    }
}
