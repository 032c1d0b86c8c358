//! A fresh PostgreSQL schema per test or benchmark, on the server CI runs at 127.0.0.1:5432.
//!
//! Unreachable PostgreSQL fails the test loudly, unless `ATTUNE_SKIP_POSTGRES=1`
//! is set: then the test prints `SKIPPED: PostgreSQL not reachable` and passes.
//! `ATTUNE_TEST_POSTGRES` overrides the server URL.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// Servers tried in order (trust auth, database `test`).
const CANDIDATES: &[&str] = &[
    "postgres://postgres@127.0.0.1:5432/test",
    "postgres://127.0.0.1:5432/test",
];

/// A schema that lives as long as this value (dropped with everything in it).
pub struct PgSchema {
    /// The server URL (no schema).
    pub server: String,
    /// The schema's name.
    pub name: String,
}

impl PgSchema {
    /// A URL whose connections use this schema (`search_path`), for `--database`.
    pub fn url(&self) -> String {
        format!(
            "{}?application_name={}&options=-c%20search_path%3D{}",
            self.server, self.name, self.name
        )
    }

    /// Connect options whose connections use this schema.
    pub fn options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.server)
            .unwrap()
            .application_name(&self.name)
            .options([("search_path", self.name.as_str())])
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        // Drop may run inside a runtime: do the async work on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut conn = PgConnection::connect(&server).await?;
                // Whatever still holds a connection to this schema (a killed relay,
                // a transaction left open by a failed test) must not block the drop.
                sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = $1 AND pid <> pg_backend_pid()",
                )
                .bind(&name)
                .execute(&mut conn)
                .await?;
                sqlx::raw_sql("SET lock_timeout = '10s'")
                    .execute(&mut conn)
                    .await?;
                sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test schema {}", self.name);
        }
    }
}

async fn reachable(url: &str) -> Result<PgConnection, String> {
    match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(url)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(format!("{url}: {e}")),
        Err(_) => Err(format!("{url}: no answer within 5 s")),
    }
}

/// A fresh schema `t_<random>`, or `None` when PostgreSQL is unreachable and
/// `ATTUNE_SKIP_POSTGRES=1` (otherwise an unreachable server fails the test).
pub async fn schema() -> Option<PgSchema> {
    let errors = match try_schema().await {
        Ok(schema) => return Some(schema),
        Err(errors) => errors,
    };
    if std::env::var("ATTUNE_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!(
            "\n*** SKIPPED: PostgreSQL not reachable ({errors}) and ATTUNE_SKIP_POSTGRES=1 ***\n"
        );
        return None;
    }
    panic!(
        "\n\n*** PostgreSQL is NOT reachable; the PostgreSQL tests cannot run. ***\n\
         Tried: {errors}\n\
         Start PostgreSQL at 127.0.0.1:5432 (trust auth, database `test`), point \
         ATTUNE_TEST_POSTGRES at a server, or set ATTUNE_SKIP_POSTGRES=1 to skip them.\n"
    );
}

/// A fresh schema `t_<random>`, or why none could be made (the servers tried and their errors).
pub async fn try_schema() -> Result<PgSchema, String> {
    let candidates: Vec<String> = match std::env::var("ATTUNE_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => vec![url],
        _ => CANDIDATES.iter().map(|s| s.to_string()).collect(),
    };
    let mut errors = Vec::new();
    for server in candidates {
        let mut conn = match reachable(&server).await {
            Ok(conn) => conn,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut id = [0u8; 8];
        if let Err(e) = getrandom::fill(&mut id) {
            errors.push(format!("no randomness for a schema name: {e}"));
            continue;
        }
        let name = format!("t_{}", hex::encode(id));
        let created = sqlx::raw_sql(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
        match created {
            Ok(_) => return Ok(PgSchema { server, name }),
            Err(e) => errors.push(format!("{server}: creating a schema: {e}")),
        }
    }
    Err(errors.join("; "))
}
