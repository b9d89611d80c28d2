//! What every web test needs: a seeded temporary database (SQLite, or a PostgreSQL schema), the router
//! over it, and a client that logs in through the API or the pages.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use onego_calendar::WorkingCalendar;
use onego_domain::org::Role;
use onego_domain::values::{ApplicantId, Code, ResidentId, Uscc};
use onego_store::engine::{Engine, EngineConfig};
use onego_store::users::{self, NewUser};
use onego_store::{Store, demo};
use serde_json::{Value, json};
use tower::ServiceExt;

pub(crate) const PASSWORD: &str = "correct-horse-1";

/// The demo applicant's resident ID, name and phone: the personal data the privacy tests look for.
pub(crate) const PERSON_ID: &str = "11010519491231002X";
pub(crate) const ENTERPRISE_ID: &str = "91371700MA3C5X1B29";

/// A temporary database, removed when the last app using it is dropped.
pub(crate) struct TestDb {
    pub(crate) url: String,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub(crate) fn sqlite(name: &str) -> TestDb {
        let path = std::env::temp_dir()
            .join(format!("onego-web-{name}-{}.sqlite", std::process::id()))
            .to_string_lossy()
            .into_owned();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
        TestDb { url: path, pg: None }
    }

    /// A fresh schema on the test PostgreSQL; `None` (with a note) when it cannot be reached, unless
    /// ONEGO_REQUIRE_DATABASE says it must be.
    pub(crate) fn postgres(name: &str) -> Option<TestDb> {
        let base = std::env::var("ONEGO_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("w_{}_{}", name.replace('-', "_"), std::process::id());
        let (b, s) = (base.clone(), schema.clone());
        let created = std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&b, postgres::NoTls)?;
            c.batch_execute(&format!("DROP SCHEMA IF EXISTS {s} CASCADE; CREATE SCHEMA {s}"))
        })
        .join()
        .expect("setup thread");
        match created {
            Ok(()) => {
                let sep = if base.contains('?') { '&' } else { '?' };
                Some(TestDb {
                    url: format!("{base}{sep}options=-csearch_path%3D{schema}"),
                    pg: Some((base, schema)),
                })
            }
            Err(e) if std::env::var("ONEGO_REQUIRE_DATABASE").is_ok() => {
                panic!("PostgreSQL at {base} is required (ONEGO_REQUIRE_DATABASE) but cannot be reached: {e}")
            }
            Err(e) => {
                eprintln!("skipped: PostgreSQL half of {name} ({base} unreachable: {e})");
                None
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self.pg.clone() {
            Some((base, schema)) => {
                let _ = std::thread::spawn(move || {
                    if let Ok(mut c) = postgres::Client::connect(&base, postgres::NoTls) {
                        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                    }
                })
                .join();
            }
            None => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.url));
                }
            }
        }
    }
}

/// Every role of the demo city, with the department each works in.
pub(crate) const USERS: &[(&str, Role, Option<&str>)] = &[
    ("zhangsan", Role::Applicant, None),
    ("lisi", Role::Applicant, None),
    ("acme", Role::Applicant, None),
    ("window1", Role::Clerk, None),
    ("approval1", Role::Approver, Some("approval")),
    ("market1", Role::Approver, Some("market")),
    ("fire1", Role::Approver, Some("fire")),
    ("fire-chief", Role::Supervisor, Some("fire")),
    ("housing1", Role::Approver, Some("housing")),
    ("tax1", Role::Approver, Some("tax")),
    ("leader", Role::Leader, None),
    ("admin", Role::Admin, None),
    ("operator1", Role::Operator, None),
    ("dispatcher", Role::Dispatcher, Some("hotline")),
    ("urban1", Role::Approver, Some("urban")),
    ("grid1", Role::GridMember, Some("zhonghua-1")),
];

/// The display name of a test user: personal data the privacy tests can find in any answer.
pub(crate) fn display_name(username: &str) -> String {
    match username {
        "zhangsan" => "张三丰".into(),
        "lisi" => "李四光".into(),
        "acme" => "菏泽蓝天餐饮有限公司".into(),
        other => format!("{other} 的名字"),
    }
}

pub(crate) fn mobile_of(username: &str) -> &'static str {
    match username {
        "zhangsan" => "13812345678",
        "lisi" => "13955551234",
        _ => "13700000000",
    }
}

/// Opens the store, loads the demo catalog and hotline data when missing, and adds the users.
pub(crate) fn seeded_store(db: &TestDb) -> Store {
    let store = Store::open(&db.url).expect("store");
    if store.read_blocking(onego_store::catalog::is_empty).expect("read") {
        let catalog = demo::catalog().expect("catalog");
        store
            .write_blocking(move |c| demo::save_catalog(c, &catalog))
            .expect("save");
        store.write_blocking(demo::save_hotline).expect("hotline");
        let hash = users::hash_password(PASSWORD).expect("hash");
        for &(username, role, dept) in USERS {
            let applicant = match username {
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
            };
            let new = NewUser {
                username: username.into(),
                name: display_name(username),
                role,
                department: dept.map(|d| Code::parse(d).expect("code")),
                applicant,
                mobile: Some(mobile_of(username).into()),
                password: PASSWORD.into(),
            };
            let h = hash.clone();
            store
                .write_blocking(move |c| users::insert(c, &new, &h, 0))
                .expect("user");
        }
    }
    store
}

/// A logged-in API client: its cookie and CSRF token.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

/// One onego server (router and state) over a test database.
pub(crate) struct App {
    pub(crate) router: Router,
    pub(crate) state: onego_web::AppState,
    _db: Arc<TestDb>,
}

impl App {
    /// A server on a fresh SQLite database.
    pub(crate) fn new(name: &str) -> App {
        App::on(Arc::new(TestDb::sqlite(name)))
    }

    /// Another server on the same database (its own store, engine and cache).
    pub(crate) fn on(db: Arc<TestDb>) -> App {
        let store = seeded_store(&db);
        let engine = Engine::new(store, WorkingCalendar::default(), EngineConfig::default()).expect("engine");
        let state = onego_web::AppState::new(Arc::new(engine));
        App {
            router: onego_web::router(state.clone()),
            state,
            _db: db,
        }
    }

    pub(crate) async fn send(&self, req: Request<Body>) -> (StatusCode, Value, HeaderMap) {
        let (status, bytes, headers) = self.raw(req).await;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, body, headers)
    }

    pub(crate) async fn raw(&self, req: Request<Body>) -> (StatusCode, Vec<u8>, HeaderMap) {
        let res = self.router.clone().oneshot(req).await.expect("response");
        let (status, headers) = (res.status(), res.headers().clone());
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        (status, bytes.to_vec(), headers)
    }

    pub(crate) async fn get(&self, path: &str, who: Option<&Session>) -> (StatusCode, Value) {
        let mut req = Request::get(path);
        if let Some(s) = who {
            req = req.header(header::COOKIE, &s.cookie);
        }
        let (s, b, _) = self.send(req.body(Body::empty()).expect("request")).await;
        (s, b)
    }

    pub(crate) async fn post(&self, path: &str, who: Option<&Session>, body: Value) -> (StatusCode, Value) {
        self.send_json("POST", path, who, body).await
    }

    pub(crate) async fn send_json(
        &self,
        method: &str,
        path: &str,
        who: Option<&Session>,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(s) = who {
            req = req
                .header(header::COOKIE, &s.cookie)
                .header("x-csrf-token", &s.csrf);
        }
        let (s, b, _) = self
            .send(req.body(Body::from(body.to_string())).expect("request"))
            .await;
        (s, b)
    }

    /// Logs in through the API.
    pub(crate) async fn login(&self, username: &str) -> Session {
        let req = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"username": username, "password": PASSWORD}).to_string(),
            ))
            .expect("request");
        let (status, body, headers) = self.send(req).await;
        assert_eq!(status, StatusCode::OK, "{username}: {body}");
        let set = headers
            .get(header::SET_COOKIE)
            .expect("cookie")
            .to_str()
            .expect("text");
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
        Session {
            cookie: set.split(';').next().expect("pair").to_owned(),
            csrf: body["csrf"].as_str().expect("csrf").to_owned(),
        }
    }

    /// A page as text.
    pub(crate) async fn page(&self, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
        let mut req = Request::get(path);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let (s, b, _) = self.raw(req.body(Body::empty()).expect("request")).await;
        (s, String::from_utf8_lossy(&b).into_owned())
    }

    /// Posts a form as a browser would.
    pub(crate) async fn form(
        &self,
        path: &str,
        cookie: Option<&str>,
        body: &str,
    ) -> (StatusCode, String, HeaderMap) {
        let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let (s, b, h) = self
            .raw(req.body(Body::from(body.to_owned())).expect("request"))
            .await;
        (s, String::from_utf8_lossy(&b).into_owned(), h)
    }

    /// Logs in through the login page; returns the session cookie.
    pub(crate) async fn page_login(&self, username: &str) -> String {
        let (status, _, headers) = self
            .form(
                "/login",
                None,
                &format!("username={username}&password={PASSWORD}&next="),
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{username} logs in");
        headers
            .get(header::SET_COOKIE)
            .expect("cookie")
            .to_str()
            .expect("text")
            .split(';')
            .next()
            .expect("pair")
            .to_owned()
    }

    /// Posts a multipart form (text fields, then files as (field, file name, bytes)).
    pub(crate) async fn multipart(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> (StatusCode, String) {
        let boundary = "onego-test-boundary-7f3a";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        for (field, name, data) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = Request::post(path).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let (s, b, _) = self.raw(req.body(Body::from(body)).expect("request")).await;
        (s, String::from_utf8_lossy(&b).into_owned())
    }

    /// How many uploads the database holds.
    pub(crate) async fn upload_count(&self) -> i64 {
        self.state
            .engine
            .store()
            .read(|c| c.query_one("SELECT COUNT(*) FROM uploads", &[]))
            .await
            .expect("count")
            .map(|r| r.int(0).expect("int"))
            .unwrap_or(0)
    }

    /// The CSRF token a page's forms carry for this session cookie.
    pub(crate) async fn csrf_of(&self, cookie: &str) -> String {
        let (_, page) = self.page("/tokens", Some(cookie)).await;
        page.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a form with a csrf field")
            .to_owned()
    }
}
