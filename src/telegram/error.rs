//! Why running the bot stopped: the one error type of the adapter's start-up paths
//! (the Bot API, the webhook, the ops endpoints), kept apart so that each path can
//! return it without importing the others.

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("Bot API: {0}")]
    Api(String),
    #[error("webhook: {0}")]
    Webhook(String),
    #[error("ops endpoints: {0}")]
    Ops(String),
    /// The store can make no write durable any more (a full disk, with the embedded
    /// store): the bot stopped so that a restart reopens it.
    #[error("stopped: {0}")]
    Store(String),
}
