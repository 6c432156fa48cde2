//! The Telegram adapter: updates in, [`App::accept`], outbox out.
//!
//! Handlers only convert and store: a message or a button press becomes an
//! [`Incoming`], the app runs the engine and stores the new state together with every
//! message to send, and the handler returns. Nothing here waits on a rate limit: the
//! outbox sender ([`crate::outbox`]) delivers, under one limiter. A button press is
//! answered (`answerCallbackQuery`) at once, before anything else: it is not a chat
//! message and the client shows a spinner until it comes.
//!
//! Group chats: the bot answers only commands (`/cmd` or `/cmd@bot`) and messages that
//! mention it; other chatter is ignored, and so are non-text messages. Sessions belong to
//! the user, not the chat, so `/cancellami` in a group erases only the sender's data.
//!
//! The staff group (`[helpdesk] staff_chat_id`) is routed first: a reply to one of the
//! bot's ticket messages is copied to the ticket's user ([`App::staff_reply`]), and
//! forwarded messages count as addressed to the bot.

pub mod flood;
mod handlers;
pub mod http;
pub mod run;

use std::borrow::Borrow;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jiff::Timestamp;
use teloxide::Bot;
use teloxide::RequestError;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;

use crate::app::{App, Delivery, Incoming};
use crate::dialogue::Event;
use crate::outbox::{Limiter, Sender, SenderSettings};
use crate::outgoing::Target;
use crate::reply::Reply;
use crate::text::{Lang, texts};

use flood::Flood;
use http::HttpTransport;

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
    pub sender: Arc<Sender<App>>,
    /// Deliver in the handler that stored the messages, instead of in the sender's task.
    inline: bool,
}

impl Adapter {
    /// Handlers deliver what they stored before returning, without limits: for
    /// teloxide_tests' MockBot, whose runtime (and any task spawned in it) ends with each
    /// dispatch. Everything still goes through the outbox and the sender's policy.
    pub fn new(app: Arc<App>, flood_messages: u32, flood_window: Duration) -> Arc<Adapter> {
        let sender = Sender::new(
            app.store.clone(),
            app.clone(),
            Limiter::unlimited(),
            SenderSettings::default(),
        );
        Arc::new(Adapter {
            app,
            flood: Flood::new(flood_messages, flood_window),
            sender,
            inline: true,
        })
    }

    /// Handlers store and return; `sender`'s own task delivers (`sportello run`).
    pub fn background(
        app: Arc<App>,
        flood_messages: u32,
        flood_window: Duration,
        sender: Arc<Sender<App>>,
    ) -> Arc<Adapter> {
        Arc::new(Adapter {
            app,
            flood: Flood::new(flood_messages, flood_window),
            sender,
            inline: false,
        })
    }

    /// Handles an update and stores what it causes; on failure the user gets an
    /// apology (logged), never silence.
    /// Telegram's id of an update, to apply it once; not under MockBot, whose update ids
    /// start again with each dispatcher.
    fn update_id(&self, update: &Update) -> Option<u32> {
        (!self.inline).then_some(update.id.0)
    }

    async fn accept(&self, incoming: &Incoming, here: &Target, update: Option<u32>) {
        if let Err(e) = self
            .app
            .accept(incoming, here, update, Timestamp::now())
            .await
        {
            tracing::error!(
                user = incoming.user.0,
                "handling an update failed: {}",
                redact(&e.to_string())
            );
            self.say(
                here,
                vec![Reply::new(texts(Lang::It).t("telegram.error", &[]))],
                None,
            )
            .await;
        }
    }

    /// Stores messages without a state change (notices, apologies).
    async fn say(&self, here: &Target, replies: Vec<Reply>, update: Option<u32>) {
        self.store(
            replies.into_iter().map(Delivery::Here).collect(),
            here,
            update,
        )
        .await;
    }

    async fn store(&self, deliveries: Vec<Delivery>, here: &Target, update: Option<u32>) {
        if let Err(e) = self.app.send(deliveries, here, update).await {
            tracing::error!(
                chat = here.chat,
                "storing a reply failed: {}",
                redact(&e.to_string())
            );
        }
    }

    /// Hands what was stored to the sender (or, inline, delivers it now).
    async fn deliver<B: Borrow<Bot>>(&self, bot: &B) {
        if self.inline {
            let transport = HttpTransport::from_bot(bot.borrow());
            if let Err(e) = self.sender.deliver_due(&transport).await {
                tracing::error!("delivering: {e}");
            }
        } else {
            self.sender.kick();
        }
    }
}

/// The update tree. `B` is the requester the dispatcher was built with (a plain `Bot`:
/// the outbox sends, under its own limiter).
pub fn schema<B>() -> UpdateHandler<HandlerError>
where
    B: Requester<Err = RequestError> + Borrow<Bot> + Clone + Send + Sync + 'static,
{
    dptree::entry()
        .branch(Update::filter_message().endpoint(handlers::on_message::<B>))
        .branch(Update::filter_callback_query().endpoint(handlers::on_callback::<B>))
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
