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

mod answer;
mod endpoints;
pub mod error;
pub mod flood;
mod handlers;
pub mod http;
mod listen;
pub mod menus;
mod observe;
mod poll;
mod replay;
pub mod run;
mod webhook;

use std::borrow::Borrow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use teloxide::Bot;
use teloxide::RequestError;
use teloxide::dispatching::{UpdateHandler, UpdateHandlerTracingExt};
use teloxide::prelude::*;

use crate::app::{App, Delivery, Incoming};
use crate::dialogue::Event;
use crate::ops::health::Health;
use crate::ops::latency;
use crate::ops::logs::Pseudo;
use crate::ops::metrics;
use crate::outbox::{Limiter, Sender, SenderSettings};
use crate::outgoing::Target;
use crate::reply::Reply;
use crate::text::{Lang, texts};

use flood::Flood;
use http::HttpTransport;

/// How the handling of an update ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Handled (answered, ignored, refused, failed with an apology stored): it leaves
    /// the inbox. The label goes in the update's span and log line.
    Done(&'static str),
    /// Nothing it was to be answered with could be stored, not even an apology or a
    /// notice (the database refused writes): it stays in the inbox, to be handled again.
    Unanswered,
}

impl Outcome {
    /// What the update's span and log line say.
    pub(super) fn label(self) -> &'static str {
        match self {
            Outcome::Done(label) => label,
            Outcome::Unanswered => "failed, not answered",
        }
    }
}

/// What handlers return; errors are logged by the dispatcher, never fatal.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// What the handlers share.
pub struct Adapter {
    pub app: Arc<App>,
    pub flood: Flood,
    pub sender: Arc<Sender<App>>,
    /// Deliver in the handler that stored the messages, instead of in the sender's task.
    inline: bool,
    /// What `/readyz` reads: updates arriving, the listener failing.
    pub health: Arc<Health>,
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
            health: Arc::default(),
        })
    }

    /// Handlers store and return; `sender`'s own task delivers (`sportello run`).
    pub fn background(
        app: Arc<App>,
        flood_messages: u32,
        flood_window: Duration,
        sender: Arc<Sender<App>>,
        health: Arc<Health>,
    ) -> Arc<Adapter> {
        Arc::new(Adapter {
            app,
            flood: Flood::new(flood_messages, flood_window),
            sender,
            inline: false,
            health,
        })
    }

    /// Telegram's id of an update, to apply it once; not under MockBot, whose update ids
    /// start again with each dispatcher.
    fn update_id(&self, update: &Update) -> Option<u32> {
        (!self.inline).then_some(update.id.0)
    }

    /// Runs the update through the app and stores what it causes; `received`: when it
    /// arrived (for the update-to-reply latency). On failure the user gets an apology
    /// ([`Adapter::apologize`]), never silence.
    async fn accept(
        &self,
        incoming: &Incoming,
        here: &Target,
        update: Option<u32>,
        received: Instant,
    ) -> Outcome {
        // Noted before the replies are stored: the sender may deliver them at once.
        latency::arrived(here.chat, received);
        match self
            .app
            .accept(incoming, here, update, Timestamp::now())
            .await
        {
            Ok(0) => {
                latency::no_reply(here.chat, received);
                Outcome::Done("nothing to send")
            }
            Ok(_) => Outcome::Done("replied"),
            Err(e) => {
                tracing::error!("handling an update failed: {e}");
                // The apology does not mark the update applied: handed out again (a
                // slow first run, a take-over), it may still be applied.
                self.apologize(here, None).await
            }
        }
    }

    /// After a failure: stores the apology, «failed»; if not even that can be stored,
    /// [`Outcome::Unanswered`]. With `update`, the apology's commit marks it applied.
    async fn apologize(&self, here: &Target, update: Option<u32>) -> Outcome {
        let apology = Reply::new(texts(Lang::It).t("telegram.error", &[]));
        self.notice(here, apology, update, "failed").await
    }

    /// Stores a notice without a state change (an apology, «slow down», «I read only
    /// text») as the update's answer: [`Outcome::Done`] with `label`, or
    /// [`Outcome::Unanswered`] if it could not be stored (logged).
    async fn notice(
        &self,
        here: &Target,
        notice: Reply,
        update: Option<u32>,
        label: &'static str,
    ) -> Outcome {
        if self.store(vec![Delivery::Here(notice)], here, update).await {
            Outcome::Done(label)
        } else {
            Outcome::Unanswered
        }
    }

    async fn store(&self, deliveries: Vec<Delivery>, here: &Target, update: Option<u32>) -> bool {
        match self.app.send(deliveries, here, update).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(chat = %Pseudo(here.chat), "storing a reply failed: {e}");
                false
            }
        }
    }

    /// The update ended with `outcome`: out of the inbox, unless nothing about it could
    /// be stored ([`Outcome::Unanswered`]): then it stays, for [`replay`] to hand out
    /// again (once the store takes writes, it is answered) or for the next start.
    async fn finished(&self, update: &Update, outcome: Outcome) {
        match outcome {
            Outcome::Unanswered => {
                metrics::updates_left("left", 1);
                tracing::warn!(
                    id = update.id.0,
                    "the update stays in the inbox, to be handled again"
                );
            }
            Outcome::Done(_) => self.handled(update).await,
        }
    }

    /// The update was handled: out of the inbox (not under MockBot, which has none).
    async fn handled(&self, update: &Update) {
        if let Some(id) = self.update_id(update)
            && let Err(e) = self.app.handled(id).await
        {
            tracing::warn!(id, "removing a handled update from the inbox: {e}");
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

/// A failed Bot API request's error code for the metrics: Telegram's code where the
/// error tells it (teloxide keeps only the description), `network` or `invalid_json`.
pub fn error_code(e: &RequestError) -> String {
    match e {
        RequestError::RetryAfter(_) => "429".into(),
        RequestError::MigrateToChatId(_) => "400".into(),
        RequestError::Network(_) | RequestError::Io(_) => metrics::NETWORK.into(),
        RequestError::InvalidJson { .. } => metrics::INVALID_JSON.into(),
        RequestError::Api(api) => {
            let d = api.to_string();
            [
                ("Unauthorized", "401"),
                ("Forbidden", "403"),
                ("Not Found", "404"),
                ("Conflict", "409"),
                ("Internal Server Error", "500"),
                ("Bad Gateway", "502"),
                ("Service Unavailable", "503"),
                ("Gateway Timeout", "504"),
            ]
            .iter()
            .find(|(p, _)| d.starts_with(p))
            .map_or("400", |(_, c)| c)
            .into()
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
        .instrument_with(observe::update_span)
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
}
