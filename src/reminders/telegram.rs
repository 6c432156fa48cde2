//! The dispatcher's [`Outbox`] straight over the Bot API, for the reminders benchmark
//! (`sportello-tools`) and tests against a stand-in. (`sportello run` hands reminders to the bot's outbox
//! instead: [`crate::reminders::handoff`].)
//!
//! It makes its calls with the outbox's [`Transport`] and reads the answers with the
//! one error policy ([`crate::outbox::policy::judge`]), mapped to what the dispatcher
//! needs to know. Do not wrap the bot in teloxide's `Throttle`: the dispatcher paces
//! itself here and must see each 429 to pause.

use super::dispatch::{Outbox, SendError};
use crate::outbox::policy::{Answer, Verdict, judge};
use crate::outbox::sender::Transport;
use crate::outgoing::{Class, Target, plan};
use crate::reply::Reply;
use crate::store::UserId;

/// Sends through a [`Transport`]: a teloxide `Bot` is one (its client, URL and token;
/// see `telegram::http`).
#[derive(Debug, Clone)]
pub struct BotOutbox<B> {
    pub bot: B,
}

/// What a Bot API answer means for a reminder; `None`: it was accepted.
pub fn classify(answer: &Answer) -> Option<SendError> {
    match judge(answer, false) {
        Verdict::Accepted { .. } => None,
        Verdict::RetryAfter(d) => Some(SendError::RetryAfter(d.as_secs().max(1) as u32)),
        Verdict::Transient(e) => Some(SendError::Transient(e)),
        Verdict::Blocked(_) => Some(SendError::Blocked),
        Verdict::PlainText => Some(SendError::Permanent("can't parse entities".into())),
        Verdict::SendInstead => Some(SendError::Permanent("not an edit".into())),
        Verdict::Refused(e) => Some(SendError::Permanent(e)),
    }
}

impl<B: Transport> Outbox for BotOutbox<B> {
    async fn send(&self, chat: UserId, reply: &Reply) -> Result<(), SendError> {
        let transport = &self.bot;
        let to = Target {
            chat: chat.0,
            ..Target::default()
        };
        for entry in plan(std::slice::from_ref(reply), &to, Class::Background) {
            let answer = transport.call(chat.0, &entry.what, false).await;
            if let Some(e) = classify(&answer) {
                return Err(e);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: u16, d: &str, retry_after: Option<u64>) -> Answer {
        Answer::Error {
            status: code,
            code: Some(code),
            description: d.into(),
            retry_after,
        }
    }

    #[test]
    fn errors_map_to_what_the_dispatcher_does() {
        assert_eq!(
            classify(&err(429, "Too Many Requests: retry after 7", Some(7))),
            Some(SendError::RetryAfter(7))
        );
        assert_eq!(
            classify(&err(403, "Forbidden: bot was blocked by the user", None)),
            Some(SendError::Blocked)
        );
        assert_eq!(
            classify(&err(403, "Forbidden: user is deactivated", None)),
            Some(SendError::Blocked)
        );
        assert!(matches!(
            classify(&err(502, "Bad Gateway", None)),
            Some(SendError::Transient(_))
        ));
        assert!(matches!(
            classify(&err(400, "Bad Request: message text is empty", None)),
            Some(SendError::Permanent(_))
        ));
        assert_eq!(
            classify(&Answer::Ok {
                message_id: Some(1)
            }),
            None
        );
    }
}
