//! Turning the engine's replies into Bot API calls, and delivering them.
//!
//! [`plan`] is pure: replies become [`Job`]s (HTML escaped by [`Rich::to_html`], split at
//! Telegram's 4,096 characters on paragraph boundaries, buttons on the last piece, an edit
//! of the pressed message where the engine asks for one). [`Outbox::deliver`] sends them
//! in order. The first attempt happens in the handler; on a network fault, a 5xx or a
//! `RetryAfter`, the rest of that chat's replies move to a background task that retries
//! with backoff, and later replies for the chat queue behind them, so order is kept and no
//! handler ever sleeps.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use teloxide::payloads::{EditMessageTextSetters, SendDocumentSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ParseMode,
};
use teloxide::{ApiError, RequestError};

use crate::reply::{Button, Document, Reply};

use super::redact;

/// Telegram's limit on a message's text, in characters after entity parsing.
pub const MAX_TEXT: usize = 4096;
/// Telegram's limit on a document's caption.
pub const MAX_CAPTION: usize = 1024;
/// Attempts per Bot API call before a reply is given up (with backoff: about 2 minutes).
const MAX_ATTEMPTS: u32 = 8;
/// Longest pause between two attempts (unless Telegram asks for more with `RetryAfter`).
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// One message to send, or the pressed message to replace.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    Send {
        chat: ChatId,
        piece: Piece,
    },
    Edit {
        chat: ChatId,
        message: MessageId,
        piece: Piece,
    },
}

/// The content of one Bot API message.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// The text, or the caption when `document` is set, in Telegram HTML.
    pub html: String,
    pub keyboard: Option<InlineKeyboardMarkup>,
    pub document: Option<Document>,
}

/// The inline keyboard of a reply's buttons (`None` when it has none).
pub fn keyboard(rows: &[Vec<Button>]) -> Option<InlineKeyboardMarkup> {
    let rows: Vec<Vec<InlineKeyboardButton>> = rows
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.iter()
                .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone()))
                .collect()
        })
        .collect();
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

/// The calls that deliver `replies` to `chat`. `pressed` is the message whose button was
/// pressed: the first reply marked `edit` replaces it (once), the others are sent.
pub fn plan(replies: &[Reply], chat: ChatId, pressed: Option<MessageId>) -> Vec<Job> {
    let mut jobs = Vec::new();
    let mut pressed = pressed;
    for reply in replies {
        let mut pieces: Vec<Piece> = if reply.text.is_empty() {
            Vec::new()
        } else {
            reply
                .text
                .split(MAX_TEXT)
                .iter()
                .map(|r| Piece {
                    html: r.to_html(),
                    keyboard: None,
                    document: None,
                })
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
            pieces.push(Piece {
                html: captions.next().map(|c| c.to_html()).unwrap_or_default(),
                keyboard: None,
                document: Some(doc.clone()),
            });
            pieces.extend(captions.map(|c| Piece {
                html: c.to_html(),
                keyboard: None,
                document: None,
            }));
        }
        if let Some(last) = pieces.last_mut() {
            last.keyboard = keyboard(&reply.buttons);
        }
        for (i, piece) in pieces.into_iter().enumerate() {
            let edit = if i == 0 && reply.edit && piece.document.is_none() {
                pressed.take()
            } else {
                None
            };
            jobs.push(match edit {
                Some(message) => Job::Edit {
                    chat,
                    message,
                    piece,
                },
                None => Job::Send { chat, piece },
            });
        }
    }
    jobs
}

/// How long to wait before trying again after `e` (`None`: retrying cannot help).
/// `attempt` counts the failures so far.
pub fn retry_delay(e: &RequestError, attempt: u32) -> Option<Duration> {
    match e {
        RequestError::RetryAfter(s) => Some(s.duration()),
        // A proxy's 5xx page is not JSON: it is a fault of the way, not of the request.
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            Some((Duration::from_millis(500) * 2u32.saturating_pow(attempt)).min(MAX_BACKOFF))
        }
        _ => None,
    }
}

async fn send_piece<B>(bot: &B, chat: ChatId, piece: &Piece) -> Result<(), RequestError>
where
    B: Requester<Err = RequestError>,
{
    match &piece.document {
        Some(doc) => {
            // Requests of a generic requester need not be Send: only their futures are,
            // so each request is built and consumed inside a block.
            let fut = {
                let file = InputFile::memory(doc.bytes.clone()).file_name(doc.file_name.clone());
                let mut req = bot.send_document(chat, file);
                if !piece.html.is_empty() {
                    req = req.caption(piece.html.clone()).parse_mode(ParseMode::Html);
                }
                if let Some(kb) = &piece.keyboard {
                    req = req.reply_markup(kb.clone());
                }
                req.send()
            };
            fut.await?;
        }
        None => {
            let fut = {
                let mut req = bot
                    .send_message(chat, piece.html.clone())
                    .parse_mode(ParseMode::Html);
                if let Some(kb) = &piece.keyboard {
                    req = req.reply_markup(kb.clone());
                }
                req.send()
            };
            fut.await?;
        }
    }
    Ok(())
}

/// Carries out one job once. An edit that Telegram refuses (message too old, deleted,
/// not found) is sent as a new message instead, as a person would expect.
pub async fn execute<B>(bot: &B, job: &Job) -> Result<(), RequestError>
where
    B: Requester<Err = RequestError>,
{
    match job {
        Job::Send { chat, piece } => send_piece(bot, *chat, piece).await,
        Job::Edit {
            chat,
            message,
            piece,
        } => {
            let fut = {
                let mut req = bot
                    .edit_message_text(*chat, *message, piece.html.clone())
                    .parse_mode(ParseMode::Html);
                if let Some(kb) = &piece.keyboard {
                    req = req.reply_markup(kb.clone());
                }
                req.send()
            };
            match fut.await {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
                Err(e) if retry_delay(&e, 0).is_some() => Err(e),
                Err(e) => {
                    tracing::debug!("edit refused ({}), sending instead", redact(&e.to_string()));
                    send_piece(bot, *chat, piece).await
                }
            }
        }
    }
}

/// Replies waiting for a retry, per chat.
#[derive(Debug, Default)]
pub struct Outbox {
    queues: Mutex<HashMap<ChatId, VecDeque<Job>>>,
}

impl Outbox {
    pub fn new() -> Arc<Outbox> {
        Arc::new(Outbox::default())
    }

    /// Jobs waiting for a retry, all chats together.
    pub fn pending(&self) -> usize {
        self.lock().values().map(VecDeque::len).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ChatId, VecDeque<Job>>> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `jobs` (all for `chat`) in order. Returns once each was sent, refused for
    /// good, or handed to the retry task; it never waits out a backoff.
    pub async fn deliver<B>(self: &Arc<Self>, bot: &B, chat: ChatId, jobs: Vec<Job>)
    where
        B: Requester<Err = RequestError> + Clone + Send + Sync + 'static,
    {
        if jobs.is_empty() {
            return;
        }
        // Replies still waiting for this chat go first: queue behind them.
        if let Some(q) = self.lock().get_mut(&chat) {
            q.extend(jobs);
            return;
        }
        let mut rest = VecDeque::from(jobs);
        while let Some(job) = rest.pop_front() {
            match execute(bot, &job).await {
                Ok(()) => {}
                Err(e) => match retry_delay(&e, 0) {
                    Some(delay) => {
                        tracing::warn!(
                            "sending to chat {} failed ({}); retrying in {:?}",
                            chat.0,
                            redact(&e.to_string()),
                            delay
                        );
                        rest.push_front(job);
                        self.lock().insert(chat, rest);
                        let outbox = self.clone();
                        let bot = bot.clone();
                        tokio::spawn(async move { outbox.drain(bot, chat, delay).await });
                        return;
                    }
                    None => tracing::warn!(
                        "a reply to chat {} was refused: {}",
                        chat.0,
                        redact(&e.to_string())
                    ),
                },
            }
        }
    }

    /// The retry task of one chat: sends its queue in order, then goes away.
    async fn drain<B>(self: Arc<Self>, bot: B, chat: ChatId, first_delay: Duration)
    where
        B: Requester<Err = RequestError>,
    {
        let mut delay = Some(first_delay);
        let mut attempt = 1;
        loop {
            if let Some(d) = delay.take() {
                tokio::time::sleep(d).await;
            }
            let Some(job) = self.lock().get(&chat).and_then(|q| q.front().cloned()) else {
                self.lock().remove(&chat);
                return;
            };
            let done = match execute(&bot, &job).await {
                Ok(()) => true,
                Err(e) => match retry_delay(&e, attempt) {
                    Some(d) if attempt < MAX_ATTEMPTS => {
                        tracing::warn!(
                            "chat {}: attempt {attempt} failed ({}); retrying in {d:?}",
                            chat.0,
                            redact(&e.to_string())
                        );
                        attempt += 1;
                        delay = Some(d);
                        false
                    }
                    _ => {
                        tracing::error!(
                            "chat {}: giving up a reply after {attempt} attempts: {}",
                            chat.0,
                            redact(&e.to_string())
                        );
                        true
                    }
                },
            };
            if done {
                attempt = 1;
                let mut queues = self.lock();
                if let Some(q) = queues.get_mut(&chat) {
                    q.pop_front();
                    if q.is_empty() {
                        queues.remove(&chat);
                        return;
                    }
                }
            }
        }
    }

    /// Waits until nothing is left to retry, or `limit` has passed (at shutdown).
    pub async fn drained(&self, limit: Duration) -> bool {
        let end = tokio::time::Instant::now() + limit;
        while self.pending() > 0 {
            if tokio::time::Instant::now() >= end {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{Rich, Span};

    fn button(data: &str) -> Button {
        Button {
            label: format!("L{data}"),
            data: data.into(),
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
        let jobs = plan(&[reply], ChatId(5), None);
        assert!(jobs.len() >= 2, "{} pieces", jobs.len());
        let mut plain_total = 0;
        for (i, j) in jobs.iter().enumerate() {
            let Job::Send { chat, piece } = j else {
                panic!("no edit was asked")
            };
            assert_eq!(*chat, ChatId(5));
            assert!(piece.html.starts_with("<b>Sezione"), "cut inside a section");
            assert_eq!(piece.keyboard.is_some(), i == jobs.len() - 1);
            plain_total += piece.html.chars().count();
        }
        assert!(plain_total >= text.to_plain().trim().chars().count());
    }

    #[test]
    fn entity_characters_are_escaped_for_html() {
        let mut r = Rich::new();
        r.push(Span::Plain("_*[]()~>#+-=|{}.! <b> & \"".into()));
        let jobs = plan(&[Reply::new(r)], ChatId(1), None);
        let Job::Send { piece, .. } = &jobs[0] else {
            panic!()
        };
        assert_eq!(piece.html, "_*[]()~&gt;#+-=|{}.! &lt;b&gt; &amp; &quot;");
    }

    #[test]
    fn only_the_first_editing_reply_edits_the_pressed_message() {
        let a = Reply::new(Rich::plain("a")).editing();
        let b = Reply::new(Rich::plain("b")).editing();
        let jobs = plan(&[a.clone(), b], ChatId(1), Some(MessageId(9)));
        assert!(matches!(
            jobs[0],
            Job::Edit {
                message: MessageId(9),
                ..
            }
        ));
        assert!(matches!(jobs[1], Job::Send { .. }));
        // Without a pressed message (a typed "sì") an editing reply is sent.
        assert!(matches!(plan(&[a], ChatId(1), None)[0], Job::Send { .. }));
    }

    #[test]
    fn documents_carry_their_name_and_caption() {
        let mut reply = Reply::new(Rich::new());
        reply.document = Some(Document {
            file_name: "scadenza.ics".into(),
            bytes: b"BEGIN:VCALENDAR".to_vec(),
            caption: Some(Rich::plain("x < y")),
        });
        let jobs = plan(&[reply], ChatId(1), Some(MessageId(3)));
        assert_eq!(jobs.len(), 1);
        let Job::Send { piece, .. } = &jobs[0] else {
            panic!()
        };
        assert_eq!(piece.html, "x &lt; y");
        assert_eq!(piece.document.as_ref().unwrap().file_name, "scadenza.ics");
    }

    #[test]
    fn only_faults_of_the_way_are_retried() {
        let retry = RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(7));
        assert_eq!(retry_delay(&retry, 3), Some(Duration::from_secs(7)));
        let io = RequestError::Io(Arc::new(std::io::Error::other("reset")));
        assert!(retry_delay(&io, 0).unwrap() < retry_delay(&io, 2).unwrap());
        assert_eq!(retry_delay(&io, 30), Some(MAX_BACKOFF));
        assert_eq!(
            retry_delay(&RequestError::Api(ApiError::BotBlocked), 0),
            None
        );
    }
}
