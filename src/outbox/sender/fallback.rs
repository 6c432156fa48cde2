//! What is sent instead when Telegram refuses a call in a way that another form of the
//! same message avoids: a photo it cannot take goes as text with its caption, and an
//! edit it refuses goes as a new message.

use crate::outgoing::What;

pub(super) fn is_photo(what: &What) -> bool {
    matches!(what, What::Message { document: Some(d), .. } if d.photo)
}

/// A photo message as a text message with its caption (and buttons).
pub(super) fn without_photo(what: What) -> What {
    match what {
        What::Message {
            text,
            buttons,
            reply_to,
            ..
        } => What::Message {
            text,
            buttons,
            document: None,
            reply_to,
        },
        other => other,
    }
}

pub(super) fn as_message(what: What) -> What {
    match what {
        What::Edit { text, buttons, .. } => What::Message {
            text,
            buttons,
            document: None,
            reply_to: None,
        },
        other => other,
    }
}
