//! The terminal adapter: a line in, the engine's replies out, buttons as numbered options.
//!
//! It is as thin as the Telegram adapter: typing `2` presses the second button of the last
//! reply, anything else is sent as text. `/esci` (or end of input) leaves.

use std::io::{BufRead, Write};

use jiff::Timestamp;

use crate::app::App;
use crate::dialogue::Event;
use crate::reply::{Button, Reply};
use crate::store::UserId;
use crate::text::{Lang, texts};

/// The console's user id (Telegram ids are positive, so 0 never collides).
pub const CONSOLE_USER: UserId = UserId(0);

/// What is on screen after a reply: its buttons, numbered from 1, and whether it asks
/// for a typed answer (then a typed number is that answer, and `#2` presses button 2).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Screen {
    pub buttons: Vec<Button>,
    pub typed_answer: bool,
}

/// Renders replies for a terminal (`ansi`: bold as ANSI escapes; piped output is plain).
pub fn render(replies: &[Reply], out: &mut impl Write, ansi: bool) -> std::io::Result<Screen> {
    let mut buttons = Vec::new();
    for r in replies {
        writeln!(out, "{}", r.text.to_console(ansi))?;
        if let Some(d) = &r.document {
            let kind = if d.photo { "immagine" } else { "documento" };
            writeln!(out, "[{kind}: {} ({} byte)]", d.file_name, d.bytes.len())?;
        }
        for row in &r.buttons {
            let labels: Vec<String> = row
                .iter()
                .map(|b| {
                    buttons.push(b.clone());
                    format!("[{}] {}", buttons.len(), b.label)
                })
                .collect();
            writeln!(out, "  {}", labels.join("   "))?;
        }
        writeln!(out)?;
    }
    Ok(Screen {
        buttons,
        typed_answer: replies.last().is_some_and(|r| r.typed_answer),
    })
}

/// Turns a typed line into an event: a number within the buttons on screen presses it,
/// unless the screen asks for a typed number (then only `#2` presses a button).
pub fn event_for(line: &str, screen: &Screen) -> Event {
    let line_t = line.trim();
    let explicit = line_t.starts_with('#');
    if screen.typed_answer && !explicit {
        return Event::Text(line.to_string());
    }
    match line_t.trim_start_matches('#').parse::<usize>() {
        Ok(n) if n >= 1 && n <= screen.buttons.len() => {
            Event::Button(screen.buttons[n - 1].data.clone())
        }
        _ => Event::Text(line.to_string()),
    }
}

/// Runs the interactive loop until `/esci` or end of input, in `lang` (`--lang`) until
/// the user picks another with `/lingua`.
pub async fn run(
    app: &App,
    input: impl BufRead,
    out: &mut impl Write,
    ansi: bool,
    lang: Lang,
    now: impl Fn() -> Timestamp,
) -> anyhow::Result<()> {
    let tx = texts(lang);
    writeln!(out, "{}\n", tx.s("console.intro", &[]))?;
    let first = app
        .handle_in(
            CONSOLE_USER,
            Some(lang),
            &Event::Text("/start".into()),
            now(),
        )
        .await?;
    let mut screen = render(&first, out, ansi)?;
    write!(out, "> ")?;
    out.flush()?;
    for line in input.lines() {
        let line = line?;
        let trimmed = line.trim();
        if trimmed == "/esci" || trimmed == "/exit" {
            break;
        }
        if trimmed.is_empty() {
            write!(out, "> ")?;
            out.flush()?;
            continue;
        }
        let event = event_for(trimmed, &screen);
        let replies = app
            .handle_in(CONSOLE_USER, Some(lang), &event, now())
            .await?;
        screen = render(&replies, out, ansi)?;
        write!(out, "> ")?;
        out.flush()?;
    }
    writeln!(out, "\n{}", tx.s("console.bye", &[]))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_press_buttons_only_within_range() {
        let b = Screen {
            buttons: vec![Button {
                label: "A".into(),
                data: "1|l".into(),
            }],
            typed_answer: false,
        };
        assert_eq!(event_for("1", &b), Event::Button("1|l".into()));
        assert_eq!(event_for("#1", &b), Event::Button("1|l".into()));
        assert_eq!(event_for("2", &b), Event::Text("2".into()));
        assert_eq!(event_for("100000", &b), Event::Text("100000".into()));
        assert_eq!(event_for("ciao", &b), Event::Text("ciao".into()));
    }

    #[test]
    fn a_number_typed_to_a_number_question_is_an_answer() {
        let s = Screen {
            buttons: vec![Button {
                label: "Indietro".into(),
                data: "1|n|abcd|4|b".into(),
            }],
            typed_answer: true,
        };
        assert_eq!(event_for("1", &s), Event::Text("1".into()));
        assert_eq!(event_for("#1", &s), Event::Button("1|n|abcd|4|b".into()));
    }
}
