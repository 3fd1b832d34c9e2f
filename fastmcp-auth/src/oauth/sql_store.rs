//! [`SqlStore`]: the [`Store`] on SQLite (embedded default: one file, WAL) or PostgreSQL (shared
//! by several instances), through `sqlx`'s `Any` driver with one set of portable statements.

use super::store::*;
use futures_util::future::BoxFuture;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// A SQL-backed store.
pub struct SqlStore {
    pool: AnyPool,
    postgres: bool,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(err)
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(err)
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl SqlStore {
    /// Connects: `sqlite:path/to/file.db` (created if missing; WAL journal) or `postgres://…`.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let url = if postgres || url.contains("mode=") {
            url.to_owned()
        } else {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if postgres { 10 } else { 4 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if !postgres {
                        // WAL: readers never block the writer. synchronous=NORMAL: a committed
                        // write is in the WAL file before the call returns, so it survives the
                        // process being killed; only an OS crash or power loss can lose the
                        // last commits (set `?synchronous=full` semantics with PRAGMA if needed).
                        sqlx::query("PRAGMA journal_mode=WAL").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA synchronous=NORMAL").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA busy_timeout=5000").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|e| StoreError(format!("cannot open {}: {e}", redact(&url))))?;
        Ok(SqlStore { pool, postgres })
    }

    /// True for PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres
    }
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}

const MIGRATION: &str = include_str!("../../migrations/0001_oauth.sql");

fn grant_of(row: &AnyRow, col: &str) -> StoreResult<Grant> {
    parse(&row.try_get::<String, _>(col).map_err(err)?)
}

/// A statement with its parameters bound.
type Statement<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// How a claim on a single-use credential (code, refresh token) ended.
enum Claim {
    /// This call used it: its grant and token family.
    Won(Grant, String),
    /// It had been used before; its family is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

impl SqlStore {
    /// Runs a statement for its effect.
    async fn run(&self, statement: Statement<'_>) -> StoreResult<()> {
        statement.execute(&self.pool).await.map_err(err)?;
        Ok(())
    }

    /// The row `query` finds, if any.
    async fn row(&self, query: Statement<'_>) -> StoreResult<Option<AnyRow>> {
        query.fetch_optional(&self.pool).await.map_err(err)
    }

    /// The text column `column` of the row `query` finds, if any.
    async fn text(&self, query: Statement<'_>, column: &str) -> StoreResult<Option<String>> {
        self.row(query).await?.map(|r| r.try_get::<String, _>(column).map_err(err)).transpose()
    }

    /// The JSON document in column `column` of the row `query` finds, if any.
    async fn document<T: serde::de::DeserializeOwned>(
        &self,
        query: Statement<'_>,
        column: &str,
    ) -> StoreResult<Option<T>> {
        self.text(query, column).await?.map(|t| parse(&t)).transpose()
    }

    /// Uses a single-use credential: `claim` marks it used and returns `grant_data, family` (one
    /// atomic statement decides who wins a race); otherwise `used` finds the family of one used
    /// before, which is then revoked.
    async fn claim(&self, claim: Statement<'_>, used: Statement<'_>, now: u64) -> StoreResult<Claim> {
        if let Some(row) = self.row(claim).await? {
            return Ok(Claim::Won(grant_of(&row, "grant_data")?, row.try_get("family").map_err(err)?));
        }
        match self.text(used, "family").await? {
            Some(family) => {
                self.revoke_family(&family, now).await?;
                Ok(Claim::Reused)
            }
            None => Ok(Claim::Invalid),
        }
    }
}

impl Store for SqlStore {
    fn migrate(&self) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            for statement in MIGRATION
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty() && !s.lines().all(|l| l.trim_start().starts_with("--")))
            {
                sqlx::query(statement).execute(&self.pool).await.map_err(err)?;
            }
            Ok(())
        })
    }

    fn put_client(&self, c: ClientRecord) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.run(
                sqlx::query(
                    "INSERT INTO oauth_clients (client_id, secret_hash, metadata, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(c.client_id.clone())
                .bind(c.secret_hash.clone())
                .bind(json(&c)?)
                .bind(i(c.created_at)),
            )
            .await
        })
    }

    fn get_client<'a>(&'a self, client_id: &'a str) -> BoxFuture<'a, StoreResult<Option<ClientRecord>>> {
        Box::pin(async move {
            self.document(
                sqlx::query("SELECT metadata FROM oauth_clients WHERE client_id = $1").bind(client_id),
                "metadata",
            )
            .await
        })
    }

    fn put_pending(&self, id_hash: String, request: PendingRequest, expires_at: u64) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            let upsert = "INSERT INTO oauth_pending (id_hash, request, expires_at) VALUES ($1, $2, $3) \
                          ON CONFLICT (id_hash) DO UPDATE SET request = excluded.request, expires_at = excluded.expires_at";
            self.run(sqlx::query(upsert).bind(id_hash).bind(json(&request)?).bind(i(expires_at))).await
        })
    }

    fn get_pending<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, StoreResult<Option<PendingRequest>>> {
        Box::pin(async move {
            self.document(
                sqlx::query("SELECT request FROM oauth_pending WHERE id_hash = $1 AND expires_at > $2")
                    .bind(id_hash)
                    .bind(i(crate::now_unix())),
                "request",
            )
            .await
        })
    }

    fn take_pending<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, StoreResult<Option<PendingRequest>>> {
        Box::pin(async move {
            self.document(
                sqlx::query("DELETE FROM oauth_pending WHERE id_hash = $1 AND expires_at > $2 RETURNING request")
                    .bind(id_hash)
                    .bind(i(crate::now_unix())),
                "request",
            )
            .await
        })
    }

    fn put_code(
        &self,
        code_hash: String,
        grant: Grant,
        family: String,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.run(
                sqlx::query(
                    "INSERT INTO oauth_codes (code_hash, grant_data, family, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(code_hash)
                .bind(json(&grant)?)
                .bind(family)
                .bind(i(expires_at)),
            )
            .await
        })
    }

    fn redeem_code<'a>(&'a self, code_hash: &'a str, now: u64) -> BoxFuture<'a, StoreResult<CodeRedemption>> {
        Box::pin(async move {
            let claim = sqlx::query(
                "UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                 RETURNING grant_data, family",
            )
            .bind(code_hash)
            .bind(i(now));
            let used = sqlx::query("SELECT family FROM oauth_codes WHERE code_hash = $1 AND used_at IS NOT NULL")
                .bind(code_hash);
            Ok(match self.claim(claim, used, now).await? {
                Claim::Won(grant, family) => CodeRedemption::Fresh { grant, family },
                Claim::Reused => CodeRedemption::Replayed,
                Claim::Invalid => CodeRedemption::Invalid,
            })
        })
    }

    fn put_refresh(
        &self,
        token_hash: String,
        grant: Grant,
        family: String,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.run(
            sqlx::query(
                "INSERT INTO oauth_refresh_tokens (token_hash, family, grant_data, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(family)
            .bind(json(&grant)?)
            .bind(i(expires_at)),
            )
            .await
        })
    }

    fn rotate_refresh<'a>(&'a self, token_hash: &'a str, now: u64) -> BoxFuture<'a, StoreResult<RefreshRotation>> {
        Box::pin(async move {
            let claim = sqlx::query(
                "UPDATE oauth_refresh_tokens SET rotated_at = $2 WHERE token_hash = $1 AND rotated_at IS NULL AND expires_at > $2 \
                 AND family NOT IN (SELECT family FROM oauth_families WHERE revoked_at IS NOT NULL) RETURNING grant_data, family",
            )
            .bind(token_hash)
            .bind(i(now));
            let used =
                sqlx::query("SELECT family FROM oauth_refresh_tokens WHERE token_hash = $1 AND rotated_at IS NOT NULL")
                    .bind(token_hash);
            Ok(match self.claim(claim, used, now).await? {
                Claim::Won(grant, family) => RefreshRotation::Rotated { grant, family },
                Claim::Reused => RefreshRotation::Reused,
                Claim::Invalid => RefreshRotation::Invalid,
            })
        })
    }

    fn get_refresh<'a>(&'a self, token_hash: &'a str, now: u64) -> BoxFuture<'a, StoreResult<Option<(Grant, String)>>> {
        Box::pin(async move {
            let query = sqlx::query(
                "SELECT grant_data, family FROM oauth_refresh_tokens WHERE token_hash = $1 AND rotated_at IS NULL AND expires_at > $2 \
                 AND family NOT IN (SELECT family FROM oauth_families WHERE revoked_at IS NOT NULL)",
            )
            .bind(token_hash)
            .bind(i(now));
            let row = self.row(query).await?;
            row.map(|r| Ok((grant_of(&r, "grant_data")?, r.try_get::<String, _>("family").map_err(err)?))).transpose()
        })
    }

    fn revoke_family<'a>(&'a self, family: &'a str, now: u64) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            self.run(
            sqlx::query("INSERT INTO oauth_families (family, revoked_at) VALUES ($1, $2) ON CONFLICT (family) DO UPDATE SET revoked_at = excluded.revoked_at")
                .bind(family)
                .bind(i(now)),
            )
            .await
        })
    }

    fn family_revoked<'a>(&'a self, family: &'a str) -> BoxFuture<'a, StoreResult<bool>> {
        Box::pin(async move {
            let query = sqlx::query("SELECT family FROM oauth_families WHERE family = $1 AND revoked_at IS NOT NULL")
                .bind(family);
            Ok(self.row(query).await?.is_some())
        })
    }

    fn put_consent(
        &self,
        user_id: String,
        client_id: String,
        scope: String,
        now: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.run(
            sqlx::query(
                "INSERT INTO oauth_consents (user_id, client_id, scope, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, created_at = excluded.created_at",
            )
            .bind(user_id)
            .bind(client_id)
            .bind(scope)
            .bind(i(now)),
            )
            .await
        })
    }

    fn get_consent<'a>(&'a self, user_id: &'a str, client_id: &'a str) -> BoxFuture<'a, StoreResult<Option<String>>> {
        Box::pin(async move {
            self.text(
                sqlx::query("SELECT scope FROM oauth_consents WHERE user_id = $1 AND client_id = $2")
                    .bind(user_id)
                    .bind(client_id),
                "scope",
            )
            .await
        })
    }

    fn put_key(&self, key: StoredKey) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.run(
                sqlx::query("INSERT INTO oauth_signing_keys (kid, private_key, created_at) VALUES ($1, $2, $3)")
                    .bind(key.kid)
                    .bind(key.private_key)
                    .bind(i(key.created_at)),
            )
            .await
        })
    }

    fn retire_keys_except<'a>(&'a self, kid: &'a str, now: u64) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            self.run(
                sqlx::query("UPDATE oauth_signing_keys SET retired_at = $2 WHERE kid <> $1 AND retired_at IS NULL")
                    .bind(kid)
                    .bind(i(now)),
            )
            .await
        })
    }

    fn keys(&self) -> BoxFuture<'_, StoreResult<Vec<StoredKey>>> {
        Box::pin(async move {
            let rows = sqlx::query("SELECT kid, private_key, created_at, retired_at FROM oauth_signing_keys ORDER BY created_at DESC, kid DESC")
                .fetch_all(&self.pool)
                .await
                .map_err(err)?;
            rows.iter()
                .map(|r| {
                    Ok(StoredKey {
                        kid: r.try_get("kid").map_err(err)?,
                        private_key: r.try_get("private_key").map_err(err)?,
                        created_at: r.try_get::<i64, _>("created_at").map_err(err)? as u64,
                        retired_at: r.try_get::<Option<i64>, _>("retired_at").map_err(err)?.map(|v| v as u64),
                    })
                })
                .collect()
        })
    }

    fn put_user(&self, username: String, password_hash: String, now: u64) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.run(
                sqlx::query(
                    "INSERT INTO oauth_users (username, password_hash, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash",
                )
                .bind(username)
                .bind(password_hash)
                .bind(i(now)),
            )
            .await
        })
    }

    fn get_user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, StoreResult<Option<String>>> {
        Box::pin(async move {
            self.text(
                sqlx::query("SELECT password_hash FROM oauth_users WHERE username = $1").bind(username),
                "password_hash",
            )
            .await
        })
    }

    fn purge(&self, now: u64, retired_before: u64) -> BoxFuture<'_, StoreResult<u64>> {
        Box::pin(async move {
            let mut n = 0;
            for (sql, bound) in [
                ("DELETE FROM oauth_pending WHERE expires_at <= $1", now),
                ("DELETE FROM oauth_codes WHERE expires_at <= $1", now),
                ("DELETE FROM oauth_refresh_tokens WHERE expires_at <= $1", now),
                ("DELETE FROM oauth_signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1", retired_before),
            ] {
                n += sqlx::query(sql).bind(i(bound)).execute(&self.pool).await.map_err(err)?.rows_affected();
            }
            Ok(n)
        })
    }
}
