//! How the Bot API's answer to a send is read: the `ok` flag, the id of the message sent,
//! and for an error its `error_code`, description and `parameters.retry_after`, which
//! the outbox's policy decides on ([`Answer`]).
//!
//! Telegram answers a `sendMessage` with the whole message it sent: its text, entities
//! and keyboard again. Only its `message_id` is used, so the rest is skipped as it is
//! read rather than built into a JSON tree first; a `result` that is not a message
//! (`true`, for a callback's answer) reads as no id.

use std::fmt;

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::outbox::policy::Answer;

/// Reads a Bot API answer. Errors leave the URL out: it holds the token, and the
/// description is stored with the entry's retry.
pub(super) async fn read(r: Result<reqwest::Response, reqwest::Error>) -> Answer {
    let resp = match r {
        Ok(r) => r,
        Err(e) => return Answer::Network(e.without_url().to_string()),
    };
    let status = resp.status().as_u16();
    match resp.bytes().await {
        Ok(body) => parse(status, &body),
        Err(e) => Answer::Network(e.without_url().to_string()),
    }
}

#[derive(Deserialize)]
struct Body {
    ok: bool,
    #[serde(default)]
    result: Sent,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

/// The `message_id` of a `result`, when it is a message that has one.
#[derive(Default)]
struct Sent(Option<i32>);

impl<'de> Deserialize<'de> for Sent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Sent, D::Error> {
        d.deserialize_any(SentVisitor)
    }
}

struct SentVisitor;

impl<'de> Visitor<'de> for SentVisitor {
    type Value = Sent;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Bot API result")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sent, A::Error> {
        let mut id = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                // Any JSON value: one that is not a number in range is no id, as
                // for a result that is not a message.
                Key::MessageId => {
                    id = map
                        .next_value::<Value>()?
                        .as_i64()
                        .and_then(|m| i32::try_from(m).ok())
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Sent(id))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sent, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Sent(None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Sent, E> {
        Ok(Sent(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Sent, E> {
        Ok(Sent(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Sent, E> {
        Ok(Sent(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Sent, E> {
        Ok(Sent(None))
    }

    fn visit_str<E>(self, _: &str) -> Result<Sent, E> {
        Ok(Sent(None))
    }

    fn visit_unit<E>(self) -> Result<Sent, E> {
        Ok(Sent(None))
    }
}

/// A key of a result's object: only `message_id` matters.
enum Key {
    MessageId,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E>(self, k: &str) -> Result<Key, E> {
                Ok(if k == "message_id" {
                    Key::MessageId
                } else {
                    Key::Other
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// An answer from its HTTP status and body.
pub(super) fn parse(status: u16, body: &[u8]) -> Answer {
    let read = serde_json::from_slice::<Body>(body).or_else(|e| match std::str::from_utf8(body) {
        Ok(_) => Err(e),
        // Bytes that are not UTF-8 in a field that is read (a description): read as
        // text with them replaced, as a client reading the body as text would.
        Err(_) => serde_json::from_str::<Body>(&String::from_utf8_lossy(body)),
    });
    match read {
        Ok(b) if b.ok && (200..300).contains(&status) => Answer::Ok {
            message_id: b.result.0,
        },
        Ok(b) => Answer::Error {
            status,
            code: b.error_code.or((!b.ok).then_some(status)),
            description: b.description.unwrap_or_default(),
            retry_after: b.parameters.and_then(|p| p.retry_after),
        },
        Err(_) => Answer::Error {
            status,
            code: None,
            description: String::from_utf8_lossy(body).chars().take(120).collect(),
            retry_after: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_keep_error_code_and_retry_after() {
        let parse = |status, body: &str| parse(status, body.as_bytes());
        assert_eq!(
            parse(200, r#"{"ok":true,"result":{"message_id":42,"date":0}}"#),
            Answer::Ok {
                message_id: Some(42)
            }
        );
        assert_eq!(
            parse(200, r#"{"ok":true,"result":true}"#),
            Answer::Ok { message_id: None }
        );
        assert_eq!(
            parse(
                429,
                r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#
            ),
            Answer::Error {
                status: 429,
                code: Some(429),
                description: "Too Many Requests: retry after 3".into(),
                retry_after: Some(3)
            }
        );
        let json5xx = parse(
            500,
            r#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#,
        );
        assert!(matches!(
            json5xx,
            Answer::Error {
                code: Some(500),
                ..
            }
        ));
        let html = parse(502, "<html>Bad Gateway</html>");
        assert!(matches!(
            html,
            Answer::Error {
                status: 502,
                code: None,
                ..
            }
        ));
    }

    #[test]
    fn the_message_id_is_read_from_a_whole_message_and_nothing_else_is_kept() {
        let parse = |body: &str| parse(200, body.as_bytes());
        // As Telegram answers a sendMessage: the message again, the id after nested
        // objects, arrays and strings that hold braces and the key's name.
        let sent = r#"{"ok":true,"result":{"chat":{"id":5,"type":"private","message_id":1},
            "text":"{\"message_id\": 3} «ciao»","entities":[{"type":"bold","offset":0,"length":4}],
            "reply_markup":{"inline_keyboard":[[{"text":"Sì","callback_data":"y"}]]},
            "date":1700000000,"message_id":77}}"#;
        assert_eq!(
            parse(sent),
            Answer::Ok {
                message_id: Some(77)
            }
        );
        // Results that are not a message, or an id out of range: no id.
        for body in [
            r#"{"ok":true}"#,
            r#"{"ok":true,"result":null}"#,
            r#"{"ok":true,"result":[{"message_id":1}]}"#,
            r#"{"ok":true,"result":"x"}"#,
            r#"{"ok":true,"result":7}"#,
            r#"{"ok":true,"result":{"date":1}}"#,
            r#"{"ok":true,"result":{"message_id":null}}"#,
            r#"{"ok":true,"result":{"message_id":4294967296}}"#,
            r#"{"ok":true,"result":{"message_id":"12"}}"#,
            r#"{"ok":true,"result":{"message_id":{"id":12}}}"#,
        ] {
            assert_eq!(parse(body), Answer::Ok { message_id: None }, "{body}");
        }
        // An error whose description holds bytes that are not UTF-8 keeps its code.
        assert!(matches!(
            super::parse(429, b"{\"ok\":false,\"error_code\":429,\"description\":\"Too \xff Many\",\"parameters\":{\"retry_after\":3}}"),
            Answer::Error { code: Some(429), retry_after: Some(3), .. }
        ));
        // A body that is not the Bot API's: an error with the start of it, even in
        // bytes that are not UTF-8.
        assert!(matches!(
            super::parse(200, b"\xff\xfe not json"),
            Answer::Error { code: None, ref description, .. } if description.ends_with("not json")
        ));
    }
}
