//! One onego server (router and state) over a test database, and a client that speaks to it as the
//! API's callers and the browser do: JSON with a session and CSRF token, pages, forms and multipart.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use onego_calendar::WorkingCalendar;
use onego_store::engine::{Engine, EngineConfig};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::actors::PASSWORD;
use crate::db::TestDb;
use crate::seed::seeded_store;

/// A logged-in API client: its cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// One onego server (router and state) over a test database.
pub struct App {
    pub router: Router,
    pub state: onego_web::AppState,
    _db: Arc<TestDb>,
}

impl App {
    /// A server on a fresh SQLite database.
    pub fn new(name: &str) -> App {
        App::on(Arc::new(TestDb::sqlite(&format!("web-{name}"))))
    }

    /// Another server on the same database (its own store, engine and cache).
    pub fn on(db: Arc<TestDb>) -> App {
        let store = seeded_store(&db);
        let engine = Engine::new(store, WorkingCalendar::default(), EngineConfig::default()).expect("engine");
        engine.set_master_key(crate::commands::master_key());
        let state = onego_web::AppState::new(Arc::new(engine));
        App {
            router: onego_web::router(state.clone()),
            state,
            _db: db,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, Value, HeaderMap) {
        let (status, bytes, headers) = self.raw(req).await;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, body, headers)
    }

    pub async fn raw(&self, req: Request<Body>) -> (StatusCode, Vec<u8>, HeaderMap) {
        let res = self.router.clone().oneshot(req).await.expect("response");
        let (status, headers) = (res.status(), res.headers().clone());
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        (status, bytes.to_vec(), headers)
    }

    pub async fn get(&self, path: &str, who: Option<&Session>) -> (StatusCode, Value) {
        let mut req = Request::get(path);
        if let Some(s) = who {
            req = req.header(header::COOKIE, &s.cookie);
        }
        let (s, b, _) = self.send(req.body(Body::empty()).expect("request")).await;
        (s, b)
    }

    pub async fn post(&self, path: &str, who: Option<&Session>, body: Value) -> (StatusCode, Value) {
        self.send_json("POST", path, who, body).await
    }

    pub async fn send_json(
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
    pub async fn login(&self, username: &str) -> Session {
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
    pub async fn page(&self, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
        let mut req = Request::get(path);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let (s, b, _) = self.raw(req.body(Body::empty()).expect("request")).await;
        (s, String::from_utf8_lossy(&b).into_owned())
    }

    /// Posts a form as a browser would.
    pub async fn form(
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
    pub async fn page_login(&self, username: &str) -> String {
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
    pub async fn multipart(
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
    pub async fn upload_count(&self) -> i64 {
        self.state
            .engine
            .store()
            .raw_read(|c| c.query_one("SELECT COUNT(*) FROM uploads", &[]))
            .await
            .expect("count")
            .map(|r| r.int(0).expect("int"))
            .unwrap_or(0)
    }

    /// The CSRF token a page's forms carry for this session cookie.
    pub async fn csrf_of(&self, cookie: &str) -> String {
        let (_, page) = self.page("/tokens", Some(cookie)).await;
        page.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a form with a csrf field")
            .to_owned()
    }
}
