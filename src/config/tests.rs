//! Unit tests of the configuration: defaults, environment overrides, validation errors.

use super::*;

/// Writes `text` as the configuration file `p` and loads it without environment.
fn written(p: &std::path::Path, text: &str) -> Result<Config, ConfigError> {
    std::fs::write(p, text).unwrap();
    Config::load(p, true, &no_env)
}

/// Why the configuration `text` is refused.
fn refusal(p: &std::path::Path, text: &str) -> String {
    written(p, text).unwrap_err().to_string()
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn the_shipped_config_is_valid_and_documents_every_key() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"));
    let cfg = Config::load(path, true, &no_env).unwrap();
    assert!(cfg.knowledge.dir.ends_with("knowledge"));
    // Every section of the defaults appears in the shipped file.
    let src = std::fs::read_to_string(path).unwrap();
    for key in [
        "[knowledge]",
        "[data]",
        "backend",
        "[telegram]",
        "[helpdesk]",
        "staff_chat_id",
        "staff_user_ids",
        "faq_file",
        "documents_cache",
        "session_idle_days",
        "question_log_days",
        "cache_mb",
        "sync",
        "api_url",
        "webhook_url",
        "webhook_secret",
        "instances",
        "stranded_after_secs",
        "flood_messages",
        "poll_timeout_secs",
        "group_per_minute",
        "private_interval_ms",
        "settle_ms",
        "[reminders]",
        "offsets",
        "per_chat_interval_ms",
        "in_flight",
        "[ops]",
        "listen",
        "webhook_path",
        "log_format",
        "log_salt",
    ] {
        assert!(src.contains(key), "config.toml does not document {key}");
    }
}

#[test]
fn env_overrides_and_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    std::fs::write(&p, "[data]\ndir = \"d\"\n").unwrap();
    let env = |k: &str| match k {
        "SPORTELLO_KNOWLEDGE_DIR" => Some("/k".to_string()),
        "SPORTELLO_DOCUMENTS_CACHE" => Some("/var/cache/s".to_string()),
        "SPORTELLO_OPS_LISTEN" => Some("0.0.0.0:9091".to_string()),
        _ => None,
    };
    let cfg = Config::load(&p, true, &env).unwrap();
    assert_eq!(cfg.data.dir, dir.path().join("d"));
    assert_eq!(cfg.knowledge.dir, PathBuf::from("/k"));
    assert_eq!(cfg.knowledge.documents_cache, PathBuf::from("/var/cache/s"));
    assert_eq!(cfg.ops.listen, "0.0.0.0:9091");
    let e = refusal(&p, "[data]\n\nsession_idle_dayz = 3\n");
    assert!(e.contains("c.toml:3:"), "{e}");
    let e = refusal(&p, "[reminders]\noffsets = [\"7d\", \"2x\"]\n");
    assert!(e.contains("reminders.offsets") && e.contains("2x"), "{e}");
    assert!(written(&p, "[reminders]\noffsets = []\n").is_err());
    let cfg = written(&p, "[helpdesk]\nfaq_file = \"per_call\"\n").unwrap();
    assert_eq!(
        cfg.helpdesk.faq_file,
        crate::helpdesk::drafts::FaqFile::PerCall
    );
    assert!(written(&p, "[helpdesk]\nfaq_file = \"per_bando\"\n").is_err());
    let r = written(
        &p,
        "[reminders]\noffsets = [\"2h\", \"1d\"]\nper_second = 100.0\n",
    )
    .unwrap()
    .reminders
    .settings()
    .unwrap();
    assert_eq!(r.offsets, vec![Offset::days(1), Offset::hours(2)]);
    assert_eq!(r.per_second, 100.0);
    let e = refusal(&p, "[helpdesk]\nstaff_chat_id = 42\n");
    assert!(e.contains("staff_chat_id"), "{e}");
    let e = refusal(&p, "[helpdesk]\nstaff_user_ids = [5, -3]\n");
    assert!(e.contains("-3"), "{e}");
    let staff = written(
        &p,
        "[helpdesk]\nstaff_chat_id = -100123\nstaff_user_ids = [5]\n",
    )
    .unwrap()
    .helpdesk
    .staff();
    assert_eq!((staff.chat, staff.users), (Some(-100123), vec![5]));
    let e = refusal(&p, "[ops]\nlisten = \"nowhere\"\n");
    assert!(e.contains("ops.listen"), "{e}");
    let e = refusal(&p, "[ops]\nwebhook_path = \"/ops\"\n");
    assert!(e.contains("webhook"), "{e}");
    let ops = written(
        &p,
        "[ops]\nlisten = \"127.0.0.1:9091\"\nlog_format = \"json\"\n",
    )
    .unwrap()
    .ops;
    assert!(ops.metrics_on());
    assert_eq!(ops.log_format, crate::ops::logs::LogFormat::Json);
    assert!(refusal(&p, "[telegram]\nmode = \"webhook\"\n").contains("webhook_url"));
}

#[test]
fn webhook_mode_needs_a_fixed_secret_and_instances_share_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    let e = refusal(
        &p,
        "[telegram]\nmode = \"webhook\"\nwebhook_url = \"https://example.org/s\"\n\
         instances = 3\nper_second = 30\ngroup_per_minute = 20\n",
    );
    assert!(e.contains(WEBHOOK_SECRET_VAR), "{e}");
    let env = |k: &str| (k == WEBHOOK_SECRET_VAR).then(|| "s3cret_Val-ue".to_string());
    let cfg = Config::load(&p, true, &env).unwrap();
    assert_eq!(cfg.telegram.webhook_secret, "s3cret_Val-ue");
    let limits = cfg.telegram.limits();
    assert_eq!((limits.per_second, limits.group_per_minute), (10, 6));
    // A secret Telegram would refuse is refused here, without echoing it.
    let bad = |k: &str| (k == WEBHOOK_SECRET_VAR).then(|| "no spaces!".to_string());
    let e = Config::load(&p, true, &bad).unwrap_err().to_string();
    assert!(e.contains("A-Z") && !e.contains("no spaces"), "{e}");
}

#[test]
fn the_settle_window_is_read_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    assert_eq!(
        written(&p, "").unwrap().telegram.settle_ms,
        5,
        "the default window"
    );
    assert_eq!(
        written(&p, "[telegram]\nsettle_ms = 0\n")
            .unwrap()
            .telegram
            .settle_ms,
        0
    );
    let e = refusal(&p, "[telegram]\nsettle_ms = 1001\n");
    assert!(e.contains("settle_ms"), "{e}");
}

#[test]
fn the_wait_before_taking_over_stranded_updates_is_read_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    assert_eq!(written(&p, "").unwrap().telegram.stranded_after_secs, 60);
    assert_eq!(
        written(&p, "[telegram]\nstranded_after_secs = 2\n")
            .unwrap()
            .telegram
            .stranded_after_secs,
        2
    );
    for bad in ["1", "86401"] {
        let e = refusal(&p, &format!("[telegram]\nstranded_after_secs = {bad}\n"));
        assert!(e.contains("stranded_after_secs"), "{e}");
    }
}

#[test]
fn the_store_s_sync_and_the_backend_s_older_name_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    let cfg = written(&p, "[data]\nbackend = \"sled\"\n").unwrap();
    assert_eq!(cfg.data.backend, Backend::Embedded);
    assert_eq!(cfg.data.sync, crate::store::SyncMode::Written);
    let cfg = written(&p, "[data]\nbackend = \"embedded\"\nsync = \"full\"\n").unwrap();
    assert_eq!(cfg.data.sync, crate::store::SyncMode::Full);
    let e = refusal(&p, "[data]\nsync = \"sometimes\"\n");
    assert!(
        e.contains("sometimes") || e.contains("unknown variant"),
        "{e}"
    );
}
