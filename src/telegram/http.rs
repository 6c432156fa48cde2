//! The Bot API over HTTP: the client every request uses, and the outbox's
//! [`Transport`].
//!
//! One `reqwest` client serves long polling and sends. Its timeout must be above the
//! long-polling timeout, with margin: otherwise every idle poll fails on the client side
//! and teloxide backs off up to a minute before the next one (see [`client`]).
//!
//! Sends are made here rather than through teloxide's requester so that the answer's
//! `error_code` and `parameters.retry_after` are read as Telegram gives them (teloxide
//! keeps only the description) and so that a 5xx is not held for 10 s inside the call.
//! The bodies are the ones teloxide would write, to the same method names (`SendMessage`:
//! Telegram does not mind the case, and test stand-ins expect teloxide's).

use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;
use serde_json::{Value, json};
use teloxide::Bot;

use crate::outbox::policy::Answer;
use crate::outbox::sender::Transport;
use crate::outgoing::{DocumentSource, ReplyTo, What};
use crate::reply::{Button, Rich};

/// Added to the long-polling timeout for the HTTP client's own timeout.
pub const POLL_MARGIN: Duration = Duration::from_secs(15);

/// The HTTP client for a long-polling timeout of `poll_timeout`.
pub fn client(poll_timeout: Duration) -> reqwest::Client {
    // rustls always: test builds also compile native-tls (a dev-dependency's feature), and
    // the bot must speak TLS the same way in tests and in production.
    reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(Duration::from_secs(5))
        .timeout(client_timeout(poll_timeout))
        .tcp_nodelay(true)
        .build()
        .unwrap_or_default()
}

/// The client's timeout: the poll's, plus [`POLL_MARGIN`].
pub fn client_timeout(poll_timeout: Duration) -> Duration {
    poll_timeout + POLL_MARGIN
}

/// The outbox's calls over the Bot API.
#[derive(Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    api: Url,
    token: String,
}

impl HttpTransport {
    /// Uses the bot's client, API URL and token.
    pub fn from_bot(bot: &Bot) -> HttpTransport {
        HttpTransport {
            client: bot.client().clone(),
            api: bot.api_url(),
            token: bot.token().to_string(),
        }
    }

    fn url(&self, method: &str) -> Url {
        let mut url = self.api.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}/bot{}/{method}", self.token));
        url
    }

    async fn post_json(&self, method: &str, body: Value) -> Answer {
        let r = self.client.post(self.url(method)).json(&body).send().await;
        read(r).await
    }
}

fn keyboard(rows: &[Vec<Button>]) -> Option<Value> {
    let rows: Vec<Value> = rows
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| {
            Value::Array(
                r.iter()
                    .map(|b| json!({"text": b.label, "callback_data": b.data}))
                    .collect(),
            )
        })
        .collect();
    (!rows.is_empty()).then(|| json!({ "inline_keyboard": rows }))
}

/// The text field and its parse mode.
fn render(text: &Rich, plain: bool) -> (String, Option<&'static str>) {
    if plain {
        (text.to_plain(), None)
    } else {
        (text.to_html(), Some("HTML"))
    }
}

impl Transport for HttpTransport {
    async fn call(&self, chat: i64, what: &What, plain: bool) -> Answer {
        match what {
            What::Message {
                text,
                buttons,
                document: None,
                reply_to,
            } => {
                let (text, mode) = render(text, plain);
                let mut body = json!({"chat_id": chat, "text": text});
                if let Some(m) = mode {
                    body["parse_mode"] = json!(m);
                }
                if let Some(k) = keyboard(buttons) {
                    body["reply_markup"] = k;
                }
                if let Some(ReplyTo::Message(m)) = reply_to {
                    body["reply_parameters"] =
                        json!({"message_id": m, "allow_sending_without_reply": true});
                }
                self.post_json("SendMessage", body).await
            }
            What::Message {
                text,
                buttons,
                document: Some(doc),
                ..
            } => {
                let bytes = match &doc.source {
                    DocumentSource::Bytes(b) => b.clone(),
                    DocumentSource::File(path) => match tokio::fs::read(path).await {
                        Ok(b) => b,
                        Err(e) => {
                            return Answer::Error {
                                status: 400,
                                code: Some(400),
                                description: format!("cannot read {}: {e}", path.display()),
                                retry_after: None,
                            };
                        }
                    },
                };
                let part = reqwest::multipart::Part::bytes(bytes).file_name(doc.file_name.clone());
                let (method, field) = if doc.photo {
                    ("SendPhoto", "photo")
                } else {
                    ("SendDocument", "document")
                };
                let mut form = reqwest::multipart::Form::new()
                    .text("chat_id", chat.to_string())
                    .part(field, part);
                if !text.is_empty() {
                    let (caption, mode) = render(text, plain);
                    form = form.text("caption", caption);
                    if let Some(m) = mode {
                        form = form.text("parse_mode", m);
                    }
                }
                if let Some(k) = keyboard(buttons) {
                    form = form.text("reply_markup", k.to_string());
                }
                let r = self
                    .client
                    .post(self.url(method))
                    .multipart(form)
                    .send()
                    .await;
                read(r).await
            }
            What::Edit {
                message,
                text,
                buttons,
            } => {
                let (text, mode) = render(text, plain);
                let mut body = json!({"chat_id": chat, "message_id": message, "text": text});
                if let Some(m) = mode {
                    body["parse_mode"] = json!(m);
                }
                if let Some(k) = keyboard(buttons) {
                    body["reply_markup"] = k;
                }
                self.post_json("EditMessageText", body).await
            }
            What::Copy { from_chat, message } => {
                let body =
                    json!({"chat_id": chat, "from_chat_id": from_chat, "message_id": message});
                self.post_json("CopyMessage", body).await
            }
        }
    }
}

/// A teloxide `Bot` sends through its own client, URL and token.
impl Transport for Bot {
    async fn call(&self, chat: i64, what: &What, plain: bool) -> Answer {
        HttpTransport::from_bot(self).call(chat, what, plain).await
    }
}

/// Reads a Bot API answer. Errors leave the URL out: it holds the token, and the
/// description is stored with the entry's retry.
async fn read(r: Result<reqwest::Response, reqwest::Error>) -> Answer {
    let resp = match r {
        Ok(r) => r,
        Err(e) => return Answer::Network(e.without_url().to_string()),
    };
    let status = resp.status().as_u16();
    match resp.text().await {
        Ok(body) => parse(status, &body),
        Err(e) => Answer::Network(e.without_url().to_string()),
    }
}

#[derive(Deserialize)]
struct Body {
    ok: bool,
    #[serde(default)]
    result: Option<Value>,
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

/// An answer from its HTTP status and body.
pub fn parse(status: u16, body: &str) -> Answer {
    match serde_json::from_str::<Body>(body) {
        Ok(b) if b.ok && (200..300).contains(&status) => Answer::Ok {
            message_id: b
                .result
                .as_ref()
                .and_then(|r| r.get("message_id"))
                .and_then(Value::as_i64)
                .and_then(|m| i32::try_from(m).ok()),
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
            description: body.chars().take(120).collect(),
            retry_after: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_outlasts_a_long_poll() {
        for poll in [1, 10, 25, 50] {
            let poll = Duration::from_secs(poll);
            assert!(client_timeout(poll) >= poll + Duration::from_secs(10));
        }
    }

    #[test]
    fn answers_keep_error_code_and_retry_after() {
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
    fn urls_carry_the_token_only_in_the_path() {
        let t = HttpTransport {
            client: reqwest::Client::new(),
            api: Url::parse("http://127.0.0.1:9/").unwrap(),
            token: "1:ABC".into(),
        };
        assert_eq!(
            t.url("sendMessage").as_str(),
            "http://127.0.0.1:9/bot1:ABC/sendMessage"
        );
    }
}
