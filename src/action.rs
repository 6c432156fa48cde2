//! Button data: small, versioned, validated.
//!
//! Telegram gives a button at most 64 bytes of data and sends back whatever a client
//! claims, so data is parsed strictly: unknown versions, unknown tags, extra fields or ids
//! that no longer exist are all rejected and get a polite "this button is no longer valid".

use crate::knowledge::CallId;

/// Version prefix of every button's data; bump it when the format changes so that buttons
/// of old messages are recognised as stale instead of misread.
const VERSION: &str = "1";

/// What a button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show a FAQ entry.
    Faq(String),
    /// Show a call's card.
    Call(CallId),
    /// Show one section of a call.
    Section(CallId, String),
    /// Show a whole passage of an official document: call, document id, passage number.
    Passage(CallId, String, u32),
    /// Send an official document's file: call, document id.
    Document(CallId, String),
    /// The list of calls.
    Calls,
    /// The list of deadlines.
    Deadlines,
    /// Help.
    Help,
    /// Confirm the erasure of all the user's data.
    EraseConfirm,
    /// Keep the data after all.
    EraseAbort,
}

impl Action {
    /// The button data (at most 64 bytes: ids are limited in length by the loader).
    pub fn encode(&self) -> String {
        let body = match self {
            Action::Faq(id) => format!("f|{id}"),
            Action::Call(id) => format!("c|{id}"),
            Action::Section(c, s) => format!("s|{c}|{s}"),
            Action::Passage(c, d, n) => format!("p|{c}|{d}|{n}"),
            Action::Document(c, d) => format!("t|{c}|{d}"),
            Action::Calls => "l".into(),
            Action::Deadlines => "d".into(),
            Action::Help => "h".into(),
            Action::EraseConfirm => "x|y".into(),
            Action::EraseAbort => "x|n".into(),
        };
        let data = format!("{VERSION}|{body}");
        debug_assert!(data.len() <= 64, "button data too long: {data}");
        data
    }

    /// Parses button data; `None` for anything malformed or from another version.
    pub fn decode(data: &str) -> Option<Action> {
        if data.len() > 64 {
            return None;
        }
        let mut parts = data.split('|');
        if parts.next()? != VERSION {
            return None;
        }
        let tag = parts.next()?;
        let rest: Vec<&str> = parts.collect();
        let id_ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        let action = match (tag, rest.as_slice()) {
            ("f", [id]) if id_ok(id) => Action::Faq(id.to_string()),
            ("c", [id]) if id_ok(id) => Action::Call(CallId(id.to_string())),
            ("s", [c, s]) if id_ok(c) && id_ok(s) => {
                Action::Section(CallId(c.to_string()), s.to_string())
            }
            ("p", [c, d, n]) if id_ok(c) && id_ok(d) && n.len() <= 5 => {
                // Digits only: `u32::from_str` would also take a leading `+`.
                if !n.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Action::Passage(CallId(c.to_string()), d.to_string(), n.parse().ok()?)
            }
            ("t", [c, d]) if id_ok(c) && id_ok(d) => {
                Action::Document(CallId(c.to_string()), d.to_string())
            }
            ("l", []) => Action::Calls,
            ("d", []) => Action::Deadlines,
            ("h", []) => Action::Help,
            ("x", ["y"]) => Action::EraseConfirm,
            ("x", ["n"]) => Action::EraseAbort,
            _ => return None,
        };
        Some(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let all = [
            Action::Faq("wa-scadenza".into()),
            Action::Call(CallId("alfa-2026".into())),
            Action::Section(
                CallId("wecare-welfare-aziendale".into()),
                "beneficiari".into(),
            ),
            Action::Passage(CallId("a".repeat(32)), "b".repeat(20), 99_999),
            Action::Document(CallId("alfa-2026".into()), "bando".into()),
            Action::Calls,
            Action::Deadlines,
            Action::Help,
            Action::EraseConfirm,
            Action::EraseAbort,
        ];
        for a in all {
            assert!(a.encode().len() <= 64, "{}", a.encode());
            assert_eq!(Action::decode(&a.encode()), Some(a));
        }
    }

    #[test]
    fn forged_and_stale_data_is_rejected() {
        for bad in [
            "",
            "1",
            "1|",
            "0|l",
            "2|f|x",
            "1|f|",
            "1|f|A",
            "1|f|a|b",
            "1|l|x",
            "1|zz",
            "1|x|maybe",
            "1|f|../../etc",
            "1|c|<script>",
            "1|p|a|b",
            "1|p|a|b|+1",
            "1|p|a|b|-1",
            "1|p|a|b|123456",
            "1|p|a|B|1",
            "1|t|a",
            "1|t|a|../x",
            "🙂",
            &"1|f|a".repeat(30),
        ] {
            assert_eq!(Action::decode(bad), None, "{bad}");
        }
    }
}
