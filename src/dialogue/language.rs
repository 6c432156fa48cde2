//! The language of a conversation: the user's setting, the language of a question, the
//! `/lingua` (`/language`) command and the English names of the commands.
//!
//! The setting starts from Telegram's `language_code` (the app passes it in) until the
//! user picks one with `/lingua`; a question written clearly in the other language is
//! answered in that language for that message only, without touching the setting.

use super::{Engine, Event, Outcome, Session, State, parse_command};
use crate::reply::Reply;
use crate::text::{Lang, texts};

/// English names of commands, mapped to the engine's own (Italian) names.
const ENGLISH_COMMANDS: &[(&str, &str)] = &[
    ("help", "aiuto"),
    ("calls", "bandi"),
    ("deadlines", "scadenze"),
    ("reminders", "promemoria"),
    ("search", "cerca"),
    ("check", "verifica"),
    ("back", "indietro"),
    ("restart", "ricomincia"),
    ("operator", "operatore"),
    ("human", "operatore"),
    ("cancel", "annulla"),
    ("deleteme", "cancellami"),
    ("language", "lingua"),
];

/// The engine's name of a command typed in either language (`calls` → `bandi`).
pub fn command_name(cmd: &str) -> &str {
    ENGLISH_COMMANDS
        .iter()
        .find(|(en, _)| *en == cmd)
        .map_or(cmd, |(_, it)| it)
}

/// The language to answer `event` in: the session's, unless the event is a question
/// asked while nothing else is going on and written clearly in the other language.
pub fn reply_lang(session: &Session, event: &Event) -> Lang {
    match event {
        Event::Text(t) if session.state == State::Idle && parse_command(t.trim()).is_none() => {
            crate::understand::english::detect(t).unwrap_or(session.lang)
        }
        _ => session.lang,
    }
}

impl Engine<'_> {
    /// `/lingua en|it` sets the language; without an argument it switches to the other.
    pub(super) fn language_command(&self, out: &mut Outcome, args: &str) {
        let lang = if args.trim().is_empty() {
            match out.session.lang {
                Lang::It => Some(Lang::En),
                Lang::En => Some(Lang::It),
            }
        } else {
            Lang::from_name(args.trim())
        };
        match lang {
            Some(l) => {
                out.session.lang = l;
                out.session.lang_chosen = true;
                out.replies
                    .push(Reply::new(texts(l).t("lang.switched", &[])));
            }
            None => out
                .replies
                .push(Reply::new(texts(out.session.lang).t("lang.usage", &[]))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_command_names_lead_to_the_engine_s_commands() {
        assert_eq!(command_name("calls"), "bandi");
        assert_eq!(command_name("language"), "lingua");
        assert_eq!(command_name("bandi"), "bandi");
        assert_eq!(command_name("whatever"), "whatever");
    }

    #[test]
    fn an_english_question_is_answered_in_english_only_when_idle() {
        let s = Session::default();
        let q = Event::Text("What is the deadline for the company welfare call?".into());
        assert_eq!(reply_lang(&s, &q), Lang::En);
        assert_eq!(reply_lang(&s, &Event::Text("/bandi".into())), Lang::It);
        let busy = Session {
            state: State::HandOver,
            ..Session::default()
        };
        assert_eq!(reply_lang(&busy, &q), Lang::It);
        let en = Session {
            lang: Lang::En,
            ..Session::default()
        };
        assert_eq!(
            reply_lang(&en, &Event::Text("Chi può partecipare al bando?".into())),
            Lang::It
        );
        assert_eq!(reply_lang(&en, &Event::Text("ATI".into())), Lang::En);
    }
}
