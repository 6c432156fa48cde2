//! Sportello: a Telegram assistant for applicants to public funding calls.
//!
//! # Layout
//!
//! Layers, each importing only those below it: [`fold`], [`numbers`], [`deadline`],
//! [`text`] →
//! [`knowledge`] → [`search`], [`understand`], [`eligibility`], [`documents`] →
//! [`decide`] → [`dialogue`] (the engine) → [`app`] → adapters ([`telegram`], [`console`],
//! `main.rs`). The pack's data types live in [`knowledge`], also those another module
//! works on (questionnaires, official documents), so that nothing below reaches up.
//!
//! - [`fold`] is how text is compared everywhere: lower case, accents folded, acronyms
//!   joined. [`ids`] names users and calls ([`ids::CallId`]) for every layer.
//! - [`knowledge`] reads and validates `knowledge/` (calls, FAQs, synonyms) with file:line
//!   errors (every loader reads through `knowledge/files.rs`); deadlines are data with a
//!   history ([`deadline::Deadline`], also [`knowledge::Deadline`]), in a module of their
//!   own below [`text`], which writes their dates; [`knowledge::questionnaire`] holds the eligibility
//!   questionnaires (types, what a condition means, their loading and checks) and
//!   [`knowledge::documents`] the official documents and their passages as the pack holds
//!   them; [`knowledge::english`] builds the English view of the pack from `knowledge/en/`.
//!   [`knowledge::audit`] finds sentences that contradict the pack's own data;
//!   [`knowledge::regression`] reads the regression set (`knowledge/regression.toml`).
//! - [`documents`] reads the official documents of the calls (PDF, DOCX, HTML, text) and
//!   splits them into citable passages (article, paragraph, page), cached by content hash.
//! - [`understand`] reads a message before it is searched: chat spellings, the calls it
//!   names (aliases in the call files) or a follow-up points at ([`understand::pointers`]),
//!   profile facts (size, place, partners, amounts), who is asking, and the question part
//!   of a long self-description; [`understand::english`] tells English from Italian.
//! - [`numbers`] reads numbers as people type them (`50 mila`, `60k`, `€60,000`;
//!   [`numbers::english`]): below both [`understand`] and [`eligibility`], which read them.
//! - [`search`] indexes the knowledge with tantivy (Italian analysis, typo tolerance,
//!   synonyms) and ranks entries by coverage of the question and closeness to one of
//!   their phrasings; `search_bm25` is the plain baseline the answers are measured against.
//!   The English view has its own index ([`search::SearchIndex::english`]); both run one
//!   analysis pipeline (`search/analysis.rs`) and differ only in stemmer, stop words and
//!   synonyms. Each index may hold learned ranker weights (`knowledge/ranker.toml`, read
//!   and checked by `search::learned`, trained by `train-ranker` in `tools/`), among them
//!   the counts of the taught classifier (`search::taught`: which entry the development
//!   sets' questions with these words expected), a feature of the decision. An index
//!   remembers the searches of repeated questions (`search/found.rs`, bounded, exact keys),
//!   the analyses of repeated texts (`search/analysed.rs`) and the marks of repeated
//!   excerpts (`search/excerpt.rs`), each within a budget of bytes.
//!   tantivy builds the index and is dropped: its postings are read out once
//!   (`search/postings.rs`) and every search is one flat union of boosted terms over
//!   them, scored as tantivy scores it, bit for bit (`search/query.rs`).
//! - [`decide`] chooses what to answer with the context: the call named or in focus, the
//!   asker's audience, the calls' status (open first): a direct answer, a menu, «Quale
//!   bando?» or an honest "non lo so". Whether the best entry is sure enough to answer
//!   directly is the learned decision when the pack has a ranker file (features in
//!   `decide::features`), else hand-set margins; `decide::honest` then turns an answer
//!   about a subject or a kind of fact the pack does not state (or whether a firm from
//!   outside the calls' territory may take part, where no entry says it) into «non lo so»;
//!   `decide::asker` weighs who an entry is for against who is asking; `decide::escape`
//!   moves a question off the call in focus or the named one when the words point at
//!   another call's entry almost word for word; `decide::per_call` puts the open call
//!   first (and never answers what the asker may do now with a closed call's rule).
//! - [`eligibility`] evaluates questionnaires (next question, verdict with reasons,
//!   profile matching, test cases) and reads typed answers (pure); the questionnaires are
//!   data of [`knowledge`] (re-exported here), asked by [`dialogue`];
//!   [`eligibility::grant`] says from their rules what a project of a given value gets.
//! - [`dialogue`] is the engine: a pure function of (session, event, now) returning the
//!   new session (with the call in focus and the profile facts), the replies and the side
//!   effects to carry out (among them what was answered, as data, for measurement). Each
//!   reply is in one language: the session's, or the question's when it is clearly the
//!   other; the engine then runs over that language's pack and index.
//! - [`command`] is the one list of slash commands (names in Italian and English, who
//!   may use them, menu or not, locale keys): the parser the engine and the help desk use,
//!   Telegram's menus and `/aiuto` are built from it.
//! - [`reply`] is what the engine says (typed spans, buttons, documents), [`text`] holds
//!   every user-facing string per language (`locales/it.toml`, `locales/en.toml`) and
//!   formats dates and amounts for it, [`action`] encodes and validates button data.
//! - [`ids`] holds the identifiers every layer shares ([`ids::UserId`]); [`kept`] a bounded
//!   memory of pure results (the searches of `search/found.rs`, the analyses and marks of
//!   `search/analysed.rs` and `search/excerpt.rs`, the readings of `dialogue/readings.rs`).
//! - [`store`] is durable state behind one trait per kind of data (sessions as bytes
//!   with a revision, subscriptions and the reminder queue, followed calls, tickets, the question log with its
//!   retention, the outbox, applied updates, the inbox, erasure); [`store::commit`] describes an
//!   update's changes and messages, applied by a backend in one atomic step;
//!   [`store::embedded`] is the embedded backend, over `crates/kv` (trees in memory, one
//!   checksummed log flushed and synced in the calling thread; the question log in files
//!   by day, out of memory): the only code that names
//!   `kv`, and sled (a copy in `vendor/sled/`), which it reads only to move a data
//!   directory written before issue 11;
//!   [`store::postgres`] the shared one for several instances (the only code that names
//!   sqlx), which coordinate through [`store::instances`] (a user's turn, who sets the
//!   webhook, reload announcements). [`store::shred`] and [`store::keys`] make erasure real on disk (per-user keys
//!   kept outside the log, destroyed on `/cancellami` once the erasure is on disk); [`store::files`] keeps the data
//!   directory private. The store imports no engine: the app encodes sessions
//!   ([`app::session`]). [`store::dump`] exports every kind in a backend-neutral form
//!   (one point in time) and imports it; [`store::erasures`] journals erasures by
//!   pseudonym so that a restore does not bring erased users back.
//! - [`outgoing`] is what the bot sends, one Bot API call per outbox entry (shared by the
//!   store and the outbox); [`store::outbox`] is the outbox's interface and claim protocol.
//! - [`outbox`] delivers every message, stored with the state change that caused it: one
//!   error policy, one limiter, the sender task.
//! - [`reminders`] follows deadlines for subscribers: a rate-limited dispatcher task over
//!   the store's queue; [`schedule`] is its pure part (which reminders a subscription
//!   has, what a changed deadline means, how its offsets read), shared with the store,
//!   which persists what it plans, and with the engine (so neither imports
//!   [`reminders`]); [`ics`] writes a deadline as a calendar file.
//! - [`follow`] is following a call (pure): what a follower was last told
//!   ([`follow::CallFacts`]), what changed since, the notice; [`app::follows`] compares
//!   every follow on each load (run by the reminder dispatcher) and stores the notices in
//!   the outbox with the new facts; [`store::watches`] keeps the follows. Profile alerts:
//!   [`dialogue::profile_alert`] offers them, records the consent and finds the new calls
//!   that fit a stored profile; [`app::profile_alerts`] runs that on each load and stores
//!   the notices; [`store::profiles`] keeps the profiles (sealed). Notices are written in
//!   the user's language.
//! - [`delivery`] is what an engine asks to send and where (here, the staff group, a
//!   user, a copy of a staff answer), below the engines so that they need no app.
//! - [`helpdesk`] is the help desk's engine, pure like [`dialogue`] and above it (ready
//!   answers are the dialogue's own choice): [`helpdesk::staff`] takes a staff event
//!   (forward, staff command, staff button, draft edit) with the tickets it needs and
//!   returns them changed, the replies and the effects (reload, `/statistiche`, the teach
//!   flow); [`helpdesk::tickets`] is a ticket's life (follow-up, withdrawal, closing, a
//!   staff reply copied to its user); [`helpdesk::ready`] the ready-to-send answers;
//!   [`mod@helpdesk::stats`], [`helpdesk::statistics`] and [`helpdesk::chart`] the question
//!   log summed up, as text and a PNG; staff teaching the bot: a relayed answer becomes a
//!   FAQ draft ([`helpdesk::teach`], pure), reviewed with what it changes
//!   ([`helpdesk::impact`]), written atomically into `knowledge/faq/`
//!   ([`helpdesk::drafts`], [`helpdesk::publish`], [`helpdesk::audit`]).
//!   [`desk_settings`] (who the staff are, the review rule, the language staff read;
//!   also `helpdesk::settings`) sits below the dialogue, whose settings hold it: the
//!   dialogue imports nothing of the help desk, and the help desk never imports the app.
//! - [`app`] wires knowledge, index, store and the engines: the one entry point adapters
//!   call; it keeps each user's updates in order and tells the outbox what follows a
//!   delivery. It runs the help desk engine and carries out its effects (`app/desk.rs`,
//!   `app/teaching.rs`, `app/publishing.rs`), and the store's upkeep (`app/upkeep.rs`).
//! - [`console`] is the terminal adapter over [`app`].
//! - [`telegram`] is the Telegram adapter over [`app`] (teloxide): the listeners that
//!   keep each update in the store's inbox before Telegram may forget it (long polling,
//!   webhook) and hand out again what it kept and left unhandled, handlers that hand
//!   updates to the app (never to the store) and return, the Bot API client, its own `getUpdates` and the outbox's transport (no 5xx held
//!   inside a call), the command menus per scope and
//!   language ([`telegram::menus`]), and `sportello run`.
//! - [`ops`] is for running it in production: the metrics (Prometheus), `/healthz` and
//!   `/readyz`, logs as text or JSON with one token-redacting writer and users as salted
//!   hashes; called from the edges only.
//! - [`backup`] is `sportello backup` and `sportello restore`: a versioned, checksummed,
//!   compressed file of [`store::dump`] records, taken by the running instance over a
//!   Unix socket in the data directory when one runs; restore checks it, refuses a data
//!   directory with data unless forced, and erases again who was erased since;
//!   `sportello migrate` moves the same records straight from one backend to the other
//!   and checks the target record for record.
//! - [`config`] reads `config.toml` and the environment.
//! - [`resident`] lets go of the executable's pages that loading mapped (after loading
//!   and each reload), called from [`app`] and [`telegram`]; it imports nothing of ours.
//!
//! Data flows one way: adapter → [`app::App::accept`] → store (load) → engine (the
//! dialogue, or the help desk for staff) → store (session, changed tickets, effects and
//! outgoing messages in one commit, flush) → [`outbox`] sender → Telegram. The reminder
//! dispatcher hands its messages to the same outbox. Layers point down only: adapters →
//! app → help desk → dialogue → decide/search/eligibility → knowledge, with the store,
//! [`ids`], [`reply`] and [`delivery`] below the engines.

pub mod action;
pub mod app;
pub mod backup;
pub mod command;
pub mod config;
pub mod console;
pub mod deadline;
pub mod decide;
pub mod delivery;
pub mod desk_settings;
pub mod dialogue;
pub mod documents;
pub mod eligibility;
pub mod fold;
pub mod follow;
pub mod helpdesk;
pub mod ics;
pub mod ids;
pub mod kept;
pub mod knowledge;
pub mod numbers;
pub mod ops;
pub mod outbox;
pub mod outgoing;
pub mod reminders;
pub mod reply;
pub mod resident;
pub mod schedule;
pub mod search;
pub mod store;
pub mod telegram;
pub mod text;
pub mod understand;
