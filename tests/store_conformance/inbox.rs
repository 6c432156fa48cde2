//! Conformance cases for the inbox ([`sportello::store::Inbox`]), run by the macro in
//! the parent file.

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
