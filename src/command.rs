//! The bot's slash commands, in one table: their names in each language, who may use
//! them, whether Telegram's menu shows them, and the locale keys of their texts.
//!
//! Everything that lists commands is built from [`COMMANDS`]: the parser the engine and
//! the help desk use ([`parse`]), Telegram's menus per language and scope ([`menu`]), and
//! `/aiuto` ([`help`]). Tests check that they agree (every menu entry parses to its
//! command, every command has its texts in every locale) and that the README's command
//! table is this one.
//!
//! A plain enum and a table rather than teloxide's `BotCommands` derive: a command here
//! has an Italian and an English name (`/bandi`, `/calls`) plus aliases, and localised
//! descriptions, which the derive's one-name, fixed-text model does not hold.
//!
//! Texts of command `x` (its Italian name) in `locales/*.toml`: `command.x` (the menu's
//! short description), `command.x.help` (its line in `/aiuto`) and, for a command that
//! takes an argument, `command.x.args` (the argument's name in `/aiuto`: `/cerca testo`).

use crate::reply::Rich;
use crate::text::{Lang, Texts};

/// A command the bot knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Start,
    Help,
    Calls,
    Deadlines,
    Check,
    Back,
    Restart,
    Reminders,
    Search,
    Operator,
    Cancel,
    Language,
    Privacy,
    EraseMe,
    /// Staff: the ready answer to a typed question.
    Answer,
    /// Staff: the open tickets.
    Tickets,
    /// Staff: close ticket N.
    Close,
    /// Staff: the question log summed up.
    Statistics,
    /// Staff: reload the knowledge.
    Reload,
    /// Staff: the FAQs written from the chat.
    Faq,
}

/// Who may use a command (and whose menu shows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Everyone (staff included).
    Users,
    /// Help-desk staff only; for anyone else it is an unknown command.
    Staff,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub command: Command,
    /// The Italian name, also the command's id: locale keys, the engine's measurements
    /// (`cmd:bandi`) and logs use it.
    pub it: &'static str,
    /// The English name (the same as `it` when there is no English one).
    pub en: &'static str,
    /// More names that lead to the command.
    pub aliases: &'static [&'static str],
    pub who: Who,
    /// Shown in Telegram's menu (`/indietro` only means something inside a check).
    pub menu: bool,
    /// Listed in `/aiuto`.
    pub help: bool,
    /// Takes an argument, named in `/aiuto` (key `command.<it>.args`).
    pub args: bool,
}

const fn user(command: Command, it: &'static str, en: &'static str) -> Spec {
    Spec {
        command,
        it,
        en,
        aliases: &[],
        who: Who::Users,
        menu: true,
        help: true,
        args: false,
    }
}

const fn staff(command: Command, it: &'static str) -> Spec {
    // Staff's texts are their menu descriptions; `/aiuto` is the users'.
    Spec {
        who: Who::Staff,
        help: false,
        ..user(command, it, it)
    }
}

/// Every command, in the order of the menus and of `/aiuto`. Staff keep Italian names.
pub const COMMANDS: &[Spec] = &[
    Spec {
        help: false,
        ..user(Command::Start, "start", "start")
    },
    Spec {
        help: false,
        ..user(Command::Help, "aiuto", "help")
    },
    user(Command::Calls, "bandi", "calls"),
    user(Command::Deadlines, "scadenze", "deadlines"),
    user(Command::Check, "verifica", "check"),
    Spec {
        menu: false,
        ..user(Command::Back, "indietro", "back")
    },
    Spec {
        menu: false,
        ..user(Command::Restart, "ricomincia", "restart")
    },
    user(Command::Reminders, "promemoria", "reminders"),
    Spec {
        args: true,
        ..user(Command::Search, "cerca", "search")
    },
    Spec {
        aliases: &["human"],
        ..user(Command::Operator, "operatore", "operator")
    },
    user(Command::Cancel, "annulla", "cancel"),
    user(Command::Language, "lingua", "language"),
    user(Command::Privacy, "privacy", "privacy"),
    user(Command::EraseMe, "cancellami", "deleteme"),
    Spec {
        args: true,
        ..staff(Command::Answer, "risposta")
    },
    staff(Command::Tickets, "ticket"),
    Spec {
        args: true,
        ..staff(Command::Close, "chiudi")
    },
    staff(Command::Statistics, "statistiche"),
    staff(Command::Reload, "ricarica"),
    staff(Command::Faq, "faq"),
];

impl Command {
    /// The command's row of [`COMMANDS`].
    pub fn spec(self) -> &'static Spec {
        COMMANDS
            .iter()
            .find(|s| s.command == self)
            .expect("every command has a row in COMMANDS")
    }

    /// The command called `name` in any language (`bandi`, `calls`), case already folded.
    pub fn from_name(name: &str) -> Option<Command> {
        COMMANDS
            .iter()
            .find(|s| s.it == name || s.en == name || s.aliases.contains(&name))
            .map(|s| s.command)
    }

    /// Its id: the Italian name.
    pub fn id(self) -> &'static str {
        self.spec().it
    }

    /// Its name in `lang`.
    pub fn name(self, lang: Lang) -> &'static str {
        self.spec().name(lang)
    }

    pub fn who(self) -> Who {
        self.spec().who
    }
}

impl Spec {
    /// The name shown in `lang`'s menu and `/aiuto`.
    pub fn name(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::It => self.it,
            Lang::En => self.en,
        }
    }

    /// Locale key of the menu's description.
    pub fn description_key(&self) -> String {
        format!("command.{}", self.it)
    }

    /// Locale key of the line in `/aiuto`.
    pub fn help_key(&self) -> String {
        format!("command.{}.help", self.it)
    }

    /// Locale key of the argument's name (`testo`), for commands with [`Spec::args`].
    pub fn args_key(&self) -> String {
        format!("command.{}.args", self.it)
    }
}

/// A `/command` as typed: its name (lower case, without `@bot`), the command it names if
/// the bot knows one by that name, and the rest of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed<'a> {
    pub name: String,
    pub command: Option<Command>,
    pub args: &'a str,
}

/// Reads a message as a command; `None` when it is not one.
pub fn parse(text: &str) -> Option<Typed<'_>> {
    let (name, args) = parse_command(text)?;
    Some(Typed {
        command: Command::from_name(&name),
        name,
        args,
    })
}

/// Splits `/cmd@bot args` into (`cmd`, `args`); `None` when the text is not a command.
pub fn parse_command(text: &str) -> Option<(String, &str)> {
    let rest = text.strip_prefix('/')?;
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let name = head.split('@').next().unwrap_or_default().to_lowercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((name, args.trim()))
}

/// Telegram's menu for `who` in `tx`'s language, as (name, description): the users'
/// commands, and for staff the staff's after them.
pub fn menu(tx: &Texts, who: Who) -> Vec<(&'static str, String)> {
    COMMANDS
        .iter()
        .filter(|s| s.menu && (s.who == Who::Users || who == Who::Staff))
        .map(|s| (s.name(tx.lang), tx.raw(&s.description_key()).to_string()))
        .collect()
}

/// `/aiuto` in `tx`'s language: the introduction, one line per users' command, the
/// closing words.
pub fn help(tx: &Texts) -> Rich {
    let mut r = tx.t("help", &[]);
    r.para().append(tx.t("help.commands", &[]));
    for s in COMMANDS.iter().filter(|s| s.help && s.who == Who::Users) {
        let mut head = format!("/{}", s.name(tx.lang));
        if s.args {
            head.push(' ');
            head.push_str(tx.raw(&s.args_key()));
        }
        r.line().text(format!("{head} – {}", tx.raw(&s.help_key())));
    }
    r.para().append(tx.t("help.end", &[]));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::texts;

    #[test]
    fn commands_are_parsed_with_bot_suffix_and_args() {
        assert_eq!(
            parse_command("/cerca@SportelloBot ati  formata"),
            Some(("cerca".into(), "ati  formata"))
        );
        assert_eq!(parse_command("/START"), Some(("start".into(), "")));
        assert_eq!(parse_command("/"), None);
        assert_eq!(parse_command("/(AND"), None);
        assert_eq!(parse_command("ciao /start"), None);
        let t = parse("/Calls@SportelloBot now").unwrap();
        assert_eq!(
            (t.command, t.name.as_str(), t.args),
            (Some(Command::Calls), "calls", "now")
        );
        assert_eq!(parse("/human").unwrap().command, Some(Command::Operator));
        assert_eq!(parse("/boh").unwrap().command, None);
    }

    /// Every name of every command leads to that command and to no other, and is a name
    /// Telegram accepts in a menu.
    #[test]
    fn every_name_parses_to_its_own_command() {
        let mut seen = std::collections::HashMap::new();
        for s in COMMANDS {
            for name in [s.it, s.en].iter().chain(s.aliases) {
                assert!(
                    (1..=32).contains(&name.len())
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{name}"
                );
                let text = format!("/{name} x");
                let typed = parse(&text).unwrap();
                assert_eq!(typed.command, Some(s.command), "/{name}");
                assert_eq!(typed.args, "x");
                if let Some(other) = seen.insert(*name, s.command) {
                    assert_eq!(other, s.command, "/{name} names two commands");
                }
            }
            assert_eq!(s.command.spec(), s, "one row per command");
        }
    }

    /// Every entry of every menu, in every language, parses to the command it describes,
    /// and has a description Telegram accepts.
    #[test]
    fn every_menu_entry_parses_to_its_command() {
        for lang in Lang::ALL {
            let tx = texts(lang);
            for who in [Who::Users, Who::Staff] {
                let m = menu(tx, who);
                let wanted: Vec<&Spec> = COMMANDS
                    .iter()
                    .filter(|s| s.menu && (who == Who::Staff || s.who == Who::Users))
                    .collect();
                assert_eq!(m.len(), wanted.len());
                for ((name, description), s) in m.iter().zip(wanted) {
                    assert_eq!(parse(&format!("/{name}")).unwrap().command, Some(s.command));
                    assert_eq!(*name, s.name(lang));
                    assert!(
                        (3..=256).contains(&description.chars().count()),
                        "{lang:?} /{name}: {description}"
                    );
                }
            }
            // The users' menu holds no staff command.
            assert!(
                menu(tx, Who::Users)
                    .iter()
                    .all(|(n, _)| { Command::from_name(n).is_some_and(|c| c.who() == Who::Users) })
            );
        }
    }

    /// Every command has its texts in every locale: a menu description, a help line for
    /// users' commands, and the argument's name for commands that take one.
    #[test]
    fn every_command_has_its_texts_in_every_locale() {
        for lang in Lang::ALL {
            let tx = texts(lang);
            for s in COMMANDS {
                let mut keys = vec![s.description_key()];
                if s.help {
                    keys.push(s.help_key());
                }
                if s.args {
                    keys.push(s.args_key());
                }
                for k in keys {
                    assert!(tx.has(&k), "{lang:?} misses {k}");
                    assert!(!tx.raw(&k).trim().is_empty(), "{lang:?}: {k} is empty");
                }
            }
        }
    }

    /// `/aiuto` lists each users' command it should, by its name in the language, with
    /// its help line, and no staff command.
    #[test]
    fn help_lists_the_users_commands_in_its_language() {
        for lang in Lang::ALL {
            let tx = texts(lang);
            let text = help(tx).to_plain();
            let lines: Vec<&str> = text.lines().filter(|l| l.starts_with('/')).collect();
            let wanted: Vec<&Spec> = COMMANDS
                .iter()
                .filter(|s| s.help && s.who == Who::Users)
                .collect();
            assert_eq!(lines.len(), wanted.len(), "{lang:?}:\n{text}");
            for (line, s) in lines.iter().zip(wanted) {
                let name = line[1..].split([' ', '–']).next().unwrap();
                assert_eq!(Command::from_name(name), Some(s.command), "{line}");
                assert_eq!(name, s.name(lang));
                assert!(line.ends_with(tx.raw(&s.help_key())), "{line}");
            }
            for s in COMMANDS.iter().filter(|s| s.who == Who::Staff) {
                assert!(
                    !text.contains(&format!("/{} ", s.it)),
                    "{lang:?}: /{}",
                    s.it
                );
            }
        }
    }
}
