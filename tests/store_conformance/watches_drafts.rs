//! Conformance cases for followed calls ([`sportello::store::WatchStore`]) and FAQ
//! drafts ([`sportello::store::DraftStore`]), run by the macro in the parent file.

use std::sync::Arc;

use jiff::Timestamp;
use sportello::follow::{CallFacts, Status as CallStatus};
use sportello::knowledge::CallId;
use sportello::store::drafts::{Draft, DraftStatus};
use sportello::store::{Commit, CommitError, Store, UserId, Watch};
use tokio::sync::Barrier;

fn watch(user: i64, call: &str, status: CallStatus) -> Watch {
    Watch {
        user: UserId(user),
        call: CallId(call.into()),
        seen: CallFacts {
            exists: true,
            status,
            deadline: None,
            page: Some(format!("Pagina di {call} (regione.piemonte.it)")),
        },
        since: Timestamp::from_second(1_780_000_000).unwrap(),
        verdict: None,
        lang: sportello::text::Lang::It,
    }
}

fn calls(ws: &[Watch]) -> Vec<(i64, String)> {
    ws.iter().map(|w| (w.user.0, w.call.0.clone())).collect()
}

pub async fn follows_are_listed_paged_replaced_and_ended(st: Store) {
    let mut c = Commit::new();
    for (u, call) in [(2, "b"), (1, "zeta"), (1, "alfa"), (3, "a"), (2, "a")] {
        c.follow(watch(u, call, CallStatus::Open));
    }
    st.commit(&c).await.unwrap();
    assert_eq!(st.watch_count().await.unwrap(), 5);
    assert_eq!(
        calls(&st.watches_of(UserId(1)).await.unwrap()),
        [(1, "alfa".into()), (1, "zeta".into())]
    );

    // Pages of two walk every follow once, in the backend's key order (sled keys follows
    // by pseudonym, PostgreSQL by id): a user's follows stay together, by call.
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = st.watches_page(after.clone(), 2).await.unwrap();
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some((last.user, last.call.clone()));
        all.extend(page);
    }
    let walked = calls(&all);
    for user in [1, 2, 3] {
        let theirs: Vec<usize> = (0..walked.len()).filter(|&i| walked[i].0 == user).collect();
        assert!(
            theirs.windows(2).all(|w| w[1] == w[0] + 1),
            "a user's follows are consecutive: {walked:?}"
        );
    }
    let mut sorted = walked.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            (1, "alfa".into()),
            (1, "zeta".into()),
            (2, "a".into()),
            (2, "b".into()),
            (3, "a".into())
        ]
    );

    // Following again replaces, never duplicates.
    let mut again = Commit::new();
    again.follow(watch(1, "alfa", CallStatus::Closed));
    st.commit(&again).await.unwrap();
    assert_eq!(st.watch_count().await.unwrap(), 5);
    assert_eq!(
        st.watches_of(UserId(1)).await.unwrap()[0].seen.status,
        CallStatus::Closed
    );

    // One call, then all of a user's.
    let mut c = Commit::new();
    c.unfollow(UserId(2), Some(CallId("a".into())));
    st.commit(&c).await.unwrap();
    assert_eq!(
        calls(&st.watches_of(UserId(2)).await.unwrap()),
        [(2, "b".into())]
    );
    let mut c = Commit::new();
    c.unfollow(UserId(1), None);
    st.commit(&c).await.unwrap();
    assert!(st.watches_of(UserId(1)).await.unwrap().is_empty());
    assert_eq!(st.watch_count().await.unwrap(), 2);

    // Erasure ends the user's follows and nobody else's.
    st.erase_user(UserId(3)).await.unwrap();
    assert!(st.watches_of(UserId(3)).await.unwrap().is_empty());
    assert_eq!(st.watch_count().await.unwrap(), 1);
}

pub async fn a_change_is_told_once_when_two_loads_race(st: Store) {
    let old = watch(9, "bando", CallStatus::Open);
    let mut c = Commit::new();
    c.follow(old.clone());
    st.commit(&c).await.unwrap();

    // Two loads read the same follow and both found the call closed.
    let new = watch(9, "bando", CallStatus::Closed);
    let barrier = Arc::new(Barrier::new(2));
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (st, b, old, new) = (st.clone(), barrier.clone(), old.clone(), new.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = Commit::new();
            c.refollow(old, new);
            b.wait().await;
            st.commit(&c).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => won += 1,
            Err(CommitError::Conflict) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(st.watches_of(UserId(9)).await.unwrap(), vec![new.clone()]);

    // A refollow of a follow that ended meanwhile conflicts and puts nothing back.
    let mut c = Commit::new();
    c.unfollow(UserId(9), None);
    st.commit(&c).await.unwrap();
    let mut late = Commit::new();
    late.refollow(new.clone(), watch(9, "bando", CallStatus::Unknown));
    assert!(matches!(st.commit(&late).await, Err(CommitError::Conflict)));
    assert!(st.watches_of(UserId(9)).await.unwrap().is_empty());
}

fn draft(id: u64, status: DraftStatus, answer: &str) -> Draft {
    Draft {
        id,
        status,
        chat: -100,
        ticket: Some(4),
        question: "Posso partecipare con una ditta individuale?".into(),
        answer: answer.into(),
        call: None,
        source: "Bando, art. 3".into(),
        alternatives: Vec::new(),
        author: 77,
        author_name: "Operatrice".into(),
        created: Timestamp::from_second(1_780_000_000).unwrap(),
        errors: None,
        would_answer: Vec::new(),
        regression: Vec::new(),
        replaces: None,
        reason: String::new(),
    }
}

pub async fn draft_ids_are_unique_and_one_approval_publishes(st: Store) {
    // Ids from one sequence, never given twice even when asked at once.
    let barrier = Arc::new(Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (st, b) = (st.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            b.wait().await;
            st.next_draft_id().await.unwrap()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8, "{ids:?}");

    let id = ids[0];
    let open = draft(id, DraftStatus::Open, "Sì, se iscritta al registro.");
    assert!(st.swap_draft(None, &open).await.unwrap());
    // Creating it again is refused: it exists.
    assert!(!st.swap_draft(None, &open).await.unwrap());
    assert_eq!(st.draft(id).await.unwrap(), Some(open.clone()));
    assert_eq!(st.draft(id + 1000).await.unwrap(), None);

    // Two staff press «Pubblica» at once: one moves it on.
    let publishing = Draft {
        status: DraftStatus::Publishing,
        ..open.clone()
    };
    let barrier = Arc::new(Barrier::new(2));
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (st, b, open, publishing) = (
            st.clone(),
            barrier.clone(),
            open.clone(),
            publishing.clone(),
        );
        tasks.push(tokio::spawn(async move {
            b.wait().await;
            st.swap_draft(Some(&open), &publishing).await.unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
    assert_eq!(st.draft(id).await.unwrap(), Some(publishing.clone()));

    // An edit built on the old text is refused.
    let stale = draft(id, DraftStatus::Open, "No.");
    assert!(!st.swap_draft(Some(&open), &stale).await.unwrap());

    let other = draft(ids[1], DraftStatus::Offered, "Dipende dal bando.");
    assert!(st.swap_draft(None, &other).await.unwrap());
    let listed: Vec<(u64, DraftStatus)> = st
        .drafts()
        .await
        .unwrap()
        .iter()
        .map(|d| (d.id, d.status))
        .collect();
    assert_eq!(
        listed,
        [
            (id, DraftStatus::Publishing),
            (ids[1], DraftStatus::Offered)
        ]
    );
}
