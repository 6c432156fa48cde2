//! The application: knowledge, index, store and engine wired together.
//!
//! Adapters call the app and nothing else. [`App::accept`] (Telegram) loads the user's
//! session, runs the pure engine, and stores the new session, the effects' data and the
//! messages to send in **one atomic write**, flushed to disk before it returns; the
//! outbox sender delivers them ([`crate::outbox`]). [`App::handle_incoming`] does the same
//! but returns the messages instead of storing them (console, `ask`, tests).
//!
//! Updates of one user are handled one at a time, in the order they arrive (a lock per
//! user), and a session is saved only if nobody saved it since it was read: otherwise the
//! update is handled again on the new session. Knowledge can be swapped at run time
//! ([`App::reload`], off the async workers); a message in flight keeps the knowledge it
//! started with.

mod brain;
mod desk;
pub mod follows;
mod outgoing;
pub mod profile_alerts;
mod publishing;
mod seen;
pub mod session;
mod sweep;
mod teaching;
mod upkeep;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use jiff::Timestamp;

pub use crate::delivery::Delivery;
use crate::dialogue::{Effect, Event, Settings, UserView};
use crate::helpdesk::tickets::TicketEvent;
use crate::knowledge::KnowledgeErrors;
use crate::ops::metrics;
use crate::outgoing::Target;
use crate::reply::{Document, Reply};
use crate::schedule::Subscription;
use crate::search::SearchError;
pub use brain::Brain;
pub use session::Loaded;

use crate::store::{AskedQuestion, Commit, CommitError, Store, StoreError, UserId};
use crate::text::texts;
use seen::Seen;

/// One message or button press, with what the help desk needs to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub user: UserId,
    /// The user's name as Telegram shows it (for tickets; may be empty).
    pub name: String,
    /// The chat it came from (the user's own id for a private chat).
    pub chat: i64,
    pub event: Event,
    /// A forwarded message: from staff, a question to answer for someone else.
    pub forwarded: bool,
    /// The language of the user's Telegram app (`language_code`), when it says: the
    /// session follows it until the user picks one with `/lingua`.
    pub lang: Option<crate::text::Lang>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Knowledge(#[from] KnowledgeErrors),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the knowledge reload stopped: {0}")]
    Reload(String),
}

/// Everything one running Sportello needs.
pub struct App {
    brain: RwLock<Arc<Brain>>,
    knowledge_dir: PathBuf,
    documents_cache: Option<PathBuf>,
    pub store: Store,
    pub settings: Settings,
    locks: UserLocks,
    /// The regression set's answers with the knowledge in use (FAQ reviews reuse them).
    pub(crate) regression_before: Arc<crate::helpdesk::impact::Remembered<Brain>>,
}

/// One lock per user (striped: a few users may share one), so that a user's updates are
/// handled one at a time in arrival order (tokio's mutex is fair), whatever chat they
/// come from.
struct UserLocks(Vec<tokio::sync::Mutex<()>>);

impl UserLocks {
    fn new() -> UserLocks {
        UserLocks((0..256).map(|_| tokio::sync::Mutex::new(())).collect())
    }

    async fn lock(&self, user: UserId) -> tokio::sync::MutexGuard<'_, ()> {
        let i = (user.0.unsigned_abs() % self.0.len() as u64) as usize;
        self.0[i].lock().await
    }
}

/// Attempts at an update whose session keeps changing under it.
const COMMIT_ATTEMPTS: usize = 8;

impl App {
    pub fn new(brain: Brain, knowledge_dir: PathBuf, store: Store, settings: Settings) -> App {
        log_warnings(&brain);
        App {
            brain: RwLock::new(Arc::new(brain)),
            knowledge_dir,
            documents_cache: None,
            store,
            settings,
            locks: UserLocks::new(),
            regression_before: Arc::default(),
        }
    }

    /// Caches extracted document text in `dir` on [`App::reload`] (see [`Brain::load_with`]).
    pub fn with_documents_cache(mut self, dir: Option<PathBuf>) -> App {
        self.documents_cache = dir;
        self
    }

    /// The user's session as stored (for reports and tests).
    pub async fn load_session(&self, user: UserId) -> Result<Loaded, StoreError> {
        Ok(session::load(&self.store, user).await?.0)
    }

    /// The knowledge directory (reloaded by [`App::reload`]; the help desk writes its
    /// staff FAQ file there).
    pub fn knowledge_dir(&self) -> &Path {
        &self.knowledge_dir
    }

    /// The knowledge in force now.
    pub fn brain(&self) -> Arc<Brain> {
        self.brain.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reloads `knowledge/` on a blocking thread (indexing takes seconds and document
    /// extraction more): the knowledge in force keeps serving until the new one is
    /// ready, and stays on any error.
    pub async fn reload(&self) -> Result<Arc<Brain>, AppError> {
        let dir = self.knowledge_dir.clone();
        let cache = self.documents_cache.clone();
        let loaded = tokio::task::spawn_blocking(move || Brain::load_with(&dir, cache.as_deref()))
            .await
            .map_err(|e| AppError::Reload(e.to_string()))
            .and_then(|r| r);
        metrics::knowledge_reload(loaded.is_ok());
        let fresh = Arc::new(loaded?);
        log_warnings(&fresh);
        *self.brain.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
        // The loading code that ran again need not stay mapped (crate::resident).
        crate::resident::release_code();
        Ok(fresh)
    }

    /// [`App::reload`], then tells the other instances sharing the store to reload too
    /// (`/ricarica`, a published FAQ). The reload here is the answer; an announcement
    /// that fails is logged (the others keep their knowledge until their next reload).
    pub async fn reload_everywhere(&self) -> Result<Arc<Brain>, AppError> {
        let fresh = self.reload().await?;
        if let Err(e) = self.store.announce_reload().await {
            tracing::error!("announcing the reload to the other instances: {e}");
        }
        Ok(fresh)
    }

    /// Handles one event of one user and returns the replies for the chat (console,
    /// `ask`); the session is stored durably first.
    pub async fn handle(
        &self,
        user: UserId,
        event: &Event,
        now: Timestamp,
    ) -> Result<Vec<Reply>, AppError> {
        self.handle_in(user, None, event, now).await
    }

    /// [`App::handle`] for a user whose client speaks `lang` (the console's `--lang`),
    /// as Telegram's `language_code` does.
    pub async fn handle_in(
        &self,
        user: UserId,
        lang: Option<crate::text::Lang>,
        event: &Event,
        now: Timestamp,
    ) -> Result<Vec<Reply>, AppError> {
        let incoming = Incoming {
            user,
            name: String::new(),
            chat: user.0,
            event: event.clone(),
            forwarded: false,
            lang,
        };
        Ok(self
            .handle_incoming(&incoming, now)
            .await?
            .into_iter()
            .filter_map(|d| match d {
                Delivery::Here(r) => Some(r),
                Delivery::ToStaff {
                    tell: Some((_, r)), ..
                } => Some(r),
                _ => None,
            })
            .collect())
    }

    /// Handles one event in any chat: staff commands, forwards and buttons for staff
    /// (see [`crate::helpdesk`]), everything else through the engine. The state is stored
    /// durably; the messages are returned, not stored (official documents are read).
    pub async fn handle_incoming(
        &self,
        incoming: &Incoming,
        now: Timestamp,
    ) -> Result<Vec<Delivery>, AppError> {
        let deliveries = self.apply(incoming, now, None, None).await?;
        let mut out = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            out.push(match d {
                Delivery::File {
                    path,
                    file_name,
                    caption,
                    lang,
                } => Delivery::Here(match read_document(&path).await {
                    Some(bytes) => Reply {
                        document: Some(Document {
                            file_name,
                            bytes,
                            caption: Some(caption),
                            photo: false,
                        }),
                        ..Reply::default()
                    },
                    None => Reply::new(texts(lang).t("document.unavailable", &[])),
                }),
                d => d,
            });
        }
        Ok(out)
    }

    /// Handles one event and stores the state change and every message it causes in one
    /// atomic write, on disk when this returns (`here`: where replies to the event go).
    /// `update`: Telegram's update id, recorded in the same write, so that an update
    /// delivered again after a crash (Telegram had not seen it confirmed) is not applied
    /// twice. Returns the number of messages stored; the outbox sender delivers them.
    pub async fn accept(
        &self,
        incoming: &Incoming,
        here: &Target,
        update: Option<u32>,
        now: Timestamp,
    ) -> Result<usize, AppError> {
        Ok(self.apply(incoming, now, Some(here), update).await?.len())
    }

    /// Stores messages to send (no state change), on disk when this returns; with
    /// `update`, only once per update (see [`App::accept`]).
    pub async fn send(
        &self,
        deliveries: Vec<Delivery>,
        here: &Target,
        update: Option<u32>,
    ) -> Result<(), AppError> {
        let mut commit = Commit::new();
        if let Some(id) = update {
            if self.store.is_applied(id).await? {
                return Ok(());
            }
            commit.applied(id);
        }
        commit.send_all(self.entries(deliveries, here));
        match metrics::store_op_async("commit", self.store.commit(&commit)).await {
            Ok(()) | Err(CommitError::Conflict) => {}
            Err(CommitError::Store(e)) => return Err(e.into()),
        }
        metrics::store_op_async("flush", self.store.flush()).await?;
        Ok(())
    }

    /// Update `id` was handled (applied, answered or ignored): out of the store's inbox
    /// ([`crate::store::Inbox`]), so that a restart does not hand it out again.
    pub async fn handled(&self, id: u32) -> Result<(), AppError> {
        Ok(self.store.handled(id).await?)
    }

    /// Runs an event under the user's lock and commits it, again on a conflict; with
    /// `here`, the messages are stored in the same commit.
    async fn apply(
        &self,
        incoming: &Incoming,
        now: Timestamp,
        here: Option<&Target>,
        update: Option<u32>,
    ) -> Result<Vec<Delivery>, AppError> {
        let _turn = self.locks.lock(incoming.user).await;
        // Other instances sharing the store wait for this update of the user too (a
        // no-op where one process owns the data).
        let _everywhere = self.store.user_turn(incoming.user).await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (mut commit, deliveries, seen) = self.process(incoming, now).await?;
            if let Some(id) = update {
                if self.store.is_applied(id).await? {
                    tracing::info!(
                        update = id,
                        "update already applied before a restart: skipped"
                    );
                    return Ok(Vec::new());
                }
                commit.applied(id);
            }
            if let Some(here) = here {
                commit.send_all(self.entries(deliveries.clone(), here));
            }
            match metrics::store_op_async("commit", self.store.commit(&commit)).await {
                Ok(()) => {
                    metrics::store_op_async("flush", self.store.flush()).await?;
                    seen.record();
                    return Ok(deliveries);
                }
                Err(CommitError::Conflict) if attempt < COMMIT_ATTEMPTS => {
                    tracing::debug!(attempt, "the session changed meanwhile: again");
                    tokio::task::yield_now().await;
                }
                Err(CommitError::Conflict) => {
                    return Err(AppError::Store(StoreError::Contended(
                        "the session kept changing",
                    )));
                }
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// The pure part of an update plus what it reads: the commit of its state change
    /// (without messages), the messages, and what to count once it is committed.
    async fn process(
        &self,
        incoming: &Incoming,
        now: Timestamp,
    ) -> Result<(Commit, Vec<Delivery>, Seen), AppError> {
        let mut commit = Commit::new();
        if self.settings.staff.is_staff(incoming.user, incoming.chat)
            && let Some(d) = self.staff_event(incoming, now, &mut commit).await?
        {
            return Ok((commit, d, Seen::default()));
        }
        let user = incoming.user;
        let event = &incoming.event;
        let brain = self.brain();
        let (loaded, rev) =
            metrics::store_op_async("load", session::load(&self.store, user)).await?;
        let reset = matches!(loaded, Loaded::Reset(_));
        let mut session = loaded.into_session();
        if let Some(l) = incoming.lang
            && !session.lang_chosen
        {
            session.lang = l;
        }
        let lang = session.lang;
        let engine = brain.engine(&self.settings);
        let topic = session.topic.clone();
        let view = UserView {
            subscriptions: self.store.subscriptions_of(user).await?,
            follows: self
                .store
                .watches_of(user)
                .await?
                .into_iter()
                .map(|w| w.call)
                .collect(),
            profile_alert: self.store.profile_alert(user).await?.is_some(),
            ticket: self
                .store
                .following_ticket(user, now)
                .await?
                .map(|t| t.number),
            tickets: self
                .store
                .tickets_of(user)
                .await?
                .iter()
                .map(|t| (t.number, t.status))
                .collect(),
        };
        let outcome = engine.handle_with(session, event, now, &view);
        let offsets = &self.settings.reminder_offsets;
        let seen = Seen::of(&outcome.effects, user, now, offsets);
        let mut erased = false;
        let mut documents = Vec::new();
        let mut desk = Vec::new();
        for effect in &outcome.effects {
            match effect {
                Effect::EraseUser => {
                    commit.erase(user);
                    erased = true;
                }
                Effect::Asked {
                    question,
                    best,
                    confident,
                    ..
                } => {
                    commit.log_question(
                        Some(user),
                        AskedQuestion {
                            at: now,
                            question: question.clone(),
                            best: best.clone(),
                            confident: *confident,
                        },
                    );
                }
                Effect::Subscribe { call, deadline } => {
                    commit.subscribe(
                        Subscription {
                            user,
                            call: call.clone(),
                            deadline: *deadline,
                            planned_from: now,
                        },
                        offsets,
                    );
                }
                Effect::Unsubscribe { call } => {
                    commit.unsubscribe(user, call.clone(), offsets);
                }
                Effect::Follow {
                    call,
                    facts,
                    verdict,
                } => {
                    commit.follow(crate::store::Watch {
                        user,
                        call: call.clone(),
                        seen: facts.clone(),
                        since: now,
                        verdict: verdict.clone(),
                        lang: outcome.session.lang,
                    });
                }
                Effect::ProfileAlert {
                    questionnaire,
                    answers,
                    seen,
                } => {
                    commit.save_profile(crate::store::ProfileAlert {
                        user,
                        questionnaire: questionnaire.clone(),
                        answers: answers.clone(),
                        seen: seen.clone(),
                        lang: outcome.session.lang,
                        since: now,
                    });
                }
                Effect::ProfileAlertStop => {
                    commit.drop_profile(user);
                }
                Effect::Unfollow { call } => {
                    commit.unfollow(user, call.clone());
                }
                Effect::SendDocument {
                    file,
                    file_name,
                    caption,
                } => documents.push(Delivery::File {
                    path: file.clone(),
                    file_name: file_name.clone(),
                    caption: caption.clone(),
                    lang: outcome.session.lang,
                }),
                Effect::HandOver {
                    question,
                    answers,
                    call,
                } => {
                    let call = call.as_ref().or(topic.as_ref()).map(|c| {
                        brain
                            .knowledge
                            .call(&c.0)
                            .map_or(c.0.clone(), |c| c.short.clone())
                    });
                    // The language the user was answered in: that of the question
                    // when it shows one, else the setting.
                    let lang = crate::understand::english::detect(question)
                        .unwrap_or(outcome.session.lang);
                    desk.extend(
                        self.hand_over(
                            crate::helpdesk::NewTicket {
                                user: incoming.user,
                                name: incoming.name.clone(),
                                question: question.clone(),
                                call,
                                answers: answers.clone(),
                                lang,
                            },
                            now,
                            &mut commit,
                        )
                        .await?,
                    );
                }
                Effect::FollowUp { ticket, text } => {
                    let event = TicketEvent::FollowUp(text.clone());
                    desk.extend(self.ticket_event(*ticket, &event, now, &mut commit).await?);
                }
                Effect::Withdraw { ticket } => {
                    let event = TicketEvent::Withdraw;
                    desk.extend(self.ticket_event(*ticket, &event, now, &mut commit).await?);
                }
                Effect::CheckStarted { .. } | Effect::CheckFinished { .. } => {}
            }
        }
        let bytes = match erased {
            true => None,
            false => Some(session::encode(&outcome.session)?),
        };
        commit.session(user, rev, bytes, outcome.session.last_seen.unwrap_or(now));
        let mut out: Vec<Delivery> = Vec::new();
        if reset {
            out.push(Delivery::Here(Reply::new(
                texts(lang).t("session.reset", &[]),
            )));
        }
        out.extend(outcome.replies.into_iter().map(Delivery::Here));
        out.extend(documents);
        out.extend(desk);
        Ok((commit, out, seen))
    }
}

/// Documents that could not be read are not fatal, but the operator must hear of them.
fn log_warnings(brain: &Brain) {
    for w in &brain.knowledge.warnings {
        tracing::warn!("{w}");
    }
}

/// Telegram bots may send files up to 50 MB.
const MAX_DOCUMENT_BYTES: u64 = 50 * 1024 * 1024;

/// Reads an official document for sending; `None` (logged) when it is gone or too big.
pub(crate) async fn read_document(file: &Path) -> Option<Vec<u8>> {
    match tokio::fs::metadata(file).await {
        Ok(m) if m.len() > MAX_DOCUMENT_BYTES => {
            tracing::warn!("{} is too big to send ({} bytes)", file.display(), m.len());
            return None;
        }
        Err(e) => {
            tracing::warn!("cannot send {}: {e}", file.display());
            return None;
        }
        Ok(_) => {}
    }
    match tokio::fs::read(file).await {
        Ok(b) => Some(b),
        Err(e) => {
            tracing::warn!("cannot send {}: {e}", file.display());
            None
        }
    }
}
