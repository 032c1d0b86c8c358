//! A fresh PostgreSQL schema for the relay, as the relay's own tests make them.

use std::time::Duration;

use sqlx::{Connection, PgConnection};

/// Servers tried in order (trust auth, database `test`).
const CANDIDATES: &[&str] = &[
    "postgres://postgres@127.0.0.1:5432/test",
    "postgres://127.0.0.1:5432/test",
];

/// A schema of this benchmark; [`Schema::drop`] removes it.
pub struct Schema {
    server: String,
    name: String,
}

impl Schema {
    /// A URL whose connections use this schema (`search_path`), for `--database`.
    pub fn url(&self) -> String {
        format!(
            "{}?application_name={}&options=-c%20search_path%3D{}",
            self.server, self.name, self.name
        )
    }

    /// Drops the schema and everything in it (a killed relay's connections first).
    pub async fn drop(self) {
        let dropped = async {
            let mut conn = PgConnection::connect(&self.server).await?;
            sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = $1 AND pid <> pg_backend_pid()",
            )
            .bind(&self.name)
            .execute(&mut conn)
            .await?;
            sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name))
                .execute(&mut conn)
                .await?;
            conn.close().await
        };
        if let Err(e) = dropped.await {
            eprintln!("warning: could not drop schema {}: {e}", self.name);
        }
    }
}

/// A fresh schema `bench_<random>`, or `None` (said loudly) when PostgreSQL is unreachable.
pub async fn schema() -> Option<Schema> {
    let mut errors = Vec::new();
    for server in CANDIDATES {
        let conn =
            tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(server)).await;
        let mut conn = match conn {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => {
                errors.push(format!("{server}: {e}"));
                continue;
            }
            Err(_) => {
                errors.push(format!("{server}: no answer within 5 s"));
                continue;
            }
        };
        let name = format!("bench_{}", hex::encode(attune_crypto::random_bytes::<8>()));
        let created = sqlx::raw_sql(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
        match created {
            Ok(_) => {
                return Some(Schema {
                    server: server.to_string(),
                    name,
                })
            }
            Err(e) => errors.push(format!("{server}: creating a schema: {e}")),
        }
    }
    eprintln!(
        "\n*** PostgreSQL SKIPPED: not reachable ({}). Start it at 127.0.0.1:5432 \
         (trust auth, database `test`) to measure the relay on PostgreSQL. ***\n",
        errors.join("; ")
    );
    None
}
