//! The one error policy of every send, and the merging of a busy group's replies (pure).
//!
//! [`judge`] reads a Bot API answer by its `error_code` and HTTP status, not only by its
//! description: Telegram's 5xx bodies are JSON (`{"ok":false,"error_code":500,…}`) and
//! must be retried like a proxy's HTML 502. [`backoff`] is capped exponential with jitter
//! (`backon`). [`merge`] turns the replies waiting for one group into one message when
//! the group asks faster than Telegram lets a bot answer there.

use std::time::Duration;

use backon::BackoffBuilder;

use crate::outgoing::{Entry, What};
use crate::reply::{Button, Rich};
use crate::text::{Lang, texts};

/// What came back from one Bot API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `{"ok":true,…}`; the id of the message sent or copied, when there is one.
    Ok { message_id: Option<i32> },
    /// `{"ok":false,…}` (or a body that is not JSON, with `code` `None`).
    Error {
        status: u16,
        code: Option<u16>,
        description: String,
        retry_after: Option<u64>,
    },
    /// The request never got an answer (connection refused, reset, timed out).
    Network(String),
}

/// What to do with an entry after an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted {
        message_id: Option<i32>,
    },
    /// 429: wait this long, then send again (not an attempt that failed).
    RetryAfter(Duration),
    /// 5xx (JSON or HTML), network errors, a garbled answer: back off and try again.
    Transient(String),
    /// 403: the user blocked the bot, deleted the account, or the bot left the group.
    Blocked(String),
    /// 400 "can't parse entities": send the same text once more without formatting.
    PlainText,
    /// An edit Telegram refuses (message too old, deleted): send a new message instead.
    SendInstead,
    /// Any other 4xx: retrying cannot help; logged with the reason and dropped.
    Refused(String),
}

/// Reads an answer; `editing` when the call was an edit.
pub fn judge(answer: &Answer, editing: bool) -> Verdict {
    let (status, code, description, retry_after) = match answer {
        Answer::Ok { message_id } => {
            return Verdict::Accepted {
                message_id: *message_id,
            };
        }
        Answer::Network(e) => return Verdict::Transient(e.clone()),
        Answer::Error {
            status,
            code,
            description,
            retry_after,
        } => (*status, *code, description.as_str(), *retry_after),
    };
    let code = code.unwrap_or(status);
    let lower = description.to_lowercase();
    match code {
        429 => Verdict::RetryAfter(Duration::from_secs(retry_after.unwrap_or(1).max(1))),
        500..=599 => Verdict::Transient(format!("{code} {description}")),
        // A 200 whose body is not a Bot API answer: a proxy in trouble.
        200..=299 => Verdict::Transient(format!("garbled answer ({status})")),
        403 => Verdict::Blocked(description.to_string()),
        // Unauthorized / not found: the token or the API URL is wrong (a configuration
        // fault, logged loudly): keep the messages until it is fixed.
        401 | 404 => Verdict::Transient(format!("{code} {description}")),
        400 if lower.contains("can't parse entities") => Verdict::PlainText,
        400 if editing && lower.contains("message is not modified") => {
            Verdict::Accepted { message_id: None }
        }
        400 if editing => Verdict::SendInstead,
        _ => Verdict::Refused(format!("{code} {description}")),
    }
}

/// The pause before attempt `attempt + 1` after `attempt` transient failures: 0.5 s
/// doubling up to 60 s, with jitter so that retries of many chats do not align.
pub fn backoff(attempt: u32) -> Duration {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(60))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
        .nth(attempt as usize)
        .unwrap_or(Duration::from_secs(60))
}

/// At most this many different replies share one merged message.
pub const MAX_PARTS: usize = 10;
/// Button rows kept under a merged message.
const MAX_ROWS: usize = 8;

/// One merged message and the positions (in the slice given) of the entries it replaces.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub entry: Entry,
    pub used: Vec<usize>,
}

/// Merges the replies waiting for one group (`pending`: mergeable entries of one chat,
/// oldest first) into one message: identical replies count once, under the names of
/// everyone who asked; different ones follow in order, each shortened so that all fit in
/// one Telegram message; buttons are kept (once each, up to eight rows). Replies beyond
/// [`MAX_PARTS`] different ones stay for the next message. `None`: nothing to merge.
pub fn merge(pending: &[Entry]) -> Option<Merged> {
    if pending.len() < 2 {
        return None;
    }
    struct Part<'a> {
        text: &'a Rich,
        buttons: &'a [Vec<Button>],
        askers: Vec<String>,
    }
    let mut parts: Vec<Part> = Vec::new();
    let mut used = Vec::new();
    for (i, e) in pending.iter().enumerate() {
        let What::Message { text, buttons, .. } = &e.what else {
            continue;
        };
        let asker = e.asker.clone().unwrap_or_default();
        let same = parts
            .iter()
            .position(|p| p.text == text && p.buttons == buttons.as_slice());
        match same {
            Some(k) => {
                let p = &mut parts[k];
                if !asker.is_empty() && !p.askers.contains(&asker) {
                    p.askers.push(asker);
                }
            }
            None if parts.len() < MAX_PARTS => parts.push(Part {
                text,
                buttons,
                askers: if asker.is_empty() {
                    Vec::new()
                } else {
                    vec![asker]
                },
            }),
            None => continue,
        }
        used.push(i);
    }
    let tx = texts(Lang::It);
    let cut_note = tx.t("outbox.group.cut", &[]);
    // Room for each part: an equal share of the message, after its header and separator.
    let overhead = 80;
    let note = cut_note.to_plain().chars().count() + 2;
    let share = (crate::outgoing::MAX_TEXT - note) / parts.len() - overhead;
    let mut text = Rich::new();
    let mut cut = false;
    let mut rows: Vec<Vec<Button>> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            text.para();
        }
        if !p.askers.is_empty() {
            let names = p
                .askers
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let names = if p.askers.len() > 5 {
                tx.s("outbox.group.more", &[("names", &names)])
            } else {
                names
            };
            text.append(tx.t("outbox.group.for", &[("names", &names)]))
                .line();
        }
        let mut pieces = p.text.split(share).into_iter();
        if let Some(first) = pieces.next() {
            text.append(first);
        }
        if pieces.next().is_some() {
            text.text(" …");
            cut = true;
        }
        for row in p.buttons {
            if rows.len() < MAX_ROWS && !rows.contains(row) {
                rows.push(row.clone());
            }
        }
    }
    if cut {
        text.para().append(cut_note);
    }
    let first = &pending[used[0]];
    Some(Merged {
        entry: Entry {
            chat: first.chat,
            class: first.class,
            what: What::Message {
                text,
                buttons: rows,
                document: None,
                reply_to: None,
            },
            then: None,
            // A merged message is not merged again: it already says whose each part is.
            asker: None,
        },
        used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outgoing::{Class, Target, plan};
    use crate::reply::Reply;

    fn err(status: u16, code: Option<u16>, d: &str) -> Answer {
        Answer::Error {
            status,
            code,
            description: d.into(),
            retry_after: None,
        }
    }

    #[test]
    fn json_5xx_html_5xx_and_network_faults_are_retried() {
        let json = err(500, Some(500), "Internal Server Error");
        assert!(matches!(judge(&json, false), Verdict::Transient(_)));
        let html = err(502, None, "<html>Bad Gateway</html>");
        assert!(matches!(judge(&html, false), Verdict::Transient(_)));
        // A JSON 5xx behind a proxy that answers 200.
        assert!(matches!(
            judge(&err(200, Some(502), "Bad Gateway"), false),
            Verdict::Transient(_)
        ));
        assert!(matches!(
            judge(&Answer::Network("reset".into()), false),
            Verdict::Transient(_)
        ));
        assert!(matches!(
            judge(&err(200, None, "<html>proxy</html>"), false),
            Verdict::Transient(_)
        ));
    }

    #[test]
    fn each_4xx_gets_its_own_treatment() {
        let limited = Answer::Error {
            status: 429,
            code: Some(429),
            description: "Too Many Requests: retry after 7".into(),
            retry_after: Some(7),
        };
        assert_eq!(
            judge(&limited, false),
            Verdict::RetryAfter(Duration::from_secs(7))
        );
        assert!(matches!(
            judge(
                &err(403, Some(403), "Forbidden: bot was blocked by the user"),
                false
            ),
            Verdict::Blocked(_)
        ));
        let parse = err(
            400,
            Some(400),
            "Bad Request: can't parse entities: Unsupported start tag",
        );
        assert_eq!(judge(&parse, false), Verdict::PlainText);
        assert_eq!(judge(&parse, true), Verdict::PlainText);
        let same = err(400, Some(400), "Bad Request: message is not modified");
        assert!(matches!(judge(&same, true), Verdict::Accepted { .. }));
        let gone = err(400, Some(400), "Bad Request: message to edit not found");
        assert_eq!(judge(&gone, true), Verdict::SendInstead);
        assert!(matches!(
            judge(&err(400, Some(400), "Bad Request: chat not found"), false),
            Verdict::Refused(_)
        ));
    }

    /// The former send path's rule, kept: only faults of the way are retried, a 429
    /// after its `retry_after`, with waits that grow and stop growing.
    #[test]
    fn only_faults_of_the_way_are_retried() {
        let limited = Answer::Error {
            status: 429,
            code: Some(429),
            description: "Too Many Requests: retry after 7".into(),
            retry_after: Some(7),
        };
        assert_eq!(
            judge(&limited, false),
            Verdict::RetryAfter(Duration::from_secs(7))
        );
        let io = Answer::Network("reset".into());
        assert!(matches!(judge(&io, false), Verdict::Transient(_)));
        assert!(backoff(0) < backoff(2));
        assert!(backoff(30) >= Duration::from_secs(60));
        assert!(matches!(
            judge(
                &err(403, Some(403), "Forbidden: bot was blocked by the user"),
                false
            ),
            Verdict::Blocked(_)
        ));
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        for attempt in 0..40 {
            let d = backoff(attempt);
            assert!(d >= Duration::from_millis(500), "{attempt}: {d:?}");
            assert!(d <= Duration::from_secs(120), "{attempt}: {d:?}");
        }
        assert!(backoff(8) > backoff(0));
    }

    fn group_reply(text: &str, asker: &str, button: Option<&str>) -> Entry {
        let mut r = Reply::new(Rich::plain(text));
        if let Some(b) = button {
            r = r.with_buttons(vec![vec![Button {
                label: b.into(),
                data: b.into(),
            }]]);
        }
        plan(
            &[r],
            &Target {
                chat: -100,
                pressed: None,
                asker: Some(asker.into()),
            },
            Class::Reply,
        )
        .remove(0)
    }

    #[test]
    fn identical_group_replies_become_one_message_naming_everyone() {
        let pending: Vec<Entry> = (0..40)
            .map(|i| group_reply("Elenco dei bandi", &format!("Utente {i}"), Some("1|l")))
            .collect();
        let m = merge(&pending).unwrap();
        assert_eq!(m.used.len(), 40, "every identical reply is covered");
        let What::Message { text, buttons, .. } = &m.entry.what else {
            panic!()
        };
        let plain = text.to_plain();
        assert_eq!(plain.matches("Elenco dei bandi").count(), 1, "{plain}");
        assert!(
            plain.contains("Utente 0") && plain.contains("Utente 4"),
            "{plain}"
        );
        assert_eq!(buttons.len(), 1);
        assert!(merge(&pending[..1]).is_none());
    }

    #[test]
    fn different_replies_are_shortened_to_fit_one_message() {
        let long = "parola ".repeat(900);
        let pending: Vec<Entry> = (0..(MAX_PARTS + 3))
            .map(|i| group_reply(&format!("Risposta {i}: {long}"), &format!("U{i}"), None))
            .collect();
        let m = merge(&pending).unwrap();
        assert_eq!(m.used, (0..MAX_PARTS).collect::<Vec<_>>());
        let What::Message { text, .. } = &m.entry.what else {
            panic!()
        };
        let plain = text.to_plain();
        assert!(plain.chars().count() <= crate::outgoing::MAX_TEXT);
        assert!(plain.contains("Risposta 0") && plain.contains("Risposta 9"));
        assert!(plain.contains(&texts(Lang::It).t("outbox.group.cut", &[]).to_plain()));
    }
}
