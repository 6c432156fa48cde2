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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Telegram bot (token from the TELOXIDE_TOKEN environment variable).
    Run,
    /// Chat with the bot in the terminal.
    Console,
    /// Answer one question as the bot would, then exit.
    Ask {
        /// The question.
        question: Vec<String>,
    },
    /// Validate the knowledge directory; exit non-zero on any error. Documents that cannot
    /// be read are warnings (exit 0) unless --strict.
    Check {
        /// Exit non-zero on warnings too (e.g. an unreadable document).
        #[arg(long)]
        strict: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "sportello=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("errore: {e:#}");
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
    }
}

/// The configured backend's store: sled in the data directory, or PostgreSQL at the URL
/// in `SPORTELLO_DATABASE_URL` (never printed).
fn open_store(cfg: &Config, rt: &tokio::runtime::Runtime) -> anyhow::Result<Store> {
    match cfg.data.backend {
        Backend::Sled => Store::open(&cfg.data.dir, cfg.data.cache_mb).with_context(|| {
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

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let cfg = load_config(&cli)?;
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
                    if *strict && !k.warnings.is_empty() {
                        eprintln!(
                            "{} warning(s): failing because of --strict",
                            k.warnings.len()
                        );
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
        Command::Ask { question } => {
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
            let replies =
                rt.block_on(app.handle(console::CONSOLE_USER, &Event::Text(q), Timestamp::now()))?;
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
            console::render(&replies, &mut std::io::stdout(), ansi)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Console => {
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
            sportello::telegram::hide_in_logs(token);
            let reminders = cfg.reminders.settings()?;
            let brain = Brain::load_with(&cfg.knowledge.dir, cfg.knowledge.documents_cache())
                .context("loading the knowledge")?;
            let store = open_store(&cfg, &rt)?;
            if cfg.data.backend == Backend::Sled {
                tracing::info!("data in {}", cfg.data.dir.display());
            }
            let app = Arc::new(
                App::new(brain, cfg.knowledge.dir.clone(), store, settings(&cfg))
                    .with_documents_cache(cfg.knowledge.documents_cache().map(Into::into)),
            );
            rt.block_on(sportello::telegram::run::run(
                app,
                &cfg.telegram,
                token,
                &cfg.data,
                reminders,
            ))
            .map_err(|e| anyhow::anyhow!(sportello::telegram::redact(&e.to_string())))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
