//! The [`Outbox`] over teloxide: renders a [`Reply`] as Telegram HTML with inline buttons
//! and maps the Bot API's errors to what the dispatcher needs to know.
//!
//! Generic over the requester so it runs with a plain `Bot` (tests, the stand-in) as
//! well as an adapted one. Do not wrap the bot in teloxide's `Throttle` here: the
//! dispatcher paces itself and must see each 429 to pause.

use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::payloads::{SendDocumentSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ParseMode};

use super::dispatch::{Outbox, SendError};
use crate::reply::Reply;
use crate::store::UserId;

/// Sends through a teloxide requester.
#[derive(Debug, Clone)]
pub struct BotOutbox<B> {
    pub bot: B,
}

/// What a Bot API error means for a reminder.
pub fn classify(e: &RequestError) -> SendError {
    match e {
        RequestError::RetryAfter(s) => SendError::RetryAfter(s.seconds()),
        RequestError::Api(api) => match api {
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::ChatNotFound => SendError::Blocked,
            ApiError::Unknown(d) if is_server_error(d) => SendError::Transient(d.clone()),
            ApiError::Unknown(d) if d.starts_with("Forbidden") => SendError::Blocked,
            other => SendError::Permanent(other.to_string()),
        },
        // Network trouble and non-JSON answers (a proxy's 502 page) are worth retrying.
        RequestError::Network(e) => SendError::Transient(e.to_string()),
        RequestError::Io(e) => SendError::Transient(e.to_string()),
        RequestError::InvalidJson { .. } => SendError::Transient("invalid answer".into()),
        RequestError::MigrateToChatId(_) => SendError::Permanent("chat migrated".into()),
    }
}

fn is_server_error(description: &str) -> bool {
    [
        "Internal Server Error",
        "Bad Gateway",
        "Service Unavailable",
        "Gateway Timeout",
    ]
    .iter()
    .any(|p| description.starts_with(p))
}

fn keyboard(reply: &Reply) -> Option<InlineKeyboardMarkup> {
    (!reply.buttons.is_empty()).then(|| {
        InlineKeyboardMarkup::new(reply.buttons.iter().map(|row| {
            row.iter()
                .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone()))
                .collect::<Vec<_>>()
        }))
    })
}

impl<B> Outbox for BotOutbox<B>
where
    B: Requester<Err = RequestError> + Send + Sync + 'static,
    B::SendMessage: Send,
    B::SendDocument: Send,
{
    async fn send(&self, chat: UserId, reply: &Reply) -> Result<(), SendError> {
        let chat = ChatId(chat.0);
        if let Some(doc) = &reply.document {
            let file = InputFile::memory(doc.bytes.clone()).file_name(doc.file_name.clone());
            let mut req = self.bot.send_document(chat, file);
            if let Some(c) = &doc.caption {
                req = req.caption(c.to_html()).parse_mode(ParseMode::Html);
            }
            req.await.map_err(|e| classify(&e))?;
        }
        if !reply.text.is_empty() {
            let mut req = self
                .bot
                .send_message(chat, reply.text.to_html())
                .parse_mode(ParseMode::Html);
            if let Some(k) = keyboard(reply) {
                req = req.reply_markup(k);
            }
            req.await.map_err(|e| classify(&e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::Seconds;

    #[test]
    fn errors_map_to_what_the_dispatcher_does() {
        assert_eq!(
            classify(&RequestError::RetryAfter(Seconds::from_seconds(7))),
            SendError::RetryAfter(7)
        );
        assert_eq!(
            classify(&RequestError::Api(ApiError::BotBlocked)),
            SendError::Blocked
        );
        assert_eq!(
            classify(&RequestError::Api(ApiError::UserDeactivated)),
            SendError::Blocked
        );
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown("Bad Gateway".into()))),
            SendError::Transient(_)
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::MessageTextIsEmpty)),
            SendError::Permanent(_)
        ));
    }
}
