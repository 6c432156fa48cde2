//! Telegram's command menus (`setMyCommands`), one per scope and language, built from
//! the command table ([`crate::command`]).
//!
//! - Users: the default scope (private chats and the groups the bot is in), in Italian
//!   without a language code (every client without a better match) and in English for
//!   clients whose `language_code` is `en`: the English menu names the English commands
//!   (`/calls`) with the descriptions of `locales/en.toml`.
//! - Staff: the staff group and each staff member's private chat, one chat scope each,
//!   the users' commands followed by the staff's, in the same two languages.
//!
//! Telegram shows a client the menu of the narrowest scope that has one, in its language
//! if that scope has one in it, else the scope's menu without a language code.

use teloxide::payloads::SetMyCommandsSetters;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};

use crate::command::{Who, menu};
use crate::helpdesk::Staff;
use crate::ops::metrics;
use crate::text::{Lang, texts};

use super::error_code;

/// One `setMyCommands` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    /// The chat it is for (`None`: the default scope).
    pub chat: Option<i64>,
    /// `None` for Italian, the menu of every language without its own.
    pub language_code: Option<&'static str>,
    pub commands: Vec<BotCommand>,
}

/// The Telegram language code a menu in `lang` is registered under.
fn language_code(lang: Lang) -> Option<&'static str> {
    match lang {
        Lang::It => None,
        other => Some(other.code()),
    }
}

fn commands(lang: Lang, who: Who) -> Vec<BotCommand> {
    menu(texts(lang), who)
        .into_iter()
        .map(|(name, description)| BotCommand::new(name, description))
        .collect()
}

/// Every menu to register for this help desk: the users' in each language, then the
/// staff's for each staff chat in each language.
pub fn menus(staff: &Staff) -> Vec<Menu> {
    let mut out = Vec::new();
    for lang in Lang::ALL {
        out.push(Menu {
            chat: None,
            language_code: language_code(lang),
            commands: commands(lang, Who::Users),
        });
    }
    for chat in staff.chat.iter().chain(staff.users.iter()) {
        for lang in Lang::ALL {
            out.push(Menu {
                chat: Some(*chat),
                language_code: language_code(lang),
                commands: commands(lang, Who::Staff),
            });
        }
    }
    out
}

/// Registers every menu; returns how many calls failed (each is logged and counted).
/// A staff member who never opened a chat with the bot cannot get a menu yet: that call
/// fails until they do and the bot restarts.
pub async fn publish(bot: &Bot, staff: &Staff) -> usize {
    let mut failed = 0;
    for m in menus(staff) {
        let mut req = bot.set_my_commands(m.commands);
        if let Some(chat) = m.chat {
            req = req.scope(BotCommandScope::Chat {
                chat_id: Recipient::Id(ChatId(chat)),
            });
        }
        if let Some(code) = m.language_code {
            req = req.language_code(code);
        }
        if let Err(e) = req.send().await {
            failed += 1;
            metrics::telegram_error(&error_code(&e));
            match m.chat {
                Some(chat) => tracing::warn!(
                    chat = %crate::ops::logs::Pseudo(chat),
                    lang = m.language_code.unwrap_or("it"),
                    "setMyCommands for a staff chat: {e}"
                ),
                None => tracing::warn!(
                    lang = m.language_code.unwrap_or("it"),
                    "setMyCommands failed: {e}"
                ),
            }
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_get_a_default_menu_per_language_and_staff_chats_theirs() {
        let staff = Staff {
            chat: Some(-100),
            users: vec![7],
        };
        let m = menus(&staff);
        let scopes: Vec<(Option<i64>, Option<&str>)> =
            m.iter().map(|m| (m.chat, m.language_code)).collect();
        assert_eq!(
            scopes,
            [
                (None, None),
                (None, Some("en")),
                (Some(-100), None),
                (Some(-100), Some("en")),
                (Some(7), None),
                (Some(7), Some("en")),
            ]
        );
        let names =
            |m: &Menu| -> Vec<String> { m.commands.iter().map(|c| c.command.clone()).collect() };
        assert!(names(&m[0]).contains(&"bandi".to_string()));
        assert!(names(&m[1]).contains(&"calls".to_string()));
        assert!(!names(&m[1]).contains(&"ticket".to_string()));
        assert!(names(&m[3]).contains(&"ticket".to_string()));
        // No staff configured: the users' menus only.
        assert_eq!(menus(&Staff::default()).len(), 2);
    }
}
