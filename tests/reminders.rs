//! Deadline reminders end to end: the engine's `/promemoria` through the app and the
//! store, the dispatcher with an injected clock and a scripted outbox, the teloxide
//! outbox against the Bot API stand-in, and the calendar file parsed back.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use jiff::Timestamp;
use sportello::action::Action;
use sportello::app::{App, Brain};
use sportello::dialogue::{Event, Settings};
use sportello::knowledge::{CallId, DeadlineAt};
use sportello::reminders::dispatch::{Dispatcher, ManualClock};
use sportello::reminders::schedule::Kind;
use sportello::reminders::telegram::BotOutbox;
use sportello::reminders::{
    Offset, Outbox, ReminderSettings, SendError, Subscription, spawn_dispatcher,
};
use sportello::reply::Reply;
use sportello::store::{Store, UserId};
use sportello_testkit::botapi::{Limits, StandIn};
use tokio::sync::watch;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn call_file(id: &str, short: &str, deadline: &str) -> String {
    format!(
        "id = \"{id}\"\nkind = \"call\"\nprogramme = \"Prova\"\ntitle = \"Bando {short}\"\nshort = \"{short}\"\nsummary = \"Un bando di prova.\"\nsource = \"test\"\n\n[official_page]\ntitle = \"Pagina ufficiale\"\nsite = \"www.example.org\"\n\n[deadline]\n{deadline}source = \"test\"\n"
    )
}

/// A pack with a call closing just after the spring time change of 2027 (Sunday
/// 28/03/2027), one with an unknown deadline and one closed.
fn pack(dir: &Path, open_at: &str) {
    std::fs::create_dir_all(dir.join("calls")).unwrap();
    std::fs::write(
        dir.join("calls/aperto.toml"),
        call_file(
            "aperto",
            "Bando Aperto",
            &format!("status = \"known\"\nat = \"{open_at}\"\n"),
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("calls/ignoto.toml"),
        call_file("ignoto", "Bando Ignoto", "status = \"unknown\"\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("calls/chiuso.toml"),
        call_file(
            "chiuso",
            "Bando Chiuso",
            "status = \"known\"\nat = \"2020-02-27\"\n",
        ),
    )
    .unwrap();
}

const SPRING: &str = "2027-03-29T12:00";

fn button_for(replies: &[Reply], action: &Action) -> Option<String> {
    let data = action.encode();
    replies
        .iter()
        .flat_map(|r| r.buttons.iter().flatten())
        .find(|b| b.data == data)
        .map(|b| b.data.clone())
}

fn plain(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.text.to_plain())
        .collect::<Vec<_>>()
        .join("\n")
}

/// An outbox that records what it sends and answers from a script per chat.
#[derive(Clone, Default)]
struct Recorder {
    sent: Arc<Mutex<Vec<(UserId, Reply)>>>,
    script: Arc<Mutex<HashMap<i64, VecDeque<SendError>>>>,
    blocked: HashSet<i64>,
    /// After this many successful sends, every send hangs (a process about to die).
    stall_after: Option<usize>,
}

impl Recorder {
    fn sent(&self) -> Vec<(UserId, Reply)> {
        self.sent.lock().unwrap().clone()
    }

    fn count_per_chat(&self) -> HashMap<i64, usize> {
        let mut m = HashMap::new();
        for (u, _) in self.sent() {
            *m.entry(u.0).or_default() += 1;
        }
        m
    }
}

impl Outbox for Recorder {
    async fn send(&self, chat: UserId, reply: &Reply) -> Result<(), SendError> {
        if let Some(e) = self
            .script
            .lock()
            .unwrap()
            .get_mut(&chat.0)
            .and_then(|q| q.pop_front())
        {
            return Err(e);
        }
        if self.blocked.contains(&chat.0) {
            return Err(SendError::Blocked);
        }
        if self
            .stall_after
            .is_some_and(|n| self.sent.lock().unwrap().len() >= n)
        {
            std::future::pending::<()>().await;
        }
        self.sent.lock().unwrap().push((chat, reply.clone()));
        Ok(())
    }
}

struct World {
    _dir: tempfile::TempDir,
    knowledge: std::path::PathBuf,
    brain: Arc<RwLock<Arc<Brain>>>,
}

impl World {
    fn new(open_at: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        let knowledge = dir.path().join("knowledge");
        pack(&knowledge, open_at);
        let brain = Arc::new(RwLock::new(Arc::new(Brain::load(&knowledge).unwrap())));
        World {
            _dir: dir,
            knowledge,
            brain,
        }
    }

    fn getter(&self) -> impl Fn() -> Arc<Brain> + Send + Sync + 'static {
        let b = self.brain.clone();
        move || b.read().unwrap().clone()
    }

    /// Edits the pack and reloads it, as a maintainer would.
    fn move_deadline(&self, to: &str) {
        pack(&self.knowledge, to);
        *self.brain.write().unwrap() = Arc::new(Brain::load(&self.knowledge).unwrap());
    }
}

fn settings() -> ReminderSettings {
    // Fast limits: tests run on real tokio time (no test-util feature to rebuild tokio).
    ReminderSettings {
        per_second: 1000.0,
        per_chat_interval: std::time::Duration::from_millis(5),
        backoff: std::time::Duration::from_millis(5),
        ..ReminderSettings::default()
    }
}

async fn subscribe(store: &Store, user: i64, at: &str, from: &str) {
    store
        .subscribe(
            &Subscription {
                user: UserId(user),
                call: CallId("aperto".into()),
                deadline: DeadlineAt::parse(at).unwrap(),
                planned_from: ts(from),
            },
            &Offset::defaults(),
        )
        .await
        .unwrap();
}

fn no_stop() -> watch::Receiver<bool> {
    watch::channel(false).1
}

#[tokio::test]
async fn promemoria_subscribes_lists_explains_and_unsubscribes() {
    let w = World::new(SPRING);
    let brain = Arc::try_unwrap(Brain::load(&w.knowledge).map(Arc::new).unwrap()).unwrap();
    let app = App::new(
        brain,
        w.knowledge.clone(),
        Store::temporary().unwrap(),
        Settings::default(),
    );
    let u = UserId(42);
    let now = ts("2027-03-01T09:00:00Z");
    let r = app
        .handle(u, &Event::Text("/promemoria".into()), now)
        .await
        .unwrap();
    let text = plain(&r);
    assert!(text.contains("7 giorni, 1 giorno e 2 ore"), "{text}");
    assert!(
        text.contains("Bando Ignoto") && text.contains("non è nota"),
        "{text}"
    );
    assert!(
        text.contains("Bando Chiuso") && text.contains("27/02/2020"),
        "{text}"
    );
    let sub = Action::Subscribe(CallId("aperto".into()));
    assert!(button_for(&r, &sub).is_some());
    assert!(button_for(&r, &Action::Subscribe(CallId("ignoto".into()))).is_none());

    // A forged button for the unknown deadline gets the reason, and nothing is stored.
    let r = app
        .handle(
            u,
            &Event::Button(Action::Subscribe(CallId("ignoto".into())).encode()),
            now,
        )
        .await
        .unwrap();
    assert!(plain(&r).contains("non è nota"), "{}", plain(&r));
    assert!(app.store.subscriptions_of(u).await.unwrap().is_empty());

    let r = app
        .handle(u, &Event::Button(sub.encode()), now)
        .await
        .unwrap();
    let text = plain(&r);
    assert!(text.contains("29/03/2027, ore 12:00"), "{text}");
    assert!(text.contains("mancano 28 giorni"), "{text}");
    let subs = app.store.subscriptions_of(u).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(app.store.queued_reminders().await.unwrap().len(), 3);
    // Twice is still once.
    let r = app
        .handle(u, &Event::Button(sub.encode()), now)
        .await
        .unwrap();
    assert!(plain(&r).contains("già"), "{}", plain(&r));
    assert_eq!(app.store.queued_reminders().await.unwrap().len(), 3);

    let r = app
        .handle(u, &Event::Button(Action::MyReminders.encode()), now)
        .await
        .unwrap();
    assert!(plain(&r).contains("Bando Aperto"));

    // The card of the call offers the reminder.
    let r = app
        .handle(
            u,
            &Event::Button(Action::Call(CallId("aperto".into())).encode()),
            now,
        )
        .await
        .unwrap();
    assert!(button_for(&r, &sub).is_some());

    let r = app
        .handle(u, &Event::Button(Action::UnsubscribeAll.encode()), now)
        .await
        .unwrap();
    assert!(plain(&r).contains("(1)"), "{}", plain(&r));
    assert!(app.store.subscriptions_of(u).await.unwrap().is_empty());
    assert!(app.store.queued_reminders().await.unwrap().is_empty());
}

/// Unfolds and splits an iCalendar file into (name with parameters, value) lines.
fn parse_ics(s: &str) -> Vec<(String, String)> {
    assert!(!s.replace("\r\n", "").contains('\n'), "bare LF in the file");
    for line in s.split("\r\n") {
        assert!(line.len() <= 75, "line too long: {line}");
    }
    s.replace("\r\n ", "")
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn ics_time(v: &str) -> Timestamp {
    let d = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &v[0..4],
        &v[4..6],
        &v[6..8],
        &v[9..11],
        &v[11..13],
        &v[13..15]
    );
    assert_eq!(&v[15..], "Z");
    d.parse().unwrap()
}

#[tokio::test]
async fn calendar_file_has_the_deadline_and_the_alarms() {
    let w = World::new(SPRING);
    let brain = Brain::load(&w.knowledge).unwrap();
    let app = App::new(
        brain,
        w.knowledge.clone(),
        Store::temporary().unwrap(),
        Settings::default(),
    );
    let now = ts("2027-03-01T09:00:00Z");
    let r = app
        .handle(
            UserId(1),
            &Event::Button(Action::Calendar(CallId("aperto".into())).encode()),
            now,
        )
        .await
        .unwrap();
    let doc = r[0].document.as_ref().expect("a document");
    assert!(doc.file_name.ends_with(".ics"));
    let lines = parse_ics(std::str::from_utf8(&doc.bytes).unwrap());
    let get = |k: &str| -> Vec<&str> {
        lines
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(
        get("BEGIN"),
        ["VCALENDAR", "VEVENT", "VALARM", "VALARM", "VALARM"]
    );
    assert_eq!(get("VERSION"), ["2.0"]);
    // 12:00 CEST on Monday 29/03/2027, the day after clocks went forward.
    assert_eq!(ics_time(get("DTSTART")[0]), ts("2027-03-29T10:00:00Z"));
    let alarms: Vec<Timestamp> = get("TRIGGER;VALUE=DATE-TIME")
        .iter()
        .map(|v| ics_time(v))
        .collect();
    assert_eq!(
        alarms,
        [
            ts("2027-03-22T11:00:00Z"), // 12:00 CET
            ts("2027-03-28T10:00:00Z"), // 12:00 CEST
            ts("2027-03-29T08:00:00Z"),
        ]
    );
    let uid = get("UID")[0].to_string();
    assert!(get("SUMMARY")[0].contains("Bando Aperto"));
    // Same deadline, same UID: importing twice updates one event.
    let again = app
        .handle(
            UserId(2),
            &Event::Button(Action::Calendar(CallId("aperto".into())).encode()),
            ts("2027-03-02T09:00:00Z"),
        )
        .await
        .unwrap();
    let again = parse_ics(std::str::from_utf8(&again[0].document.as_ref().unwrap().bytes).unwrap());
    assert!(again.iter().any(|(k, v)| k == "UID" && *v == uid));
    // No calendar for a call without a known deadline.
    let r = app
        .handle(
            UserId(1),
            &Event::Button(Action::Calendar(CallId("ignoto".into())).encode()),
            now,
        )
        .await
        .unwrap();
    assert!(r[0].document.is_none());
}

#[tokio::test]
async fn each_offset_goes_out_once_at_its_moment_across_the_spring_change() {
    let w = World::new(SPRING);
    let store = Store::temporary().unwrap();
    subscribe(&store, 7, SPRING, "2027-03-01T00:00:00Z").await;
    let clock = ManualClock::new(ts("2027-03-22T10:59:59Z"));
    let out = Recorder::default();
    let mut d = Dispatcher::new(
        store.clone(),
        w.getter(),
        out.clone(),
        clock.clone(),
        settings(),
    );
    let stop = no_stop();
    d.drain(&stop).await.unwrap();
    assert!(out.sent().is_empty(), "nothing before 12:00 CET of 22/03");
    let moments = [
        // 12:00 CET to 12:00 CEST a week later: 6 days 23 h elapsed, but 7 calendar
        // days, and the time left counts calendar days in Europe/Rome.
        ("2027-03-22T11:00:00Z", "7 giorni"),
        ("2027-03-28T10:00:00Z", "1 giorno"),
        ("2027-03-29T08:00:00Z", "2 ore"),
    ];
    for (i, (at, left)) in moments.iter().enumerate() {
        clock.set(ts(at));
        d.drain(&stop).await.unwrap();
        // Draining again at the same moment sends nothing more.
        d.drain(&stop).await.unwrap();
        let sent = out.sent();
        assert_eq!(sent.len(), i + 1, "at {at}");
        let text = sent[i].1.text.to_plain();
        assert!(text.contains("Bando Aperto"), "{text}");
        assert!(text.contains("29/03/2027, ore 12:00"), "{text}");
        assert!(text.contains(&format!("mancano {left})")), "{text}");
        // The eligibility check: a button to the call's card.
        let card = Action::Call(CallId("aperto".into())).encode();
        assert!(sent[i].1.buttons.iter().flatten().any(|b| b.data == card));
    }
    clock.set(ts("2027-04-01T00:00:00Z"));
    d.drain(&stop).await.unwrap();
    assert_eq!(out.sent().len(), 3);
    assert_eq!(d.stats().sent, 3);
}

#[tokio::test]
async fn autumn_change_one_day_before_keeps_the_wall_clock() {
    // Clocks go back on Sunday 31/10/2027; a deadline on Monday 01/11/2027 at 12:00 CET.
    let at = "2027-11-01T12:00";
    let w = World::new(at);
    let store = Store::temporary().unwrap();
    subscribe(&store, 7, at, "2027-10-01T00:00:00Z").await;
    let clock = ManualClock::new(ts("2027-10-31T09:59:00Z"));
    let out = Recorder::default();
    let mut d = Dispatcher::new(store, w.getter(), out.clone(), clock.clone(), settings());
    let stop = no_stop();
    d.drain(&stop).await.unwrap();
    // The 7-day reminder (25/10, 12:00 CEST = 10:00Z) is long past: superseded only if
    // the 1-day one is due too, so it goes out now with the real time left.
    assert_eq!(out.sent().len(), 1);
    assert!(
        out.sent()[0]
            .1
            .text
            .to_plain()
            .contains("mancano 1 giorno e 1 ora")
    );
    clock.set(ts("2027-10-31T11:00:00Z")); // 12:00 CET on Sunday
    d.drain(&stop).await.unwrap();
    assert_eq!(out.sent().len(), 2);
    assert!(
        out.sent()[1]
            .1
            .text
            .to_plain()
            .contains("mancano 1 giorno)")
    );
}

#[tokio::test]
async fn downtime_catch_up_sends_once_with_the_real_time_left_and_skips_past_deadlines() {
    let w = World::new(SPRING);
    let store = Store::temporary().unwrap();
    subscribe(&store, 1, SPRING, "2027-03-01T00:00:00Z").await;
    // Down from before the 7-day reminder until 5 days before: one reminder, 5 days left.
    let clock = ManualClock::new(ts("2027-03-24T10:00:00Z"));
    let out = Recorder::default();
    let mut d = Dispatcher::new(
        store.clone(),
        w.getter(),
        out.clone(),
        clock.clone(),
        settings(),
    );
    let stop = no_stop();
    d.drain(&stop).await.unwrap();
    assert_eq!(out.sent().len(), 1);
    assert!(out.sent()[0].1.text.to_plain().contains("mancano 5 giorni"));
    // Down again across the 1-day and the 2-hour moments: only the latest goes out.
    clock.set(ts("2027-03-29T09:00:00Z"));
    d.drain(&stop).await.unwrap();
    assert_eq!(out.sent().len(), 2);
    assert!(out.sent()[1].1.text.to_plain().contains("mancano 1 ora)"));
    assert_eq!(d.stats().superseded, 1);

    // Another subscriber whose deadline passed while the bot was down gets nothing.
    let store2 = Store::temporary().unwrap();
    subscribe(&store2, 2, SPRING, "2027-03-01T00:00:00Z").await;
    let out2 = Recorder::default();
    let clock2 = ManualClock::new(ts("2027-03-30T00:00:00Z"));
    let mut d2 = Dispatcher::new(store2.clone(), w.getter(), out2.clone(), clock2, settings());
    d2.drain(&stop).await.unwrap();
    assert!(out2.sent().is_empty());
    assert!(store2.queued_reminders().await.unwrap().is_empty());
    assert!(store2.subscriptions_of(UserId(2)).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_moved_deadline_is_announced_and_the_reminders_follow_it() {
    let w = World::new(SPRING);
    let store = Store::temporary().unwrap();
    subscribe(&store, 5, SPRING, "2027-03-01T00:00:00Z").await;
    let clock = ManualClock::new(ts("2027-03-10T00:00:00Z"));
    let out = Recorder::default();
    let mut d = Dispatcher::new(
        store.clone(),
        w.getter(),
        out.clone(),
        clock.clone(),
        settings(),
    );
    let stop = no_stop();
    d.drain(&stop).await.unwrap();
    assert!(out.sent().is_empty());
    // The call is extended, like WECARE's: the knowledge is reloaded with the new date.
    w.move_deadline("2027-05-31T12:00");
    d.drain(&stop).await.unwrap();
    let sent = out.sent();
    assert_eq!(sent.len(), 1);
    let text = sent[0].1.text.to_plain();
    assert!(
        text.contains("31/05/2027, ore 12:00") && text.contains("29/03/2027, ore 12:00"),
        "{text}"
    );
    // The old moments pass silently; the new ones speak.
    clock.set(ts("2027-03-28T10:00:00Z"));
    d.drain(&stop).await.unwrap();
    assert_eq!(out.sent().len(), 1);
    clock.set(ts("2027-05-24T10:00:00Z"));
    d.drain(&stop).await.unwrap();
    let sent = out.sent();
    assert_eq!(sent.len(), 2);
    assert!(sent[1].1.text.to_plain().contains("31/05/2027, ore 12:00"));
    assert!(sent[1].1.text.to_plain().contains("mancano 7 giorni"));
    // The source stops stating a deadline: the subscriber is told, and it ends.
    w.move_deadline("2027-05-31T12:00");
    std::fs::write(
        w.knowledge.join("calls/aperto.toml"),
        call_file("aperto", "Bando Aperto", "status = \"unknown\"\n"),
    )
    .unwrap();
    *w.brain.write().unwrap() = Arc::new(Brain::load(&w.knowledge).unwrap());
    d.drain(&stop).await.unwrap();
    assert_eq!(out.sent().len(), 3);
    assert!(
        out.sent()[2]
            .1
            .text
            .to_plain()
            .contains("non è più indicata")
    );
    assert!(store.subscriptions_of(UserId(5)).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_blocked_user_loses_the_subscriptions_and_429_is_honoured() {
    let w = World::new(SPRING);
    let store = Store::temporary().unwrap();
    for u in 1..=5 {
        subscribe(&store, u, SPRING, "2027-03-01T00:00:00Z").await;
    }
    let out = Recorder {
        blocked: HashSet::from([3]),
        ..Recorder::default()
    };
    out.script.lock().unwrap().insert(
        2,
        VecDeque::from([SendError::RetryAfter(1), SendError::Transient("502".into())]),
    );
    let clock = ManualClock::new(ts("2027-03-22T11:00:00Z"));
    let mut d = Dispatcher::new(store.clone(), w.getter(), out.clone(), clock, settings());
    d.drain(&no_stop()).await.unwrap();
    let per_chat = out.count_per_chat();
    assert_eq!(per_chat.len(), 4);
    assert!(per_chat.values().all(|&n| n == 1), "{per_chat:?}");
    assert!(!per_chat.contains_key(&3));
    assert!(store.subscriptions_of(UserId(3)).await.unwrap().is_empty());
    assert_eq!(store.subscriptions_of(UserId(2)).await.unwrap().len(), 1);
    let s = d.stats();
    assert_eq!(
        (s.sent, s.blocked, s.retry_after, s.transient_errors),
        (4, 1, 1, 1)
    );
    assert!(
        store
            .queued_reminders()
            .await
            .unwrap()
            .iter()
            .all(|q| q.item.user != UserId(3))
    );
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_dispatch_loses_nothing_and_repeats_at_most_the_in_flight() {
    let w = World::new(SPRING);
    let dir = tempfile::tempdir().unwrap();
    let n = 200;
    {
        let store = Store::open(dir.path(), 16).unwrap();
        for u in 1..=n {
            subscribe(&store, u, SPRING, "2027-03-01T00:00:00Z").await;
        }
        store.flush().await.unwrap();
    }
    let clock = ManualClock::new(ts("2027-03-22T11:00:00Z"));
    let in_flight = 8;
    let sent = Arc::new(Mutex::new(Vec::new()));
    let cfg = ReminderSettings {
        in_flight,
        ..settings()
    };
    {
        let store = Store::open(dir.path(), 16).unwrap();
        let out = Recorder {
            sent: sent.clone(),
            stall_after: Some(90),
            ..Recorder::default()
        };
        let mut d = Dispatcher::new(store, w.getter(), out, clock.clone(), cfg.clone());
        let stop = no_stop();
        // The process "dies" while sends hang: the drain is dropped mid-way, once the 90
        // sends that go through went out (however long a loaded machine takes).
        let sent_90 = async {
            while sent.lock().unwrap().len() < 90 {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        };
        tokio::select! {
            r = d.drain(&stop) => panic!("the first run must be cut short: {r:?}"),
            _ = tokio::time::timeout(std::time::Duration::from_secs(120), sent_90) => {}
        }
    }
    assert_eq!(sent.lock().unwrap().len(), 90);
    // The "dead" run's aborted send tasks drop their store handles when the runtime next
    // runs them: the restart waits for the lock as a new process would.
    let mut tries = 0;
    let store = loop {
        match Store::open(dir.path(), 16) {
            Ok(s) => break s,
            Err(e) if tries >= 10_000 => panic!("the data dir stays locked: {e}"),
            Err(_) => {
                tries += 1;
                tokio::task::yield_now().await;
            }
        }
    };
    let out = Recorder {
        sent: sent.clone(),
        ..Recorder::default()
    };
    let mut d = Dispatcher::new(store.clone(), w.getter(), out.clone(), clock, cfg);
    d.drain(&no_stop()).await.unwrap();
    let per_chat = out.count_per_chat();
    assert_eq!(per_chat.len(), n as usize, "no one is forgotten");
    let doubled: usize = per_chat.values().map(|&c| c - 1).sum();
    assert!(
        doubled <= in_flight,
        "{doubled} repeated, more than {in_flight} in flight"
    );
    assert!(d.stats().resent_after_restart as usize <= in_flight);
    assert!(
        store.queued_reminders().await.unwrap().iter().all(
            |q| !matches!(q.item.kind, Kind::Reminder { offset } if offset == Offset::days(7))
        )
    );
}

#[tokio::test]
async fn the_spawned_dispatcher_stops_cleanly_on_shutdown() {
    let w = World::new(SPRING);
    let store = Store::temporary().unwrap();
    subscribe(&store, 1, SPRING, "2027-03-01T00:00:00Z").await;
    let out = Recorder::default();
    let clock = ManualClock::new(ts("2027-03-22T11:00:00Z"));
    let (tx, rx) = watch::channel(false);
    let h = spawn_dispatcher(store, w.getter(), out.clone(), clock, settings(), rx);
    while out.sent().is_empty() {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tx.send(true).unwrap();
    let stats = h.await.unwrap().unwrap();
    assert_eq!(stats.sent, 1);
}

/// The teloxide outbox against the Bot API stand-in: real HTTP on 127.0.0.1, real error
/// mapping (429 with retry_after, 403 blocked).
#[tokio::test]
async fn teloxide_outbox_against_the_stand_in() {
    let w = World::new(SPRING);
    let standin = StandIn::start("123:test").await;
    standin.limit(Limits {
        per_second: Some(4),
        blocked: HashSet::from([13]),
        ..Limits::default()
    });
    let store = Store::temporary().unwrap();
    for u in 10..=17 {
        subscribe(&store, u, SPRING, "2027-03-01T00:00:00Z").await;
    }
    let bot = teloxide::Bot::new("123:test").set_api_url(standin.url().parse().unwrap());
    let clock = ManualClock::new(ts("2027-03-22T11:00:00Z"));
    // The bot is told it may send faster than the stand-in allows: 429s must follow.
    let cfg = ReminderSettings {
        per_second: 50.0,
        ..settings()
    };
    let mut d = Dispatcher::new(store.clone(), w.getter(), BotOutbox { bot }, clock, cfg);
    d.drain(&no_stop()).await.unwrap();
    let seen = standin.seen();
    assert_eq!(seen.delivered.len(), 7, "{seen:?} {:?}", d.stats());
    assert_eq!(seen.doubled(), 0);
    assert!(!seen.delivered.contains_key(&13));
    assert!(seen.too_many > 0);
    assert_eq!(d.stats().retry_after, seen.too_many);
    assert!(store.subscriptions_of(UserId(13)).await.unwrap().is_empty());
    let texts: Vec<String> = standin
        .calls()
        .iter()
        .filter(|c| c.method == "sendMessage")
        .map(|c| c.text().to_string())
        .collect();
    assert_eq!(texts.len(), 7);
    assert!(texts.iter().all(|t| t.contains("<b>Bando Aperto</b>")));
}
