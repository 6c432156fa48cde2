//! The help desk, as part of the engine: people answer what the bot cannot. Pure, like
//! the user dialogue: each module is a function of state, event and `now`, and the app
//! ([`crate::app`]) reads the store, runs it and carries out its effects.
//!
//! - [`settings`]: who the staff are, review rules, where FAQs are written; it is
//!   [`crate::desk_settings`], kept below the dialogue, whose settings hold it.
//! - [`staff`]: the staff engine — staff commands, forwards and buttons in; replies,
//!   changed tickets and effects out.
//! - [`tickets`]: a ticket's life (follow-ups, withdrawal, closing, staff replies copied
//!   to the user) and the messages it causes; the tickets themselves are kept by the
//!   store ([`crate::store::TicketStore`]).
//! - [`ready`]: the ready-to-send answers staff get for a question.
//! - [`mod@stats`], [`statistics`], [`chart`]: the question log summed up, `/statistiche`'s
//!   text and its PNG chart.
//! - Staff teaching the bot: [`teach`] (how a FAQ draft changes, pure), [`drafts`] (file
//!   and card), [`impact`] (what a draft changes), [`publish`] (atomic write) and
//!   [`audit`] (append-only log); the app drives them (`app/teaching.rs`).
//!
//! The help desk imports the dialogue (ready answers and reviews are the dialogue's own
//! choices); the dialogue imports none of it (only [`crate::desk_settings`] and the
//! store's ticket types); nothing here imports the app.

pub mod audit;
pub mod chart;
pub mod drafts;
pub mod impact;
pub mod publish;
pub mod ready;
pub use crate::desk_settings as settings;
pub mod staff;
pub mod statistics;
pub mod stats;
pub mod teach;
pub mod tickets;

pub use crate::store::tickets::{FOLLOW_UP_WINDOW, NewTicket, Status, Ticket};
pub use ready::{ready_text, staff_pick};
pub use settings::{STAFF_LANG, Staff};
pub use stats::{ALIKE, Group, Stats, jaccard, stats};
pub use tickets::ticket_card;
