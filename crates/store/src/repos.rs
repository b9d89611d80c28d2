//! The store's typed functions for everyone outside it (the web layer, the binary): one handle per
//! area — `store.cases()`, `store.tickets()`, `store.inbox()`, `store.users()`, `store.uploads()`,
//! `store.catalog()`, `store.hotline()`, `store.stats()`, `store.demo()` — each method one read or one
//! transaction on the store's own threads. No caller outside this crate holds a connection or writes
//! SQL (`tests/layers.rs` in the web crate checks).

use onego_domain::catalog::{Bundle, Catalog, ServiceItem};
use onego_domain::grid::Area;
use onego_domain::hotline::{Hotline, HotlineFile};
use onego_domain::org::{Department, TokenScope};
use onego_domain::process::ProcessDefinition;
use onego_domain::ticket::TicketTask;

use crate::aggregate::{ChainCheck, JournalRow};
use crate::case::{CaseFilter, CaseListRow};
use crate::catalog::HolidayFile;
use crate::inbox::{InboxRow, Notification};
use crate::stats::{StatsQuery, StatsRow};
use crate::ticket::{Rates, TicketFilter, TicketRow};
use crate::uploads::{NewFile, UploadInfo};
use crate::users::{LockPolicy, NewUser, TokenInfo, User};
use crate::{Store, StoreError};

type R<T> = Result<T, StoreError>;

impl Store {
    pub fn cases(&self) -> Cases<'_> {
        Cases(self)
    }
    pub fn tickets(&self) -> Tickets<'_> {
        Tickets(self)
    }
    pub fn inbox(&self) -> Inbox<'_> {
        Inbox(self)
    }
    pub fn users(&self) -> Users<'_> {
        Users(self)
    }
    pub fn uploads(&self) -> Uploads<'_> {
        Uploads(self)
    }
    pub fn catalog(&self) -> CatalogStore<'_> {
        CatalogStore(self)
    }
    pub fn hotline(&self) -> HotlineStore<'_> {
        HotlineStore(self)
    }
    pub fn stats(&self) -> Stats<'_> {
        Stats(self)
    }
    pub fn demo(&self) -> Demo<'_> {
        Demo(self)
    }
    pub fn certificates(&self) -> Certificates<'_> {
        Certificates(self)
    }
    pub fn projects(&self) -> Projects<'_> {
        Projects(self)
    }
    pub fn keys(&self) -> KeyStore<'_> {
        KeyStore(self)
    }
    pub fn outbox(&self) -> OutboxStore<'_> {
        OutboxStore(self)
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn ping(&self) -> R<()> {
        self.read(|c| c.query_one("SELECT 1", &[]).map(|_| ())).await
    }

    /// The schema version the database is at.
    pub async fn schema_version(&self) -> R<i64> {
        self.read(|c| {
            Ok(c.query_one("SELECT MAX(version) FROM schema_migrations", &[])?
                .and_then(|r| r.opt_int(0).ok().flatten())
                .unwrap_or(0))
        })
        .await
    }

    /// Removes what nothing needs any more (see [`crate::housekeeping`]).
    pub async fn sweep(&self, now: i64) -> R<crate::Swept> {
        self.write(move |c| crate::housekeeping(c, now)).await
    }

    /// The bytes the database's tables take on disk (SQLite: the file's pages; PostgreSQL: the schema's
    /// tables with their indexes and TOAST), for the benchmark's bytes per case.
    pub async fn database_bytes(&self) -> R<i64> {
        self.read(|c| {
            let sql = match c.dialect() {
                crate::Dialect::Sqlite => {
                    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
                }
                crate::Dialect::Postgres => {
                    "SELECT CAST(COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS BIGINT) FROM pg_class c \
                     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                }
            };
            Ok(c.query_one(sql, &[])?.map(|r| r.int(0)).transpose()?.unwrap_or(0))
        })
        .await
    }
}

/// Applications: lists, numbers, journals.
pub struct Cases<'s>(&'s Store);

impl Cases<'_> {
    pub async fn list(&self, f: CaseFilter) -> R<Vec<CaseListRow>> {
        self.0.read(move |c| crate::case::list(c, &f)).await
    }
    /// How many cases a filter matches over all its pages.
    pub async fn count(&self, f: CaseFilter) -> R<i64> {
        self.0.read(move |c| crate::case::count(c, &f)).await
    }
    /// The id of the case with this number.
    pub async fn id_by_number(&self, number: &str) -> R<Option<i64>> {
        let n = number.to_owned();
        self.0.read(move |c| crate::case::id_by_number(c, &n)).await
    }
    /// The name an ID number (or 统一社会信用代码) is bound to, if it has been used.
    pub async fn applicant_name(&self, key: &str) -> R<Option<String>> {
        let k = key.to_owned();
        self.0.read(move |c| crate::users::applicant_name(c, &k)).await
    }
    /// Whether any case exists yet.
    pub async fn any(&self) -> R<bool> {
        self.0
            .read(|c| Ok(c.query_one("SELECT 1 FROM cases LIMIT 1", &[])?.is_some()))
            .await
    }
    /// (cases, bytes of state and journal), for the benchmark.
    pub async fn stored_bytes(&self) -> R<(i64, i64)> {
        self.0.read(crate::case::stored_bytes).await
    }
    /// Any aggregate's journal, oldest first (callers check who may read it: `Engine::timeline`).
    pub async fn journal(&self, id: i64) -> R<Vec<JournalRow>> {
        self.0.read(move |c| crate::aggregate::journal(c, id)).await
    }
    /// Recomputes an aggregate's hash chain.
    pub async fn verify_chain(&self, id: i64) -> R<ChainCheck> {
        self.0.read(move |c| crate::aggregate::verify_chain(c, id)).await
    }
}

/// Requests: lists, numbers, rates.
pub struct Tickets<'s>(&'s Store);

impl Tickets<'_> {
    pub async fn list(&self, f: TicketFilter) -> R<Vec<TicketRow>> {
        self.0.read(move |c| crate::ticket::list_tickets(c, &f)).await
    }
    /// How many requests a filter matches over all its pages.
    pub async fn count(&self, f: TicketFilter) -> R<i64> {
        self.0.read(move |c| crate::ticket::count_tickets(c, &f)).await
    }
    pub async fn id_by_number(&self, number: &str) -> R<Option<i64>> {
        let n = number.to_owned();
        self.0
            .read(move |c| crate::ticket::ticket_id_by_number(c, &n))
            .await
    }
    /// The ids of the requests with these numbers (those that exist).
    pub async fn ids_by_numbers(&self, numbers: Vec<String>) -> R<Vec<i64>> {
        self.0
            .read(move |c| {
                numbers
                    .iter()
                    .filter_map(|n| crate::ticket::ticket_id_by_number(c, n).transpose())
                    .collect()
            })
            .await
    }
    /// Rates by lead department for requests received on days [from, to] (yyyymmdd).
    pub async fn rates(&self, from_day: i64, to_day: i64) -> R<Vec<Rates>> {
        self.0
            .read(move |c| crate::ticket::rates(c, from_day, to_day))
            .await
    }
    pub async fn any(&self) -> R<bool> {
        self.0
            .read(|c| Ok(c.query_one("SELECT 1 FROM tickets LIMIT 1", &[])?.is_some()))
            .await
    }
}

/// Work waiting on people.
pub struct Inbox<'s>(&'s Store);

impl Inbox<'_> {
    /// A department's open tasks, the most urgent first; with `only`, just that kind of request task.
    pub async fn tasks(
        &self,
        department: &str,
        only: Option<TicketTask>,
        limit: i64,
        offset: i64,
    ) -> R<Vec<InboxRow>> {
        let d = department.to_owned();
        self.0
            .read(move |c| crate::inbox::inbox(c, &d, only, limit, offset))
            .await
    }
    /// A person's notifications and their department's.
    pub async fn notifications(
        &self,
        user_id: i64,
        department: Option<String>,
        limit: i64,
    ) -> R<Vec<Notification>> {
        self.0
            .read(move |c| crate::inbox::notifications(c, user_id, department.as_deref(), limit))
            .await
    }
}

/// Accounts, sessions, tokens and log-in failures.
pub struct Users<'s>(&'s Store);

impl Users<'_> {
    /// Adds a user; the password is hashed (argon2) on a blocking thread first.
    pub async fn add(&self, new: NewUser, now: i64) -> R<User> {
        let password = new.password.clone();
        let hash = tokio::task::spawn_blocking(move || crate::users::hash_password(&password))
            .await
            .map_err(|e| StoreError::Data(e.to_string()))??;
        self.0
            .write(move |c| crate::users::insert(c, &new, &hash, now))
            .await
    }
    /// A user and their password hash.
    pub async fn by_username(&self, username: &str) -> R<Option<(User, String)>> {
        let u = username.to_owned();
        self.0.read(move |c| crate::users::by_username(c, &u)).await
    }
    pub async fn list(&self) -> R<Vec<User>> {
        self.0.read(crate::users::list).await
    }
    pub async fn create_session(
        &self,
        user_id: i64,
        token: String,
        csrf: String,
        now: i64,
        ttl_ms: i64,
    ) -> R<()> {
        self.0
            .write(move |c| crate::users::create_session(c, user_id, &token, &csrf, now, ttl_ms))
            .await
    }
    /// The user behind a live session, with its CSRF token.
    pub async fn session_user(&self, token: String, now: i64) -> R<Option<(User, String)>> {
        self.0
            .read(move |c| crate::users::session_user(c, &token, now))
            .await
    }
    pub async fn delete_session(&self, token: String) -> R<()> {
        self.0
            .write(move |c| crate::users::delete_session(c, &token))
            .await
    }
    /// Opens a session after a successful log-in, forgetting the account's failures.
    pub async fn logged_in(
        &self,
        account_key: String,
        user_id: i64,
        token: String,
        csrf: String,
        now: i64,
        ttl_ms: i64,
    ) -> R<()> {
        self.0
            .write(move |c| {
                crate::users::clear_failures(c, &account_key)?;
                crate::users::create_session(c, user_id, &token, &csrf, now, ttl_ms)
            })
            .await
    }
    /// Until when the first of these keys is locked, if any is.
    pub async fn locked_until(&self, keys: Vec<String>, now: i64) -> R<Option<i64>> {
        self.0
            .read(move |c| crate::users::locked_until(c, &keys, now))
            .await
    }
    /// Counts a failed log-in against each (key, policy); returns until when any is now locked.
    pub async fn record_failures(&self, keys: Vec<(String, LockPolicy)>, now: i64) -> R<Option<i64>> {
        self.0
            .write(move |c| {
                let mut until = None;
                for (k, p) in &keys {
                    until = until.max(crate::users::record_failure(c, k, *p, now)?);
                }
                Ok(until)
            })
            .await
    }
    /// Stores a new token's hash and returns it as listed.
    pub async fn create_token(
        &self,
        user_id: i64,
        name: String,
        token: String,
        scope: TokenScope,
        expires_at: i64,
        now: i64,
    ) -> R<Option<TokenInfo>> {
        self.0
            .write(move |c| {
                let id = crate::users::create_api_token(c, user_id, &name, &token, scope, expires_at, now)?;
                crate::users::token(c, id)
            })
            .await
    }
    /// The user behind a live token, with the token.
    pub async fn token_user(&self, token: String, now: i64) -> R<Option<(User, TokenInfo)>> {
        self.0
            .read(move |c| crate::users::api_token_user(c, &token, now))
            .await
    }
    pub async fn token(&self, id: i64) -> R<Option<TokenInfo>> {
        self.0.read(move |c| crate::users::token(c, id)).await
    }
    /// One user's tokens, or everyone's (`None`).
    pub async fn tokens(&self, user_id: Option<i64>) -> R<Vec<TokenInfo>> {
        self.0.read(move |c| crate::users::list_tokens(c, user_id)).await
    }
    /// Issues `token` to `username` under `name`, revoking what was issued under that name before (the
    /// demo's Open311 key: only the one printed at the latest start works).
    pub async fn renew_named_token(
        &self,
        username: String,
        name: String,
        token: String,
        scope: TokenScope,
        expires_at: i64,
        now: i64,
    ) -> R<()> {
        self.0
            .write(move |c| {
                let (user, _) = crate::users::by_username(c, &username)?
                    .ok_or_else(|| StoreError::Data(format!("the user {username} is missing")))?;
                for old in crate::users::list_tokens(c, Some(user.id))? {
                    if old.name == name {
                        crate::users::revoke_token(c, old.id, now)?;
                    }
                }
                crate::users::create_api_token(c, user.id, &name, &token, scope, expires_at, now).map(|_| ())
            })
            .await
    }
    pub async fn revoke_token(&self, id: i64, now: i64) -> R<bool> {
        self.0
            .write(move |c| crate::users::revoke_token(c, id, now))
            .await
    }
    pub async fn touch_token(&self, id: i64, now: i64) -> R<()> {
        self.0.write(move |c| crate::users::touch_token(c, id, now)).await
    }
}

/// Uploaded files.
pub struct Uploads<'s>(&'s Store);

impl Uploads<'_> {
    /// Stores checked files for `owner`, all or none, within `quota` bytes per 24 hours.
    pub async fn store_all(&self, owner: i64, files: Vec<NewFile>, now: i64, quota: i64) -> R<Vec<i64>> {
        self.0
            .write(move |c| crate::uploads::insert_all(c, owner, files, now, quota))
            .await
    }
    pub async fn info(&self, id: i64) -> R<Option<UploadInfo>> {
        self.0.read(move |c| crate::uploads::info(c, id)).await
    }
    pub async fn data(&self, id: i64) -> R<Option<Vec<u8>>> {
        self.0.read(move |c| crate::uploads::data(c, id)).await
    }
    /// The uploads tied to an aggregate, oldest first.
    pub async fn of(&self, aggregate_id: i64) -> R<Vec<i64>> {
        self.0
            .read(move |c| crate::uploads::of_case(c, aggregate_id))
            .await
    }
    /// The first upload of each of these aggregates (those with any).
    pub async fn first_of(&self, ids: Vec<i64>) -> R<std::collections::HashMap<i64, i64>> {
        self.0
            .read(move |c| crate::uploads::first_of_cases(c, &ids))
            .await
    }
    /// Removes an owner's uploads no aggregate holds (the command they came with was refused).
    pub async fn discard(&self, owner: i64, ids: Vec<i64>) -> R<()> {
        self.0
            .write(move |c| crate::uploads::delete_unattached(c, owner, &ids))
            .await
    }
}

/// The catalog: departments, items, bundles, processes, holiday files.
pub struct CatalogStore<'s>(&'s Store);

impl CatalogStore<'_> {
    pub async fn load(&self) -> R<Catalog> {
        self.0.read(crate::catalog::load).await
    }
    pub async fn is_empty(&self) -> R<bool> {
        self.0.read(crate::catalog::is_empty).await
    }
    pub async fn save_department(&self, d: Department) -> R<()> {
        self.0
            .write(move |c| crate::catalog::save_department(c, &d))
            .await
    }
    pub async fn save_baseline(&self, b: onego_domain::reform::Baseline) -> R<()> {
        self.0.write(move |c| crate::catalog::save_baseline(c, &b)).await
    }
    pub async fn save_item(&self, item: ServiceItem) -> R<()> {
        self.0.write(move |c| crate::catalog::save_item(c, &item)).await
    }
    pub async fn save_bundle(&self, b: Bundle) -> R<()> {
        self.0.write(move |c| crate::catalog::save_bundle(c, &b)).await
    }
    pub async fn save_process(&self, p: ProcessDefinition, now: i64) -> R<()> {
        self.0
            .write(move |c| crate::catalog::save_process(c, &p, now))
            .await
    }
    pub async fn save_holiday_file(&self, name: String, source: String, by: String, now: i64) -> R<()> {
        self.0
            .write(move |c| crate::catalog::save_holiday_file(c, &name, &source, &by, now))
            .await
    }
    pub async fn holiday_files(&self) -> R<Vec<HolidayFile>> {
        self.0.read(crate::catalog::holiday_files).await
    }
}

/// The hotline's data.
pub struct HotlineStore<'s>(&'s Store);

impl HotlineStore<'_> {
    pub async fn load(&self) -> R<Hotline> {
        self.0.read(crate::hotline::load_hotline).await
    }
    pub async fn save(&self, file: HotlineFile) -> R<()> {
        self.0
            .write(move |c| crate::hotline::save_hotline(c, &file))
            .await
    }
    pub async fn save_areas(&self, areas: Vec<Area>) -> R<()> {
        self.0.write(move |c| crate::hotline::save_areas(c, &areas)).await
    }
    /// Whether any category is stored yet.
    pub async fn is_empty(&self) -> R<bool> {
        self.0
            .read(|c| {
                Ok(c.query_one("SELECT 1 FROM ticket_categories LIMIT 1", &[])?
                    .is_none())
            })
            .await
    }
    /// Past dispatches to learn routing from: (content, category, lead), oldest first.
    pub async fn past_dispatches(&self, limit: i64) -> R<Vec<(String, String, String)>> {
        self.0
            .read(move |c| crate::routing::past_dispatches(c, limit))
            .await
    }
}

/// Statistics of applications.
pub struct Stats<'s>(&'s Store);

impl Stats<'_> {
    pub async fn query(&self, q: StatsQuery) -> R<Vec<StatsRow>> {
        self.0.read(move |c| crate::stats::query(c, &q)).await
    }
}

/// The demo city.
pub struct Demo<'s>(&'s Store);

impl Demo<'_> {
    pub async fn marker(&self) -> R<crate::demo::Marker> {
        self.0.read(crate::demo::marker).await
    }
    pub async fn mark(&self) -> R<()> {
        self.0.write(crate::demo::mark).await
    }
    /// Loads the demo catalog (departments, items, bundles, processes).
    pub async fn load_catalog(&self) -> R<()> {
        let catalog = crate::demo::catalog()?;
        self.0
            .write(move |c| crate::demo::save_catalog(c, &catalog))
            .await
    }
    /// The demo city's key secret: kept in the demo's own database (made at its first start), so its
    /// certificates stay issuable across restarts without `--key-secret`. Only for demo mode.
    pub async fn key_secret(&self) -> R<String> {
        let fresh = crate::users::new_token();
        self.0
            .write(move |c| {
                if let Some(r) =
                    c.query_one("SELECT value FROM demo_secrets WHERE name = 'key_secret'", &[])?
                {
                    return r.text(0);
                }
                c.execute(
                    "INSERT INTO demo_secrets (name, value) VALUES ('key_secret', $1)",
                    &[fresh.clone().into()],
                )?;
                Ok(fresh)
            })
            .await
    }
    /// Loads the demo hotline categories, SLA profiles and grid areas.
    pub async fn load_hotline(&self) -> R<()> {
        self.0.write(crate::demo::save_hotline).await
    }
    /// Creates the demo users that are missing and gives every one of them `password`.
    pub async fn ensure_users(&self, users: Vec<NewUser>, password: String) -> R<()> {
        let hash = tokio::task::spawn_blocking(move || crate::users::hash_password(&password))
            .await
            .map_err(|e| StoreError::Data(e.to_string()))??;
        self.0
            .write(move |c| crate::demo::ensure_users(c, &users, &hash, crate::now_millis()))
            .await
    }
}

/// The outbox: delivery of e-mail and SMS (see [`crate::outbox`]).
pub struct OutboxStore<'s>(&'s Store);

impl OutboxStore<'_> {
    pub async fn set_channels(&self, email: bool, sms: bool) -> R<()> {
        self.0
            .write(move |c| crate::outbox::set_channels(c, email, sms))
            .await
    }
    pub async fn channels(&self) -> R<Vec<crate::outbox::Channel>> {
        self.0.read(crate::outbox::enabled_channels).await
    }
    pub async fn claim(
        &self,
        owner: &str,
        channels: Vec<crate::outbox::Channel>,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> R<Vec<crate::outbox::Message>> {
        let owner = owner.to_owned();
        self.0
            .write(move |c| crate::outbox::claim(c, &owner, &channels, now, lease_ms, limit))
            .await
    }
    pub async fn record(&self, id: i64, owner: &str, now: i64, outcome: crate::outbox::Outcome) -> R<bool> {
        let owner = owner.to_owned();
        self.0
            .write(move |c| crate::outbox::record(c, id, &owner, now, &outcome))
            .await
    }
    pub async fn resend(&self, id: i64, now: i64) -> R<bool> {
        self.0.write(move |c| crate::outbox::resend(c, id, now)).await
    }
    pub async fn list(
        &self,
        status: Option<crate::outbox::Status>,
        limit: i64,
    ) -> R<Vec<crate::outbox::Message>> {
        self.0.read(move |c| crate::outbox::list(c, status, limit)).await
    }
    pub async fn get(&self, id: i64) -> R<Option<crate::outbox::Message>> {
        self.0.read(move |c| crate::outbox::get(c, id)).await
    }
    pub async fn attempts(&self, id: i64) -> R<Vec<crate::outbox::Attempt>> {
        self.0.read(move |c| crate::outbox::attempts(c, id)).await
    }
    pub async fn figures(&self, now: i64) -> R<crate::outbox::Figures> {
        self.0.read(move |c| crate::outbox::figures(c, now)).await
    }
    pub async fn templates(&self) -> R<Vec<crate::outbox::TemplateRow>> {
        self.0.read(crate::outbox::templates).await
    }
    pub async fn save_template(&self, t: crate::outbox::TemplateRow) -> R<()> {
        self.0.write(move |c| crate::outbox::save_template(c, &t)).await
    }
    pub async fn enqueue(
        &self,
        kind: &str,
        channel: crate::outbox::Channel,
        to: &str,
        params: Vec<(String, String)>,
        now: i64,
    ) -> R<i64> {
        let (kind, to) = (kind.to_owned(), to.to_owned());
        self.0
            .write(move |c| crate::outbox::enqueue(c, &kind, channel, &to, &params, now))
            .await
    }
    pub async fn set_contact(&self, user_id: i64, contact: crate::outbox::Contact) -> R<bool> {
        self.0
            .write(move |c| crate::outbox::set_contact(c, user_id, &contact))
            .await
    }
    pub async fn contact(&self, user_id: i64) -> R<Option<crate::outbox::Contact>> {
        self.0.read(move |c| crate::outbox::contact(c, user_id)).await
    }
}

/// The issuing bodies' key pairs (see [`crate::keys`]).
pub struct KeyStore<'s>(&'s Store);

impl KeyStore<'_> {
    /// The department's current signing key, made on first use: its id and private key.
    pub async fn current(
        &self,
        department: &str,
        master: &crate::keys::MasterKey,
        now: i64,
    ) -> R<(i64, [u8; 32])> {
        // Read on the readers; the writer is asked only when the department has no key yet.
        let (d, m) = (department.to_owned(), master.clone());
        if let Some(found) = self.0.read(move |c| crate::keys::find_current(c, &d, &m)).await? {
            return Ok(found);
        }
        let (department, master) = (department.to_owned(), master.clone());
        self.0
            .write(move |c| crate::keys::current(c, &department, &master, now))
            .await
    }
    /// Retires the department's keys and makes a new one.
    pub async fn rotate(&self, department: &str, master: &crate::keys::MasterKey, now: i64) -> R<i64> {
        let (department, master) = (department.to_owned(), master.clone());
        self.0
            .write(move |c| crate::keys::rotate(c, &department, &master, now))
            .await
    }
    /// Every key of a department, retired ones included.
    pub async fn all(&self, department: &str) -> R<Vec<crate::keys::IssuerKey>> {
        let department = department.to_owned();
        self.0.read(move |c| crate::keys::all(c, &department)).await
    }
}

/// Major projects: lookups beside the engine (see [`crate::project`]).
pub struct Projects<'s>(&'s Store);

impl Projects<'_> {
    /// Whether any project exists (the demo records its own once).
    pub async fn any(&self) -> R<bool> {
        self.0
            .read(|c| Ok(c.query_one("SELECT 1 FROM projects LIMIT 1", &[])?.is_some()))
            .await
    }
}

/// Certificates: lookups beside the engine (see [`crate::certificate`]).
pub struct Certificates<'s>(&'s Store);

impl Certificates<'_> {
    /// Whether any certificate exists (the demo issues its own once).
    pub async fn any(&self) -> R<bool> {
        self.0
            .read(|c| Ok(c.query_one("SELECT 1 FROM certificates LIMIT 1", &[])?.is_some()))
            .await
    }
    pub async fn of_holder(&self, holder_key: &str) -> R<Vec<onego_domain::certificate::Certificate>> {
        let key = holder_key.to_owned();
        self.0.read(move |c| crate::certificate::of_holder(c, &key)).await
    }
    pub async fn by_identifier(&self, identifier: &str) -> R<Option<onego_domain::certificate::Certificate>> {
        let identifier = identifier.to_owned();
        self.0
            .read(move |c| crate::certificate::by_identifier(c, &identifier))
            .await
    }
}
