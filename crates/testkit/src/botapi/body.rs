//! Reading a call's body whatever way the bot posted it: multipart (teloxide's files)
//! or form-encoded (python-telegram-bot); JSON bodies need no help.

use serde_json::{Value, json};

/// The text fields of a multipart/form-data body (files are kept as their length).
pub(super) fn multipart_fields(body: &[u8], boundary: &str) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut out = serde_json::Map::new();
    for part in text.split(&format!("--{}", boundary.trim_matches('"'))) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let parsed = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
        out.insert(name.to_string(), parsed);
    }
    Value::Object(out)
}

/// The fields of a form-encoded body (python-telegram-bot posts these), each read as
/// JSON when it is (numbers, keyboards), else as a string.
pub(super) fn form_fields(body: &[u8]) -> Value {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut out = serde_json::Map::new();
    for (k, v) in pairs {
        let parsed = serde_json::from_str(&v).unwrap_or(Value::String(v));
        out.insert(k, parsed);
    }
    Value::Object(out)
}
