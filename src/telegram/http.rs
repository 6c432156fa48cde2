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
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::json;
use teloxide::Bot;

use super::answer::read;
use crate::outbox::policy::Answer;
use crate::outbox::sender::Transport;
use crate::outgoing::{DocumentSource, ReplyTo, What};
use crate::reply::{Button, Rich};

/// How calls that keep the bot connected are retried (getMe at start, a failed long
/// poll): capped exponential backoff with jitter, 0.5 s doubling to 30 s, without end.
pub fn reconnect_backoff() -> backon::ExponentialBuilder {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(30))
        .with_jitter()
        .without_max_times()
}

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
    /// The URL of `SendMessage`, nearly every call's: made once, not per message.
    send_message: Url,
}

impl HttpTransport {
    /// Uses the bot's client, API URL and token.
    pub fn from_bot(bot: &Bot) -> HttpTransport {
        HttpTransport::new(bot.client().clone(), bot.api_url(), bot.token().to_string())
    }

    fn new(client: reqwest::Client, api: Url, token: String) -> HttpTransport {
        let send_message = method_url(&api, &token, "SendMessage");
        HttpTransport {
            client,
            api,
            token,
            send_message,
        }
    }

    fn url(&self, method: &str) -> Url {
        if method == "SendMessage" {
            return self.send_message.clone();
        }
        method_url(&self.api, &self.token, method)
    }

    /// Posts `body` written straight to JSON bytes (no `serde_json::Value` tree between).
    async fn post_json(&self, method: &str, body: &impl Serialize) -> Answer {
        let bytes = match serde_json::to_vec(body) {
            Ok(b) => b,
            Err(e) => return Answer::Network(format!("writing the request: {e}")),
        };
        let r = self
            .client
            .post(self.url(method))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes)
            .send()
            .await;
        read(r).await
    }
}

pub(super) fn method_url(api: &Url, token: &str, method: &str) -> Url {
    let mut url = api.clone();
    let base = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{base}/bot{token}/{method}"));
    url
}

/// An inline keyboard as the Bot API takes it (`{"inline_keyboard": [[{"text",
/// "callback_data"}]]}`), empty rows left out; `None` when no row has a button.
struct Keyboard<'a>(&'a [Vec<Button>]);

fn keyboard(rows: &[Vec<Button>]) -> Option<Keyboard<'_>> {
    rows.iter().any(|r| !r.is_empty()).then_some(Keyboard(rows))
}

struct Row<'a>(&'a [Button]);

struct Key<'a>(&'a Button);

struct Rows<'a>(&'a [Vec<Button>]);

impl Serialize for Keyboard<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("inline_keyboard", &Rows(self.0))?;
        m.end()
    }
}

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for r in self.0.iter().filter(|r| !r.is_empty()) {
            seq.serialize_element(&Row(r))?;
        }
        seq.end()
    }
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for b in self.0 {
            seq.serialize_element(&Key(b))?;
        }
        seq.end()
    }
}

impl Serialize for Key<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("text", &self.0.label)?;
        m.serialize_entry("callback_data", &self.0.data)?;
        m.end()
    }
}

/// The body of `SendMessage` and `EditMessageText` (`message_id` set for an edit).
#[derive(Serialize)]
struct TextBody<'a> {
    chat_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<i32>,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parse_mode: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_markup: Option<Keyboard<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_parameters: Option<ReplyParameters>,
}

#[derive(Serialize)]
struct ReplyParameters {
    message_id: i32,
    allow_sending_without_reply: bool,
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
                let body = TextBody {
                    chat_id: chat,
                    message_id: None,
                    text: &text,
                    parse_mode: mode,
                    reply_markup: keyboard(buttons),
                    reply_parameters: match reply_to {
                        Some(ReplyTo::Message(m)) => Some(ReplyParameters {
                            message_id: *m,
                            allow_sending_without_reply: true,
                        }),
                        _ => None,
                    },
                };
                self.post_json("SendMessage", &body).await
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
                if let Some(k) = keyboard(buttons)
                    && let Ok(k) = serde_json::to_string(&k)
                {
                    form = form.text("reply_markup", k);
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
                let body = TextBody {
                    chat_id: chat,
                    message_id: Some(*message),
                    text: &text,
                    parse_mode: mode,
                    reply_markup: keyboard(buttons),
                    reply_parameters: None,
                };
                self.post_json("EditMessageText", &body).await
            }
            What::Copy { from_chat, message } => {
                let body =
                    json!({"chat_id": chat, "from_chat_id": from_chat, "message_id": message});
                self.post_json("CopyMessage", &body).await
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
    fn bodies_are_written_as_the_bot_api_takes_them() {
        let b = |label: &str, data: &str| Button {
            label: label.into(),
            data: data.into(),
        };
        let rows = vec![
            vec![b("Sì", "y"), b("No \"mai\"", "n")],
            vec![],
            vec![b("Altro", "o")],
        ];
        let body = TextBody {
            chat_id: -42,
            message_id: None,
            text: "<b>Ciao</b> & «benvenuto»",
            parse_mode: Some("HTML"),
            reply_markup: keyboard(&rows),
            reply_parameters: Some(ReplyParameters {
                message_id: 7,
                allow_sending_without_reply: true,
            }),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "chat_id": -42,
                "text": "<b>Ciao</b> & «benvenuto»",
                "parse_mode": "HTML",
                "reply_markup": {"inline_keyboard": [
                    [{"text": "Sì", "callback_data": "y"}, {"text": "No \"mai\"", "callback_data": "n"}],
                    [{"text": "Altro", "callback_data": "o"}]
                ]},
                "reply_parameters": {"message_id": 7, "allow_sending_without_reply": true}
            })
        );
        let empty = vec![vec![], vec![]];
        let edit = TextBody {
            chat_id: 5,
            message_id: Some(9),
            text: "x",
            parse_mode: None,
            reply_markup: keyboard(&empty),
            reply_parameters: None,
        };
        assert_eq!(
            serde_json::to_value(&edit).unwrap(),
            json!({"chat_id": 5, "message_id": 9, "text": "x"}),
            "no keyboard when every row is empty, no parse mode for plain text"
        );
    }

    #[test]
    fn urls_carry_the_token_only_in_the_path() {
        let t = HttpTransport::new(
            reqwest::Client::new(),
            Url::parse("http://127.0.0.1:9/").unwrap(),
            "1:ABC".into(),
        );
        assert_eq!(
            t.url("sendMessage").as_str(),
            "http://127.0.0.1:9/bot1:ABC/sendMessage"
        );
        assert_eq!(
            t.url("SendMessage").as_str(),
            "http://127.0.0.1:9/bot1:ABC/SendMessage"
        );
    }
}
