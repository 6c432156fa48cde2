//! A bare teloxide echo bot, the yardstick of the three-way benchmark (`bench-threeway`):
//! long polling, every text message answered with itself, nothing stored, no rate limit.
//! Token from `TELOXIDE_TOKEN`, Bot API base URL from `TELOXIDE_API_URL`.

use teloxide::prelude::*;

#[tokio::main]
async fn main() {
    let bot = Bot::from_env();
    teloxide::repl(bot, |bot: Bot, msg: Message| async move {
        if let Some(text) = msg.text() {
            bot.send_message(msg.chat.id, text).await?;
        }
        Ok(())
    })
    .await;
}
