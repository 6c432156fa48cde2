//! `config.toml` plus environment overrides, validated at start.
//!
//! Relative paths in the file are relative to the file's own folder, so the bot finds its
//! knowledge and data wherever it is started from. The bot token is *not* configuration:
//! it comes from `TELOXIDE_TOKEN` only and is never read from or written to this file.

use std::path::{Path, PathBuf};

use std::time::Duration;

use serde::Deserialize;

use crate::reminders::ReminderSettings;
use crate::reminders::schedule::{Offset, normalise};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub knowledge: KnowledgeConfig,
    pub data: DataConfig,
    pub telegram: TelegramConfig,
    pub helpdesk: HelpdeskConfig,
    pub reminders: RemindersConfig,
    pub ops: OpsConfig,
}

/// Running in production: the ops endpoints and the logs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpsConfig {
    /// Address of the ops listener (`/healthz`, `/readyz`, `/metrics`); empty: off.
    pub listen: String,
    /// Webhook mode: the webhook's listener also serves the three endpoints under this
    /// path (e.g. `/ops`); empty: not there.
    pub webhook_path: String,
    /// Log lines: `text` or `json` (the flag `--log-format` wins).
    pub log_format: crate::ops::logs::LogFormat,
    /// Salt of the hashes that stand for users in logs; empty: random at each start.
    pub log_salt: String,
}

impl OpsConfig {
    /// Whether metrics are collected at all (some endpoint serves them).
    pub fn metrics_on(&self) -> bool {
        !self.listen.is_empty() || !self.webhook_path.is_empty()
    }

    fn validate(&self, mode: Mode) -> Result<(), ConfigError> {
        if !self.listen.is_empty() {
            self.listen
                .parse::<std::net::SocketAddr>()
                .map_err(|e| ConfigError::Invalid(format!("ops.listen «{}»: {e}", self.listen)))?;
        }
        if !self.webhook_path.is_empty() {
            if mode != Mode::Webhook {
                return Err(ConfigError::Invalid(
                    "ops.webhook_path needs telegram.mode = \"webhook\" (use ops.listen)".into(),
                ));
            }
            let p = self.webhook_path.trim_end_matches('/');
            if !p.starts_with('/') || p.len() < 2 || p.contains(['?', '#', ' ']) {
                return Err(ConfigError::Invalid(format!(
                    "ops.webhook_path «{}» must be a path such as /ops",
                    self.webhook_path
                )));
            }
        }
        Ok(())
    }
}

/// Deadline reminders and the pace they are sent at.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemindersConfig {
    /// Offsets before a deadline: `"7d"`, `"1d"`, `"2h"`, `"30m"`.
    pub offsets: Vec<String>,
    /// Messages per second over all chats.
    pub per_second: f64,
    /// Milliseconds between two messages to the same chat.
    pub per_chat_interval_ms: u64,
    /// Messages claimed but not yet durably marked sent (the most a crash can repeat).
    pub in_flight: usize,
    /// Attempts on server or network errors before a reminder is put back for later.
    pub attempts: u32,
}

impl Default for RemindersConfig {
    fn default() -> Self {
        RemindersConfig {
            offsets: vec!["7d".into(), "1d".into(), "2h".into()],
            per_second: 30.0,
            per_chat_interval_ms: 1000,
            in_flight: 32,
            attempts: 5,
        }
    }
}

impl RemindersConfig {
    /// The parsed offsets, earliest reminder first.
    pub fn offsets(&self) -> Result<Vec<Offset>, ConfigError> {
        let mut v = Vec::new();
        for o in &self.offsets {
            v.push(
                o.parse::<Offset>()
                    .map_err(|e| ConfigError::Invalid(format!("reminders.offsets: {e}")))?,
            );
        }
        Ok(normalise(v))
    }

    /// The dispatcher's settings (call after [`Config::load`] validated them).
    pub fn settings(&self) -> Result<ReminderSettings, ConfigError> {
        Ok(ReminderSettings {
            offsets: self.offsets()?,
            per_second: self.per_second,
            per_chat_interval: Duration::from_millis(self.per_chat_interval_ms),
            in_flight: self.in_flight,
            attempts: self.attempts,
            ..ReminderSettings::default()
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.offsets()?.is_empty() {
            return Err(ConfigError::Invalid(
                "reminders.offsets needs at least one offset".into(),
            ));
        }
        if !(self.per_second.is_finite() && self.per_second > 0.0) {
            return Err(ConfigError::Invalid(
                "reminders.per_second must be positive".into(),
            ));
        }
        if self.in_flight == 0 || self.attempts == 0 {
            return Err(ConfigError::Invalid(
                "reminders.in_flight and reminders.attempts must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KnowledgeConfig {
    /// The knowledge directory (env `SPORTELLO_KNOWLEDGE_DIR`).
    pub dir: PathBuf,
    /// Where text extracted from official documents is cached by content hash; empty: no
    /// cache (documents are read again at every start).
    pub documents_cache: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Which backend keeps the data: `embedded` (the default; `sled` is read as it, the
    /// name of the embedded backend before issue 11) or `postgres` (shared by several
    /// instances; URL from env `SPORTELLO_DATABASE_URL`, never from this file).
    pub backend: Backend,
    /// Where the embedded backend keeps sessions and the rest (env `SPORTELLO_DATA_DIR`,
    /// flag `--data-dir`).
    pub dir: PathBuf,
    /// Sessions idle longer than this many days are removed.
    pub session_idle_days: u32,
    /// sled's page cache, in MiB, used only to read a data directory written by sled
    /// (before issue 11) when it is moved into the embedded store (4 by default).
    pub cache_mb: u64,
    /// Entries of the anonymous question log older than this many days are removed.
    pub question_log_days: u32,
    /// How the embedded backend makes a flush durable before a reply goes out.
    pub sync: crate::store::SyncMode,
}

/// The storage backend (`[data] backend`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    #[serde(alias = "sled")]
    Embedded,
    Postgres,
}

impl Backend {
    /// The name `[data] backend` and `sportello migrate` use.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Embedded => "embedded",
            Backend::Postgres => "postgres",
        }
    }

    pub fn from_name(s: &str) -> Option<Backend> {
        match s.trim().to_ascii_lowercase().as_str() {
            "embedded" | "sled" => Some(Backend::Embedded),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The environment variable holding the PostgreSQL URL (it may hold a password, so it
/// is never read from the configuration file nor logged).
pub const DATABASE_URL_VAR: &str = "SPORTELLO_DATABASE_URL";

/// Where the webhook's secret comes from (overrides `telegram.webhook_secret`).
pub const WEBHOOK_SECRET_VAR: &str = "SPORTELLO_WEBHOOK_SECRET";

/// How updates arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Polling,
    Webhook,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramConfig {
    /// Bot API base URL; empty means the official one (env `TELOXIDE_API_URL`).
    pub api_url: String,
    pub mode: Mode,
    /// Webhook mode: the address the bot listens on, behind the reverse proxy.
    pub webhook_listen: String,
    /// Webhook mode: the public HTTPS URL the proxy forwards to `webhook_listen`.
    pub webhook_url: String,
    /// Webhook mode: the secret Telegram sends with every update, the same at every
    /// start and on every instance (env `SPORTELLO_WEBHOOK_SECRET`, which is the better
    /// place for it); 1 to 256 of `A-Z a-z 0-9 _ -`.
    pub webhook_secret: String,
    /// Instances sharing the bot behind a load balancer: each sends within its share
    /// of the limits below (per second and per group, divided by this).
    pub instances: u32,
    /// An update kept in the inbox this many seconds ago and still not handled (its
    /// instance died, or the store refused its handling's writes) is handed out again
    /// ([`crate::store::Inbox::stranded`]).
    pub stranded_after_secs: u32,
    /// Messages a user may send in `flood_window_secs` before being asked to slow down.
    pub flood_messages: u32,
    pub flood_window_secs: u32,
    /// Lift Telegram's send limits (benchmarks against a local stand-in only).
    pub unthrottled: bool,
    /// Long polling: how long one getUpdates waits for updates (the HTTP client waits
    /// 15 s more).
    pub poll_timeout_secs: u32,
    /// Telegram's limits, for everything the bot sends: messages a second overall,
    /// milliseconds between two messages to one private chat, messages a minute to a group.
    pub per_second: u32,
    pub private_interval_ms: u64,
    pub group_per_minute: u32,
    /// Messages being sent at once; a crash can send at most twice this many twice.
    pub in_flight: usize,
    /// How long a sent message's removal from the outbox may wait for a flush that
    /// happens anyway (a handler's) before the sender flushes it itself: a crash within
    /// this window after a send sends that message again.
    pub settle_ms: u64,
}

impl TelegramConfig {
    /// The limits of the outbox's limiter.
    /// This instance's share of them, with `instances` sharing the bot: together they
    /// stay within Telegram's limits. A private chat's interval needs no share: its
    /// messages leave one at a time whichever instance sends them (one claimed head per
    /// chat, in the shared outbox).
    pub fn limits(&self) -> crate::outbox::Limits {
        let n = self.instances.max(1);
        crate::outbox::Limits {
            per_second: (self.per_second / n).max(1),
            private_interval: std::time::Duration::from_millis(self.private_interval_ms),
            group_per_minute: (self.group_per_minute / n).max(1),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HelpdeskConfig {
    /// How to reach the help desk besides the bot (shown when no answer is found).
    pub contact: String,
    /// The staff group's chat id (negative); 0: no staff group, no hand-over.
    pub staff_chat_id: i64,
    /// Telegram user ids of staff members (staff commands also in private chats).
    pub staff_user_ids: Vec<i64>,
    /// Who approves a FAQ written from the chat: `"double"` (another staff member, the
    /// default) or `"single"` (the author may publish it).
    pub review: crate::helpdesk::teach::Review,
    /// Where FAQs written from the chat go: `"single"` (`knowledge/faq/staff.toml`, the
    /// default) or `"per_call"` (`knowledge/faq/staff-<call>.toml`, one file per call).
    pub faq_file: crate::helpdesk::drafts::FaqFile,
}

impl HelpdeskConfig {
    /// The staff, as the app sees them.
    pub fn staff(&self) -> crate::helpdesk::Staff {
        crate::helpdesk::Staff {
            chat: (self.staff_chat_id != 0).then_some(self.staff_chat_id),
            users: self.staff_user_ids.clone(),
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.staff_chat_id > 0 {
            return Err(ConfigError::Invalid(format!(
                "helpdesk.staff_chat_id {} is a user, not a group: group ids are negative \
                 (e.g. -1001234567890); 0 means no staff group",
                self.staff_chat_id
            )));
        }
        if let Some(u) = self.staff_user_ids.iter().find(|&&u| u <= 0) {
            return Err(ConfigError::Invalid(format!(
                "helpdesk.staff_user_ids: {u} is not a user id (user ids are positive)"
            )));
        }
        Ok(())
    }
}

impl Default for KnowledgeConfig {
    fn default() -> Self {
        KnowledgeConfig {
            dir: PathBuf::from("knowledge"),
            documents_cache: PathBuf::from("cache/documents"),
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            backend: Backend::Embedded,
            dir: PathBuf::from("data"),
            session_idle_days: 30,
            cache_mb: 4,
            question_log_days: crate::store::questions::DEFAULT_RETENTION_DAYS,
            sync: crate::store::SyncMode::default(),
        }
    }
}

impl Default for TelegramConfig {
    fn default() -> Self {
        TelegramConfig {
            api_url: String::new(),
            mode: Mode::Polling,
            webhook_listen: "127.0.0.1:8443".into(),
            webhook_url: String::new(),
            webhook_secret: String::new(),
            instances: 1,
            stranded_after_secs: 60,
            flood_messages: 8,
            flood_window_secs: 5,
            unthrottled: false,
            poll_timeout_secs: 25,
            per_second: 30,
            private_interval_ms: 1000,
            group_per_minute: 20,
            in_flight: 32,
            settle_ms: crate::outbox::SETTLE.as_millis() as u64,
        }
    }
}

/// Environment variables read at start (passed in, so tests need not touch the process env).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

impl KnowledgeConfig {
    /// The documents cache folder, if one is configured.
    pub fn documents_cache(&self) -> Option<&Path> {
        let p = self.documents_cache.as_path();
        (!p.as_os_str().is_empty()).then_some(p)
    }
}

impl Config {
    /// Reads `path` (a missing file at the default location gives the defaults), applies
    /// environment overrides, resolves relative paths and validates.
    pub fn load(path: &Path, must_exist: bool, env: Env<'_>) -> Result<Config, ConfigError> {
        let mut cfg = match std::fs::read_to_string(path) {
            Ok(src) => Config::parse(&src, path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => Config::default(),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        cfg.knowledge.dir = base.join(&cfg.knowledge.dir);
        if !cfg.knowledge.documents_cache.as_os_str().is_empty() {
            cfg.knowledge.documents_cache = base.join(&cfg.knowledge.documents_cache);
        }
        cfg.data.dir = base.join(&cfg.data.dir);
        if let Some(v) = env("SPORTELLO_KNOWLEDGE_DIR").filter(|v| !v.is_empty()) {
            cfg.knowledge.dir = PathBuf::from(v);
        }
        if let Some(v) = env("SPORTELLO_DATA_DIR").filter(|v| !v.is_empty()) {
            cfg.data.dir = PathBuf::from(v);
        }
        if let Some(v) = env("TELOXIDE_API_URL").filter(|v| !v.is_empty()) {
            cfg.telegram.api_url = v;
        }
        if let Some(v) = env("SPORTELLO_DOCUMENTS_CACHE").filter(|v| !v.is_empty()) {
            cfg.knowledge.documents_cache = PathBuf::from(v);
        }
        if let Some(v) = env("SPORTELLO_OPS_LISTEN").filter(|v| !v.is_empty()) {
            cfg.ops.listen = v;
        }
        if let Some(v) = env(WEBHOOK_SECRET_VAR).filter(|v| !v.trim().is_empty()) {
            cfg.telegram.webhook_secret = v.trim().to_string();
        }
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn parse(src: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(src).map_err(|e| {
            let line = e
                .span()
                .map(|s| src[..s.start].matches('\n').count() + 1)
                .unwrap_or(0);
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                message: e.message().trim().to_string(),
            }
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !self.telegram.api_url.is_empty() {
            url::Url::parse(&self.telegram.api_url).map_err(|e| {
                ConfigError::Invalid(format!("telegram.api_url «{}»: {e}", self.telegram.api_url))
            })?;
        }
        if self.telegram.mode == Mode::Webhook {
            url::Url::parse(&self.telegram.webhook_url).map_err(|e| {
                ConfigError::Invalid(format!(
                    "telegram.webhook_url is required in webhook mode: {e}"
                ))
            })?;
            self.telegram
                .webhook_listen
                .parse::<std::net::SocketAddr>()
                .map_err(|e| ConfigError::Invalid(format!("telegram.webhook_listen: {e}")))?;
            // Never printed: only what is wrong with it.
            let secret = &self.telegram.webhook_secret;
            if secret.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "webhook mode needs a secret: set {WEBHOOK_SECRET_VAR} (or \
                     telegram.webhook_secret), the same on every instance"
                )));
            }
            if secret.len() > 256
                || !secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(ConfigError::Invalid(
                    "the webhook secret must be 1 to 256 of A-Z a-z 0-9 _ -".into(),
                ));
            }
        }
        if self.telegram.instances == 0 {
            return Err(ConfigError::Invalid(
                "telegram.instances must be at least 1".into(),
            ));
        }
        if !(2..=86_400).contains(&self.telegram.stranded_after_secs) {
            return Err(ConfigError::Invalid(
                "telegram.stranded_after_secs must be 2 to 86400".into(),
            ));
        }
        self.reminders.validate()?;
        self.helpdesk.validate()?;
        self.ops.validate(self.telegram.mode)?;
        if self.data.session_idle_days == 0 {
            return Err(ConfigError::Invalid(
                "data.session_idle_days must be at least 1".into(),
            ));
        }
        if self.data.question_log_days == 0 {
            return Err(ConfigError::Invalid(
                "data.question_log_days must be at least 1".into(),
            ));
        }
        let t = &self.telegram;
        if !(1..=50).contains(&t.poll_timeout_secs) {
            return Err(ConfigError::Invalid(
                "telegram.poll_timeout_secs must be between 1 and 50".into(),
            ));
        }
        if t.per_second == 0 || t.group_per_minute == 0 || t.in_flight == 0 {
            return Err(ConfigError::Invalid(
                "telegram.per_second, group_per_minute and in_flight must be positive".into(),
            ));
        }
        if t.settle_ms > 1000 {
            return Err(ConfigError::Invalid(
                "telegram.settle_ms must be at most 1000".into(),
            ));
        }
        if self.telegram.flood_messages == 0 || self.telegram.flood_window_secs == 0 {
            return Err(ConfigError::Invalid(
                "telegram.flood_messages and flood_window_secs must be positive".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
