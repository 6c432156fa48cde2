//! The Telegram adapter: updates in, [`App::handle`], replies out.
//!
//! Handlers only convert: a message or a button press becomes a [`dialogue::Event`], the
//! app runs the engine and stores the session durably, and the replies go out through
//! [`send::Outbox`]. The tree ([`schema`]) is generic over the requester, so production
//! runs it over `Throttle<Bot>` and the tests over a plain `Bot`.
//!
//! Group chats: the bot answers only commands (`/cmd` or `/cmd@bot`) and messages that
//! mention it; other chatter is ignored, and so are non-text messages. Sessions belong to
//! the user, not the chat, so `/cancellami` in a group erases only the sender's data.
//!
//! The staff group (`[helpdesk] staff_chat_id`) is routed first: a reply to one of the
//! bot's ticket messages is copied to the ticket's user ([`App::staff_reply`]), and
//! forwarded messages count as addressed to the bot. What the app returns for other chats
//! ([`Delivery`]) is sent here: ticket messages (their ids recorded for replies), copies.

pub mod flood;
pub mod run;
pub mod send;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use teloxide::RequestError;
use teloxide::dispatching::UpdateHandler;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::*;
use teloxide::types::{Me, MessageId, ParseMode, ReplyParameters};

use crate::app::{App, Delivery, Incoming};
use crate::dialogue::Event;
use crate::reply::Reply;
use crate::store::UserId;
use crate::text::{Lang, texts};

use flood::{Flood, Verdict};
use send::Outbox;

/// What handlers return; errors are logged by the dispatcher, never fatal.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// The bot token, once known, so that no log line can carry it.
static TOKEN: OnceLock<String> = OnceLock::new();

/// Remembers the token for [`redact`] (first call wins).
pub fn hide_in_logs(token: &str) {
    let _ = TOKEN.set(token.to_string());
}

/// `s` with the bot token, if present, replaced by `<token>`.
pub fn redact(s: &str) -> String {
    match TOKEN.get().filter(|t| !t.is_empty()) {
        Some(t) => s.replace(t.as_str(), "<token>"),
        None => s.to_string(),
    }
}

/// What the handlers share.
pub struct Adapter {
    pub app: Arc<App>,
    pub flood: Flood,
    pub outbox: Arc<Outbox>,
}

impl Adapter {
    pub fn new(app: Arc<App>, flood_messages: u32, flood_window: Duration) -> Arc<Adapter> {
        Arc::new(Adapter {
            app,
            flood: Flood::new(flood_messages, flood_window),
            outbox: Outbox::new(),
        })
    }
}

/// The update tree. `B` is the requester the dispatcher was built with.
pub fn schema<B>() -> UpdateHandler<HandlerError>
where
    B: Requester<Err = RequestError> + Clone + Send + Sync + 'static,
{
    dptree::entry()
        .branch(Update::filter_message().endpoint(on_message::<B>))
        .branch(Update::filter_callback_query().endpoint(on_callback::<B>))
}

/// What a text message of a chat means for the bot (`None`: not addressed to it).
///
/// In a private chat every text is. In a group only commands without a bot name or with
/// this bot's name, and texts mentioning `@bot` (the mention is removed) are.
pub fn message_event(text: &str, private: bool, bot_username: &str) -> Option<Event> {
    if private {
        return Some(Event::Text(text.to_string()));
    }
    let mention = format!("@{bot_username}").to_lowercase();
    let trimmed = text.trim_start();
    if let Some(rest) = trimmed.strip_prefix('/') {
        let head = rest.split(char::is_whitespace).next().unwrap_or_default();
        return match head.split_once('@') {
            None => Some(Event::Text(trimmed.to_string())),
            Some((_, name)) if name.eq_ignore_ascii_case(bot_username) => {
                Some(Event::Text(trimmed.to_string()))
            }
            Some(_) => None,
        };
    }
    // Usernames are ASCII: compare bytes without changing the text's own offsets.
    let at = text.char_indices().map(|(i, _)| i).find(|&i| {
        text.get(i..i + mention.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(&mention))
    })?;
    let cleaned = format!("{}{}", &text[..at], &text[at + mention.len()..]);
    Some(Event::Text(cleaned.trim().to_string()))
}

async fn on_message<B>(bot: B, msg: Message, me: Me, ad: Arc<Adapter>) -> Result<(), HandlerError>
where
    B: Requester<Err = RequestError> + Clone + Send + Sync + 'static,
{
    let Some(from) = msg.from.as_ref().filter(|u| !u.is_bot) else {
        return Ok(());
    };
    let user = UserId(from.id.0 as i64);
    let private = msg.chat.is_private();
    let tx = texts(Lang::It);
    let staff_chat = ad.app.settings.staff.chat == Some(msg.chat.id.0);
    // A staff reply to a ticket message (any kind of message: text, photo, file).
    // Commands written as replies stay commands (`/chiudi 3` must not reach the user).
    if staff_chat
        && !msg.text().is_some_and(|t| t.trim_start().starts_with('/'))
        && let Some(replied) = msg
            .reply_to_message()
            .filter(|r| r.from.as_ref().is_some_and(|u| u.id == me.id))
    {
        match ad.app.staff_reply(msg.chat.id.0, replied.id.0, msg.id.0) {
            Ok(Some(deliveries)) => {
                run_deliveries(&bot, &ad, msg.chat.id, None, deliveries).await;
                return Ok(());
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!("staff reply: {}", redact(&e.to_string()));
                let replies = [Reply::new(tx.t("telegram.error", &[]))];
                let jobs = send::plan(&replies, msg.chat.id, None);
                ad.outbox.deliver(&bot, msg.chat.id, jobs).await;
                return Ok(());
            }
        }
    }
    // Forwards: the text, never `forward_from` (hidden for users who chose so).
    let forwarded = msg.forward_origin().is_some();
    let event = match msg.text() {
        Some(text) if forwarded && (private || staff_chat) => Event::Text(text.to_string()),
        Some(text) => match message_event(text, private, me.username()) {
            Some(e) => e,
            None => return Ok(()),
        },
        None if private => {
            // Photos, stickers, voice: say kindly what the bot can read.
            if ad.flood.check(user.0, Instant::now()) == Verdict::Pass {
                let replies = [Reply::new(tx.t("telegram.not_text", &[]))];
                let jobs = send::plan(&replies, msg.chat.id, None);
                ad.outbox.deliver(&bot, msg.chat.id, jobs).await;
            }
            return Ok(());
        }
        None => return Ok(()),
    };
    match ad.flood.check(user.0, Instant::now()) {
        Verdict::Pass => {}
        Verdict::Warn => {
            let replies = [slow_down(&ad)];
            let jobs = send::plan(&replies, msg.chat.id, None);
            ad.outbox.deliver(&bot, msg.chat.id, jobs).await;
            return Ok(());
        }
        Verdict::Drop => return Ok(()),
    }
    let incoming = Incoming {
        user,
        name: display_name(from),
        chat: msg.chat.id.0,
        event,
        forwarded,
    };
    let deliveries = handle(&ad, &incoming).await;
    run_deliveries(&bot, &ad, msg.chat.id, None, deliveries).await;
    Ok(())
}

/// The name Telegram shows for a user: first and last name, else the username.
pub fn display_name(u: &teloxide::types::User) -> String {
    let full = u.full_name();
    if !full.trim().is_empty() {
        return full;
    }
    u.username
        .clone()
        .map(|n| format!("@{n}"))
        .unwrap_or_default()
}

/// Sends what the app returned: replies to `chat` (through the outbox, in order), the
/// rest to the staff group or to users.
async fn run_deliveries<B>(
    bot: &B,
    ad: &Arc<Adapter>,
    chat: ChatId,
    pressed: Option<MessageId>,
    deliveries: Vec<Delivery>,
) where
    B: Requester<Err = RequestError> + Clone + Send + Sync + 'static,
{
    let mut here = Vec::new();
    let mut others = Vec::new();
    for d in deliveries {
        match d {
            Delivery::Here(r) => here.push(r),
            d => others.push(d),
        }
    }
    let jobs = send::plan(&here, chat, pressed);
    ad.outbox.deliver(bot, chat, jobs).await;
    for d in others {
        match d {
            Delivery::Here(_) => {}
            Delivery::ToUser { user, reply } => {
                let to = ChatId(user.0);
                let jobs = send::plan(&[reply], to, None);
                ad.outbox.deliver(bot, to, jobs).await;
            }
            Delivery::ToStaff {
                ticket,
                reply,
                reply_to,
            } => {
                let Some(staff) = ad.app.settings.staff.chat.map(ChatId) else {
                    continue;
                };
                // Sent directly, not through the outbox: the message id must be recorded
                // for staff replies to find the ticket. A failed post is logged; the
                // ticket stays listed by /ticket.
                let fut = {
                    let mut req = bot
                        .send_message(staff, reply.text.to_html())
                        .parse_mode(ParseMode::Html);
                    if let Some(m) = reply_to {
                        req = req.reply_parameters(
                            ReplyParameters::new(MessageId(m)).allow_sending_without_reply(),
                        );
                    }
                    req.send()
                };
                match fut.await {
                    Ok(m) => {
                        if let Err(e) = ad.app.store.ticket_posted(ticket, staff.0, m.id.0) {
                            tracing::error!("recording ticket {ticket}'s message: {e}");
                        } else if let Err(e) = ad.app.store.flush().await {
                            tracing::error!("recording ticket {ticket}'s message: {e}");
                        }
                    }
                    Err(e) => tracing::error!(
                        "posting ticket {ticket} to the staff group: {}",
                        redact(&e.to_string())
                    ),
                }
            }
            Delivery::CopyToUser {
                ticket,
                user,
                from_chat,
                message,
            } => {
                let fut = {
                    bot.copy_message(ChatId(user.0), ChatId(from_chat), MessageId(message))
                        .send()
                };
                let ok = match fut.await {
                    Ok(_) => true,
                    Err(e) => {
                        tracing::warn!("copying a staff reply: {}", redact(&e.to_string()));
                        false
                    }
                };
                let reply = match ad.app.reply_delivered(ticket, ok, Timestamp::now()).await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!("ticket {ticket}: {}", redact(&e.to_string()));
                        Reply::new(texts(Lang::It).t("telegram.error", &[]))
                    }
                };
                let jobs = send::plan(&[reply], chat, None);
                ad.outbox.deliver(bot, chat, jobs).await;
            }
        }
    }
}

async fn on_callback<B>(bot: B, q: CallbackQuery, ad: Arc<Adapter>) -> Result<(), HandlerError>
where
    B: Requester<Err = RequestError> + Clone + Send + Sync + 'static,
{
    let user = UserId(q.from.id.0 as i64);
    // Without the message (inline mode) the answer goes to the user's private chat.
    let chat = q
        .message
        .as_ref()
        .map(|m| m.chat().id)
        .unwrap_or(ChatId(user.0));
    let pressed: Option<MessageId> = q.regular_message().map(|m| m.id);
    let verdict = ad.flood.check(user.0, Instant::now());
    // Every press is answered at once, or the client keeps its spinner going. A refused
    // answer is not retried: Telegram lets it expire after a few seconds anyway.
    if let Err(e) = bot.answer_callback_query(q.id.clone()).await {
        tracing::debug!("answerCallbackQuery: {}", redact(&e.to_string()));
    }
    let deliveries = match verdict {
        Verdict::Pass => {
            let incoming = Incoming {
                user,
                name: display_name(&q.from),
                chat: chat.0,
                event: Event::Button(q.data.clone().unwrap_or_default()),
                forwarded: false,
            };
            handle(&ad, &incoming).await
        }
        Verdict::Warn => vec![Delivery::Here(slow_down(&ad))],
        Verdict::Drop => return Ok(()),
    };
    run_deliveries(&bot, &ad, chat, pressed, deliveries).await;
    Ok(())
}

fn slow_down(ad: &Adapter) -> Reply {
    let secs = ad.flood.window().as_secs().max(1).to_string();
    Reply::new(texts(Lang::It).t("telegram.slow_down", &[("seconds", &secs)]))
}

/// Runs the app; a failure is logged and the user gets an apology, never silence.
async fn handle(ad: &Adapter, incoming: &Incoming) -> Vec<Delivery> {
    match ad.app.handle_incoming(incoming, Timestamp::now()).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("handling an update failed: {}", redact(&e.to_string()));
            vec![Delivery::Here(Reply::new(
                texts(Lang::It).t("telegram.error", &[]),
            ))]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: Option<Event>) -> Option<String> {
        e.map(|e| match e {
            Event::Text(t) => t,
            Event::Button(b) => panic!("button {b}"),
        })
    }

    #[test]
    fn private_chats_get_everything_groups_only_what_is_addressed() {
        assert_eq!(
            text(message_event("ciao", true, "SportelloBot")).as_deref(),
            Some("ciao")
        );
        assert_eq!(
            text(message_event("ciao a tutti", false, "SportelloBot")),
            None
        );
        assert_eq!(
            text(message_event("/bandi", false, "SportelloBot")).as_deref(),
            Some("/bandi")
        );
        assert_eq!(
            text(message_event("/bandi@sportellobot", false, "SportelloBot")).as_deref(),
            Some("/bandi@sportellobot")
        );
        assert_eq!(
            text(message_event("/bandi@AltroBot", false, "SportelloBot")),
            None
        );
        assert_eq!(
            text(message_event(
                "@SportelloBot quando scade?",
                false,
                "SportelloBot"
            ))
            .as_deref(),
            Some("quando scade?")
        );
    }

    #[test]
    fn the_token_never_reaches_a_log_line() {
        hide_in_logs("123:SECRET");
        let line = redact("error sending request for url (http://h/bot123:SECRET/getMe)");
        assert!(!line.contains("SECRET"), "{line}");
        assert!(line.contains("<token>"));
    }
}
