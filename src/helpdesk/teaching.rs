//! The app's side of staff teaching the bot (issue 16): it reads drafts and the question
//! log through the store's interfaces, runs the pure [`teach::step`], stores the draft by
//! compare-and-swap, and carries out the effects: validation with the knowledge loader
//! (off the async workers), the atomic write of `knowledge/faq/staff.toml`, the reload
//! as `/ricarica` does it, and the audit log.
//!
//! Drafts live only in the store; users see an entry only once it is in the knowledge
//! files and loaded, which happens only after an approval.

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::drafts::{TeachButton, card, file_of, group_hash, short, staff_files};
use super::impact::{self, IMPACT_SAMPLE};
use super::teach::{self, Actor, MAX_ALTERNATIVES, TeachEffect, TeachEvent, parse_edit};
use super::{ALIKE, Group, jaccard, stats};
use crate::app::{App, AppError, Brain, Delivery, Incoming};
use crate::dialogue::{Engine, Event};
use crate::reply::{Button, Reply, Rich};
use crate::search::SearchIndex;
use crate::store::{Draft, DraftStatus, RegressionChange};
use crate::text::{Lang, texts};

/// The question log looked at for phrasings and impact (as `/statistiche`'s month).
const LOOK_BACK: SignedDuration = SignedDuration::from_hours(24 * 30);

fn here(r: Rich) -> Vec<Delivery> {
    vec![Delivery::Here(Reply::new(r))]
}

fn actor(incoming: &Incoming) -> Actor {
    Actor {
        id: incoming.user.0,
        name: incoming.name.clone(),
    }
}

impl App {
    /// A staff event of the teach flow (a teach button, or «campo: valore» where a draft
    /// is open); `None`: not one.
    pub(crate) async fn teach_event(
        &self,
        incoming: &Incoming,
        now: Timestamp,
    ) -> Result<Option<Vec<Delivery>>, AppError> {
        let by = actor(incoming);
        match &incoming.event {
            Event::Button(data) => {
                let Some(button) = TeachButton::decode(data) else {
                    return Ok(None);
                };
                let tx = texts(Lang::It);
                let Some(button) = button else {
                    return Ok(Some(here(tx.t("button.stale", &[]))));
                };
                Ok(Some(match button {
                    TeachButton::Save(id) => {
                        let alternatives = match self.store.draft(id).await? {
                            Some(d) => {
                                let d = self.with_ticket_question(d).await?;
                                self.phrasings(&d.question, now).await?
                            }
                            None => Vec::new(),
                        };
                        self.drive(id, TeachEvent::Save { alternatives }, &by, now)
                            .await?
                    }
                    TeachButton::Toggle(id, i) => {
                        self.drive(id, TeachEvent::Toggle(i), &by, now).await?
                    }
                    TeachButton::Check(id) => self.recheck(id, &by, now).await?,
                    TeachButton::Publish(id) => {
                        self.drive(id, TeachEvent::Approve, &by, now).await?
                    }
                    TeachButton::Discard(id) => {
                        self.drive(id, TeachEvent::Discard, &by, now).await?
                    }
                    TeachButton::Restore(id) => {
                        self.drive(id, TeachEvent::Restore, &by, now).await?
                    }
                    TeachButton::Open(id) => match self.store.draft(id).await? {
                        Some(d) => vec![Delivery::Here(self.card(&d))],
                        None => here(tx.t("teach.stale", &[])),
                    },
                    TeachButton::Write(h) => self.write_from_stats(h, incoming, now).await?,
                }))
            }
            Event::Text(t) => {
                let Some((field, value)) = parse_edit(t) else {
                    return Ok(None);
                };
                // The newest draft under review in this chat.
                let open = self
                    .store
                    .drafts()
                    .await?
                    .into_iter()
                    .filter(|d| d.status == DraftStatus::Open && d.chat == incoming.chat)
                    .max_by_key(|d| d.id);
                match open {
                    Some(d) => Ok(Some(
                        self.drive(d.id, TeachEvent::Edit(field, value), &by, now)
                            .await?,
                    )),
                    None => Ok(None),
                }
            }
        }
    }

    /// After a staff reply (text) to ticket message `replied_to` was relayed: offers it
    /// as a FAQ (the «📌 Salva come FAQ» button comes with the delivery confirmation).
    pub async fn offer_faq(
        &self,
        chat: i64,
        replied_to: i32,
        answer: &str,
        by: &Actor,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let Some(t) = self.store.ticket_of_message(chat, replied_to).await? else {
            return Ok(());
        };
        let brain = self.brain();
        // Tickets name their call by its short name.
        let call = t.call.as_ref().and_then(|short| {
            brain
                .knowledge
                .calls
                .iter()
                .find(|c| c.short == *short || c.id.0 == *short)
                .map(|c| c.id.0.clone())
        });
        let d = Draft {
            id: self.store.next_draft_id().await?,
            status: DraftStatus::Offered,
            chat,
            ticket: Some(t.number),
            // The user's question is copied from the ticket only when staff save the
            // offer: an offer nobody takes holds nothing of the user (erasure).
            question: String::new(),
            answer: answer.trim().to_string(),
            call,
            source: teach::default_source(&by.name, now),
            alternatives: Vec::new(),
            author: by.id,
            author_name: by.name.clone(),
            created: now,
            errors: None,
            would_answer: Vec::new(),
            regression: Vec::new(),
            replaces: None,
            reason: String::new(),
        };
        self.store.swap_draft(None, &d).await?;
        self.store.flush().await?;
        Ok(())
    }

    /// An offered draft gets its ticket's question when staff save it (stored then).
    async fn with_ticket_question(&self, d: Draft) -> Result<Draft, AppError> {
        let (true, Some(n)) = (d.question.is_empty(), d.ticket) else {
            return Ok(d);
        };
        let Some(t) = self.store.ticket(n).await? else {
            return Ok(d);
        };
        let mut filled = d.clone();
        filled.question = t.question;
        if self.store.swap_draft(Some(&d), &filled).await? {
            Ok(filled)
        } else {
            Ok(d)
        }
    }

    /// «📌 Salva come FAQ» for the newest answer offered from ticket `n`, if any.
    pub(crate) async fn offer_button(&self, n: u64) -> Result<Vec<Vec<Button>>, AppError> {
        let offered = self
            .store
            .drafts()
            .await?
            .into_iter()
            .filter(|d| d.status == DraftStatus::Offered && d.ticket == Some(n))
            .max_by_key(|d| d.id);
        Ok(offered
            .map(|d| {
                vec![vec![Button {
                    label: texts(Lang::It).s("teach.button.save", &[]),
                    data: TeachButton::Save(d.id).encode(),
                }]]
            })
            .unwrap_or_default())
    }

    /// «✍️ Scrivi la FAQ» buttons for the groups `/statistiche` shows.
    pub(crate) fn write_buttons(groups: &[Group]) -> Vec<Vec<Button>> {
        let tx = texts(Lang::It);
        groups
            .iter()
            .filter_map(|g| g.examples.first())
            .map(|q| {
                vec![Button {
                    label: short(&tx.s("teach.button.write", &[("question", q)])),
                    data: TeachButton::Write(group_hash(q)).encode(),
                }]
            })
            .collect()
    }

    /// `/faq`, `/faq modifica N`, `/faq ritira N motivo`, `/faq ripristina N`.
    pub(crate) async fn faq_command(
        &self,
        args: &str,
        incoming: &Incoming,
        now: Timestamp,
    ) -> Result<Vec<Delivery>, AppError> {
        let tx = texts(Lang::It);
        let by = actor(incoming);
        let mut words = args.split_whitespace();
        let verb = words.next().unwrap_or("").to_lowercase();
        let id = words
            .next()
            .and_then(|w| w.trim_start_matches(['n', '.', '#']).parse::<u64>().ok());
        let rest: Vec<&str> = words.collect();
        let reason = rest.join(" ");
        match (verb.as_str(), id) {
            ("", _) => self.faq_list().await,
            ("ritira", Some(id)) => self.drive(id, TeachEvent::Withdraw(reason), &by, now).await,
            ("ripristina", Some(id)) => self.drive(id, TeachEvent::Restore, &by, now).await,
            ("modifica", Some(id)) => match self.store.draft(id).await? {
                Some(old) if old.status == DraftStatus::Published => {
                    let mut d = old.clone();
                    d.id = self.store.next_draft_id().await?;
                    d.status = DraftStatus::Open;
                    d.chat = incoming.chat;
                    d.author = by.id;
                    d.author_name = by.name.clone();
                    d.created = now;
                    d.replaces = Some(old.id);
                    d.errors = None;
                    self.store.swap_draft(None, &d).await?;
                    let d = self.validate(d, now).await?;
                    self.store.flush().await?;
                    Ok(vec![Delivery::Here(self.card(&d))])
                }
                Some(old) => Ok(here(tx.t(
                    "teach.not_open",
                    &[
                        ("id", &id.to_string()),
                        ("status", &teach::status_name(old.status)),
                    ],
                ))),
                None => Ok(here(tx.t("teach.faq.unknown", &[("id", &id.to_string())]))),
            },
            _ => Ok(here(tx.t("teach.faq.usage", &[]))),
        }
    }

    /// The entries written from the chat, newest first.
    async fn faq_list(&self) -> Result<Vec<Delivery>, AppError> {
        let tx = texts(Lang::It);
        let mut all: Vec<Draft> = self
            .store
            .drafts()
            .await?
            .into_iter()
            .filter(|d| !matches!(d.status, DraftStatus::Offered | DraftStatus::Discarded))
            .collect();
        if all.is_empty() {
            return Ok(here(tx.t("teach.faq.none", &[])));
        }
        all.sort_by_key(|d| std::cmp::Reverse(d.id));
        let mut r = tx.t("teach.faq.title", &[("count", &all.len().to_string())]);
        let mut rows = Vec::new();
        for d in all.iter().take(30) {
            let q: String = d.question.chars().take(80).collect();
            r.line().append(tx.t(
                "teach.faq.item",
                &[
                    ("id", &d.id.to_string()),
                    ("status", &teach::status_name(d.status)),
                    ("question", &q),
                    ("author", &d.author_name),
                    ("date", &teach::italian_date(d.created)),
                ],
            ));
            if !d.reason.is_empty() {
                r.line()
                    .append(tx.t("teach.faq.reason", &[("reason", &d.reason)]));
            }
            match d.status {
                DraftStatus::Withdrawn => rows.push(vec![Button {
                    label: tx.s("teach.button.restore", &[("id", &d.id.to_string())]),
                    data: TeachButton::Restore(d.id).encode(),
                }]),
                DraftStatus::Open => rows.push(vec![Button {
                    label: tx.s("teach.button.open", &[("id", &d.id.to_string())]),
                    data: TeachButton::Open(d.id).encode(),
                }]),
                _ => {}
            }
        }
        r.para().append(tx.t("teach.faq.usage", &[]));
        Ok(vec![Delivery::Here(Reply::new(r).with_buttons(rows))])
    }

    fn card(&self, d: &Draft) -> Reply {
        card(d, self.settings.review == teach::Review::Double)
    }

    /// «✍️ Scrivi la FAQ»: a draft whose question is the group's first and whose answer
    /// is left for staff to write.
    async fn write_from_stats(
        &self,
        hash: u32,
        incoming: &Incoming,
        now: Timestamp,
    ) -> Result<Vec<Delivery>, AppError> {
        let brain = self.brain();
        let log = self.store.questions_since(now - LOOK_BACK).await?;
        let stems = |q: &str| brain.index.analyse(q).stems();
        let month = stats(&log, now - LOOK_BACK, &stems);
        let Some(group) = month
            .unanswered
            .iter()
            .find(|g| g.examples.first().is_some_and(|q| group_hash(q) == hash))
        else {
            return Ok(here(texts(Lang::It).t("button.stale", &[])));
        };
        let by = actor(incoming);
        let d = Draft {
            id: self.store.next_draft_id().await?,
            status: DraftStatus::Offered,
            chat: incoming.chat,
            ticket: None,
            question: group.examples[0].clone(),
            answer: String::new(),
            call: None,
            source: String::new(),
            alternatives: Vec::new(),
            author: by.id,
            author_name: by.name.clone(),
            created: now,
            errors: None,
            would_answer: Vec::new(),
            regression: Vec::new(),
            replaces: None,
            reason: String::new(),
        };
        self.store.swap_draft(None, &d).await?;
        let alternatives = group.examples[1..].to_vec();
        self.drive(d.id, TeachEvent::Save { alternatives }, &by, now)
            .await
    }

    /// Up to five unanswered questions alike `question`, from the group `/statistiche`
    /// puts it in (or the group most alike it).
    async fn phrasings(&self, question: &str, now: Timestamp) -> Result<Vec<String>, AppError> {
        let brain = self.brain();
        let log = self.store.questions_since(now - LOOK_BACK).await?;
        let stems = |q: &str| brain.index.analyse(q).stems();
        let month = stats(&log, now - LOOK_BACK, &stems);
        let own: BTreeSet<String> = stems(question).into_iter().collect();
        let best = month
            .unanswered
            .iter()
            .map(|g| {
                let near = g
                    .examples
                    .iter()
                    .map(|e| jaccard(&own, &stems(e).into_iter().collect()))
                    .fold(0.0, f64::max);
                (near, g)
            })
            .filter(|(near, _)| *near >= ALIKE)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        Ok(best
            .map(|(_, g)| {
                g.examples
                    .iter()
                    .filter(|e| e.trim() != question.trim())
                    .take(MAX_ALTERNATIVES)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Runs one step on draft `id`, stores it, carries out its effects; replies with the
    /// notes of the effects and the draft's card.
    async fn drive(
        &self,
        id: u64,
        event: TeachEvent,
        by: &Actor,
        now: Timestamp,
    ) -> Result<Vec<Delivery>, AppError> {
        let tx = texts(Lang::It);
        let Some(before) = self.store.draft(id).await? else {
            return Ok(here(tx.t("teach.faq.unknown", &[("id", &id.to_string())])));
        };
        let out = match teach::step(&before, &event, by, self.settings.review, now) {
            Ok(o) => o,
            Err(refusal) => return Ok(here(refusal)),
        };
        // The swap is the only gate: of two approvals read at once, one stores
        // `Publishing`, the other finds the draft changed and publishes nothing.
        if !self.store.swap_draft(Some(&before), &out.draft).await? {
            return Ok(here(tx.t("teach.changed", &[])));
        }
        tracing::info!(draft = id, staff = by.id, ?event, "faq draft");
        let mut d = out.draft;
        let mut notes: Vec<Delivery> = Vec::new();
        for effect in out.effects {
            match effect {
                TeachEffect::Validate => d = self.validate(d, now).await?,
                TeachEffect::Write => {
                    let (after, note) = self.write_live(&before, d, by, now).await?;
                    d = after;
                    notes.push(Delivery::Here(Reply::new(note)));
                }
                TeachEffect::Audit(action) => {
                    // Only what happened is logged: a refused write is not a publication.
                    let done = match action {
                        "publish" | "restore" => d.status == DraftStatus::Published,
                        "withdraw" => d.status == DraftStatus::Withdrawn,
                        _ => true,
                    };
                    if done {
                        self.audit(&d, by, action, now);
                    }
                }
            }
        }
        self.store.flush().await?;
        let show_card = !matches!(
            d.status,
            DraftStatus::Published | DraftStatus::Withdrawn | DraftStatus::Discarded
        );
        if d.status == DraftStatus::Discarded {
            notes.push(Delivery::Here(Reply::new(
                tx.t("teach.discarded", &[("id", &id.to_string())]),
            )));
        }
        if show_card {
            notes.push(Delivery::Here(self.card(&d)));
        }
        Ok(notes)
    }

    /// «🔎 Verifica»: validates again (the knowledge may have changed since).
    async fn recheck(
        &self,
        id: u64,
        _by: &Actor,
        now: Timestamp,
    ) -> Result<Vec<Delivery>, AppError> {
        let Some(d) = self.store.draft(id).await? else {
            return Ok(here(texts(Lang::It).t("teach.stale", &[])));
        };
        let d = if d.status == DraftStatus::Open {
            self.validate(d, now).await?
        } else {
            d
        };
        self.store.flush().await?;
        Ok(vec![Delivery::Here(self.card(&d))])
    }

    /// Every live entry, `d` in place of its own and of the one it replaces.
    async fn live_with(&self, d: Option<&Draft>) -> Result<Vec<Draft>, AppError> {
        let mut live: Vec<Draft> = self
            .store
            .drafts()
            .await?
            .into_iter()
            .filter(|x| x.status.live())
            .filter(|x| d.is_none_or(|d| x.id != d.id && Some(x.id) != d.replaces))
            .collect();
        if let Some(d) = d {
            live.push(d.clone());
        }
        Ok(live)
    }

    /// Validates `d` as part of the staff file with the knowledge loader, and finds the
    /// recent unanswered questions it would answer; stores the result.
    async fn validate(&self, d: Draft, now: Timestamp) -> Result<Draft, AppError> {
        let live = self.live_with(Some(&d)).await?;
        let wanted = staff_files(&live.iter().collect::<Vec<_>>(), self.settings.faq_file);
        let asked: Vec<String> = {
            let mut seen = BTreeSet::new();
            self.store
                .questions_since(now - LOOK_BACK)
                .await?
                .into_iter()
                .rev()
                .filter(|q| !q.confident && seen.insert(q.question.trim().to_string()))
                .take(IMPACT_SAMPLE)
                .map(|q| q.question)
                .collect()
        };
        let dir = self.knowledge_dir().to_path_buf();
        let brain = self.brain();
        let settings = self.settings.clone();
        let faq = format!("faq:{}", d.faq_id());
        let kept = self.regression_before.clone();
        let started = std::time::Instant::now();
        let (errors, would_answer, regression) = tokio::task::spawn_blocking(move || {
            let changes = super::publish::plan(&dir, &wanted);
            match super::publish::check_plan(&dir, &changes) {
                Err(e) => (
                    e.0.iter().map(|e| e.to_string()).collect(),
                    Vec::new(),
                    Vec::new(),
                ),
                Ok(mut k) => {
                    k.documents = brain.knowledge.documents.clone();
                    let (would, regression) =
                        review(&brain, &kept, &k, &settings, &faq, &asked, now);
                    (Vec::new(), would, regression)
                }
            }
        })
        .await
        .map_err(|e| AppError::Reload(e.to_string()))?;
        tracing::info!(
            draft = d.id,
            ms = started.elapsed().as_millis() as u64,
            changed = regression.len(),
            "faq draft validated"
        );
        let out = teach::step(
            &d,
            &TeachEvent::Checked {
                errors,
                would_answer,
                regression,
            },
            &Actor {
                id: d.author,
                name: d.author_name.clone(),
            },
            self.settings.review,
            now,
        )
        .map_err(|r| AppError::Reload(r.to_plain()))?;
        if self.store.swap_draft(Some(&d), &out.draft).await? {
            Ok(out.draft)
        } else {
            Ok(self.store.draft(d.id).await?.unwrap_or(d))
        }
    }

    /// Writes the staff file with every live entry (after `d`'s change was stored) and
    /// reloads; on failure `d` goes back to how it was (`before`). Returns the draft as
    /// it now is and the note for staff.
    async fn write_live(
        &self,
        before: &Draft,
        d: Draft,
        by: &Actor,
        now: Timestamp,
    ) -> Result<(Draft, Rich), AppError> {
        let tx = texts(Lang::It);
        let _one = super::publish::PUBLISH.lock().await;
        let live = self.live_with(None).await?;
        let wanted = staff_files(&live.iter().collect::<Vec<_>>(), self.settings.faq_file);
        let dir = self.knowledge_dir().to_path_buf();
        let shown = file_of(&d, self.settings.faq_file);
        let file = dir.join(&shown);
        let written = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || {
                let changes = super::publish::plan(&dir, &wanted);
                super::publish::check_plan(&dir, &changes)
                    .map_err(|e| Err(e.0.iter().map(|e| e.to_string()).collect::<Vec<_>>()))?;
                super::publish::write_plan(&dir, &changes).map_err(Ok)
            })
            .await
            .map_err(|e| AppError::Reload(e.to_string()))?
        };
        let id = d.id.to_string();
        match written {
            Ok(()) => {}
            Err(failure) => {
                let mut back = before.clone();
                let note = match failure {
                    // The file would not load (knowledge changed since the check).
                    Err(errors) => {
                        back.errors = Some(errors);
                        tx.t("teach.approve.invalid", &[("id", &id)])
                    }
                    Ok(io) => {
                        tracing::error!(file = %file.display(), "cannot write the staff FAQ file: {io}");
                        tx.t(
                            "teach.write_failed",
                            &[("file", &shown), ("error", &io.to_string())],
                        )
                    }
                };
                let restored = if self.store.swap_draft(Some(&d), &back).await? {
                    back
                } else {
                    self.store.draft(d.id).await?.unwrap_or(back)
                };
                return Ok((restored, note));
            }
        }
        let mut after = d.clone();
        if after.status == DraftStatus::Publishing {
            after.status = DraftStatus::Published;
            if let Some(old) = after.replaces
                && let Some(o) = self.store.draft(old).await?
                && o.status == DraftStatus::Published
            {
                let mut w = o.clone();
                w.status = DraftStatus::Withdrawn;
                w.reason = tx.s("teach.replaced", &[("id", &id)]);
                if self.store.swap_draft(Some(&o), &w).await? {
                    self.audit(&w, by, "withdraw", now);
                }
            }
        }
        if !self.store.swap_draft(Some(&d), &after).await? {
            after = self.store.draft(d.id).await?.unwrap_or(after);
        }
        let note = match self.reload_everywhere().await {
            Ok(_) => match after.status {
                DraftStatus::Withdrawn => tx.t("teach.withdrawn", &[("id", &id)]),
                _ if before.status == DraftStatus::Withdrawn => {
                    tx.t("teach.restored", &[("id", &id)])
                }
                _ => tx.t(
                    "teach.published",
                    &[
                        ("id", &id),
                        ("file", &shown),
                        ("backup", &format!("{shown}.bak")),
                    ],
                ),
            },
            Err(e) => {
                tracing::error!("reload after writing the staff FAQ file: {e}");
                tx.t(
                    "teach.reload_failed",
                    &[("file", &shown), ("error", &e.to_string())],
                )
            }
        };
        Ok((after, note))
    }

    fn audit(&self, d: &Draft, by: &Actor, action: &str, now: Timestamp) {
        let rec = super::audit::AuditRecord {
            at: now,
            by: by.id,
            by_name: by.name.clone(),
            action: action.to_string(),
            faq: d.faq_id(),
            reason: d.reason.clone(),
        };
        if let Err(e) = super::audit::append(self.knowledge_dir(), &rec) {
            tracing::error!(faq = %rec.faq, "cannot append to the FAQ audit log: {e}");
        }
    }
}

/// What draft entry `faq` changes: the recent questions of `asked` it would answer, and
/// the regression questions answered differently with `k` (the knowledge with the draft)
/// than with `brain` (the knowledge in use; those answers are `kept` between reviews).
fn review(
    brain: &Arc<Brain>,
    kept: &impact::Remembered<Brain>,
    k: &crate::knowledge::Knowledge,
    settings: &crate::dialogue::Settings,
    faq: &str,
    asked: &[String],
    now: Timestamp,
) -> (Vec<String>, Vec<RegressionChange>) {
    let Ok(index) = SearchIndex::from_knowledge(k) else {
        return (Vec::new(), Vec::new());
    };
    let with = Engine {
        knowledge: k,
        index: &index,
        settings,
    };
    let without = Engine {
        knowledge: &brain.knowledge,
        index: &brain.index,
        settings,
    };
    let would = impact::would_answer(&with, faq, asked, now);
    // The set as the new load reads it (the file is part of the knowledge directory).
    let set = &k.regression[..k.regression.len().min(impact::MAX_REGRESSION)];
    let before = kept.get_or(brain, set, now, || impact::answers(&without, set, now));
    let after = impact::answers(&with, set, now);
    (would, impact::changes(set, &before, &after))
}
