//! Sportello: a Telegram assistant for applicants to public funding calls.
//!
//! # Layout
//!
//! - [`knowledge`] reads and validates `knowledge/` (calls, FAQs, synonyms) with file:line
//!   errors; deadlines are data with a history ([`knowledge::Deadline`]).
//! - [`documents`] reads the official documents of the calls (PDF, DOCX, HTML, text) and
//!   splits them into citable passages (article, paragraph, page), cached by content hash.
//! - [`fold`] is how text is compared everywhere: lower case, accents folded, acronyms
//!   joined.
//! - [`understand`] reads a message before it is searched: chat spellings, the calls it
//!   names (aliases in the call files), profile facts (size, place, partners, amounts),
//!   who is asking, and the question part of a long self-description.
//! - [`search`] indexes the knowledge with tantivy (Italian analysis, typo tolerance,
//!   synonyms) and ranks entries by coverage of the question and closeness to one of
//!   their phrasings; `search_bm25` is the plain baseline the answers are measured against.
//! - [`decide`] chooses what to answer with the context: the call named or in focus, the
//!   asker's audience, the calls' status (open first): a direct answer, a menu, «Quale
//!   bando?» or an honest "non lo so".
//! - [`eligibility`] models questionnaires, rules and typed answers and evaluates them
//!   (pure); the questionnaires are loaded by [`knowledge`], asked by [`dialogue`].
//! - [`dialogue`] is the engine: a pure function of (session, event, now) returning the
//!   new session (with the call in focus and the profile facts), the replies and the side
//!   effects to carry out (among them what was answered, as data, for measurement).
//! - [`reply`] is what the engine says (typed spans, buttons, documents), [`text`] holds
//!   every user-facing string, [`action`] encodes and validates button data.
//! - [`ids`] holds the identifiers every layer shares ([`ids::UserId`]).
//! - [`store`] is durable state behind one trait per kind of data (sessions as bytes
//!   with a revision, follows and the reminder queue, tickets, the question log with its
//!   retention, the outbox, applied updates, erasure); [`store::commit`] describes an
//!   update's changes and messages, applied by a backend in one atomic step;
//!   [`store::sled`] is the embedded backend, the only code that names sled;
//!   [`store::postgres`] the shared one for several instances (the only code that names
//!   sqlx). The store
//!   imports no engine: the app encodes sessions ([`app::session`]).
//! - [`outgoing`] is what the bot sends, one Bot API call per outbox entry (shared by the
//!   store and the outbox); [`store::outbox`] is the outbox's interface and claim protocol.
//! - [`outbox`] delivers every message, stored with the state change that caused it: one
//!   error policy, one limiter, the sender task.
//! - [`reminders`] follows deadlines for subscribers: pure schedule, a rate-limited
//!   dispatcher task over the store's queue, calendar files.
//! - [`helpdesk`] hands questions over to people: staff, tickets (kept by the store),
//!   ready-to-send answers for staff, statistics of what is missing.
//! - [`app`] wires knowledge, index, store and engine: the one entry point adapters call;
//!   it keeps each user's updates in order and tells the outbox what follows a delivery.
//! - [`console`] is the terminal adapter over [`app`].
//! - [`telegram`] is the Telegram adapter over [`app`] (teloxide): handlers that store and
//!   return, the Bot API client and the outbox's transport, and `sportello run`.
//! - [`config`] reads `config.toml` and the environment.
//!
//! Data flows one way: adapter → [`app::App::accept`] → store (load) → engine → store
//! (session + effects + outgoing messages in one commit, flush) → [`outbox`] sender →
//! Telegram. The reminder dispatcher hands its messages to the same outbox.

pub mod action;
pub mod app;
pub mod config;
pub mod console;
pub mod decide;
pub mod dialogue;
pub mod documents;
pub mod eligibility;
pub mod fold;
pub mod helpdesk;
pub mod ids;
pub mod knowledge;
pub mod outbox;
pub mod outgoing;
pub mod reminders;
pub mod reply;
pub mod search;
pub mod store;
pub mod telegram;
pub mod text;
pub mod understand;
