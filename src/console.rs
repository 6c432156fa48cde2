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

/// Renders replies for a terminal; returns the buttons now on screen, numbered from 1.
pub fn render(replies: &[Reply], out: &mut impl Write) -> std::io::Result<Vec<Button>> {
    let mut buttons = Vec::new();
    for r in replies {
        writeln!(out, "{}", r.text.to_console())?;
        if let Some(d) = &r.document {
            writeln!(out, "[documento: {} ({} byte)]", d.file_name, d.bytes.len())?;
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
    Ok(buttons)
}

/// Turns a typed line into an event: a number within the buttons on screen presses it.
pub fn event_for(line: &str, buttons: &[Button]) -> Event {
    match line.trim().trim_start_matches('#').parse::<usize>() {
        Ok(n) if n >= 1 && n <= buttons.len() => Event::Button(buttons[n - 1].data.clone()),
        _ => Event::Text(line.to_string()),
    }
}

/// Runs the interactive loop until `/esci` or end of input.
pub async fn run(
    app: &App,
    input: impl BufRead,
    out: &mut impl Write,
    now: impl Fn() -> Timestamp,
) -> anyhow::Result<()> {
    let tx = texts(Lang::It);
    writeln!(out, "{}\n", tx.s("console.intro", &[]))?;
    let first = app
        .handle(CONSOLE_USER, &Event::Text("/start".into()), now())
        .await?;
    let mut buttons = render(&first, out)?;
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
        let event = event_for(trimmed, &buttons);
        let replies = app.handle(CONSOLE_USER, &event, now()).await?;
        buttons = render(&replies, out)?;
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
        let b = vec![Button {
            label: "A".into(),
            data: "1|l".into(),
        }];
        assert_eq!(event_for("1", &b), Event::Button("1|l".into()));
        assert_eq!(event_for("#1", &b), Event::Button("1|l".into()));
        assert_eq!(event_for("2", &b), Event::Text("2".into()));
        assert_eq!(event_for("100000", &b), Event::Text("100000".into()));
        assert_eq!(event_for("ciao", &b), Event::Text("ciao".into()));
    }
}
