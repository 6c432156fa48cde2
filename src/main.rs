//! The `sportello` command: parses arguments, builds the pieces, runs, maps errors to exit codes.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use jiff::Timestamp;

use sportello::app::{App, Brain};
use sportello::config::{Backend, Config, DATABASE_URL_VAR};
use sportello::console;
use sportello::dialogue::{Event, Settings};
use sportello::ops::logs::{self, LogFormat};
use sportello::store::Store;
use sportello::text::{Lang, texts};

#[derive(Parser)]
#[command(
    name = "sportello",
    version,
    about = "Assistente per i bandi di finanziamento pubblico"
)]
struct Cli {
    /// Configuration file.
    #[arg(long, global = true, default_value = "config.toml")]
    config: PathBuf,
    /// Data directory (overrides config.toml and SPORTELLO_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Log lines on stderr: text or json (overrides `[ops] log_format`).
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Telegram bot (token from the TELOXIDE_TOKEN environment variable).
    Run,
    /// Chat with the bot in the terminal.
    Console {
        /// The language to talk in: `it` (default) or `en`.
        #[arg(long, default_value = "it", value_parser = parse_lang)]
        lang: Lang,
    },
    /// Answer one question as the bot would, then exit.
    Ask {
        /// The language to answer in when the question does not show it: `it` or `en`.
        #[arg(long, default_value = "it", value_parser = parse_lang)]
        lang: Lang,
        /// The question.
        question: Vec<String>,
    },
    /// Ask the running bot's /healthz (on `[ops] listen`): exit 0 if healthy. For container
    /// health checks (no curl needed).
    Health,
    /// Write a consistent backup of every kind of data to FILE (asked of the running bot
    /// over its control socket, or read directly when none runs). The file holds users'
    /// data: keep it as private as the data directory.
    Backup {
        /// Where to write it (atomically, mode 0600).
        file: PathBuf,
    },
    /// Restore a backup into the data directory (stop the bot first). Refuses a data
    /// directory that holds data unless --force.
    Restore {
        file: PathBuf,
        /// Replace the data that is there (users erased since the backup stay erased).
        #[arg(long)]
        force: bool,
    },
    /// Move every record from one storage backend to the other (stop the bot first), then
    /// check that the target holds the same records. The embedded backend's data directory
    /// comes from the configuration or --data-dir, PostgreSQL's URL from SPORTELLO_DATABASE_URL.
    /// Refuses a target that holds data unless --force.
    Migrate {
        /// The backend the data is in: `embedded` (or `sled`, its older name) or `postgres`.
        #[arg(long, value_parser = parse_backend)]
        from: Backend,
        /// The backend to move it to.
        #[arg(long, value_parser = parse_backend)]
        to: Backend,
        /// Replace the data the target holds.
        #[arg(long)]
        force: bool,
    },
    /// Validate the knowledge directory; exit non-zero on any error. Documents that cannot
    /// be read are warnings (exit 0) unless --strict.
    Check {
        /// Exit non-zero on warnings too (e.g. an unreadable document).
        #[arg(long)]
        strict: bool,
    },
}

/// The bot's allocator is jemalloc, not glibc's. On the three-bot benchmark it kept peak
/// and idle memory lower and spent less CPU per update than glibc's, with arenas capped
/// or not (BENCHMARKS.md, "Memory"). mimalloc was faster still but held twice the memory.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts (`_RJEM_MALLOC_CONF` in the environment
/// overrides them). With them (and sled's smaller cache then) the peak of a burst from 1,000
/// users stays under 50 MiB; the earlier settings took it to 68 MiB, of which the burst's
/// live data was about 8 MiB more than idle and most of the rest was the allocator's
/// (BENCHMARKS.md, "Peak memory: the allocator's caches"):
/// - one arena (`narenas:1`, rather than four per core): the bot's threads are a few
///   runtime workers and (then) sled's I/O threads on few cores, and each arena kept free pages
///   of its own;
/// - small thread caches: only objects up to 4 KiB (`tcache_max`), at most 32 of each
///   size (`tcache_nslots_*`, `lg_tcache_nslots_mul`): full-size caches hold freed
///   blocks of up to 32 KiB, up to 200 of a size, in every thread (caching only up to
///   1 KiB, 16 of a size, saved another MiB for about 10 % more CPU per update);
/// - freed pages go back to the system after a quarter of a second (`dirty_decay_ms`),
///   and at once rather than lazily (`muzzy_decay_ms:0`), by jemalloc's own background
///   thread, so that memory falls back after a burst without a request to trigger it.
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &[u8] = b"narenas:1,tcache_max:4096,tcache_nslots_small_min:4,\
tcache_nslots_small_max:32,lg_tcache_nslots_mul:-2,dirty_decay_ms:250,muzzy_decay_ms:0,\
background_thread:true\0";

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The token is hidden from every log line before anything can be logged.
    if let Ok(token) = std::env::var("TELOXIDE_TOKEN") {
        logs::hide(&token);
    }
    let cfg = load_config(&cli);
    let format = cli
        .log_format
        .or_else(|| cfg.as_ref().ok().map(|c| c.ops.log_format))
        .unwrap_or_default();
    logs::init(format);
    logs::set_salt(cfg.as_ref().map_or("", |c| c.ops.log_salt.as_str()));
    match cfg.and_then(|cfg| run(cli, cfg)) {
        Ok(code) => code,
        Err(e) => {
            logs::print_error(&format!("errore: {e:#}"));
            ExitCode::FAILURE
        }
    }
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let explicit = cli.config.as_path() != std::path::Path::new("config.toml");
    let env = |k: &str| std::env::var(k).ok();
    let mut cfg = Config::load(&cli.config, explicit, &env)?;
    if let Some(d) = &cli.data_dir {
        cfg.data.dir = d.clone();
    }
    Ok(cfg)
}

fn settings(cfg: &Config) -> Settings {
    Settings {
        session_idle_days: cfg.data.session_idle_days,
        helpdesk_contact: cfg.helpdesk.contact.clone(),
        // Validated when the configuration was loaded.
        reminder_offsets: cfg.reminders.offsets().unwrap_or_default(),
        staff: cfg.helpdesk.staff(),
        review: cfg.helpdesk.review,
        faq_file: cfg.helpdesk.faq_file,
    }
}

/// The configured backend's store: the embedded one in the data directory, or PostgreSQL at the URL
/// in `SPORTELLO_DATABASE_URL` (never printed).
fn open_store(cfg: &Config, rt: &tokio::runtime::Runtime) -> anyhow::Result<Store> {
    match cfg.data.backend {
        Backend::Embedded => Store::open_synced(&cfg.data.dir, cfg.data.cache_mb, cfg.data.sync)
            .with_context(|| {
                format!(
                    "opening the data directory {} (is another sportello running?)",
                    cfg.data.dir.display()
                )
            }),
        Backend::Postgres => {
            let url = std::env::var(DATABASE_URL_VAR).unwrap_or_default();
            if url.trim().is_empty() {
                anyhow::bail!("[data] backend = \"postgres\" needs {DATABASE_URL_VAR}");
            }
            let store = rt
                .block_on(Store::connect_postgres(url.trim()))
                .context("connecting to PostgreSQL")?;
            tracing::info!("data in PostgreSQL");
            Ok(store)
        }
    }
}

/// Neither a staff group nor a contact: the bot tells users it has no help desk; the
/// operator should know before they do.
/// `check` prints it; `run` logs it (a JSON log stays JSON).
fn warn_no_help_desk(cfg: &Config, print: bool) {
    if !cfg.helpdesk.staff().reachable() && cfg.helpdesk.contact.trim().is_empty() {
        let msg = texts(Lang::It).s("run.no_help_desk", &[]);
        if print {
            eprintln!("warning: {msg}");
        } else {
            tracing::warn!("{msg}");
        }
    }
}

fn run(cli: Cli, cfg: Config) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match &cli.command {
        Command::Check { strict } => {
            match Brain::load_with(&cfg.knowledge.dir, cfg.knowledge.documents_cache()) {
                Ok(brain) => {
                    let k = &brain.knowledge;
                    for w in &k.warnings {
                        eprintln!("warning: {w}");
                    }
                    let audit = sportello::knowledge::audit::audit(k, Timestamp::now());
                    for w in &audit {
                        eprintln!("warning: {w}");
                    }
                    warn_no_help_desk(&cfg, true);
                    // The eligibility cases are the questionnaires' own tests: a failing one
                    // fails the check like a malformed file.
                    let (cases, failures) = sportello::eligibility::run_all_cases(k);
                    for f in &failures {
                        eprintln!("{f}");
                    }
                    if !failures.is_empty() {
                        eprintln!("{} of {cases} eligibility case(s) failed", failures.len());
                        return Ok(ExitCode::FAILURE);
                    }
                    // The regression set, answered as a user would be: a miss is a warning.
                    let missed = sportello::helpdesk::impact::regression_misses(
                        &brain.knowledge,
                        &brain.index,
                        &settings(&cfg),
                        Timestamp::now(),
                    );
                    for m in &missed {
                        eprintln!("warning: {m}");
                    }
                    println!(
                        "OK: {} bandi, {} sezioni, {} FAQ, {} gruppi di sinonimi, {} questionari con {} casi di prova, {} documenti ({} passaggi) ({})",
                        k.calls.len(),
                        k.calls.iter().map(|c| c.sections.len()).sum::<usize>(),
                        k.faqs.len(),
                        k.synonyms.len(),
                        k.questionnaires.len(),
                        cases,
                        k.documents.len(),
                        k.documents.iter().map(|d| d.passages.len()).sum::<usize>(),
                        cfg.knowledge.dir.display()
                    );
                    // English coverage per Italian file: texts with English wording.
                    for c in &k.english_coverage {
                        println!(
                            "English: {} {}% ({}/{} texts)",
                            c.file.display(),
                            c.percent(),
                            c.translated,
                            c.total
                        );
                    }
                    println!(
                        "Regressione: {}/{} domande con la risposta attesa ({})",
                        k.regression.len() - missed.len(),
                        k.regression.len(),
                        sportello::knowledge::regression::REGRESSION_FILE
                    );
                    let warnings = k.warnings.len() + audit.len() + missed.len();
                    if *strict && warnings > 0 {
                        eprintln!("{warnings} warning(s): failing because of --strict");
                        return Ok(ExitCode::FAILURE);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Ask { question, lang } => {
            let brain = Brain::load_with(&cfg.knowledge.dir, cfg.knowledge.documents_cache())
                .context("loading the knowledge")?;
            // A one-shot answer stores nothing: a throw-away database.
            let app = App::new(
                brain,
                cfg.knowledge.dir.clone(),
                Store::temporary()?,
                settings(&cfg),
            );
            let q = question.join(" ");
            let replies = rt.block_on(app.handle_in(
                console::CONSOLE_USER,
                Some(*lang),
                &Event::Text(q),
                Timestamp::now(),
            ))?;
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
            console::render(&replies, &mut std::io::stdout(), ansi)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Console { lang } => {
            let brain = Brain::load_with(&cfg.knowledge.dir, cfg.knowledge.documents_cache())
                .context("loading the knowledge")?;
            let store = match open_store(&cfg, &rt) {
                Ok(s) => s,
                Err(e) => {
                    // Only one process may open the database (e.g. the bot is running).
                    tracing::warn!(
                        "data not usable ({e:#}); this console session will not be saved"
                    );
                    Store::temporary()?
                }
            };
            let app = App::new(brain, cfg.knowledge.dir.clone(), store, settings(&cfg))
                .with_documents_cache(cfg.knowledge.documents_cache().map(PathBuf::from));
            let stdin = std::io::stdin();
            // Bold on a terminal; piped output (a file, a test) stays plain.
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
            rt.block_on(console::run(
                &app,
                stdin.lock(),
                &mut std::io::stdout(),
                ansi,
                *lang,
                Timestamp::now,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run => {
            // The token is read here only, never from config, and never printed.
            let token = std::env::var("TELOXIDE_TOKEN").unwrap_or_default();
            let token = token.trim();
            if token.is_empty() {
                eprintln!("{}", texts(Lang::It).s("run.no_token", &[]));
                return Ok(ExitCode::from(2));
            }
            warn_no_help_desk(&cfg, false);
            let reminders = cfg.reminders.settings()?;
            let brain = Brain::load_with(&cfg.knowledge.dir, cfg.knowledge.documents_cache())
                .context("loading the knowledge")?;
            let store = open_store(&cfg, &rt)?;
            if cfg.data.backend == Backend::Embedded {
                tracing::info!("data in {}", cfg.data.dir.display());
            }
            let app = Arc::new(
                App::new(brain, cfg.knowledge.dir.clone(), store, settings(&cfg))
                    .with_documents_cache(cfg.knowledge.documents_cache().map(Into::into)),
            );
            rt.block_on(sportello::telegram::run::run(
                app,
                &cfg.telegram,
                &cfg.ops,
                token,
                &cfg.data,
                reminders,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Health => rt.block_on(health(&cfg.ops.listen)),
        Command::Backup { file } => {
            embedded_only(&cfg, "backup")?;
            let w = rt.block_on(sportello::backup::backup(
                &cfg.data.dir,
                cfg.data.cache_mb,
                file,
                Timestamp::now(),
            ))?;
            println!(
                "backup written to {} ({} bytes, {}): {}",
                file.display(),
                w.bytes,
                if w.by_instance {
                    "taken by the running instance"
                } else {
                    "read from the data directory"
                },
                w.header.counts
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { from, to, force } => {
            let url = std::env::var(DATABASE_URL_VAR).ok();
            let m = rt.block_on(sportello::backup::migrate(
                &sportello::backup::Migration {
                    from: *from,
                    to: *to,
                    dir: &cfg.data.dir,
                    cache_mb: cfg.data.cache_mb,
                    database_url: url.as_deref(),
                    force: *force,
                },
                Timestamp::now(),
            ))?;
            println!(
                "migrated from {from} to {to} (data directory {}): {} records",
                cfg.data.dir.display(),
                m.counts.total()
            );
            for (kind, n) in &m.counts.0 {
                println!("  {kind}: {n}");
            }
            println!("checked: the target holds the same records as the source, kind by kind");
            if m.unreadable > 0 {
                println!(
                    "warning: {} record(s) of the source could not be read and were left out",
                    m.unreadable
                );
            }
            if m.erased_again > 0 {
                println!(
                    "left out {} user(s) erased while the data was read",
                    m.erased_again
                );
            }
            println!("now set [data] backend = \"{to}\" and start the bot");
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file, force } => {
            embedded_only(&cfg, "restore")?;
            let r = rt.block_on(sportello::backup::restore(
                file,
                &cfg.data.dir,
                cfg.data.cache_mb,
                *force,
            ))?;
            println!(
                "restored into {} the backup of {} (sportello {}, {}): {}",
                cfg.data.dir.display(),
                r.header.created_at,
                r.header.app_version,
                r.header.backend,
                r.counts
            );
            for (kind, n) in &r.counts.0 {
                println!("  {kind}: {n}");
            }
            if r.erased_again > 0 {
                println!(
                    "erased again {} user(s) erased after the backup ({} record(s) left out or emptied)",
                    r.erased_again, r.erased_records
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `sportello health`: GET /healthz on the ops listener (an unspecified address such as
/// `0.0.0.0` is asked on the loopback).
async fn health(listen: &str) -> anyhow::Result<ExitCode> {
    let mut addr: std::net::SocketAddr = listen
        .parse()
        .context("ops.listen (or SPORTELLO_OPS_LISTEN) must be set to check health")?;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?;
    match client.get(format!("http://{addr}/healthz")).send().await {
        Ok(r) if r.status().is_success() => {
            println!("ok");
            Ok(ExitCode::SUCCESS)
        }
        Ok(r) => {
            println!("unhealthy: {}", r.status());
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            println!("no answer from {addr}: {}", e.without_url());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `backup` and `restore` read and write the embedded backend's data directory: with PostgreSQL
/// configured they would work on a directory the bot no longer uses (e.g. the one left
/// by `sportello migrate`).
fn embedded_only(cfg: &Config, command: &str) -> anyhow::Result<()> {
    if cfg.data.backend == Backend::Postgres {
        anyhow::bail!(
            "`sportello {command}` works on the embedded backend's data directory, and [data] \
             backend is \"postgres\": back PostgreSQL up with its own tools (pg_dump), or move \
             it to a data directory first (sportello migrate --from postgres --to embedded)"
        );
    }
    Ok(())
}

/// `--from`/`--to`: `embedded` (or `sled`, its older name) or `postgres`.
fn parse_backend(s: &str) -> Result<Backend, String> {
    Backend::from_name(s).ok_or_else(|| format!("unknown backend «{s}»: use embedded or postgres"))
}

/// `--lang it|en` (also `italiano`, `english`).
fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::from_name(s).ok_or_else(|| format!("unknown language «{s}»: use it or en"))
}
