//! Conformance cases for the inbox ([`sportello::store::Inbox`]), run by the macro in
//! the parent file.

use std::time::Duration;

use sportello::store::inbox::Received;
use sportello::store::{Store, UserId};

fn update(id: u32, user: Option<i64>, body: &str) -> Received {
    Received {
        id,
        user: user.map(UserId),
        body: body.as_bytes().to_vec(),
    }
}

/// What [`sportello::store::Inbox::unhandled`] gives back for an update.
fn kept(id: u32, body: &str) -> (u32, Vec<u8>) {
    (id, body.as_bytes().to_vec())
}

/// Updates received stay until handled, come back in id order, are kept once when
/// received twice, and go with their user's erasure (once it is durable); nobody
/// else's go with it.
pub async fn updates_received_are_kept_until_handled_and_erased_with_their_user(st: Store) {
    assert_eq!(st.unhandled().await.unwrap(), []);
    st.receive(&[
        update(12, Some(5), r#"{"update_id":12}"#),
        update(10, Some(6), r#"{"update_id":10}"#),
    ])
    .await
    .unwrap();
    // Fetched again (never confirmed): kept once, as first received.
    st.receive(&[
        update(12, Some(5), r#"{"other":1}"#),
        update(13, None, "{}"),
    ])
    .await
    .unwrap();
    st.receive(&[]).await.unwrap();
    st.sync_received().await.unwrap();
    assert_eq!(
        st.unhandled().await.unwrap(),
        [
            kept(10, r#"{"update_id":10}"#),
            kept(12, r#"{"update_id":12}"#),
            kept(13, "{}"),
        ]
    );
    st.handled(10).await.unwrap();
    st.handled(99).await.unwrap();
    st.erase_user(UserId(5)).await.unwrap();
    // Once the erasure is durable (the embedded backend destroys the key then).
    st.flush().await.unwrap();
    assert_eq!(st.unhandled().await.unwrap(), [kept(13, "{}")]);
    st.handled(13).await.unwrap();
    assert_eq!(st.unhandled().await.unwrap(), []);
}

/// Updates kept and not handled are handed out again once they waited the given time
/// (counted from their receipt, or from the first look in a store one process owns):
/// each is given to one taker, then again only after that time.
pub async fn an_inbox_hands_out_what_waited_too_long_once_per_wait(st: Store) {
    const HOUR: Duration = Duration::from_secs(3600);
    st.receive(&[
        update(21, Some(5), r#"{"update_id":21}"#),
        update(20, None, r#"{"update_id":20}"#),
        update(22, Some(6), r#"{"update_id":22}"#),
        update(23, Some(7), r#"{"update_id":23}"#),
    ])
    .await
    .unwrap();
    st.sync_received().await.unwrap();
    st.handled(22).await.unwrap();
    // An erased user's update is never handed out (and is dropped), once the erasure is
    // durable.
    st.erase_user(UserId(7)).await.unwrap();
    st.flush().await.unwrap();
    // Just kept: not waiting an hour yet.
    assert_eq!(st.stranded(HOUR).await.unwrap(), []);
    let taken = st.stranded(Duration::ZERO).await.unwrap();
    assert_eq!(
        taken,
        [
            kept(20, r#"{"update_id":20}"#),
            kept(21, r#"{"update_id":21}"#)
        ]
    );
    // Taken just now: another taker waiting an hour gets none of them.
    assert_eq!(st.stranded(HOUR).await.unwrap(), []);
    // Still kept until handled.
    assert_eq!(
        st.unhandled().await.unwrap(),
        [
            kept(20, r#"{"update_id":20}"#),
            kept(21, r#"{"update_id":21}"#)
        ]
    );
    st.handled(20).await.unwrap();
    assert_eq!(
        st.stranded(Duration::ZERO).await.unwrap(),
        [kept(21, r#"{"update_id":21}"#)]
    );
}
