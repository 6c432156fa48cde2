//! The storage conformance suite: every backend runs the same cases through the traits
//! of `sportello::store` only.
//!
//! A backend joins with one line at the bottom, `conformance!(name, factory)`, where
//! `factory` is an async expression giving `Some(store)` (an empty store of that backend)
//! or `None` when the backend is not available here (its cases then say they were
//! skipped). Time is injected everywhere; races start together on a barrier. The cases
//! of followed calls and FAQ drafts are in `store_conformance/watches_drafts.rs`, those
//! of the inbox in `store_conformance/inbox.rs`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use sportello::knowledge::{CallId, DeadlineAt};
use sportello::outgoing::{Class, Entry, What};
use sportello::reminders::schedule::{Offset, Subscription};
use sportello::reply::Rich;
use sportello::store::follows::DoneHow;
use sportello::store::outbox::{Claimed, Owner};
use sportello::store::questions::retention_cutoff;
use sportello::store::{
    AskedQuestion, Commit, CommitError, Draft, DraftStatus, NewTicket, Revision, Status, Store,
    UserId,
};
use tokio::sync::Barrier;

#[path = "store_conformance/inbox.rs"]
mod inbox;
#[path = "support/pg.rs"]
mod pg;
#[allow(dead_code)]
#[path = "common/snapshot.rs"]
mod snapshot;
#[path = "store_conformance/watches_drafts.rs"]
mod watches_drafts;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap()
}

fn sub(user: i64, call: &str, at: &str) -> Subscription {
    Subscription {
        user: UserId(user),
        call: CallId(call.into()),
        deadline: DeadlineAt::parse(at).unwrap(),
        planned_from: ts("2026-01-01T00:00:00Z"),
    }
}

fn text(e: &Entry) -> String {
    match &e.what {
        What::Message { text, .. } => text.to_plain(),
        _ => String::new(),
    }
}

fn new_ticket(user: i64, question: &str) -> NewTicket {
    NewTicket {
        user: UserId(user),
        name: format!("Nome{user}"),
        question: question.into(),
        call: None,
        answers: vec![("Dipendenti".into(), "12".into())],
        lang: sportello::text::Lang::En,
    }
}

async fn put(st: &Store, chat: i64, class: Class, s: &str) {
    let mut c = Commit::new();
    c.send(Entry::message(chat, class, Rich::plain(s)));
    st.commit(&c).await.unwrap();
}

/// The first entry `owner` claims at `at` (the test knows one is there).
async fn claim_first(st: &Store, owner: Owner, at: Timestamp, lease: Duration) -> Claimed {
    st.outbox_claim(owner, at, lease, 10, &mut |_, _| false)
        .await
        .unwrap()
        .claimed
        .remove(0)
}

fn save(user: UserId, rev: Revision, bytes: &[u8], touched: Timestamp) -> Commit {
    let mut c = Commit::new();
    c.session(user, rev, Some(bytes.to_vec()), touched);
    c
}

pub mod cases {
    pub use super::inbox::*;
    pub use super::watches_drafts::*;
    use super::*;

    /// Export, then import into an empty store of the same backend made by `target`
    /// (given the export's secret): the same records of every kind come out again, under
    /// the same secret; a second import into the now full store is refused.
    pub async fn a_snapshot_imports_whole_into_an_empty_store<F>(a: Store, target: F)
    where
        F: AsyncFnOnce([u8; 32]) -> Option<Store>,
    {
        assert!(a.is_empty().await.unwrap());
        for u in 1..=3 {
            snapshot::fill_user(&a, u).await;
        }
        a.erase_user(UserId(3)).await.unwrap();
        assert!(!a.is_empty().await.unwrap());
        let (before, secret) = snapshot::content(&a).await;
        for kind in snapshot::KINDS {
            assert!(before.contains_key(kind), "{kind} exported");
        }
        assert_eq!(
            before["sessions"].len(),
            2,
            "the erased user's session is gone"
        );
        assert_eq!(
            before["tickets"].len(),
            3,
            "an erased user's ticket stays, emptied"
        );
        let Some(b) = target(secret).await else {
            return;
        };
        assert!(b.is_empty().await.unwrap());
        let records = snapshot::records(&a).await;
        b.import(&secret, records.clone(), false).await.unwrap();
        let (after, after_secret) = snapshot::content(&b).await;
        assert_eq!(after, before);
        assert_eq!(after_secret, secret);
        // The imported sessions are found by their users.
        assert_eq!(
            b.load_session(UserId(2)).await.unwrap().unwrap().bytes,
            b"{\"name\":\"Utente2\"}"
        );
        assert!(b.load_session(UserId(3)).await.unwrap().is_none());
        assert!(matches!(
            b.import(&secret, records, false).await,
            Err(sportello::store::StoreError::NotEmpty)
        ));
        assert_eq!(
            snapshot::content(&b).await.0,
            before,
            "a refusal writes nothing"
        );
    }

    /// The export half of the round trip, on its own (it runs where importing does not
    /// yet): every kind comes out, the erased user's records do not, the others' do.
    pub async fn a_snapshot_exports_every_kind_at_one_point_in_time(st: Store) {
        for u in 1..=3 {
            snapshot::fill_user(&st, u).await;
        }
        st.erase_user(UserId(3)).await.unwrap();
        let (content, _) = snapshot::content(&st).await;
        for kind in snapshot::KINDS {
            assert!(content.contains_key(kind), "{kind} exported: {content:#?}");
        }
        assert_eq!(content["sessions"].len(), 2);
        assert_eq!(
            content["tickets"].len(),
            3,
            "an erased user's ticket stays, emptied"
        );
        let all = format!("{content:?}");
        assert!(all.contains("domanda segreta di 2"), "{all}");
        assert!(!all.contains("domanda segreta di 3"), "{all}");
    }

    pub async fn sessions_are_saved_only_against_the_revision_read(st: Store) {
        let u = UserId(7);
        assert_eq!(st.load_session(u).await.unwrap(), None);
        st.commit(&save(u, Revision(None), b"first", t(10)))
            .await
            .unwrap();
        let first = st.load_session(u).await.unwrap().unwrap();
        assert_eq!(first.bytes, b"first");
        assert_eq!(first.touched, t(10));
        // A second writer that read "nothing" lost the race: nothing of its commit stays.
        let mut late = save(u, Revision(None), b"late", t(11));
        late.send(Entry::message(7, Class::Reply, Rich::plain("x")));
        assert!(matches!(st.commit(&late).await, Err(CommitError::Conflict)));
        assert_eq!(st.outbox_len().await.unwrap(), 0);
        assert_eq!(st.load_session(u).await.unwrap().unwrap().bytes, b"first");
        // Against the revision read, it goes through, and the old revision is stale.
        st.commit(&save(u, first.revision, b"second", t(12)))
            .await
            .unwrap();
        let second = st.load_session(u).await.unwrap().unwrap();
        assert_ne!(second.revision, first.revision);
        assert!(matches!(
            st.commit(&save(u, first.revision, b"stale", t(13))).await,
            Err(CommitError::Conflict)
        ));
        // Deleting is a save too.
        let mut del = Commit::new();
        del.session(u, second.revision, None, t(14));
        st.commit(&del).await.unwrap();
        assert_eq!(st.load_session(u).await.unwrap(), None);
        assert_eq!(st.session_count().await.unwrap(), 0);
    }

    pub async fn concurrent_saves_of_one_revision_let_exactly_one_win(st: Store) {
        let u = UserId(8);
        st.commit(&save(u, Revision(None), b"0", t(1)))
            .await
            .unwrap();
        let rev = st.load_session(u).await.unwrap().unwrap().revision;
        let barrier = Arc::new(Barrier::new(2));
        let tasks: Vec<_> = [b"a", b"b"]
            .into_iter()
            .map(|b| {
                let (st, barrier) = (st.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    st.commit(&save(u, rev, b, t(2))).await.is_ok()
                })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            won += usize::from(task.await.unwrap());
        }
        assert_eq!(won, 1);
    }

    pub async fn idle_sessions_expire(st: Store) {
        st.commit(&save(UserId(1), Revision(None), b"a", t(100)))
            .await
            .unwrap();
        st.commit(&save(UserId(2), Revision(None), b"b", t(300)))
            .await
            .unwrap();
        assert_eq!(st.expire_sessions(t(200)).await.unwrap(), 1);
        assert_eq!(st.load_session(UserId(1)).await.unwrap(), None);
        assert!(st.load_session(UserId(2)).await.unwrap().is_some());
    }

    pub async fn an_update_is_applied_once(st: Store) {
        assert!(!st.is_applied(77).await.unwrap());
        let mut c = Commit::new();
        c.applied(77);
        st.commit(&c).await.unwrap();
        assert!(st.is_applied(77).await.unwrap());
        // Two handlers of one update at once: the second commit conflicts.
        let mut again = Commit::new();
        again
            .applied(77)
            .send(Entry::message(1, Class::Reply, Rich::plain("twice")));
        assert!(matches!(
            st.commit(&again).await,
            Err(CommitError::Conflict)
        ));
        assert_eq!(st.outbox_len().await.unwrap(), 0);
        let tomorrow = Timestamp::now() + SignedDuration::from_hours(25);
        assert_eq!(st.forget_updates(tomorrow).await.unwrap(), 1);
        assert!(!st.is_applied(77).await.unwrap());
    }

    pub async fn subscribing_queues_each_offset_and_unsubscribing_removes_them(st: Store) {
        let offs = Offset::defaults();
        st.subscribe(&sub(1, "prova", "2026-06-15T12:00"), &offs)
            .await
            .unwrap();
        st.subscribe(&sub(-2, "prova", "2026-06-15T12:00"), &offs)
            .await
            .unwrap();
        assert_eq!(st.queued_reminders().await.unwrap().len(), 6);
        assert_eq!(
            st.next_reminder_due().await.unwrap(),
            Some(ts("2026-06-08T10:00:00Z"))
        );
        // Subscribing again changes nothing.
        st.subscribe(&sub(1, "prova", "2026-06-15T12:00"), &offs)
            .await
            .unwrap();
        assert_eq!(st.queued_reminders().await.unwrap().len(), 6);
        let call = CallId("prova".into());
        assert!(st.unsubscribe(UserId(1), &call, &offs).await.unwrap());
        assert!(!st.unsubscribe(UserId(1), &call, &offs).await.unwrap());
        let left = st.queued_reminders().await.unwrap();
        assert_eq!(left.len(), 3);
        assert!(left.iter().all(|q| q.item.user == UserId(-2)));
        assert_eq!(st.subscription_count().await.unwrap(), 1);
    }

    pub async fn sync_follows_a_moved_deadline_and_ends_unknown_ones(st: Store) {
        let offs = Offset::defaults();
        st.subscribe(&sub(1, "prova", "2026-06-15T12:00"), &offs)
            .await
            .unwrap();
        let now = ts("2026-06-01T00:00:00Z");
        let to = DeadlineAt::parse("2026-07-01T12:00").unwrap();
        let r = st
            .sync_reminders(&|_| (Some(to), false), &offs, now)
            .await
            .unwrap();
        assert_eq!(r.moved, 1);
        let q = st.queued_reminders().await.unwrap();
        assert_eq!(q.len(), 4, "{q:#?}");
        assert!(q[1..].iter().all(|q| q.item.deadline == to));
        let r = st
            .sync_reminders(&|_| (Some(to), false), &offs, now)
            .await
            .unwrap();
        assert_eq!((r.moved, r.queued), (0, 0));
        let r = st
            .sync_reminders(&|_| (None, false), &offs, now)
            .await
            .unwrap();
        assert_eq!(r.ended, 1);
        assert!(st.subscriptions_of(UserId(1)).await.unwrap().is_empty());
        assert_eq!(st.queued_reminders().await.unwrap().len(), 2);
    }

    /// Two dispatchers list the same due items and claim them at the same moment: every
    /// item is taken exactly once.
    pub async fn two_claimers_never_take_one_reminder(st: Store) {
        let offs = Offset::defaults();
        for u in 0..20 {
            st.subscribe(&sub(u, "prova", "2026-06-15T12:00"), &offs)
                .await
                .unwrap();
        }
        let now = ts("2026-07-01T00:00:00Z");
        let due = st.due_reminders(now, 1000, &HashSet::new()).await.unwrap();
        assert_eq!(due.len(), 60);
        let barrier = Arc::new(Barrier::new(2));
        let claimer = |due: Vec<_>| {
            let (st, barrier) = (st.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let mut mine = Vec::new();
                for d in &due {
                    if st
                        .claim_reminder(d, now + SignedDuration::from_hours(1))
                        .await
                        .unwrap()
                    {
                        mine.push(d.key.clone());
                    }
                }
                mine
            })
        };
        let mut reversed = due.clone();
        reversed.reverse();
        let (a, b) = (claimer(due.clone()), claimer(reversed));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        assert_eq!(a.len() + b.len(), 60, "every item taken");
        let a: HashSet<_> = a.into_iter().collect();
        assert!(b.iter().all(|k| !a.contains(k)), "an item taken twice");
        // Held items are not listed again while their lease runs.
        assert!(
            st.due_reminders(now, 1000, &HashSet::new())
                .await
                .unwrap()
                .is_empty()
        );
        // ... and are, marked in flight, once it ran out.
        let later = now + SignedDuration::from_hours(2);
        let again = st
            .due_reminders(later, 1000, &HashSet::new())
            .await
            .unwrap();
        assert_eq!(again.len(), 60);
        assert!(again.iter().all(|d| d.queued.in_flight));
    }

    pub async fn completed_reminders_never_come_back_and_released_ones_wait(st: Store) {
        let offs = Offset::defaults();
        st.subscribe(&sub(1, "prova", "2026-06-15T12:00"), &offs)
            .await
            .unwrap();
        let now = ts("2026-06-08T10:00:00Z");
        let due = st.due_reminders(now, 10, &HashSet::new()).await.unwrap();
        assert_eq!(due.len(), 1, "only the first offset is due");
        let d = &due[0];
        assert!(
            st.claim_reminder(d, now + SignedDuration::from_hours(1))
                .await
                .unwrap()
        );
        assert!(
            !st.claim_reminder(d, now + SignedDuration::from_hours(1))
                .await
                .unwrap(),
            "a claim is exclusive"
        );
        st.complete_reminder(&d.key, &d.queued.item, DoneHow::Sent, now)
            .await
            .unwrap();
        assert_eq!(
            st.reminder_done(&d.queued.item)
                .await
                .unwrap()
                .map(|d| d.how),
            Some(DoneHow::Sent)
        );
        // A sync does not queue what was sent.
        st.sync_reminders(
            &|_| (DeadlineAt::parse("2026-06-15T12:00").ok(), false),
            &offs,
            now,
        )
        .await
        .unwrap();
        assert_eq!(st.queued_reminders().await.unwrap().len(), 2);
        // Released: back later, one more attempt, not held.
        let next = ts("2026-06-14T10:00:00Z");
        let d = st
            .due_reminders(next, 1, &HashSet::new())
            .await
            .unwrap()
            .remove(0);
        assert!(
            st.claim_reminder(&d, next + SignedDuration::from_hours(1))
                .await
                .unwrap()
        );
        let retry = next + SignedDuration::from_mins(5);
        st.release_reminder(&d.key, &d.queued, retry).await.unwrap();
        assert!(
            st.due_reminders(next, 10, &HashSet::new())
                .await
                .unwrap()
                .is_empty()
        );
        let back = st.due_reminders(retry, 10, &HashSet::new()).await.unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].queued.attempts, 1);
        assert!(!back[0].queued.in_flight);
        // Skipped when the caller holds it already.
        let busy: HashSet<_> = [back[0].key.clone()].into();
        assert!(st.due_reminders(retry, 10, &busy).await.unwrap().is_empty());
    }

    pub async fn ticket_numbers_are_unique_under_concurrency(st: Store) {
        let barrier = Arc::new(Barrier::new(2));
        let tasks: Vec<_> = (0..2)
            .map(|k| {
                let (st, barrier) = (st.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let mut got = Vec::new();
                    for i in 0..25 {
                        let t = st
                            .open_ticket(new_ticket(k * 100 + i, "domanda"), t(5))
                            .await
                            .unwrap();
                        got.push(t.number);
                    }
                    got
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        let unique: HashSet<_> = all.iter().collect();
        assert_eq!(unique.len(), 50);
        assert_eq!(st.tickets().await.unwrap().len(), 50);
    }

    pub async fn tickets_change_atomically_and_map_messages(st: Store) {
        let a = st.open_ticket(new_ticket(7, "prima"), t(1)).await.unwrap();
        let b = st
            .open_ticket(new_ticket(8, "seconda"), t(2))
            .await
            .unwrap();
        assert!(b.number > a.number);
        st.ticket_posted(b.number, -100, 55).await.unwrap();
        st.ticket_posted(b.number, -100, 56).await.unwrap();
        let of = st.ticket_of_message(-100, 56).await.unwrap().unwrap();
        assert_eq!((of.user, of.message), (Some(UserId(8)), Some(55)));
        assert_eq!(st.ticket_of_message(-101, 55).await.unwrap(), None);
        assert_eq!(
            st.following_ticket(UserId(8), t(3))
                .await
                .unwrap()
                .map(|t| t.number),
            Some(b.number)
        );
        // A change against the ticket as read; a second one from the same read conflicts.
        let read = st.ticket(b.number).await.unwrap().unwrap();
        let mut closed = read.clone();
        closed.status = Status::Closed;
        let mut c = Commit::new();
        c.save_ticket(Some(read.clone()), closed);
        st.commit(&c).await.unwrap();
        let mut followed = read.clone();
        followed.follow_ups.push("ancora".into());
        let mut c = Commit::new();
        c.save_ticket(Some(read), followed);
        assert!(matches!(st.commit(&c).await, Err(CommitError::Conflict)));
        let now = st.ticket(b.number).await.unwrap().unwrap();
        assert_eq!((now.status, now.follow_ups.len()), (Status::Closed, 0));
        assert_eq!(st.tickets_of(UserId(7)).await.unwrap().len(), 1);
    }

    pub async fn the_question_log_keeps_its_retention(st: Store) {
        let now = ts("2027-03-01T12:00:00Z");
        let ago = |days: i64| now - SignedDuration::from_hours(24 * days);
        for (days, q) in [
            (400, "vecchissima"),
            (366, "vecchia"),
            (364, "recente"),
            (1, "ieri"),
        ] {
            st.log_question(
                Some(UserId(days)),
                &AskedQuestion {
                    at: ago(days),
                    question: q.into(),
                    best: None,
                    confident: false,
                },
            )
            .await
            .unwrap();
        }
        assert_eq!(st.questions_since(ago(365)).await.unwrap().len(), 2);
        let removed = st
            .purge_questions(retention_cutoff(now, 365))
            .await
            .unwrap();
        assert_eq!(removed, 2);
        let left: Vec<String> = st
            .questions_since(Timestamp::UNIX_EPOCH)
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.question)
            .collect();
        assert_eq!(left, ["recente", "ieri"]);
        assert_eq!(
            st.purge_questions(retention_cutoff(now, 365))
                .await
                .unwrap(),
            0
        );
    }

    pub async fn erasure_removes_one_user_everywhere_and_nobody_else(st: Store) {
        let offs = Offset::defaults();
        let (me, other) = (UserId(41), UserId(42));
        for u in [me, other] {
            st.commit(&save(u, Revision(None), b"sessione", t(1)))
                .await
                .unwrap();
            st.subscribe(&sub(u.0, "prova", "2026-06-15T12:00"), &offs)
                .await
                .unwrap();
            st.open_ticket(new_ticket(u.0, "domanda personale"), t(1))
                .await
                .unwrap();
            st.log_question(
                Some(u),
                &AskedQuestion {
                    at: t(1),
                    question: format!("domanda di {}", u.0),
                    best: None,
                    confident: true,
                },
            )
            .await
            .unwrap();
            put(&st, u.0, Class::Reply, "in attesa").await;
        }
        // A dispatcher holds one of the user's reminders while they are erased.
        let far = ts("2026-07-01T00:00:00Z");
        let held = st
            .due_reminders(far, 100, &HashSet::new())
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.queued.item.user == me)
            .unwrap();
        assert!(
            st.claim_reminder(&held, far + SignedDuration::from_hours(1))
                .await
                .unwrap()
        );
        // Erased in one commit with the reply that confirms it.
        let rev = st.load_session(me).await.unwrap().unwrap().revision;
        let mut c = Commit::new();
        c.erase(me)
            .session(me, rev, None, t(2))
            .send(Entry::message(me.0, Class::Reply, Rich::plain("fatto")));
        st.commit(&c).await.unwrap();

        // Its failed send puts nothing back.
        st.release_reminder(&held.key, &held.queued, far)
            .await
            .unwrap();
        assert_eq!(st.load_session(me).await.unwrap(), None);
        assert!(st.subscriptions_of(me).await.unwrap().is_empty());
        assert!(
            st.queued_reminders()
                .await
                .unwrap()
                .iter()
                .all(|q| q.item.user != me)
        );
        assert!(st.tickets_of(me).await.unwrap().is_empty());
        let tickets = st.tickets().await.unwrap();
        let gone = tickets.iter().find(|t| t.user.is_none()).unwrap();
        assert_eq!((gone.name.as_str(), gone.question.as_str()), ("", ""));
        assert!(gone.answers.is_empty());
        let to_me: Vec<String> = st
            .outbox_entries()
            .await
            .unwrap()
            .iter()
            .filter(|e| e.chat == me.0)
            .map(text)
            .collect();
        assert_eq!(to_me, ["fatto"], "waiting messages to the user are dropped");
        let asked: Vec<String> = st
            .questions_since(Timestamp::UNIX_EPOCH)
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.question)
            .collect();
        assert!(!asked.contains(&"domanda di 41".to_string()), "{asked:?}");

        // The other user keeps everything.
        assert!(st.load_session(other).await.unwrap().is_some());
        assert_eq!(st.subscriptions_of(other).await.unwrap().len(), 1);
        assert_eq!(st.tickets_of(other).await.unwrap().len(), 1);
        assert!(asked.contains(&"domanda di 42".to_string()));
        // Erasing again, outside a commit, is harmless.
        st.erase_user(me).await.unwrap();
        assert_eq!(st.tickets_of(other).await.unwrap().len(), 1);
    }

    fn draft(id: u64, ticket: Option<u64>, status: DraftStatus, question: &str) -> Draft {
        Draft {
            id,
            status,
            chat: -100,
            ticket,
            question: question.into(),
            answer: "risposta dello staff".into(),
            call: None,
            source: "Anna, help desk".into(),
            alternatives: Vec::new(),
            author: 7,
            author_name: "Anna".into(),
            created: t(1),
            errors: None,
            would_answer: Vec::new(),
            regression: Vec::new(),
            replaces: None,
            reason: String::new(),
        }
    }

    pub async fn erasure_removes_unpublished_drafts_of_the_users_tickets_only(st: Store) {
        let (me, other) = (UserId(51), UserId(52));
        let mine = st
            .open_ticket(new_ticket(me.0, "domanda mia"), t(1))
            .await
            .unwrap()
            .number;
        let theirs = st
            .open_ticket(new_ticket(other.0, "domanda altrui"), t(1))
            .await
            .unwrap()
            .number;
        let all = [
            draft(1, Some(mine), DraftStatus::Open, "domanda mia"),
            draft(
                2,
                Some(mine),
                DraftStatus::Published,
                "domanda mia, pubblicata",
            ),
            draft(3, Some(theirs), DraftStatus::Open, "domanda altrui"),
            draft(4, None, DraftStatus::Open, "dalle statistiche"),
            draft(
                5,
                Some(mine),
                DraftStatus::Discarded,
                "domanda mia, scartata",
            ),
        ];
        for d in &all {
            assert!(st.swap_draft(None, d).await.unwrap());
        }
        // A draft read back is the draft stored, and swaps against it.
        let read = st.draft(1).await.unwrap().unwrap();
        assert_eq!(read, all[0]);
        let mut edited = read.clone();
        edited.answer = "risposta corretta".into();
        assert!(st.swap_draft(Some(&read), &edited).await.unwrap());
        assert!(!st.swap_draft(Some(&read), &edited).await.unwrap(), "stale");

        st.erase_user(me).await.unwrap();
        let left: Vec<u64> = st.drafts().await.unwrap().iter().map(|d| d.id).collect();
        assert_eq!(
            left,
            [2, 3, 4],
            "the published entry is knowledge and stays"
        );
        assert_eq!(st.draft(1).await.unwrap(), None);
        // Swapping a draft erased meanwhile stores nothing.
        assert!(!st.swap_draft(Some(&edited), &edited).await.unwrap());
        assert_eq!(st.draft(1).await.unwrap(), None);
    }

    const LEASE: Duration = Duration::from_secs(60);

    pub async fn outbox_one_head_per_chat_replies_first_and_in_order(st: Store) {
        put(&st, 1, Class::Background, "promemoria").await;
        put(&st, 1, Class::Reply, "a1").await;
        put(&st, 2, Class::Reply, "b1").await;
        put(&st, 1, Class::Reply, "a2").await;
        let now = Timestamp::now();
        let r = st
            .outbox_claim(Owner(1), now, LEASE, 10, &mut |_, _| false)
            .await
            .unwrap();
        let got: Vec<String> = r.claimed.iter().map(|c| text(&c.entry)).collect();
        assert_eq!(got, ["a1", "b1"]);
        assert_eq!(r.claimed[0].behind, 2);
        let r2 = st
            .outbox_claim(Owner(2), now, LEASE, 10, &mut |_, _| false)
            .await
            .unwrap();
        assert!(r2.claimed.is_empty());
        st.outbox_drop(&r.claimed[0]).await.unwrap();
        let r3 = st
            .outbox_claim(Owner(1), now, LEASE, 10, &mut |_, _| false)
            .await
            .unwrap();
        let got: Vec<String> = r3.claimed.iter().map(|c| text(&c.entry)).collect();
        assert_eq!(got, ["a2"]);
    }

    pub async fn outbox_claims_expire_retries_wait_and_a_restart_recovers(st: Store) {
        put(&st, 1, Class::Reply, "x").await;
        let now = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap();
        let c = claim_first(&st, Owner(1), now, Duration::from_secs(1)).await;
        let later = now + SignedDuration::from_secs(2);
        let c2 = claim_first(&st, Owner(2), later, LEASE).await;
        // The first owner's completion no longer removes it: neither a drop nor a
        // commit that only consumes it.
        st.outbox_drop(&c).await.unwrap();
        assert_eq!(st.outbox_len().await.unwrap(), 1);
        let mut stale = Commit::new();
        stale.consume(&c);
        st.commit(&stale).await.unwrap();
        assert_eq!(st.outbox_len().await.unwrap(), 1);
        let retry_at = later + SignedDuration::from_secs(30);
        st.outbox_retry(&c2, retry_at, true, false).await.unwrap();
        let r = st
            .outbox_claim(Owner(2), later, LEASE, 10, &mut |_, _| false)
            .await
            .unwrap();
        assert!(r.claimed.is_empty());
        assert_eq!(r.next_due, Some(retry_at));
        let c3 = claim_first(&st, Owner(3), retry_at, LEASE).await;
        assert_eq!(c3.attempts, 1);
        // Consumed by a commit together with what follows from it.
        let mut done = Commit::new();
        done.consume(&c3)
            .send(Entry::message(1, Class::Reply, Rich::plain("dopo")));
        st.commit(&done).await.unwrap();
        let left: Vec<String> = st
            .outbox_entries()
            .await
            .unwrap()
            .iter()
            .map(text)
            .collect();
        assert_eq!(left, ["dopo"]);
        // A commit with nothing but the completion removes the entry as claimed.
        let last = claim_first(&st, Owner(3), retry_at, LEASE).await;
        let mut done = Commit::new();
        done.consume(&last);
        st.commit(&done).await.unwrap();
        assert_eq!(st.outbox_len().await.unwrap(), 0);
    }

    /// Two senders of one process (one owner, as the test adapter's handlers, which each
    /// deliver what they stored) claim and complete entries at once: each entry is sent
    /// once. An entry one of them completes while the other is reading it must not be
    /// claimed again by the other.
    pub async fn two_senders_of_one_owner_never_send_an_entry_twice(st: Store) {
        const N: usize = 120;
        for i in 0..N {
            put(&st, i as i64 + 1, Class::Reply, &i.to_string()).await;
        }
        let barrier = Arc::new(Barrier::new(2));
        let sender = || {
            let (st, barrier) = (st.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let mut sent = Vec::new();
                loop {
                    let r = st
                        .outbox_claim(Owner(1), Timestamp::now(), LEASE, 4, &mut |_, _| false)
                        .await
                        .unwrap();
                    if r.claimed.is_empty() {
                        return sent;
                    }
                    for c in &r.claimed {
                        sent.push(text(&c.entry));
                        let mut done = Commit::new();
                        done.consume(c);
                        st.commit(&done).await.unwrap();
                    }
                }
            })
        };
        let (a, b) = (sender(), sender());
        let mut sent = a.await.unwrap();
        sent.extend(b.await.unwrap());
        sent.sort_by_key(|s| s.parse::<usize>().unwrap());
        let each: Vec<String> = (0..N).map(|i| i.to_string()).collect();
        assert_eq!(sent, each, "every entry sent exactly once");
        assert_eq!(st.outbox_len().await.unwrap(), 0);
    }

    pub async fn outbox_late_entries_are_told_once(st: Store) {
        put(&st, -5, Class::Reply, "post").await;
        put(&st, 1, Class::Reply, "reply").await;
        put(&st, -6, Class::Reply, "other group's post").await;
        put(&st, -5, Class::Reply, "second post").await;
        let later = Timestamp::now() + SignedDuration::from_secs(10);
        let posts = |e: &Entry, _: usize| e.chat < 0;
        // Only the chats asked about are read, and `watch` sees no other chat's entry.
        let asked = std::sync::Mutex::new(Vec::new());
        let seen = |e: &Entry, ahead: usize| {
            asked.lock().unwrap().push((e.chat, ahead));
            true
        };
        let only = std::collections::HashSet::from([-6]);
        let in_six = st.outbox_late(later, Some(&only), &seen, 9).await.unwrap();
        assert_eq!(in_six.len(), 1);
        assert_eq!(in_six[0].entry.chat, -6);
        assert_eq!(*asked.lock().unwrap(), vec![(-6, 0)]);
        let late = st.outbox_late(later, None, &posts, 9).await.unwrap();
        let chats: Vec<i64> = late.iter().map(|w| w.entry.chat).collect();
        assert_eq!(chats, [-5, -6, -5], "oldest first");
        let mut c = Commit::new();
        c.notified(&late[0]);
        st.commit(&c).await.unwrap();
        // The told entry is not late again, but still counts as waiting ahead.
        asked.lock().unwrap().clear();
        let five = std::collections::HashSet::from([-5]);
        let left = st.outbox_late(later, Some(&five), &seen, 9).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(*asked.lock().unwrap(), vec![(-5, 1)]);
        // A second notice built from the old state is refused.
        assert!(st.commit(&c).await.is_err());
    }

    pub async fn profile_alerts_are_swapped_only_if_unchanged_paged_and_erased(st: Store) {
        use sportello::eligibility::Answer;
        use sportello::store::ProfileAlert;
        let alert = |u: i64, seen: &[&str]| ProfileAlert {
            user: UserId(u),
            questionnaire: "profilo".into(),
            answers: vec![
                ("soggetto".into(), Answer::Choice("pmi".into())),
                ("valore".into(), Answer::Number(0.1 + 0.2)),
            ],
            seen: seen.iter().map(|c| CallId(c.to_string())).collect(),
            lang: sportello::text::Lang::En,
            since: t(5),
        };
        assert_eq!(st.profile_alert(UserId(1)).await.unwrap(), None);
        let mut c = Commit::new();
        for u in 1..=5 {
            c.save_profile(alert(u, &["a"]));
        }
        st.commit(&c).await.unwrap();
        assert_eq!(st.profile_alert_count().await.unwrap(), 5);
        assert_eq!(
            st.profile_alert(UserId(3)).await.unwrap(),
            Some(alert(3, &["a"]))
        );
        // Paged two at a time: each once.
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = st.profile_alerts_page(after, 2).await.unwrap();
            let Some(last) = page.last() else { break };
            assert!(page.len() <= 2);
            after = Some(last.user);
            seen.extend(page.iter().map(|p| p.user.0));
        }
        seen.sort();
        assert_eq!(seen, [1, 2, 3, 4, 5]);
        // A swap from what was read succeeds once; the same swap again conflicts.
        let read = st.profile_alert(UserId(2)).await.unwrap().unwrap();
        let mut swap = Commit::new();
        swap.reprofile(read.clone(), alert(2, &["a", "b"]));
        st.commit(&swap).await.unwrap();
        assert!(matches!(st.commit(&swap).await, Err(CommitError::Conflict)));
        assert_eq!(
            st.profile_alert(UserId(2))
                .await
                .unwrap()
                .unwrap()
                .seen
                .len(),
            2
        );
        // Stopped by one user, erased with another: the others keep theirs.
        let mut stop = Commit::new();
        stop.drop_profile(UserId(4));
        st.commit(&stop).await.unwrap();
        st.erase_user(UserId(5)).await.unwrap();
        assert_eq!(st.profile_alert(UserId(4)).await.unwrap(), None);
        assert_eq!(st.profile_alert(UserId(5)).await.unwrap(), None);
        assert_eq!(st.profile_alert_count().await.unwrap(), 3);
        assert!(st.profile_alert(UserId(1)).await.unwrap().is_some());
    }
}

/// Runs every case against one backend. `$factory` is an async expression giving
/// `Option<Store>`: a fresh, empty store, or `None` to skip (with a message);
/// `$import_target` an async closure giving one to import a snapshot into, from the
/// snapshot's secret (sled is created with it; PostgreSQL adopts it when importing).
macro_rules! conformance {
    ($backend:ident, $factory:expr, $import_target:expr) => {
        mod $backend {
            use super::*;

            async fn store() -> Option<Store> {
                let st: Option<Store> = $factory.await;
                if st.is_none() {
                    eprintln!(concat!("skipped: ", stringify!($backend), " backend unavailable"));
                }
                st
            }

            conformance!(@cases
                sessions_are_saved_only_against_the_revision_read,
                concurrent_saves_of_one_revision_let_exactly_one_win,
                idle_sessions_expire,
                an_update_is_applied_once,
                subscribing_queues_each_offset_and_unsubscribing_removes_them,
                sync_follows_a_moved_deadline_and_ends_unknown_ones,
                two_claimers_never_take_one_reminder,
                completed_reminders_never_come_back_and_released_ones_wait,
                ticket_numbers_are_unique_under_concurrency,
                tickets_change_atomically_and_map_messages,
                the_question_log_keeps_its_retention,
                erasure_removes_one_user_everywhere_and_nobody_else,
                erasure_removes_unpublished_drafts_of_the_users_tickets_only,
                outbox_one_head_per_chat_replies_first_and_in_order,
                outbox_claims_expire_retries_wait_and_a_restart_recovers,
                outbox_late_entries_are_told_once,
                two_senders_of_one_owner_never_send_an_entry_twice,
                profile_alerts_are_swapped_only_if_unchanged_paged_and_erased,
                follows_are_listed_paged_replaced_and_ended,
                a_change_is_told_once_when_two_loads_race,
                draft_ids_are_unique_and_one_approval_publishes,
                a_snapshot_exports_every_kind_at_one_point_in_time,
                updates_received_are_kept_until_handled_and_erased_with_their_user,
                an_inbox_hands_out_what_waited_too_long_once_per_wait,
            );

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_snapshot_imports_whole_into_an_empty_store() {
                if let Some(a) = store().await {
                    cases::a_snapshot_imports_whole_into_an_empty_store(a, $import_target)
                        .await;
                }
            }
        }
    };
    (@cases $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some(st) = store().await {
                    cases::$case(st).await;
                }
            }
        )*
    };
}

conformance!(
    sled,
    async { Some(Store::temporary().unwrap()) },
    async |secret| Some(Store::temporary_with_secret(secret).unwrap())
);
conformance!(postgres, pg::store("conf"), async |_| pg::store("conf")
    .await);
