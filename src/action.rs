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
    /// The reminders menu (`/promemoria`).
    Reminders,
    /// The user's subscriptions.
    MyReminders,
    /// Subscribe to a call's deadline.
    Subscribe(CallId),
    /// Stop the reminders of one call.
    Unsubscribe(CallId),
    /// Stop every reminder.
    UnsubscribeAll,
    /// «🔔 Avvisami»: follow a call (be told when its deadline, status or page changes).
    Follow(CallId),
    /// Stop following a call.
    Unfollow(CallId),
    /// Keep the result of the check just finished (evaluated again on each load).
    KeepVerdict,
    /// The calendar file of a call's deadline.
    Calendar(CallId),
    /// Choose what to check: a call's requirements or "which calls fit me".
    EligibilityMenu,
    /// Start the questionnaire with this id.
    EligibilityStart(String),
    /// Answer question `question` of the dialogue `nonce` with option `option`.
    EligibilityAnswer(Nonce, u8, u8),
    /// Select or deselect an option of a multiple-choice question.
    EligibilityToggle(Nonce, u8, u8),
    /// Move in the dialogue `nonce`, standing at question `question`.
    EligibilityStep(Nonce, u8, Step),
    /// Hand the last question over to a person of the help desk.
    Operator,
    /// «Cambia bando»: the calls to choose the focus from.
    FocusMenu,
    /// Make this call the focus and answer the last question for it.
    Focus(CallId),
    /// Staff only: show this search entry (`faq:…`, `call:…#…`) as a ready-to-send answer.
    StaffAnswer(String),
}

impl Action {
    /// The staff button of an entry, when its id fits in button data.
    pub fn staff_answer(entry_id: &str) -> Option<Action> {
        (entry_id.len() <= 64 - "1|k|".len() && entry_id_ok(entry_id))
            .then(|| Action::StaffAnswer(entry_id.to_string()))
    }
}

/// Search entry ids: lowercase ASCII, digits and `-:/#`.
fn entry_id_ok(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b':' | b'/' | b'#')
        })
}

/// A short tag that identifies one eligibility dialogue, so that the buttons of an
/// earlier dialogue are recognised as stale.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Nonce(pub String);

impl Nonce {
    pub const LEN: usize = 4;

    /// A nonce from a seed (e.g. the time the dialogue starts), different from `prev`.
    pub fn derive(seed: u64, prev: Option<&Nonce>) -> Nonce {
        const SPACE: u64 = 36u64.pow(Nonce::LEN as u32);
        // A multiplicative hash spreads consecutive seeds over the whole space.
        let mut n = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
        n %= SPACE;
        let mut out = Nonce::from_number(n);
        if prev == Some(&out) {
            out = Nonce::from_number((n + 1) % SPACE);
        }
        out
    }

    fn from_number(mut n: u64) -> Nonce {
        let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let mut s = vec![b'0'; Nonce::LEN];
        for c in s.iter_mut().rev() {
            *c = digits[(n % 36) as usize];
            n /= 36;
        }
        Nonce(String::from_utf8(s).unwrap_or_default())
    }

    fn parse(s: &str) -> Option<Nonce> {
        (s.len() == Nonce::LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        .then(|| Nonce(s.to_string()))
    }
}

/// Moves within an eligibility dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Back,
    Restart,
    Cancel,
    /// Go on although the call is closed.
    Continue,
    /// Skip an optional question.
    Skip,
    /// Explain the current question.
    Help,
    /// Confirm the selection of a multiple-choice question.
    Done,
    /// Take back the answers filled in from the user's own words.
    Correct,
}

impl Step {
    const ALL: [(Step, &'static str); 8] = [
        (Step::Back, "b"),
        (Step::Restart, "r"),
        (Step::Cancel, "x"),
        (Step::Continue, "c"),
        (Step::Skip, "s"),
        (Step::Help, "h"),
        (Step::Done, "d"),
        (Step::Correct, "e"),
    ];

    fn code(self) -> &'static str {
        Step::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map(|(_, c)| *c)
            .unwrap_or("x")
    }

    fn parse(c: &str) -> Option<Step> {
        Step::ALL.iter().find(|(_, k)| *k == c).map(|(s, _)| *s)
    }
}

/// A small number written canonically (`7`, not `07` or `+7`).
fn small(s: &str) -> Option<u8> {
    let n: u8 = s.parse().ok()?;
    (n.to_string() == s).then_some(n)
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
            Action::Reminders => "r".into(),
            Action::MyReminders => "r|l".into(),
            Action::Subscribe(id) => format!("r|s|{id}"),
            Action::Unsubscribe(id) => format!("r|u|{id}"),
            Action::UnsubscribeAll => "r|x".into(),
            Action::Follow(id) => format!("w|f|{id}"),
            Action::Unfollow(id) => format!("w|u|{id}"),
            Action::KeepVerdict => "w|k".into(),
            Action::Calendar(id) => format!("r|c|{id}"),
            Action::EligibilityMenu => "v".into(),
            Action::EligibilityStart(id) => format!("v|{id}"),
            Action::EligibilityAnswer(n, q, o) => format!("a|{}|{q}|{o}", n.0),
            Action::EligibilityToggle(n, q, o) => format!("m|{}|{q}|{o}", n.0),
            Action::EligibilityStep(n, q, s) => format!("n|{}|{q}|{}", n.0, s.code()),
            Action::Operator => "o".into(),
            Action::StaffAnswer(id) => format!("k|{id}"),
            Action::FocusMenu => "b".into(),
            Action::Focus(id) => format!("b|{id}"),
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
            ("r", []) => Action::Reminders,
            ("r", ["l"]) => Action::MyReminders,
            ("r", ["s", id]) if id_ok(id) => Action::Subscribe(CallId(id.to_string())),
            ("r", ["u", id]) if id_ok(id) => Action::Unsubscribe(CallId(id.to_string())),
            ("r", ["x"]) => Action::UnsubscribeAll,
            ("w", ["f", id]) if id_ok(id) => Action::Follow(CallId(id.to_string())),
            ("w", ["u", id]) if id_ok(id) => Action::Unfollow(CallId(id.to_string())),
            ("w", ["k"]) => Action::KeepVerdict,
            ("r", ["c", id]) if id_ok(id) => Action::Calendar(CallId(id.to_string())),
            ("v", []) => Action::EligibilityMenu,
            ("v", [id]) if id_ok(id) => Action::EligibilityStart(id.to_string()),
            ("a", [n, q, o]) => Action::EligibilityAnswer(Nonce::parse(n)?, small(q)?, small(o)?),
            ("m", [n, q, o]) => Action::EligibilityToggle(Nonce::parse(n)?, small(q)?, small(o)?),
            ("n", [n, q, s]) => {
                Action::EligibilityStep(Nonce::parse(n)?, small(q)?, Step::parse(s)?)
            }
            ("o", []) => Action::Operator,
            ("k", [id]) if entry_id_ok(id) => Action::StaffAnswer(id.to_string()),
            ("b", []) => Action::FocusMenu,
            ("b", [id]) if id_ok(id) => Action::Focus(CallId(id.to_string())),
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
            Action::Reminders,
            Action::MyReminders,
            Action::Subscribe(CallId("a".repeat(32))),
            Action::Unsubscribe(CallId("alfa-2026".into())),
            Action::UnsubscribeAll,
            Action::Follow(CallId("alfa-2026".into())),
            Action::Unfollow(CallId("alfa-2026".into())),
            Action::KeepVerdict,
            Action::Calendar(CallId("alfa-2026".into())),
            Action::EligibilityMenu,
            Action::EligibilityStart("wecare-welfare-aziendale".into()),
            Action::EligibilityAnswer(Nonce("a0z9".into()), 12, 3),
            Action::EligibilityToggle(Nonce("zzzz".into()), 0, 19),
            Action::EligibilityStep(Nonce("0000".into()), 255, Step::Done),
            Action::Operator,
            Action::StaffAnswer("faq:wa-scadenza".into()),
            Action::StaffAnswer("call:alfa-2026#beneficiari".into()),
            Action::FocusMenu,
            Action::Focus(CallId("a".repeat(32))),
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
            "1|r|s|",
            "1|r|s|A",
            "1|r|q",
            "1|r|x|y",
            "1|f|../../etc",
            "1|c|<script>",
            "1|a|abcd|1",
            "1|a|abc|1|2",
            "1|a|ABCD|1|2",
            "1|a|abcd|01|2",
            "1|a|abcd|1|256",
            "1|a|abcd|+1|2",
            "1|m|abcd|1|-1",
            "1|n|abcd|1|q",
            "1|n|abcd|1|b|b",
            "1|v|Wecare",
            "1|p|a|b",
            "1|p|a|b|+1",
            "1|p|a|b|-1",
            "1|p|a|b|123456",
            "1|p|a|B|1",
            "1|t|a",
            "1|t|a|../x",
            "1|o|x",
            "1|k|",
            "1|k|FAQ:x",
            "1|k|faq:a b",
            "1|b|x|y",
            "1|b|A",
            "1|b|",
            "🙂",
            &"1|f|a".repeat(30),
        ] {
            assert_eq!(Action::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn nonces_differ_from_the_previous_one_and_fit_button_data() {
        let a = Nonce::derive(1_700_000_000_000, None);
        let b = Nonce::derive(1_700_000_000_000, Some(&a));
        assert_ne!(a, b);
        assert_eq!(Nonce::derive(1_700_000_000_000, None), a, "deterministic");
        assert_ne!(Nonce::derive(1_700_000_000_001, None), a);
        let longest = Action::EligibilityStep(b, 255, Step::Continue).encode();
        assert!(longest.len() <= 64);
        let id = "a".repeat(32);
        assert!(Action::EligibilityStart(id).encode().len() <= 64);
        assert!(Action::staff_answer(&"a".repeat(60)).is_some());
        assert_eq!(Action::staff_answer(&"a".repeat(61)), None);
        assert_eq!(Action::staff_answer("faq:A"), None);
    }
}
