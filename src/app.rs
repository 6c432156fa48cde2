//! The application: knowledge, index, store and engine wired together.
//!
//! Adapters call [`App::handle`] and nothing else: it loads the user's session, runs the
//! pure engine, carries out the effects, stores the new session durably and only then
//! returns the replies to send. Knowledge can be swapped at run time ([`App::reload`]);
//! a message in flight keeps the knowledge it started with.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use jiff::Timestamp;

use crate::dialogue::{Effect, Engine, Event, Settings, UserView};
use crate::knowledge::{Knowledge, KnowledgeErrors, load_dir};
use crate::reminders::Subscription;
use crate::reply::{Document, Reply};
use crate::search::{SearchError, SearchIndex};
use crate::store::{AskedQuestion, Loaded, Store, StoreError, UserId};
use crate::text::texts;

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
}

/// Something to send, and where.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// To the chat the event came from.
    Here(Reply),
    /// To the staff group about ticket `ticket` (as a reply to `reply_to`); the adapter
    /// records the sent message with [`Store::ticket_posted`].
    ToStaff {
        ticket: u64,
        reply: Reply,
        reply_to: Option<i32>,
    },
    /// To a user's private chat.
    ToUser { user: UserId, reply: Reply },
    /// Copy (never forward: staff stay anonymous) staff message `message` of `from_chat`
    /// to the ticket's user, then tell staff with [`App::reply_delivered`].
    CopyToUser {
        ticket: u64,
        user: UserId,
        from_chat: i64,
        message: i32,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Knowledge(#[from] KnowledgeErrors),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Knowledge and the index built from it, replaced together.
#[derive(Debug)]
pub struct Brain {
    pub knowledge: Knowledge,
    pub index: SearchIndex,
}

impl Brain {
    /// Loads and indexes a knowledge directory, reading its documents without a cache.
    pub fn load(dir: &Path) -> Result<Brain, AppError> {
        Brain::load_with(dir, None)
    }

    /// Loads and indexes a knowledge directory; extracted document text is cached in
    /// `documents_cache` (if given). Documents that cannot be read become warnings in
    /// `knowledge.warnings`; they never make the load fail.
    pub fn load_with(dir: &Path, documents_cache: Option<&Path>) -> Result<Brain, AppError> {
        let mut knowledge = load_dir(dir)?;
        let cache = crate::documents::Cache::new(documents_cache.map(Path::to_path_buf));
        let (documents, warnings) = crate::documents::load(&knowledge, &cache);
        knowledge.documents = documents;
        knowledge.warnings.extend(warnings);
        let index = SearchIndex::from_knowledge(&knowledge)?;
        Ok(Brain { knowledge, index })
    }
}

/// Everything one running Sportello needs.
pub struct App {
    brain: RwLock<Arc<Brain>>,
    knowledge_dir: PathBuf,
    documents_cache: Option<PathBuf>,
    pub store: Store,
    pub settings: Settings,
}

impl App {
    pub fn new(brain: Brain, knowledge_dir: PathBuf, store: Store, settings: Settings) -> App {
        log_warnings(&brain);
        App {
            brain: RwLock::new(Arc::new(brain)),
            knowledge_dir,
            documents_cache: None,
            store,
            settings,
        }
    }

    /// Caches extracted document text in `dir` on [`App::reload`] (see [`Brain::load_with`]).
    pub fn with_documents_cache(mut self, dir: Option<PathBuf>) -> App {
        self.documents_cache = dir;
        self
    }

    /// The knowledge in force now.
    pub fn brain(&self) -> Arc<Brain> {
        self.brain.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reloads `knowledge/`; on any error the knowledge in force stays.
    pub fn reload(&self) -> Result<Arc<Brain>, AppError> {
        let fresh = Arc::new(Brain::load_with(
            &self.knowledge_dir,
            self.documents_cache.as_deref(),
        )?);
        log_warnings(&fresh);
        *self.brain.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
        Ok(fresh)
    }

    /// Handles one event of one user: the session is stored durably before the replies
    /// are returned, so a crash after sending never loses what the user was told.
    pub async fn handle(
        &self,
        user: UserId,
        event: &Event,
        now: Timestamp,
    ) -> Result<Vec<Reply>, AppError> {
        let incoming = Incoming {
            user,
            name: String::new(),
            chat: user.0,
            event: event.clone(),
            forwarded: false,
        };
        Ok(self
            .handle_incoming(&incoming, now)
            .await?
            .into_iter()
            .filter_map(|d| match d {
                Delivery::Here(r) => Some(r),
                _ => None,
            })
            .collect())
    }

    /// Handles one event in any chat: staff commands, forwards and buttons for staff
    /// (see [`crate::helpdesk`]), everything else through the engine. Replies for other
    /// chats (the staff group, a ticket's user) come back as [`Delivery`]s.
    pub async fn handle_incoming(
        &self,
        incoming: &Incoming,
        now: Timestamp,
    ) -> Result<Vec<Delivery>, AppError> {
        if self.settings.staff.is_staff(incoming.user, incoming.chat)
            && let Some(d) = self.staff_event(incoming, now).await?
        {
            return Ok(d);
        }
        let user = incoming.user;
        let event = &incoming.event;
        let brain = self.brain();
        let loaded = self.store.load_session(user)?;
        let reset = matches!(loaded, Loaded::Reset(_));
        let session = loaded.into_session();
        let lang = session.lang;
        let engine = Engine {
            knowledge: &brain.knowledge,
            index: &brain.index,
            settings: &self.settings,
        };
        let topic = session.topic.clone();
        let view = UserView {
            subscriptions: self.store.subscriptions_of(user)?,
            ticket: self.store.following_ticket(user, now)?.map(|t| t.number),
            tickets: self
                .store
                .tickets_of(user)?
                .iter()
                .map(|t| (t.number, t.status))
                .collect(),
        };
        let outcome = engine.handle_with(session, event, now, &view);
        let mut erased = false;
        let mut documents = Vec::new();
        let mut desk = Vec::new();
        for effect in &outcome.effects {
            match effect {
                Effect::EraseUser => {
                    self.store.erase_user(user)?;
                    erased = true;
                }
                Effect::Asked {
                    question,
                    best,
                    confident,
                    ..
                } => self.store.log_question(&AskedQuestion {
                    at: now,
                    question: question.clone(),
                    best: best.clone(),
                    confident: *confident,
                })?,
                Effect::Subscribe { call, deadline } => self.store.subscribe(
                    &Subscription {
                        user,
                        call: call.clone(),
                        deadline: *deadline,
                        planned_from: now,
                    },
                    &self.settings.reminder_offsets,
                )?,
                Effect::Unsubscribe { call: Some(call) } => {
                    self.store
                        .unsubscribe(user, call, &self.settings.reminder_offsets)?;
                }
                Effect::Unsubscribe { call: None } => {
                    self.store
                        .unsubscribe_all(user, &self.settings.reminder_offsets)?;
                }
                Effect::SendDocument {
                    file,
                    file_name,
                    caption,
                } => documents.push(match read_document(file).await {
                    Some(bytes) => Reply {
                        document: Some(Document {
                            file_name: file_name.clone(),
                            bytes,
                            caption: Some(caption.clone()),
                        }),
                        ..Reply::default()
                    },
                    None => Reply::new(texts(lang).t("document.unavailable", &[])),
                }),
                Effect::HandOver { question, answers } => {
                    let call = topic.as_ref().map(|c| {
                        brain
                            .knowledge
                            .call(&c.0)
                            .map_or(c.0.clone(), |c| c.short.clone())
                    });
                    desk.extend(self.hand_over(incoming, question, answers, call, now)?);
                }
                Effect::FollowUp { ticket, text } => {
                    desk.extend(self.follow_up(*ticket, text)?);
                }
                Effect::Withdraw { ticket } => desk.extend(self.withdraw(*ticket)?),
            }
        }
        if !erased {
            self.store.save_session(user, &outcome.session)?;
        }
        self.store.flush().await?;
        let mut replies = outcome.replies;
        replies.extend(documents);
        if reset {
            replies.insert(0, Reply::new(texts(lang).t("session.reset", &[])));
        }
        let mut out: Vec<Delivery> = replies.into_iter().map(Delivery::Here).collect();
        out.extend(desk);
        Ok(out)
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
async fn read_document(file: &Path) -> Option<Vec<u8>> {
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
