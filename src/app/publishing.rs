//! Publishing what staff taught (the app's side): a draft is validated as part of the
//! staff FAQ file with the knowledge loader and reviewed for what it changes (recent
//! questions it would answer, regression questions answered differently), off the async
//! workers; an approved one is written atomically with every live entry, the knowledge
//! is reloaded everywhere, and the audit log records what happened.
//!
//! Split from `app/teaching.rs` (which routes staff's requests to the pure
//! [`crate::helpdesk::teach::step`]) because this half is the one that touches files.

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::Timestamp;

use super::teaching::LOOK_BACK;
use super::{App, AppError, Brain};
use crate::dialogue::Engine;
use crate::helpdesk::STAFF_LANG;
use crate::helpdesk::drafts::{file_of, staff_files};
use crate::helpdesk::impact::{self, IMPACT_SAMPLE};
use crate::helpdesk::teach::{self, Actor, TeachEvent};
use crate::reply::Rich;
use crate::search::SearchIndex;
use crate::store::{Draft, DraftStatus, RegressionChange};
use crate::text::texts;

impl App {
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
    pub(super) async fn validate(&self, d: Draft, now: Timestamp) -> Result<Draft, AppError> {
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
            let changes = crate::helpdesk::publish::plan(&dir, &wanted);
            match crate::helpdesk::publish::check_plan(&dir, &changes) {
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
    pub(super) async fn write_live(
        &self,
        before: &Draft,
        d: Draft,
        by: &Actor,
        now: Timestamp,
    ) -> Result<(Draft, Rich), AppError> {
        let tx = texts(STAFF_LANG);
        let _one = crate::helpdesk::publish::PUBLISH.lock().await;
        let live = self.live_with(None).await?;
        let wanted = staff_files(&live.iter().collect::<Vec<_>>(), self.settings.faq_file);
        let dir = self.knowledge_dir().to_path_buf();
        let shown = file_of(&d, self.settings.faq_file);
        let file = dir.join(&shown);
        let written = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || {
                let changes = crate::helpdesk::publish::plan(&dir, &wanted);
                crate::helpdesk::publish::check_plan(&dir, &changes)
                    .map_err(|e| Err(e.0.iter().map(|e| e.to_string()).collect::<Vec<_>>()))?;
                crate::helpdesk::publish::write_plan(&dir, &changes).map_err(Ok)
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

    pub(super) fn audit(&self, d: &Draft, by: &Actor, action: &str, now: Timestamp) {
        let rec = crate::helpdesk::audit::AuditRecord {
            at: now,
            by: by.id,
            by_name: by.name.clone(),
            action: action.to_string(),
            faq: d.faq_id(),
            reason: d.reason.clone(),
        };
        if let Err(e) = crate::helpdesk::audit::append(self.knowledge_dir(), &rec) {
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
        readings: None,
    };
    let without = brain.engine(settings);
    let would = impact::would_answer(&with, faq, asked, now);
    // The set as the new load reads it (the file is part of the knowledge directory).
    let set = &k.regression[..k.regression.len().min(impact::MAX_REGRESSION)];
    let before = kept.get_or(brain, set, now, || impact::answers(&without, set, now));
    let after = impact::answers(&with, set, now);
    (would, impact::changes(set, &before, &after))
}
