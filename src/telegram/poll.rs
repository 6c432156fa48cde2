//! One `getUpdates` call over the bot's HTTP client, made here rather than through
//! teloxide's requester, as the outbox's sends are ([`super::http`]): teloxide holds an
//! answer with a 5xx status 10 s inside the call before it reports it, so updates waited
//! that long after every Bot API 5xx on a poll; and it keeps only an error's description,
//! not its `error_code` and `parameters.retry_after`.
//!
//! The updates are read as teloxide reads them: one of a kind it does not know reads as
//! `UpdateKind::Error` with its id, so the rest of the batch still reads and the offset
//! moves past it.

use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};
use teloxide::Bot;
use teloxide::types::{AllowedUpdate, Update};

use super::answer::parse;
use super::http::method_url;
use crate::ops::metrics;
use crate::outbox::policy::Answer;

/// Polls one bot's updates.
pub(super) struct Poll {
    client: reqwest::Client,
    /// `getUpdates`' URL (it holds the token: never logged).
    url: Url,
}

/// A poll that got no updates: why, as the metrics count it, and how long Telegram asks
/// to wait, if it does.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub(super) struct Failed {
    /// Telegram's `error_code`, `network` or `invalid_json` (as
    /// [`super::error_code`] names teloxide's errors).
    pub code: String,
    pub retry_after: Option<Duration>,
    what: String,
}

#[derive(Serialize)]
struct Request<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u8>,
    timeout: u32,
    allowed_updates: &'a [AllowedUpdate],
}

#[derive(Deserialize)]
struct Batch {
    ok: bool,
    result: Vec<Update>,
}

impl Poll {
    /// With the bot's client (its timeout is above the poll's), API URL and token.
    pub(super) fn from_bot(bot: &Bot) -> Poll {
        Poll {
            client: bot.client().clone(),
            url: method_url(&bot.api_url(), bot.token(), "GetUpdates"),
        }
    }

    /// The updates from `offset` on (confirming every one below it), waiting up to
    /// `timeout` seconds for one to come; at most `limit` (Telegram's default: 100).
    pub(super) async fn updates(
        &self,
        offset: Option<i32>,
        limit: Option<u8>,
        timeout: u32,
        allowed: &[AllowedUpdate],
    ) -> Result<Vec<Update>, Failed> {
        let body = Request {
            offset,
            limit,
            timeout,
            allowed_updates: allowed,
        };
        let answer = self
            .client
            .post(self.url.clone())
            .json(&body)
            .send()
            .await
            .map_err(network)?;
        let status = answer.status().as_u16();
        let body = answer.bytes().await.map_err(network)?;
        read(status, &body)
    }
}

/// Errors leave the URL out: it holds the token.
fn network(e: reqwest::Error) -> Failed {
    Failed {
        code: metrics::NETWORK.into(),
        retry_after: None,
        what: e.without_url().to_string(),
    }
}

/// A `getUpdates` answer from its HTTP status and body.
fn read(status: u16, body: &[u8]) -> Result<Vec<Update>, Failed> {
    if (200..300).contains(&status)
        && let Ok(Batch { ok: true, result }) = serde_json::from_slice(body)
    {
        return Ok(result);
    }
    Err(match parse(status, body) {
        Answer::Error {
            status,
            code,
            description,
            retry_after,
        } => {
            let code = code.unwrap_or(status);
            Failed {
                code: if (200..300).contains(&code) {
                    metrics::INVALID_JSON.into()
                } else {
                    code.to_string()
                },
                retry_after: retry_after.filter(|_| code == 429).map(Duration::from_secs),
                what: format!("{code} {description}"),
            }
        }
        // `ok`, but not a list of updates.
        Answer::Ok { .. } | Answer::Network(_) => Failed {
            code: metrics::INVALID_JSON.into(),
            retry_after: None,
            what: format!("{status}: an answer that is not a list of updates"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::UpdateKind;

    #[test]
    fn answers_read_as_updates_or_as_why_not() {
        let batch = r#"{"ok":true,"result":[
            {"update_id":7,"message":{"message_id":1,"date":1700000000,
              "chat":{"id":5,"type":"private","first_name":"Anna"},
              "from":{"id":5,"is_bot":false,"first_name":"Anna"},"text":"ciao"}},
            {"update_id":8,"some_future_kind":{"x":1}}]}"#;
        let got = read(200, batch.as_bytes()).unwrap();
        assert_eq!(got.iter().map(|u| u.id.0).collect::<Vec<_>>(), [7, 8]);
        assert!(matches!(got[0].kind, UpdateKind::Message(_)));
        assert!(matches!(got[1].kind, UpdateKind::Error(_)));
        assert!(read(200, br#"{"ok":true,"result":[]}"#).unwrap().is_empty());

        let too_many = read(
            429,
            br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#,
        )
        .unwrap_err();
        assert_eq!(too_many.code, "429");
        assert_eq!(too_many.retry_after, Some(Duration::from_secs(7)));
        let json5xx = read(
            500,
            br#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#,
        )
        .unwrap_err();
        assert_eq!((json5xx.code.as_str(), json5xx.retry_after), ("500", None));
        assert_eq!(json5xx.to_string(), "500 Internal Server Error");
        let html = read(502, b"<html>Bad Gateway</html>").unwrap_err();
        assert_eq!(html.code, "502");
        let conflict = read(
            409,
            br#"{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request"}"#,
        )
        .unwrap_err();
        assert_eq!(conflict.code, "409");
        for garbled in [r#"{"ok":true,"result":true}"#, "<html>proxy</html>", ""] {
            let e = read(200, garbled.as_bytes()).unwrap_err();
            assert_eq!((e.code.as_str(), e.retry_after), ("invalid_json", None));
        }
    }
}
