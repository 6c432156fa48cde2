//! Logs: `tracing` to stderr as text or JSON lines, through the one layer that keeps the
//! bot token out of them, with people named only by a salted hash.
//!
//! **The token.** Every line the process writes to its log, whoever emits it (our code,
//! teloxide's `log` records bridged into `tracing`, a library's error text carrying a
//! request URL), is formatted into a buffer by `tracing-subscriber` and handed to
//! [`Redacting`], which replaces the token (given once by [`hide`]) before the bytes reach
//! stderr. Call sites never redact by hand; fatal errors printed by `main` go through the
//! same writer ([`print_error`]).
//!
//! **People.** A user or chat appears in a log as [`Pseudo`]: the first 12 hex digits of
//! SHA-256 over a salt and the id. The salt is `[ops] log_salt`, or random at each start
//! (then the same user is recognisable within one run only). Names and message texts are
//! never logged by Sportello.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How log lines look.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, with the span fields (for a log collector).
    Json,
}

/// Without `RUST_LOG`: our own events at info, teloxide's own at info, the rest at warn.
pub const DEFAULT_FILTER: &str = "sportello=info,teloxide=info,teloxide_core=info,warn";

static TOKEN: OnceLock<String> = OnceLock::new();
static SALT: OnceLock<String> = OnceLock::new();

/// Installs the global subscriber (once per process; later calls do nothing). teloxide
/// logs through the `log` crate: its records are bridged into the same output.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Redacting);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// Remembers the token so that no log line can carry it (the first call wins).
pub fn hide(token: &str) {
    let token = token.trim();
    if !token.is_empty() {
        let _ = TOKEN.set(token.to_string());
    }
}

/// `s` with the token, if known and present, replaced by `<token>`.
pub fn redact(s: &str) -> Cow<'_, str> {
    match TOKEN.get() {
        Some(t) if s.contains(t.as_str()) => Cow::Owned(s.replace(t.as_str(), "<token>")),
        _ => Cow::Borrowed(s),
    }
}

/// Writes `message` as one line on stderr through the same redaction as the logs.
pub fn print_error(message: &str) {
    let mut w = Redacting.make_writer();
    let _ = writeln!(w, "{message}");
}

/// Sets the salt of [`Pseudo`] (the first call wins); empty: a random one.
pub fn set_salt(salt: &str) {
    let salt = if salt.is_empty() {
        random_salt()
    } else {
        salt.to_string()
    };
    let _ = SALT.set(salt);
}

fn random_salt() -> String {
    use std::hash::{BuildHasher, Hasher};
    // std's hasher keys are random per process: enough to make the hashes unlinkable
    // across runs, which is all a log salt is for.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

/// A user or chat id as logs show it: a salted hash, never the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pseudo(pub i64);

impl fmt::Display for Pseudo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let salt = SALT.get_or_init(random_salt);
        let mut h = Sha256::new();
        h.update(salt.as_bytes());
        h.update(b":");
        h.update(self.0.to_be_bytes());
        for b in &h.finalize()[..6] {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// The log writer: collects one formatted event, then writes it redacted to stderr.
#[derive(Debug, Clone, Copy, Default)]
pub struct Redacting;

/// One event's bytes on their way to stderr.
pub struct Line(Vec<u8>);

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let clean = redact(&text);
        // One write per event: lines of concurrent events never interleave.
        let _ = std::io::stderr().lock().write_all(clean.as_bytes());
    }
}

impl<'a> MakeWriter<'a> for Redacting {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line(Vec::with_capacity(256))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_replaced_and_ids_are_hashed() {
        hide("123:SECRET");
        let line = redact("error sending request for url (http://h/bot123:SECRET/getMe)");
        assert!(!line.contains("SECRET"), "{line}");
        assert!(line.contains("<token>"));
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
        let a = Pseudo(4_711).to_string();
        assert_eq!(a.len(), 12);
        assert!(!a.contains("4711"));
        assert_eq!(a, Pseudo(4_711).to_string(), "stable within a run");
        assert_ne!(a, Pseudo(4_712).to_string());
    }
}
