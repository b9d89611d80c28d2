//! One SQL codebase over two backends. Statements are written once with `$1`-style placeholders; the
//! SQLite connection rewrites them to `?1` (cached per statement text). Values and rows are a small
//! common model, so repository code never names a driver.

use std::fmt;

use crate::StoreError;

/// Which database a connection talks to; the few statements that differ ask this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Int(v as i64)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

/// A result row.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn get(&self, i: usize) -> Result<&Value, StoreError> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Data(format!("column {i} is missing")))
    }

    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.get(i)? {
            Value::Int(v) => Ok(*v),
            Value::Real(v) => Ok(*v as i64),
            other => Err(StoreError::Data(format!(
                "column {i}: expected an integer, found {other:?}"
            ))),
        }
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    pub fn opt_real(&self, i: usize) -> Result<Option<f64>, StoreError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.real(i).map(Some),
        }
    }

    pub fn real(&self, i: usize) -> Result<f64, StoreError> {
        match self.get(i)? {
            Value::Int(v) => Ok(*v as f64),
            Value::Real(v) => Ok(*v),
            Value::Null => Ok(0.0),
            other => Err(StoreError::Data(format!(
                "column {i}: expected a number, found {other:?}"
            ))),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, StoreError> {
        match self.get(i)? {
            Value::Text(v) => Ok(v.clone()),
            other => Err(StoreError::Data(format!(
                "column {i}: expected text, found {other:?}"
            ))),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub fn blob(&self, i: usize) -> Result<Vec<u8>, StoreError> {
        match self.get(i)? {
            Value::Blob(v) => Ok(v.clone()),
            Value::Text(v) => Ok(v.clone().into_bytes()),
            other => Err(StoreError::Data(format!(
                "column {i}: expected bytes, found {other:?}"
            ))),
        }
    }
}

/// Refuses parameters no database may store: PostgreSQL rejects NUL in text outright, and SQLite would
/// store it but cut the text short in many functions; both backends answer the same.
fn check_params(params: &[Value]) -> Result<(), StoreError> {
    if params
        .iter()
        .any(|p| matches!(p, Value::Text(t) if t.as_bytes().contains(&0)))
    {
        return Err(StoreError::InvalidText);
    }
    Ok(())
}

/// A connection: what repository code needs of a database.
pub trait Conn: Send {
    fn dialect(&self) -> Dialect;
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Runs several statements without parameters (migrations).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;

    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// BEGIN in the form the backend wants for a writer.
    fn begin(&mut self) -> Result<(), StoreError> {
        let sql = match self.dialect() {
            // IMMEDIATE takes the write lock at once, so a second process waits instead of failing later.
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        self.batch(sql)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.batch("COMMIT")
    }

    fn rollback(&mut self) -> Result<(), StoreError> {
        self.batch("ROLLBACK")
    }
}

/// `($1, $2), ($3, $4)`: placeholders for a multi-row VALUES list starting after `offset` parameters.
pub fn values_list(rows: usize, columns: usize, offset: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(offset + r * columns + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// Most rows one multi-row statement carries, so parameters stay under both backends' limits.
pub fn rows_per_statement(columns: usize) -> usize {
    (30_000 / columns.max(1)).max(1)
}

/// Inserts many rows with as few statements as the parameter limits allow.
pub fn insert_many(
    conn: &mut dyn Conn,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), StoreError> {
    insert_many_then(conn, table, columns, rows, "")
}

/// [`insert_many`] with a clause after the values, such as ` ON CONFLICT DO NOTHING` (both backends).
pub fn insert_many_then(
    conn: &mut dyn Conn,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    then: &str,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    if conn.dialect() == Dialect::Sqlite {
        // In-process SQLite has no round trips to save; one cached single-row statement avoids
        // parsing a new multi-row statement for every batch size.
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}{then}",
            columns.join(", "),
            values_list(1, columns.len(), 0)
        );
        for row in &rows {
            conn.execute(&sql, row)?;
        }
        return Ok(());
    }
    let per = rows_per_statement(columns.len());
    let mut rows = rows;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(per));
        let chunk = std::mem::replace(&mut rows, rest);
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}{then}",
            columns.join(", "),
            values_list(chunk.len(), columns.len(), 0)
        );
        let params: Vec<Value> = chunk.into_iter().flatten().collect();
        conn.execute(&sql, &params)?;
    }
    Ok(())
}

// --- SQLite ---------------------------------------------------------------------------------------

pub struct SqliteConn {
    conn: rusqlite::Connection,
    rewritten: std::collections::HashMap<String, String>,
}

impl SqliteConn {
    pub fn open(path: &str, writer: bool) -> Result<Self, StoreError> {
        let conn =
            rusqlite::Connection::open(path).map_err(|e| StoreError::Connect(format!("{path}: {e}")))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sqlite_err)?;
        // WAL lets readers run beside the writer; FULL makes every commit durable before it is answered.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32000;",
        )
        .map_err(sqlite_err)?;
        conn.set_prepared_statement_cache_capacity(if writer { 256 } else { 64 });
        if writer {
            // The writer never checkpoints (that would stall a group commit); the store's checkpoint
            // thread does, beside it.
            // When the log starts over, its file is cut back to 64 MB if it grew beyond.
            conn.execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;")
                .map_err(sqlite_err)?;
        }
        Ok(SqliteConn {
            conn,
            rewritten: std::collections::HashMap::new(),
        })
    }

    fn rewrite(&mut self, sql: &str) -> String {
        if let Some(s) = self.rewritten.get(sql) {
            return s.clone();
        }
        let out = rewrite_placeholders(sql);
        if self.rewritten.len() > 4096 {
            self.rewritten.clear();
        }
        self.rewritten.insert(sql.to_owned(), out.clone());
        out
    }
}

/// `$12` → `?12`, outside quoted strings.
fn rewrite_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '$' && !quoted && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

fn sqlite_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
    {
        return StoreError::Constraint(e.to_string());
    }
    StoreError::Database(e.to_string())
}

/// Binds without copying: text and blobs are handed to SQLite by reference.
impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl Conn for SqliteConn {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        check_params(params)?;
        let sql = self.rewrite(sql);
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sqlite_err)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(sqlite_err)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        check_params(params)?;
        let sql = self.rewrite(sql);
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sqlite_err)?;
        let cols = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(sqlite_err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(sqlite_err)? {
            let mut vals = Vec::with_capacity(cols);
            for i in 0..cols {
                use rusqlite::types::ValueRef;
                vals.push(match r.get_ref(i).map_err(sqlite_err)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            out.push(Row(vals));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(sqlite_err)
    }
}

// --- PostgreSQL -----------------------------------------------------------------------------------

pub struct PgConn {
    client: postgres::Client,
    /// Prepared statements by text: each saves a round trip on every later use.
    statements: std::collections::HashMap<String, postgres::Statement>,
}

impl PgConn {
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let client = postgres::Client::connect(url, postgres::NoTls)
            .map_err(|e| StoreError::Connect(format!("{}: {e}", redact(url))))?;
        Ok(PgConn {
            client,
            statements: std::collections::HashMap::new(),
        })
    }

    fn prepared(&mut self, sql: &str) -> Result<postgres::Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let stmt = self.client.prepare(sql).map_err(pg_err)?;
        if self.statements.len() > 512 {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn pg_err(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        if code.starts_with("23") {
            return StoreError::Constraint(db.message().to_owned());
        }
        if code == "40001" || code == "40P01" {
            return StoreError::Conflict;
        }
        return StoreError::Database(format!("{}: {}", db.code().code(), db.message()));
    }
    StoreError::Database(e.to_string())
}

/// Binds our values to PostgreSQL's types: integers as INT8, text as TEXT, and so on; the SQL casts
/// where a column is narrower.
#[derive(Debug)]
struct PgValue<'a>(&'a Value);

impl postgres::types::ToSql for PgValue<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes_mut::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        match self.0 {
            Value::Null => Ok(postgres::types::IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT4 => (*v as i32).to_sql(ty, out),
                Type::INT2 => (*v as i16).to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Real(v) => match *ty {
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Text(v) => v.to_sql(ty, out),
            Value::Blob(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

use bytes as bytes_mut;

impl Conn for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        check_params(params)?;
        let wrapped: Vec<PgValue<'_>> = params.iter().map(PgValue).collect();
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = wrapped
            .iter()
            .map(|p| p as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let stmt = self.prepared(sql)?;
        self.client.execute(&stmt, &refs).map_err(pg_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        use postgres::types::Type;
        check_params(params)?;
        let wrapped: Vec<PgValue<'_>> = params.iter().map(PgValue).collect();
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = wrapped
            .iter()
            .map(|p| p as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let stmt = self.prepared(sql)?;
        let rows = self.client.query(&stmt, &refs).map_err(pg_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut vals = Vec::with_capacity(r.len());
            for (i, col) in r.columns().iter().enumerate() {
                let v = match *col.type_() {
                    Type::INT8 => r.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int)),
                    Type::INT4 => r
                        .try_get::<_, Option<i32>>(i)
                        .map(|v| v.map(|x| Value::Int(i64::from(x)))),
                    Type::INT2 => r
                        .try_get::<_, Option<i16>>(i)
                        .map(|v| v.map(|x| Value::Int(i64::from(x)))),
                    Type::BOOL => r
                        .try_get::<_, Option<bool>>(i)
                        .map(|v| v.map(|x| Value::Int(i64::from(x)))),
                    Type::FLOAT8 => r.try_get::<_, Option<f64>>(i).map(|v| v.map(Value::Real)),
                    Type::FLOAT4 => r
                        .try_get::<_, Option<f32>>(i)
                        .map(|v| v.map(|x| Value::Real(f64::from(x)))),
                    Type::NUMERIC => {
                        return Err(StoreError::Data(format!(
                            "column {}: cast NUMERIC to FLOAT8 in the query",
                            col.name()
                        )));
                    }
                    Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i).map(|v| v.map(Value::Blob)),
                    _ => r.try_get::<_, Option<String>>(i).map(|v| v.map(Value::Text)),
                }
                .map_err(|e| StoreError::Data(format!("column {}: {e}", col.name())))?;
                vals.push(v.unwrap_or(Value::Null));
            }
            out.push(Row(vals));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql).map_err(pg_err)
    }
}

impl fmt::Debug for SqliteConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SqliteConn")
    }
}

impl fmt::Debug for PgConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PgConn")
    }
}
