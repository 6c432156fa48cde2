//! Several instances behind a load balancer: two `sportello run` processes in webhook
//! mode share one PostgreSQL database, against the Bot API stand-in. Updates are posted
//! to them alternately, as a load balancer would, and the test checks that they behave
//! as one bot: one webhook set and none deleted, a dialogue started on one continues on
//! the other, an update delivered to both is applied once, no reminder is doubled while
//! both dispatch, ticket numbers are unique, an update a dead instance kept and never
//! handled is handled by a running one, `/ricarica` on one reloads both, and
//! `/cancellami` on one erases the user everywhere.
//!
//! Without PostgreSQL (`SPORTELLO_TEST_DATABASE_URL`) it says "skipped"; CI sets
//! `SPORTELLO_REQUIRE_POSTGRES=1`, which makes it fail instead.

mod common;
#[path = "support/pg.rs"]
mod pg;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use common::botapi::{Call, StandIn, button_update, post_update, text_update};
use common::process::{Running, TOKEN};
use common::scrape::{free_port, wait_status};
use jiff::{SignedDuration, Timestamp, ToSpan, tz::TimeZone};
use sportello::knowledge::{CallId, DeadlineAt};
use sportello::reminders::Offset;
use sportello::reminders::schedule::Subscription;
use sportello::store::UserId;
use sportello::store::inbox::Received;

const WAIT: Duration = Duration::from_secs(90);
const SECRET: &str = "shared_Secret-of_the-instances";
const STAFF: i64 = 900_001;
const STAFF_CHAT: i64 = -100_900;
/// The instances' `stranded_after_secs`.
const STRANDED_AFTER: u32 = 4;

fn call_file(id: &str, title: &str, at: &str) -> String {
    format!(
        "id = \"{id}\"\nkind = \"call\"\nprogramme = \"Prova\"\ntitle = \"{title}\"\n\
         short = \"{title}\"\nsummary = \"Un bando di prova.\"\nsource = \"test\"\n\n\
         [official_page]\ntitle = \"Pagina ufficiale\"\nsite = \"www.example.org\"\n\n\
         [deadline]\nstatus = \"known\"\nat = \"{at}\"\nsource = \"test\"\n"
    )
}

/// One instance: its process and where the load balancer reaches it.
struct Instance {
    bot: Running,
    addr: SocketAddr,
}

/// The load balancer: numbers updates as Telegram does and posts each to an instance.
struct Balancer {
    next: AtomicI64,
}

impl Balancer {
    async fn post(&self, to: &Instance, update: impl FnOnce(i64) -> serde_json::Value) -> i64 {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let body = update(id);
        assert_eq!(
            post_update(to.addr, "/hook", Some(SECRET), &body).await,
            200
        );
        id
    }
}

async fn expect(
    api: &StandIn,
    from: usize,
    what: &str,
    on: &[&Instance],
    pred: impl Fn(&Call) -> bool,
) -> Call {
    match api.wait_for(from, WAIT, pred).await {
        Some(c) => c,
        None => panic!(
            "no {what}; calls: {:#?}\nlogs:\n{}",
            api.calls_since(from),
            on.iter()
                .map(|i| i.bot.log())
                .collect::<Vec<_>>()
                .join("\n-----\n")
        ),
    }
}

fn to(user: i64) -> impl Fn(&Call) -> bool {
    move |c| c.method == "sendMessage" && c.chat() == Some(user)
}

/// Waits until `cond` holds, checking whenever the stand-in sees a call (or every
/// 100 ms for what happens in the database only).
async fn until(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    let end = tokio::time::Instant::now() + WAIT;
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < end,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_a_load_balancer_behave_as_one_bot() {
    let Some((st, url)) = pg::store_with_url("inst").await else {
        return;
    };
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let knowledge = dir.path().join("knowledge");
    std::fs::create_dir_all(knowledge.join("calls")).unwrap();
    // A call closing in 3 days (Rome's date): its 7-day reminder is overdue, so each
    // subscriber gets exactly one message now, from whichever dispatcher claims it.
    let close = Timestamp::now()
        .to_zoned(TimeZone::get("Europe/Rome").unwrap())
        .date()
        .checked_add(3.days())
        .unwrap()
        .to_string();
    std::fs::write(
        knowledge.join("calls/aperto.toml"),
        call_file("aperto", "Bando Aperto", &close),
    )
    .unwrap();

    // Reminder subscribers, queued before both instances start racing for them.
    let subscribers: Vec<i64> = (0..24).map(|i| 700_000 + i).collect();
    let erased = 800_001;
    for &u in subscribers.iter().chain([&erased]) {
        st.subscribe(
            &Subscription {
                user: UserId(u),
                call: CallId("aperto".into()),
                deadline: DeadlineAt::parse(&close).unwrap(),
                planned_from: Timestamp::now() - SignedDuration::from_hours(24 * 10),
            },
            &Offset::defaults(),
        )
        .await
        .unwrap();
    }

    let start = |n: u32| {
        let port = free_port();
        let cfg = dir.path().join(format!("instance{n}.toml"));
        std::fs::write(
            &cfg,
            format!(
                "[knowledge]\ndir = \"{}\"\ndocuments_cache = \"\"\n[data]\nbackend = \"postgres\"\n\
                 [telegram]\nmode = \"webhook\"\nwebhook_listen = \"127.0.0.1:{port}\"\n\
                 webhook_url = \"http://lb.example/hook\"\ninstances = 2\nunthrottled = true\n\
                 stranded_after_secs = {STRANDED_AFTER}\n\
                 [helpdesk]\nstaff_chat_id = {STAFF_CHAT}\nstaff_user_ids = [{STAFF}]\n\
                 [ops]\nwebhook_path = \"/ops\"\n",
                knowledge.display()
            ),
        )
        .unwrap();
        let bot = Running::start_env(
            &api,
            &cfg,
            &dir.path().join(format!("data{n}")),
            n,
            &[
                ("SPORTELLO_DATABASE_URL", &url),
                ("SPORTELLO_WEBHOOK_SECRET", SECRET),
            ],
        );
        Instance {
            bot,
            addr: format!("127.0.0.1:{port}").parse().unwrap(),
        }
    };
    let a = start(1);
    let b = start(2);
    for i in [&a, &b] {
        let (status, body) = wait_status(i.addr, "/ops/readyz", 200, WAIT).await;
        assert_eq!(status, 200, "{body}\n{}", i.bot.log());
    }
    let both = [&a, &b];
    // One instance set the webhook, with the configured secret.
    let sets: Vec<Call> = api
        .calls()
        .into_iter()
        .filter(|c| c.method == "setWebhook")
        .collect();
    assert_eq!(sets.len(), 1, "{sets:#?}");
    assert_eq!(sets[0].body["secret_token"], SECRET);
    let lb = Balancer {
        next: AtomicI64::new(1),
    };

    // No reminder doubled while both dispatch: each subscriber gets exactly one, once
    // the queue holds only future reminders and the outbox is empty.
    let end = tokio::time::Instant::now() + WAIT;
    loop {
        let now = Timestamp::now();
        let queued = st.queued_reminders().await.unwrap();
        let waiting = st.outbox_len().await.unwrap();
        if queued.iter().all(|q| q.item.due > now) && waiting == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "reminders still due: {:#?}\n{waiting} messages waiting\nlogs:\n{}\n-----\n{}",
            queued
                .iter()
                .filter(|q| q.item.due <= now)
                .collect::<Vec<_>>(),
            a.bot.log(),
            b.bot.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut per_chat: HashMap<i64, usize> = HashMap::new();
    for c in api.calls() {
        if c.method == "sendMessage" && c.text().contains("Promemoria") {
            *per_chat.entry(c.chat().unwrap()).or_default() += 1;
        }
    }
    for u in subscribers.iter().chain([&erased]) {
        assert_eq!(per_chat.get(u), Some(&1), "reminders to {u}: {per_chat:?}");
    }

    // A dialogue started on one instance continues on the other, for users whose
    // updates arrive at alternate instances; their tickets get unique numbers.
    let askers: Vec<i64> = (0..6).map(|i| 810_000 + i).chain([erased]).collect();
    for (k, &u) in askers.iter().enumerate() {
        let (first, second) = if k % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let n = api.call_count();
        lb.post(first, |id| text_update(id, u, "/operatore")).await;
        let ask = expect(&api, n, "the hand-over question", &both, to(u)).await;
        assert!(
            ask.text().contains("Scrivimi la tua domanda"),
            "{}",
            ask.text()
        );
        let n = api.call_count();
        lb.post(second, |id| {
            text_update(id, u, &format!("Domanda numero {k} sul bando"))
        })
        .await;
        let done = expect(&api, n, "the ticket's number", &both, to(u)).await;
        assert!(done.text().contains("richiesta n."), "{}", done.text());
    }
    let tickets = st.tickets().await.unwrap();
    let numbers: HashSet<u64> = tickets.iter().map(|t| t.number).collect();
    assert_eq!(tickets.len(), askers.len(), "{tickets:#?}");
    assert_eq!(
        numbers.len(),
        askers.len(),
        "ticket numbers repeat: {tickets:#?}"
    );
    for &u in &askers {
        let mine = st.tickets_of(UserId(u)).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert!(
            mine[0].question.starts_with("Domanda numero"),
            "{:?}",
            mine[0]
        );
    }

    // An update Telegram delivers to both (a retry through the balancer) is applied
    // once: the second instance sees it applied in the shared log.
    let u = 820_000;
    let update = text_update(lb.next.fetch_add(1, Ordering::SeqCst), u, "/aiuto");
    let n = api.call_count();
    assert_eq!(
        post_update(a.addr, "/hook", Some(SECRET), &update).await,
        200
    );
    let help = expect(&api, n, "the help", &both, to(u))
        .await
        .text()
        .to_string();
    assert_eq!(
        post_update(b.addr, "/hook", Some(SECRET), &update).await,
        200
    );
    // The user's next update, on the same instance, comes after the repeated one.
    let m = api.call_count();
    lb.post(&b, |id| text_update(id, u, "/privacy")).await;
    expect(&api, m, "the privacy note", &both, |c| {
        to(u)(c) && c.text() != help
    })
    .await;
    let helps = api
        .calls_since(n)
        .into_iter()
        .filter(|c| to(u)(c) && c.text() == help)
        .count();
    assert_eq!(helps, 1, "the repeated update was applied twice");

    // An update a third instance kept (Telegram was answered) and died before handling,
    // never to start again: a running instance handles it once it has waited
    // `stranded_after_secs`, and it leaves the shared inbox.
    let u = 825_000;
    let stranded = lb.next.fetch_add(1, Ordering::SeqCst);
    let n = api.call_count();
    st.receive(&[Received {
        id: u32::try_from(stranded).unwrap(),
        user: Some(UserId(u)),
        body: text_update(stranded, u, "/aiuto").to_string().into_bytes(),
    }])
    .await
    .unwrap();
    let late = expect(&api, n, "the stranded update's answer", &both, to(u)).await;
    assert_eq!(late.text(), help);
    until("the stranded update out of the inbox", async || {
        st.unhandled()
            .await
            .unwrap()
            .iter()
            .all(|(id, _)| i64::from(*id) != stranded)
    })
    .await;
    assert_eq!(
        api.calls().iter().filter(|c| to(u)(c)).count(),
        1,
        "the stranded update was answered once"
    );
    assert!(
        [&a, &b].iter().any(|i| i
            .bot
            .log()
            .contains("handling the updates kept and left unhandled")),
        "the take-over is logged"
    );

    // `/ricarica` on one instance reloads the other too: a call added to the shared
    // knowledge shows in the other's list of calls.
    std::fs::write(
        knowledge.join("calls/nuovo.toml"),
        call_file("nuovo", "Bando Nuovissimo", &close),
    )
    .unwrap();
    let n = api.call_count();
    lb.post(&a, |id| text_update(id, STAFF, "/ricarica")).await;
    let done = expect(&api, n, "the reload", &both, to(STAFF)).await;
    assert!(done.text().contains("2 bandi"), "{}", done.text());
    until("the other instance's reload", async || {
        b.bot.log().contains("as another instance did")
    })
    .await;
    let n = api.call_count();
    lb.post(&b, |id| text_update(id, 830_000, "/bandi")).await;
    let list = expect(&api, n, "the list of calls", &both, to(830_000)).await;
    assert!(list.text().contains("Bando Nuovissimo"), "{}", list.text());

    // `/cancellami` asked on one instance and confirmed on the other erases the user
    // from the shared store: session, subscription, ticket, everything.
    let n = api.call_count();
    lb.post(&a, |id| text_update(id, erased, "/cancellami"))
        .await;
    let ask = expect(&api, n, "the erasure question", &both, to(erased)).await;
    let yes = ask.button_data()[0].clone();
    let n = api.call_count();
    lb.post(&b, |id| {
        button_update(id, erased, ask.message_id().unwrap(), &yes)
    })
    .await;
    let done = expect(&api, n, "the erasure", &both, |c| {
        // The question's message becomes the answer.
        ["sendMessage", "editMessageText"].contains(&c.method.as_str())
            && c.chat() == Some(erased)
            && c.text().contains("cancellato")
    })
    .await;
    assert!(done.text().contains("Fatto"), "{}", done.text());
    assert_eq!(st.load_session(UserId(erased)).await.unwrap(), None);
    assert!(
        st.subscriptions_of(UserId(erased))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        st.queued_reminders()
            .await
            .unwrap()
            .iter()
            .all(|q| q.item.user != UserId(erased))
    );
    assert!(
        st.tickets()
            .await
            .unwrap()
            .iter()
            .all(|t| t.user != Some(UserId(erased)) && !t.question.contains("Domanda numero 6"))
    );
    // The other instance knows nothing of them either: a new hand-over starts afresh.
    let n = api.call_count();
    lb.post(&a, |id| text_update(id, erased, "/operatore"))
        .await;
    let ask = expect(&api, n, "a fresh hand-over", &both, to(erased)).await;
    assert!(
        ask.text().contains("Scrivimi la tua domanda"),
        "{}",
        ask.text()
    );

    // Both stop cleanly; neither deletes the webhook the other still serves.
    a.bot.term();
    b.bot.term();
    assert!(!api.calls().iter().any(|c| c.method == "deleteWebhook"));
    assert_eq!(
        api.calls()
            .iter()
            .filter(|c| c.method == "setWebhook")
            .count(),
        1
    );
}
