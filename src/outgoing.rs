//! What the bot sends: one outbox [`Entry`] per Bot API call to make, and what to do
//! once Telegram has accepted it ([`Then`]). A bottom module (it knows only replies), so
//! that the store can keep entries and the outbox deliver them.
//!
//! Entries keep the reply's typed text ([`Rich`]), not rendered HTML, so that the sender
//! can fall back to plain text when Telegram cannot parse the entities, and merge the
//! replies of a busy group. [`plan`] turns the engine's replies into entries (pure).

use serde::{Deserialize, Serialize};

use crate::reply::{Button, Reply, Rich};

/// Telegram's limit on a message's text, in characters after entity parsing.
pub const MAX_TEXT: usize = 4096;
/// Telegram's limit on a document's caption.
pub const MAX_CAPTION: usize = 1024;

/// Which queue an entry waits in: replies to what people just did go before everything
/// the bot says on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Class {
    /// Replies, edits, copies of staff answers, ticket posts: caused by an update.
    Reply,
    /// Reminders and notices: the bot speaking first.
    Background,
}

impl Class {
    pub(crate) fn byte(self) -> u8 {
        match self {
            Class::Reply => 0,
            Class::Background => 1,
        }
    }
}

/// A file to send as a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentSource {
    /// Small generated files (a calendar entry): the bytes themselves.
    Bytes(Vec<u8>),
    /// An official document: read when it is sent (it may be large, or gone by then).
    File(std::path::PathBuf),
}

/// A document message (its caption is the message's text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doc {
    pub file_name: String,
    pub source: DocumentSource,
    /// sendPhoto instead of sendDocument; if Telegram refuses the photo, the caption is
    /// sent as a message instead (entries stored before this field are documents).
    #[serde(default)]
    pub photo: bool,
    /// The language of the chat, for the note sent instead of a file that cannot be read
    /// (entries stored before this field are Italian).
    #[serde(default)]
    pub lang: crate::text::Lang,
}

/// Which message a new message answers (shown as a reply in the chat).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyTo {
    Message(i32),
    /// The staff-group message of a ticket, looked up when sending (the ticket's post may
    /// still be waiting in the outbox when a follow-up is stored).
    Ticket(u64),
}

/// One Bot API call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum What {
    /// sendMessage (or sendDocument when `document` is set; `text` is then the caption).
    Message {
        text: Rich,
        buttons: Vec<Vec<Button>>,
        document: Option<Doc>,
        reply_to: Option<ReplyTo>,
    },
    /// editMessageText of an earlier message (a pressed button's); sent as a new message
    /// when Telegram refuses the edit.
    Edit {
        message: i32,
        text: Rich,
        buttons: Vec<Vec<Button>>,
    },
    /// copyMessage: a staff answer to a user (never forwarded: staff stay anonymous).
    Copy { from_chat: i64, message: i32 },
}

/// What the app does once the call was made (see `crate::outbox::sender::Hooks`), in the same
/// write that removes the entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Then {
    /// A message about ticket `ticket` in the staff group: its id is recorded so that staff
    /// replies find the ticket. `tell` is sent to the ticket's user once it is accepted
    /// (the ticket's first post: «passato all'help desk»).
    TicketPosted {
        ticket: u64,
        /// The ticket's user (their private chat).
        user: i64,
        tell: Option<Reply>,
        /// The user's language: what they are told if the post is delayed or refused
        /// (entries stored before it was kept read as Italian).
        #[serde(default)]
        lang: crate::text::Lang,
    },
    /// A staff answer copied to the ticket's user: the ticket becomes answered and the
    /// staff chat gets a confirmation (or a warning when it could not be delivered).
    Copied { ticket: u64, staff_chat: i64 },
    /// Someone in this process waits for the outcome (a reminder handed over by the
    /// dispatcher); after a restart nobody does, and the entry is simply delivered.
    Wake(u64),
}

/// One stored Bot API call, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub chat: i64,
    pub class: Class,
    pub what: What,
    pub then: Option<Then>,
    /// In a group: the name of who asked, so that merged replies say whose each part is.
    /// `None` where replies must never be merged.
    pub asker: Option<String>,
}

impl Entry {
    pub fn message(chat: i64, class: Class, text: Rich) -> Entry {
        Entry {
            chat,
            class,
            what: What::Message {
                text,
                buttons: Vec::new(),
                document: None,
                reply_to: None,
            },
            then: None,
            asker: None,
        }
    }

    pub fn with_then(mut self, then: Then) -> Entry {
        self.then = Some(then);
        self
    }

    /// Someone waits to hear that this went out (a ticket's first post: its user), and
    /// should be told if it is delayed.
    pub fn awaited(&self) -> bool {
        matches!(&self.then, Some(Then::TicketPosted { tell: Some(_), .. }))
    }

    /// A plain reply message in a group, that may be merged with others when the group
    /// asks faster than Telegram lets the bot answer.
    pub fn mergeable(&self) -> bool {
        self.asker.is_some()
            && self.then.is_none()
            && self.chat < 0
            && matches!(
                &self.what,
                What::Message {
                    document: None,
                    reply_to: None,
                    ..
                }
            )
    }
}

/// Where the replies of one update go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub chat: i64,
    /// The message whose button was pressed: the first reply marked `edit` replaces it.
    pub pressed: Option<i32>,
    /// In a group chat: who asked (see [`Entry::asker`]).
    pub asker: Option<String>,
}

/// The entries that deliver `replies` to `to`: texts split at Telegram's 4,096
/// characters on paragraph boundaries with the buttons on the last piece, a document's
/// long caption continued in messages, the first editing reply as an edit of the pressed
/// message (once).
pub fn plan(replies: &[Reply], to: &Target, class: Class) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut pressed = to.pressed;
    for reply in replies {
        let mut pieces: Vec<(Rich, Option<Doc>)> = if reply.text.is_empty() {
            Vec::new()
        } else {
            reply
                .text
                .split(MAX_TEXT)
                .into_iter()
                .map(|r| (r, None))
                .collect()
        };
        if let Some(doc) = &reply.document {
            let mut captions = doc
                .caption
                .as_ref()
                .filter(|c| !c.is_empty())
                .map(|c| c.split(MAX_CAPTION))
                .unwrap_or_default()
                .into_iter();
            pieces.push((
                captions.next().unwrap_or_default(),
                Some(Doc {
                    file_name: doc.file_name.clone(),
                    source: DocumentSource::Bytes(doc.bytes.clone()),
                    photo: doc.photo,
                    // The bytes are here: the note for an unreadable file is never sent.
                    lang: crate::text::Lang::default(),
                }),
            ));
            pieces.extend(captions.map(|c| (c, None)));
        }
        let last = pieces.len().saturating_sub(1);
        for (i, (text, document)) in pieces.into_iter().enumerate() {
            let buttons = if i == last {
                reply.buttons.clone()
            } else {
                Vec::new()
            };
            let edit = if i == 0 && reply.edit && document.is_none() {
                pressed.take()
            } else {
                None
            };
            let what = match edit {
                Some(message) => What::Edit {
                    message,
                    text,
                    buttons,
                },
                None => What::Message {
                    text,
                    buttons,
                    document,
                    reply_to: None,
                },
            };
            out.push(Entry {
                chat: to.chat,
                class,
                what,
                then: None,
                asker: to.asker.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{Document, Span};

    fn button(data: &str) -> Button {
        Button {
            label: format!("L{data}"),
            data: data.into(),
        }
    }

    fn to(chat: i64, pressed: Option<i32>) -> Target {
        Target {
            chat,
            pressed,
            asker: None,
        }
    }

    #[test]
    fn long_replies_are_split_and_buttons_go_on_the_last_piece() {
        let mut text = Rich::new();
        for i in 0..6 {
            text.bold(format!("Sezione {i}"))
                .line()
                .text("parola ".repeat(150).trim_end())
                .para();
        }
        let reply = Reply::new(text.clone()).with_buttons(vec![vec![button("1|l")]]);
        let entries = plan(&[reply], &to(5, None), Class::Reply);
        assert!(entries.len() >= 2, "{} pieces", entries.len());
        let mut plain_total = 0;
        for (i, e) in entries.iter().enumerate() {
            let What::Message { text, buttons, .. } = &e.what else {
                panic!("no edit was asked")
            };
            assert_eq!(e.chat, 5);
            assert!(
                text.to_html().starts_with("<b>Sezione"),
                "cut inside a section"
            );
            assert_eq!(!buttons.is_empty(), i == entries.len() - 1);
            plain_total += text.to_html().chars().count();
        }
        assert!(plain_total >= text.to_plain().trim().chars().count());
    }

    #[test]
    fn entity_characters_are_escaped_for_html() {
        let mut r = Rich::new();
        r.push(Span::Plain("_*[]()~>#+-=|{}.! <b> & \"".into()));
        let entries = plan(&[Reply::new(r)], &to(1, None), Class::Reply);
        let What::Message { text, .. } = &entries[0].what else {
            panic!()
        };
        assert_eq!(
            text.to_html(),
            "_*[]()~&gt;#+-=|{}.! &lt;b&gt; &amp; &quot;"
        );
    }

    #[test]
    fn only_the_first_editing_reply_edits_the_pressed_message() {
        let a = Reply::new(Rich::plain("a")).editing();
        let b = Reply::new(Rich::plain("b")).editing();
        let entries = plan(&[a.clone(), b], &to(1, Some(9)), Class::Reply);
        assert!(matches!(entries[0].what, What::Edit { message: 9, .. }));
        assert!(matches!(entries[1].what, What::Message { .. }));
        // Without a pressed message (a typed "sì") an editing reply is sent.
        assert!(matches!(
            plan(&[a], &to(1, None), Class::Reply)[0].what,
            What::Message { .. }
        ));
    }

    #[test]
    fn documents_carry_their_name_and_caption() {
        let mut reply = Reply::new(Rich::new());
        reply.document = Some(Document {
            file_name: "scadenza.ics".into(),
            bytes: b"BEGIN:VCALENDAR".to_vec(),
            caption: Some(Rich(vec![Span::Plain("x < y".into())])),
            photo: false,
        });
        let entries = plan(&[reply], &to(1, Some(3)), Class::Reply);
        assert_eq!(entries.len(), 1);
        let What::Message { text, document, .. } = &entries[0].what else {
            panic!()
        };
        assert_eq!(text.to_html(), "x &lt; y");
        assert_eq!(document.as_ref().unwrap().file_name, "scadenza.ics");
    }

    #[test]
    fn only_plain_group_replies_may_be_merged() {
        let mut e = plan(
            &[Reply::new(Rich::plain("a"))],
            &Target {
                chat: -5,
                pressed: None,
                asker: Some("Anna".into()),
            },
            Class::Reply,
        )
        .remove(0);
        assert!(e.mergeable());
        e.chat = 5;
        assert!(!e.mergeable(), "private chats are never merged");
        e.chat = -5;
        e.then = Some(Then::Wake(1));
        assert!(!e.mergeable());
    }

    /// Entries stored before a ticket post kept its user's language still read (as
    /// Italian, what they were written in); new ones keep it.
    #[test]
    fn a_ticket_post_keeps_the_users_language_and_old_entries_still_read() {
        let old = r#"{"TicketPosted":{"ticket":3,"user":9,"tell":null}}"#;
        let then: Then = serde_json::from_str(old).unwrap();
        assert_eq!(
            then,
            Then::TicketPosted {
                ticket: 3,
                user: 9,
                tell: None,
                lang: crate::text::Lang::It
            }
        );
        let new = Then::TicketPosted {
            ticket: 3,
            user: 9,
            tell: None,
            lang: crate::text::Lang::En,
        };
        let back: Then = serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
        assert_eq!(back, new);
    }
}
