//! A fresh PostgreSQL store per test, each in its own schema of the database named by
//! `SPORTELLO_TEST_DATABASE_URL` (a test-only variable, so that a production
//! `SPORTELLO_DATABASE_URL` is never written to by tests).
//!
//! Without that variable, or without a server answering it, the PostgreSQL tests say
//! "skipped: …" and pass, unless `SPORTELLO_REQUIRE_POSTGRES=1` (set by `.ci/run`):
//! then they fail.

use std::sync::atomic::{AtomicU64, Ordering};

use sportello::store::Store;

pub const URL_VAR: &str = "SPORTELLO_TEST_DATABASE_URL";

fn required() -> bool {
    std::env::var("SPORTELLO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Says why PostgreSQL is not tested, or fails when it is required.
fn unavailable(why: &str) -> Option<Store> {
    if required() {
        panic!("PostgreSQL is required (SPORTELLO_REQUIRE_POSTGRES=1) but {why}");
    }
    eprintln!("skipped: {why}");
    None
}

/// A schema name no other test (of this or another process) uses.
pub fn fresh_schema(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "t_{tag}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        nanos % 1_000_000_000
    )
}

/// The test database's URL, if configured.
pub fn url() -> Option<String> {
    std::env::var(URL_VAR).ok().filter(|v| !v.is_empty())
}

/// An empty PostgreSQL store in a fresh schema, or `None` (skipped).
#[allow(dead_code)] // not every test binary that includes this file uses it
pub async fn store(tag: &str) -> Option<Store> {
    let Some(url) = url() else {
        return unavailable(&format!("{URL_VAR} is not set (no PostgreSQL to test)"));
    };
    match Store::connect_postgres_in(&url, &fresh_schema(tag)).await {
        Ok(st) => Some(st),
        Err(e) => unavailable(&format!("PostgreSQL unreachable: {e}")),
    }
}

/// Like [`store`], with a URL that reaches the same schema (for a `sportello` process
/// sharing the store: `SPORTELLO_DATABASE_URL`).
#[allow(dead_code)] // not every test binary that includes this file uses it
pub async fn store_with_url(tag: &str) -> Option<(Store, String)> {
    let Some(url) = url() else {
        return unavailable(&format!("{URL_VAR} is not set (no PostgreSQL to test)"))
            .map(|st| (st, String::new()));
    };
    let schema = fresh_schema(tag);
    match Store::connect_postgres_in(&url, &schema).await {
        Ok(st) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            Some((st, format!("{url}{sep}options[search_path]={schema}")))
        }
        Err(e) => {
            unavailable(&format!("PostgreSQL unreachable: {e}")).map(|st| (st, String::new()))
        }
    }
}
