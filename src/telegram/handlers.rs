//! The handlers of the update tree: they turn an update into an [`Incoming`], let the app
//! store it with its replies, and return; a button press is answered first.

use std::borrow::Borrow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use teloxide::Bot;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::Me;

use super::flood::Verdict;
use super::observe::done;
use super::{Adapter, HandlerError, Outcome, message_event};
use crate::app::Incoming;
use crate::dialogue::Event;
use crate::helpdesk::staff::StaffReply;
use crate::outgoing::Target;
use crate::reply::Reply;
use crate::store::UserId;
use crate::text::{Lang, texts};

/// An answer to a button press that takes longer than this is given up (Telegram lets
/// the press expire after a few seconds anyway; the reply still comes).
const CALLBACK_ANSWER_LIMIT: Duration = Duration::from_secs(5);

/// Where the replies to an update from `from` in `chat` go.
fn target(chat: &teloxide::types::Chat, from: &teloxide::types::User) -> Target {
    Target {
        chat: chat.id.0,
        pressed: None,
        // In a group, replies may be merged when the group asks faster than Telegram
        // lets the bot answer: each part then says whom it answers.
        asker: (!chat.is_private()).then(|| display_name(from)),
    }
}

pub(super) async fn on_message<B>(
    bot: B,
    msg: Message,
    me: Me,
    upd: Update,
    ad: Arc<Adapter>,
) -> Result<(), HandlerError>
where
    B: Requester<Err = RequestError> + Borrow<Bot> + Clone + Send + Sync + 'static,
{
    let received = Instant::now();
    let outcome = message(&bot, &msg, &me, &upd, &ad, received).await;
    ad.finished(&upd, outcome).await;
    done(outcome.label(), received);
    Ok(())
}

/// Handles a message; returns its outcome.
async fn message<B>(
    bot: &B,
    msg: &Message,
    me: &Me,
    upd: &Update,
    ad: &Adapter,
    received: Instant,
) -> Outcome
where
    B: Borrow<Bot>,
{
    let Some(from) = msg.from.as_ref().filter(|u| !u.is_bot) else {
        return Outcome::Done("ignored");
    };
    let user = UserId(from.id.0 as i64);
    let private = msg.chat.is_private();
    let here = target(&msg.chat, from);
    let update = ad.update_id(upd);
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
        // A text answer may become a FAQ: the app offers it with the copy.
        let reply = StaffReply {
            chat: msg.chat.id.0,
            replied_to: replied.id.0,
            message: msg.id.0,
            text: msg.text().map(str::to_string),
            by: crate::helpdesk::teach::Actor {
                id: user.0,
                name: display_name(from),
            },
        };
        // The copy to the user is stored with the update's id; if it cannot be, staff
        // are told so, and if not even that can be stored the update stays in the inbox
        // (handled again: the copy goes out once, and its FAQ offer is not made twice).
        let stored = match ad.app.staff_reply(&reply, jiff::Timestamp::now()).await {
            Ok(Some(deliveries)) => Some(ad.store(deliveries, &here, update).await),
            Ok(None) => None,
            Err(e) => {
                tracing::error!("staff reply: {e}");
                Some(false)
            }
        };
        match stored {
            Some(true) => {
                ad.deliver(bot).await;
                return Outcome::Done("staff reply");
            }
            Some(false) => {
                let outcome = ad.apologize(&here, update).await;
                ad.deliver(bot).await;
                return outcome;
            }
            None => {}
        }
    }
    // Forwards: the text, never `forward_from` (hidden for users who chose so).
    let forwarded = msg.forward_origin().is_some();
    let event = match msg.text() {
        Some(text) if forwarded && (private || staff_chat) => Event::Text(text.to_string()),
        // «domanda: …» and the like edit a FAQ draft, without naming the bot.
        Some(text) if staff_chat && crate::helpdesk::teach::parse_edit(text).is_some() => {
            Event::Text(text.to_string())
        }
        Some(text) => match message_event(text, private, me.username()) {
            Some(e) => e,
            None => {
                return Outcome::Done("not addressed");
            }
        },
        None if private => {
            // Photos, stickers, voice: say kindly what the bot can read.
            if ad.flood.check(user.0, Instant::now()) == Verdict::Pass {
                let notice = Reply::new(tx.t("telegram.not_text", &[]));
                let outcome = ad.notice(&here, notice, update, "not text").await;
                ad.deliver(bot).await;
                return outcome;
            }
            return Outcome::Done("not text");
        }
        None => {
            return Outcome::Done("not addressed");
        }
    };
    match ad.flood.check(user.0, Instant::now()) {
        Verdict::Pass => {}
        Verdict::Warn => {
            let outcome = ad
                .notice(&here, slow_down(ad), update, "flood warned")
                .await;
            ad.deliver(bot).await;
            return outcome;
        }
        Verdict::Drop => {
            return Outcome::Done("flood dropped");
        }
    }
    let incoming = Incoming {
        user,
        name: display_name(from),
        chat: msg.chat.id.0,
        event,
        forwarded,
        lang: from.language_code.as_deref().map(Lang::from_code),
    };
    let outcome = ad.accept(&incoming, &here, update, received).await;
    ad.deliver(bot).await;
    outcome
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

pub(super) async fn on_callback<B>(
    bot: B,
    q: CallbackQuery,
    upd: Update,
    ad: Arc<Adapter>,
) -> Result<(), HandlerError>
where
    B: Requester<Err = RequestError> + Borrow<Bot> + Clone + Send + Sync + 'static,
{
    let received = Instant::now();
    // Every press is answered at once, or the client keeps its spinner going. It is not
    // a chat message: no chat limit applies, and a refused answer is not retried.
    let answer = bot.answer_callback_query(q.id.clone());
    match tokio::time::timeout(CALLBACK_ANSWER_LIMIT, answer.send()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            crate::ops::metrics::telegram_error(&super::error_code(&e));
            tracing::debug!("answerCallbackQuery: {e}");
        }
        Err(_) => tracing::debug!("answerCallbackQuery: no answer in time"),
    }
    let user = UserId(q.from.id.0 as i64);
    let update = ad.update_id(&upd);
    // Without the message (inline mode) the answer goes to the user's private chat.
    let mut here = match q.message.as_ref() {
        Some(m) => target(m.chat(), &q.from),
        None => Target {
            chat: user.0,
            ..Target::default()
        },
    };
    here.pressed = q.regular_message().map(|m| m.id.0);
    let outcome = match ad.flood.check(user.0, Instant::now()) {
        Verdict::Pass => {
            let incoming = Incoming {
                user,
                name: display_name(&q.from),
                chat: here.chat,
                event: Event::Button(q.data.clone().unwrap_or_default()),
                forwarded: false,
                lang: q.from.language_code.as_deref().map(Lang::from_code),
            };
            ad.accept(&incoming, &here, update, received).await
        }
        Verdict::Warn => {
            ad.notice(&here, slow_down(&ad), update, "flood warned")
                .await
        }
        Verdict::Drop => {
            ad.handled(&upd).await;
            done("flood dropped", received);
            return Ok(());
        }
    };
    ad.deliver(&bot).await;
    ad.finished(&upd, outcome).await;
    done(outcome.label(), received);
    Ok(())
}

fn slow_down(ad: &Adapter) -> Reply {
    let secs = ad.flood.window().as_secs().max(1).to_string();
    Reply::new(texts(Lang::It).t("telegram.slow_down", &[("seconds", &secs)]))
}
