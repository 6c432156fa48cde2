//! What the app stores to send, and what it does around each delivery.
//!
//! [`App::entries`] turns [`Delivery`]s into outbox entries: replies to the chat of the
//! update, ticket posts to the staff group, copies of staff answers. [`Hooks`] is the
//! app's side of the outbox sender: late-bound parts of an entry, and what follows once
//! Telegram accepted (or refused) it, committed with the entry's removal.

use std::path::Path;

use jiff::Timestamp;

use super::{App, Delivery, MAX_DOCUMENT_BYTES};
use crate::helpdesk::tickets;
use crate::outbox::sender::{End, Hooks};
use crate::outgoing::{Class, Doc, DocumentSource, Entry, ReplyTo, Target, Then, What, plan};
use crate::reply::Reply;
use crate::store::{Commit, StoreError, UserId};
use crate::text::texts;

fn private(user: UserId) -> Target {
    Target {
        chat: user.0,
        ..Target::default()
    }
}

impl App {
    /// The outbox entries of `deliveries`; `here` is where replies to the event go.
    pub fn entries(&self, deliveries: Vec<Delivery>, here: &Target) -> Vec<Entry> {
        let mut out = Vec::new();
        let mut here = here.clone();
        let mut pending: Vec<Reply> = Vec::new();
        // Consecutive replies are planned together: only the first editing one edits.
        let flush = |pending: &mut Vec<Reply>, here: &mut Target, out: &mut Vec<Entry>| {
            if !pending.is_empty() {
                let planned = plan(pending, here, Class::Reply);
                if planned.iter().any(|e| matches!(e.what, What::Edit { .. })) {
                    here.pressed = None;
                }
                out.extend(planned);
                pending.clear();
            }
        };
        for d in deliveries {
            match d {
                Delivery::Here(r) => {
                    pending.push(r);
                    continue;
                }
                d => {
                    flush(&mut pending, &mut here, &mut out);
                    match d {
                        Delivery::Here(_) => {}
                        Delivery::File {
                            path,
                            file_name,
                            caption,
                            lang,
                        } => out.push(Entry {
                            chat: here.chat,
                            class: Class::Reply,
                            what: What::Message {
                                text: caption,
                                buttons: Vec::new(),
                                document: Some(Doc {
                                    file_name,
                                    source: DocumentSource::File(path),
                                    photo: false,
                                    lang,
                                }),
                                reply_to: None,
                            },
                            then: None,
                            asker: None,
                        }),
                        Delivery::ToStaff {
                            ticket,
                            reply,
                            reply_to,
                            tell,
                            lang,
                        } => {
                            let Some(staff) = self.settings.staff.chat else {
                                continue;
                            };
                            let to = Target {
                                chat: staff,
                                ..Target::default()
                            };
                            let mut planned = plan(&[reply], &to, Class::Reply);
                            for e in &mut planned {
                                if let What::Message { reply_to: r, .. } = &mut e.what {
                                    *r = reply_to;
                                }
                            }
                            // The first piece is the ticket's message; a user waiting for
                            // the post is told when it is accepted.
                            let user = tell.as_ref().map_or(0, |t| t.0.0);
                            let mut tell = tell.map(|t| t.1);
                            for e in &mut planned {
                                e.then = Some(Then::TicketPosted {
                                    ticket,
                                    user,
                                    tell: tell.take(),
                                    lang,
                                });
                            }
                            out.extend(planned);
                        }
                        Delivery::ToUser { user, reply } => {
                            out.extend(plan(&[reply], &private(user), Class::Reply));
                        }
                        Delivery::CopyToUser {
                            ticket,
                            user,
                            from_chat,
                            message,
                        } => out.push(Entry {
                            chat: user.0,
                            class: Class::Reply,
                            what: What::Copy { from_chat, message },
                            then: Some(Then::Copied {
                                ticket,
                                staff_chat: from_chat,
                            }),
                            asker: None,
                        }),
                    }
                }
            }
        }
        flush(&mut pending, &mut here, &mut out);
        out
    }
}

/// An official document as it will be sent: its bytes, or a polite text if it is gone
/// or over Telegram's 50 MB.
async fn load_file(entry: Entry, path: &Path) -> Entry {
    let too_big = tokio::fs::metadata(path)
        .await
        .is_ok_and(|m| m.len() > MAX_DOCUMENT_BYTES);
    let bytes = if too_big {
        tracing::warn!("{} is too big to send", path.display());
        None
    } else {
        super::read_document(path).await
    };
    let What::Message {
        text,
        buttons,
        document: Some(doc),
        reply_to,
    } = entry.what
    else {
        return entry;
    };
    let what = match bytes {
        Some(bytes) => What::Message {
            text,
            buttons,
            document: Some(Doc {
                file_name: doc.file_name,
                source: DocumentSource::Bytes(bytes),
                photo: doc.photo,
                lang: doc.lang,
            }),
            reply_to,
        },
        None => What::Message {
            text: texts(doc.lang).t("document.unavailable", &[]),
            buttons,
            document: None,
            reply_to,
        },
    };
    Entry { what, ..entry }
}

impl Hooks for App {
    async fn prepare(&self, mut entry: Entry) -> Entry {
        if let What::Message {
            reply_to: reply_to @ Some(ReplyTo::Ticket(_)),
            ..
        } = &mut entry.what
        {
            let Some(ReplyTo::Ticket(n)) = *reply_to else {
                unreachable!()
            };
            *reply_to = match self.store.ticket(n).await {
                Ok(Some(t)) => t.message.map(ReplyTo::Message),
                _ => None,
            };
        }
        let file = match &entry.what {
            What::Message {
                document:
                    Some(Doc {
                        source: DocumentSource::File(p),
                        ..
                    }),
                ..
            } => Some(p.clone()),
            _ => None,
        };
        match file {
            Some(path) => load_file(entry, &path).await,
            None => entry,
        }
    }

    async fn finished(
        &self,
        entry: &Entry,
        end: &End,
        commit: &mut Commit,
    ) -> Result<(), StoreError> {
        if *end == End::Blocked && entry.chat > 0 {
            // The user blocked the bot: reminders would only be refused too.
            commit.unsubscribe(UserId(entry.chat), None, &self.settings.reminder_offsets);
        }
        match (&entry.then, end) {
            (
                Some(Then::TicketPosted {
                    ticket, user, tell, ..
                }),
                End::Delivered { message_id },
            ) => {
                if let Some(m) = message_id {
                    commit.ticket_posted(*ticket, entry.chat, *m);
                }
                if let Some(tell) = tell {
                    commit.send_all(plan(
                        std::slice::from_ref(tell),
                        &private(UserId(*user)),
                        Class::Reply,
                    ));
                }
            }
            (
                Some(Then::TicketPosted {
                    ticket,
                    user,
                    tell,
                    lang,
                }),
                _,
            ) => {
                tracing::error!(
                    ticket,
                    "the staff group refused the ticket's message: is the bot still in it?"
                );
                if tell.is_some() {
                    let r = tickets::post_failed(*ticket, *lang, &self.settings.helpdesk_contact);
                    commit.send_all(plan(
                        &[Reply::new(r)],
                        &private(UserId(*user)),
                        Class::Reply,
                    ));
                }
            }
            (Some(Then::Copied { ticket, staff_chat }), end) => {
                let delivered = matches!(end, End::Delivered { .. });
                if !delivered {
                    tracing::warn!(ticket, "a staff answer could not be copied to its user");
                }
                let confirm = self
                    .copied(*ticket, delivered, Timestamp::now(), commit)
                    .await?;
                let to = Target {
                    chat: *staff_chat,
                    ..Target::default()
                };
                commit.send_all(plan(&confirm, &to, Class::Reply));
            }
            _ => {}
        }
        Ok(())
    }

    fn delayed(&self, entry: &Entry, commit: &mut Commit) -> bool {
        match &entry.then {
            Some(Then::TicketPosted {
                ticket,
                user,
                tell: Some(_),
                lang,
            }) => {
                let r = tickets::post_queued(*ticket, *lang);
                commit.send_all(plan(
                    &[Reply::new(r)],
                    &private(UserId(*user)),
                    Class::Reply,
                ));
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::Rich;
    use crate::text::Lang;

    fn file_entry(path: &Path, lang: Lang) -> Entry {
        Entry {
            chat: 42,
            class: Class::Reply,
            what: What::Message {
                text: Rich::default(),
                buttons: Vec::new(),
                document: Some(Doc {
                    file_name: "bando.pdf".into(),
                    source: DocumentSource::File(path.to_path_buf()),
                    photo: false,
                    lang,
                }),
                reply_to: None,
            },
            then: None,
            asker: None,
        }
    }

    fn text_of(entry: &Entry) -> Rich {
        match &entry.what {
            What::Message {
                text,
                document: None,
                ..
            } => text.clone(),
            other => panic!("expected a text instead of the file, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_read_is_excused_in_the_chats_language() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("ritirato.pdf");
        for lang in Lang::ALL {
            let sent = load_file(file_entry(&gone, lang), &gone).await;
            assert_eq!(
                text_of(&sent),
                texts(lang).t("document.unavailable", &[]),
                "{lang:?}"
            );
        }
        assert_ne!(
            texts(Lang::En).t("document.unavailable", &[]),
            texts(Lang::It).t("document.unavailable", &[])
        );
    }

    #[test]
    fn a_file_entry_stored_before_the_language_reads_as_italian() {
        let old = r#"{"file_name":"a.pdf","source":{"File":"/x/a.pdf"},"photo":false}"#;
        let doc: Doc = serde_json::from_str(old).unwrap();
        assert_eq!(doc.lang, Lang::It);
    }
}
