//! The app's side of staff teaching the bot (issue 16): it reads drafts and the question
//! log through the store's interfaces, runs the pure [`teach::step`], stores the draft by
//! compare-and-swap, and carries out the effects: validation with the knowledge loader
//! (off the async workers), the atomic write of `knowledge/faq/staff.toml`, the reload
//! as `/ricarica` does it, and the audit log.
//!
//! Drafts live only in the store; users see an entry only once it is in the knowledge
//! files and loaded, which happens only after an approval.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};

use super::{App, AppError, Delivery, Incoming};
use crate::helpdesk::drafts::{TeachButton, card, group_hash};
use crate::helpdesk::staff::{FaqCommand, TeachRequest};
use crate::helpdesk::teach::{self, Actor, MAX_ALTERNATIVES, TeachEffect, TeachEvent};
use crate::helpdesk::{ALIKE, STAFF_LANG, Ticket, jaccard, stats};
use crate::reply::{Button, Reply, Rich};
use crate::store::{Draft, DraftStatus};
use crate::text::texts;

/// The question log looked at for phrasings and impact (as `/statistiche`'s month).
pub(super) const LOOK_BACK: SignedDuration = SignedDuration::from_hours(24 * 30);

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
    /// A request of the teach flow; `None`: a «campo: valore» edit where no draft is
    /// open (then it is anyone's text).
    pub(crate) async fn teach(
        &self,
        request: TeachRequest,
        incoming: &Incoming,
        now: Timestamp,
    ) -> Result<Option<Vec<Delivery>>, AppError> {
        let by = actor(incoming);
        Ok(Some(match request {
            TeachRequest::Faq(command) => self.faq(command, incoming, now).await?,
            TeachRequest::Button(button) => match button {
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
                TeachButton::Check(id) => self.recheck(id, now).await?,
                TeachButton::Publish(id) => self.drive(id, TeachEvent::Approve, &by, now).await?,
                TeachButton::Discard(id) => self.drive(id, TeachEvent::Discard, &by, now).await?,
                TeachButton::Restore(id) => self.drive(id, TeachEvent::Restore, &by, now).await?,
                TeachButton::Open(id) => match self.store.draft(id).await? {
                    Some(d) => vec![Delivery::Here(self.card(&d))],
                    None => here(texts(STAFF_LANG).t("teach.stale", &[])),
                },
                TeachButton::Write(h) => self.write_from_stats(h, incoming, now).await?,
            },
            TeachRequest::Edit(field, value) => {
                // The newest draft under review in this chat.
                let open = self
                    .store
                    .drafts()
                    .await?
                    .into_iter()
                    .filter(|d| d.status == DraftStatus::Open && d.chat == incoming.chat)
                    .max_by_key(|d| d.id);
                match open {
                    Some(d) => {
                        self.drive(d.id, TeachEvent::Edit(field, value), &by, now)
                            .await?
                    }
                    None => return Ok(None),
                }
            }
        }))
    }

    /// After a staff reply (text) to ticket `t` was relayed: offers it
    /// as a FAQ (the «📌 Salva come FAQ» button comes with the delivery confirmation).
    pub(crate) async fn offer_faq(
        &self,
        t: &Ticket,
        answer: &str,
        by: &Actor,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let Some(chat) = self.settings.staff.chat else {
            return Ok(());
        };
        let answer = answer.trim();
        // The same answer to the same ticket is offered once: a staff reply handed out
        // again (its copy could not be stored the first time) makes no second offer.
        let offered = self.store.drafts().await?.into_iter().any(|d| {
            d.status == DraftStatus::Offered && d.ticket == Some(t.number) && d.answer == answer
        });
        if offered {
            return Ok(());
        }
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
            answer: answer.to_string(),
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
                    label: texts(STAFF_LANG).s("teach.button.save", &[]),
                    data: TeachButton::Save(d.id).encode(),
                }]]
            })
            .unwrap_or_default())
    }

    /// `/faq`, `/faq modifica N`, `/faq ritira N motivo`, `/faq ripristina N`.
    async fn faq(
        &self,
        command: FaqCommand,
        incoming: &Incoming,
        now: Timestamp,
    ) -> Result<Vec<Delivery>, AppError> {
        let tx = texts(STAFF_LANG);
        let by = actor(incoming);
        match command {
            FaqCommand::List => self.faq_list().await,
            FaqCommand::Withdraw { id, reason } => {
                self.drive(id, TeachEvent::Withdraw(reason), &by, now).await
            }
            FaqCommand::Restore(id) => self.drive(id, TeachEvent::Restore, &by, now).await,
            FaqCommand::Edit(id) => match self.store.draft(id).await? {
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
            FaqCommand::Usage => Ok(here(tx.t("teach.faq.usage", &[]))),
        }
    }

    /// The entries written from the chat, newest first.
    async fn faq_list(&self) -> Result<Vec<Delivery>, AppError> {
        let tx = texts(STAFF_LANG);
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
                    ("date", &teach::staff_date(d.created)),
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
            return Ok(here(texts(STAFF_LANG).t("button.stale", &[])));
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
        let tx = texts(STAFF_LANG);
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
    async fn recheck(&self, id: u64, now: Timestamp) -> Result<Vec<Delivery>, AppError> {
        let Some(d) = self.store.draft(id).await? else {
            return Ok(here(texts(STAFF_LANG).t("teach.stale", &[])));
        };
        let d = if d.status == DraftStatus::Open {
            self.validate(d, now).await?
        } else {
            d
        };
        self.store.flush().await?;
        Ok(vec![Delivery::Here(self.card(&d))])
    }
}
