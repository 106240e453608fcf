//! Storage: sqlx `Any` over SQLite (embedded default) or PostgreSQL, with migrations per backend.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (expected sqlite: or postgres:)")]
    UnsupportedUrl,
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("media file: {0}")]
    Io(#[from] std::io::Error),
}

/// Which database the pool talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pool.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects and runs the migrations.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl);
        };
        let max = match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 16,
        };
        // A SQLite file is created when missing unless the URL says otherwise.
        let url = if backend == Backend::Sqlite && !url.contains("mode=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_string()
        };
        let pool = AnyPoolOptions::new().max_connections(max).connect(&url).await?;
        match backend {
            Backend::Sqlite => {
                // WAL: readers do not block the writer; a committed transaction survives a killed
                // process.
                sqlx::query("PRAGMA journal_mode=WAL").execute(&pool).await?;
                SQLITE_MIGRATIONS.run(&pool).await?;
            }
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Db { pool, backend })
    }

    pub async fn begin(&self) -> Result<Transaction<'static, Any>, DbError> {
        Ok(self.pool.begin().await?)
    }
}

/// A row of `sessions`.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub id: String,
    pub integration: String,
    pub status: String,
    pub session_token: String,
    pub vendor_data: Option<String>,
    pub callback: Option<String>,
    pub request_json: String,
    pub decision_json: Option<String>,
    pub chip_json: Option<String>,
    pub checks_json: Option<String>,
    pub current_attempt: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub started_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub decided_at: Option<i64>,
}

pub const SESSION_COLUMNS: &str = "id, integration, status, session_token, vendor_data, callback, request_json, \
decision_json, chip_json, checks_json, current_attempt, created_at, updated_at, started_at, submitted_at, decided_at";

impl SessionRow {
    pub fn from_row(r: &AnyRow) -> Result<SessionRow, DbError> {
        Ok(SessionRow {
            id: r.try_get("id")?,
            integration: r.try_get("integration")?,
            status: r.try_get("status")?,
            session_token: r.try_get("session_token")?,
            vendor_data: r.try_get("vendor_data")?,
            callback: r.try_get("callback")?,
            request_json: r.try_get("request_json")?,
            decision_json: r.try_get("decision_json")?,
            chip_json: r.try_get("chip_json")?,
            checks_json: r.try_get("checks_json")?,
            current_attempt: r.try_get("current_attempt")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            started_at: r.try_get("started_at")?,
            submitted_at: r.try_get("submitted_at")?,
            decided_at: r.try_get("decided_at")?,
        })
    }

    /// Whether the session has a final decision (no more chip results accepted).
    pub fn is_final(&self) -> bool {
        matches!(self.status.as_str(), "approved" | "declined" | "expired" | "abandoned")
    }
}

pub async fn session_by(pool: &AnyPool, column: &'static str, value: &str) -> Result<Option<SessionRow>, DbError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE {column} = $1");
    let row = sqlx::query(&sql).bind(value.to_string()).fetch_optional(pool).await?;
    row.as_ref().map(SessionRow::from_row).transpose()
}

/// A row of `media` without its content.
#[derive(Clone, Debug)]
pub struct MediaRow {
    pub id: String,
    pub session_id: String,
    pub attempt_id: String,
    pub context: String,
    pub name: String,
    pub mimetype: String,
    pub size: i64,
    pub timestamp_id: String,
    pub created_at: i64,
}

pub const MEDIA_COLUMNS: &str = "id, session_id, attempt_id, context, name, mimetype, size, timestamp_id, created_at";

impl MediaRow {
    pub fn from_row(r: &AnyRow) -> Result<MediaRow, DbError> {
        Ok(MediaRow {
            id: r.try_get("id")?,
            session_id: r.try_get("session_id")?,
            attempt_id: r.try_get("attempt_id")?,
            context: r.try_get("context")?,
            name: r.try_get("name")?,
            mimetype: r.try_get("mimetype")?,
            size: r.try_get("size")?,
            timestamp_id: r.try_get("timestamp_id")?,
            created_at: r.try_get("created_at")?,
        })
    }
}

pub async fn media_where(pool: &AnyPool, column: &'static str, value: &str) -> Result<Vec<MediaRow>, DbError> {
    let sql = format!("SELECT {MEDIA_COLUMNS} FROM media WHERE {column} = $1 ORDER BY created_at, id");
    let rows = sqlx::query(&sql).bind(value.to_string()).fetch_all(pool).await?;
    rows.iter().map(MediaRow::from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_file_is_created_and_migrated_twice() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("new.sqlite3").display());
        let db = Db::connect(&url).await.unwrap();
        assert_eq!(db.backend, Backend::Sqlite);
        sqlx::query("SELECT count(*) FROM sessions")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        db.pool.close().await;
        // Reopening runs no migration twice.
        Db::connect(&url).await.unwrap();
        assert!(matches!(Db::connect("mysql://x").await, Err(DbError::UnsupportedUrl)));
    }
}
