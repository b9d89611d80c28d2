//! `onego serve`: the HTTP server, the timer worker, and (with `--demo`) the demo city.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use onego_calendar::{Timestamp, WorkingCalendar};
use onego_domain::values::RegionCode;
use onego_store::Store;
use onego_store::engine::{Engine, EngineConfig};
use onego_web::AppState;

pub(crate) struct ServeArgs {
    pub db: String,
    pub bind: String,
    pub demo: bool,
    pub demo_tickets: usize,
    pub region: String,
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub key_secret: Option<String>,
    pub public_url: Option<String>,
    pub delivery: crate::notify_cmd::DeliveryArgs,
}

fn now() -> Timestamp {
    Timestamp::from_millis(onego_store::now_millis())
}

/// The name of the Open311 partner key `--demo` prints.
const DEMO_KEY_NAME: &str = "Open311 demo key";

/// Printed (and logged) every time a server starts in demo mode.
const DEMO_BANNER: &str = "\
************************************************************************************
*  DEMO MODE — NOT FOR PRODUCTION / 演示模式，严禁用于生产环境                          *
*  Every demo user shares the one password printed below, and the Open311 api_key   *
*  below is live. Anyone who sees this output can act as any user.                   *
*  Run without --demo, with users made by `onego user add`, for real work.          *
************************************************************************************";

/// A random demo password: 12 letters and digits, easy to type.
fn demo_password() -> String {
    let token = onego_store::users::new_token();
    format!("demo-{}", &token[..8])
}

/// Makes the database a demo city: refuses one with users the demo did not make, loads the catalog,
/// hotline data and users that are missing, and issues a fresh Open311 key. Returns the demo users,
/// their password and the key, to print.
async fn prepare_demo(store: &Store) -> anyhow::Result<(Vec<crate::demo::DemoUser>, String, String)> {
    let catalog_now = store.catalog().load().await?;
    if store.demo().marker().await? == onego_store::demo::Marker::None {
        let known: Vec<String> = crate::demo::demo_users(&catalog_now)
            .into_iter()
            .map(|u| u.username)
            .collect();
        let others: Vec<String> = store
            .users()
            .list()
            .await?
            .into_iter()
            .map(|u| u.username)
            .filter(|u| !known.contains(u))
            .collect();
        if !others.is_empty() {
            anyhow::bail!(
                "--demo refused: this database holds users the demo did not create ({}{}). Demo mode \
                 gives every demo user one printed password and prints a live Open311 key, so it must never \
                 run on real data. Start without --demo, or give --db a new database for the demo.",
                others.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                if others.len() > 3 { ", …" } else { "" }
            );
        }
        // An empty database, or one an earlier demo filled before it was marked.
        store.demo().mark().await?;
    }
    if store.catalog().is_empty().await? {
        store.demo().load_catalog().await?;
        println!("onego: demo catalog loaded");
    }
    if store.hotline().is_empty().await? {
        store.demo().load_hotline().await?;
        println!("onego: demo hotline categories, SLA profiles and grids loaded");
    }
    let catalog = store.catalog().load().await?;
    let password = demo_password();
    let users = crate::demo::ensure_users(store, &catalog, &password).await?;
    // A fresh Open311 api_key each start: an API token of the demo's Open311 client user.
    let key = onego_store::users::new_token();
    let now = onego_store::now_millis();
    store
        .users()
        .renew_named_token(
            "open311".into(),
            DEMO_KEY_NAME.into(),
            key.clone(),
            onego_domain::org::TokenScope::Open311,
            now + 30 * 86_400_000,
            now,
        )
        .await?;
    Ok((users, password, key))
}

pub(crate) fn run(args: ServeArgs, calendar: WorkingCalendar) -> anyhow::Result<()> {
    let region = RegionCode::parse(&args.region).map_err(anyhow::Error::msg)?;
    if let Some(url) = &args.public_url {
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or("");
        anyhow::ensure!(
            !host.is_empty() && !host.contains(['?', '#', ' ']),
            "--public-url must be an address such as https://zwfw.example.gov.cn (with http:// or https://, \
             without a query); got {url}"
        );
    }
    let store = Store::open(&args.db).with_context(|| format!("cannot open the database {}", args.db))?;
    println!("onego: database {}", store.location().describe());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    // Nothing is queued for e-mail or SMS until this server says what it delivers through (after the
    // demo city is loaded: its invented people are never texted).
    runtime.block_on(store.outbox().set_channels(false, false))?;
    // Held while the demo city is loaded, so two `--demo` servers started together on one empty
    // database load it once: the second waits, then finds it there.
    let demo_lock = if args.demo {
        Some(store.exclusive("demo")?)
    } else {
        None
    };
    let demo_users = if args.demo {
        Some(runtime.block_on(prepare_demo(&store))?)
    } else {
        None
    };
    let config = EngineConfig {
        region,
        ..EngineConfig::default()
    };
    let engine = Arc::new(Engine::new(store.clone(), calendar, config)?);
    // The key secret certificates are sealed under: given from outside, or (demo only) the demo's
    // own, kept in its database. Without one, nothing is issued (decisions still are; their
    // certificates are refused with a message naming the setting).
    let key_secret = match (&args.key_secret, args.demo) {
        (Some(s), _) => Some(s.clone()),
        (None, true) => Some(runtime.block_on(store.demo().key_secret())?),
        (None, false) => None,
    };
    match key_secret {
        Some(s) => engine.set_master_key(onego_store::keys::MasterKey::from_secret(&s)?),
        None => println!(
            "onego: no --key-secret (ONEGO_KEY_SECRET) given: electronic certificates cannot be issued"
        ),
    }
    runtime.block_on(async move {
        if args.demo {
            // Before the past cases: their approvals issue certificates too.
            if !store.certificates().any().await? {
                let n = crate::demo_certificates::seed(&engine, now()).await?;
                println!("onego: {n} demo certificates issued");
            }
            if !store.cases().any().await? {
                let zhangsan = store
                    .users()
                    .by_username("zhangsan")
                    .await?
                    .map(|(u, _)| u.id)
                    .unwrap_or(0);
                println!("onego: running past cases of the demo city through the engine …");
                let n = crate::demo::seed_cases(&engine, now(), 320, 120, zhangsan).await?;
                println!("onego: {n} past cases loaded");
            }
            // Before the projects: a project's problem whistled opens a request, and the past requests
            // are loaded only into a city that has none.
            let no_tickets = !store.tickets().any().await?;
            if no_tickets && args.demo_tickets > 0 {
                println!("onego: running past hotline requests through the engine …");
                let n =
                    crate::demo_tickets::seed_tickets(engine.clone(), now(), args.demo_tickets, 120).await?;
                println!("onego: {n} past requests loaded");
            }
            if !store.projects().any().await? {
                let yunfan = store
                    .users()
                    .by_username("yunfan")
                    .await?
                    .map(|(u, _)| u.id)
                    .unwrap_or(0);
                let n = crate::demo_projects::seed(&engine, yunfan, now()).await?;
                println!("onego: {n} demo projects recorded");
            }
        }
        drop(demo_lock);
        let trained = {
            let engine = engine.clone();
            tokio::task::spawn_blocking(move || engine.train_routing(50_000)).await??
        };
        println!("onego: routing learned from {trained} past dispatches");
        let mut state = AppState::new(engine.clone());
        state.demo = args.demo;
        state.secure_cookies = args.secure_cookies;
        state.trust_proxy = args.trust_proxy;
        state.public_url = args.public_url.clone();
        let listener = tokio::net::TcpListener::bind(&args.bind).await.with_context(|| {
            format!(
                "cannot listen on {}; is another server using it? Choose another with --bind",
                args.bind
            )
        })?;
        let addr = listener.local_addr()?;
        println!("onego: listening on http://{addr}/  (API docs: http://{addr}/api/v1/docs)");
        if let Some((users, password, key)) = &demo_users {
            println!("{DEMO_BANNER}");
            println!(
                "onego: Open311 GeoReport v2 at http://{addr}/open311/v2/discovery.json  api_key: {key}"
            );
            println!("onego: demo users (password for all: {password})");
            for u in users {
                println!(
                    "  {:<18} {:<10} {}{}",
                    u.username,
                    u.role.as_str(),
                    u.name,
                    u.department
                        .as_deref()
                        .map(|d| format!(" [{d}]"))
                        .unwrap_or_default()
                );
            }
        }
        let worker = tokio::spawn(timer_worker(state.clone()));
        // Messages are queued only for the channels this server can deliver through.
        let delivery = crate::notify_cmd::delivery(&args.delivery)?;
        engine
            .store()
            .outbox()
            .set_channels(delivery.email.is_some(), delivery.sms.is_some())
            .await?;
        let (stop_delivery, stopped) = tokio::sync::watch::channel(false);
        if !delivery.channels().is_empty() {
            println!(
                "onego: delivering messages through {}",
                [
                    delivery.email.as_ref().map(|e| format!("e-mail {}", e.described)),
                    delivery.sms.as_ref().map(|s| format!("SMS {}", s.described))
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" and ")
            );
        }
        let deliverer = tokio::spawn(onego_notify::worker::run(
            engine.store().clone(),
            delivery,
            stopped,
        ));
        let app = onego_web::router(state);
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("onego: shutting down");
        })
        .await?;
        worker.abort();
        let _ = stop_delivery.send(true);
        let _ = deliverer.await;
        Ok::<_, anyhow::Error>(())
    })
}

/// Fires due timers: every second, or sooner when the next one is due sooner. Also picks up
/// configuration another server changed (catalog, hotline data, holiday files).
async fn timer_worker(state: AppState) {
    let mut last_sweep = std::time::Instant::now();
    loop {
        if last_sweep.elapsed() >= Duration::from_secs(600) {
            last_sweep = std::time::Instant::now();
            let now_ms = onego_store::now_millis();
            match state.engine.store().sweep(now_ms).await {
                Ok(swept) if swept != onego_store::Swept::default() => {
                    tracing::info!(?swept, "housekeeping")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "housekeeping"),
            }
        }
        match state.engine.refresh_config().await {
            Ok(true) => tracing::info!("configuration changed elsewhere; reloaded"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "could not check the configuration generation"),
        }
        match state.engine.fire_due_timers(now()).await {
            Ok(n) if n > 0 => {
                state
                    .metrics
                    .timers_fired
                    .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                tracing::info!(fired = n, "timers fired");
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "timer worker"),
        }
        let wait = match state.engine.next_timer_at().await {
            Ok(Some(t)) => (t.as_millis() - now().as_millis()).clamp(50, 1_000),
            _ => 1_000,
        };
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
}
