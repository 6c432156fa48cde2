//! Telling followers what changed, on every load of the knowledge (start, `/ricarica`).
//!
//! Each follow is compared with the call as the knowledge in force describes it
//! ([`crate::follow::changes`]). For a follower with something to hear, one commit
//! stores the new facts (only if the old ones are still stored: two loads never tell
//! the same change twice), the notice as a background outbox entry (sent after the
//! replies, by the one sender under the one limiter, resumed after a crash), and, for a
//! deadline just published and still ahead, the reminders at the configured offsets.
//! A crash between two followers leaves the others' old facts stored: the next load
//! tells them. A kept check result is evaluated again in the same step: a changed
//! outcome or reason is told with its citations; a question added since is an
//! invitation to complete the check, never a guessed verdict.
//!
//! Notices are written in the language of the follower's session (their `/lingua`), or,
//! once the session has expired, the language they spoke when they started following,
//! with the pack as a reader of that language sees it.

use jiff::Timestamp;

use super::sweep::Sweep;
use crate::follow::{
    CallFacts, Change, KeptVerdict, Recheck, changes, notice, recheck, verdict_notice,
};
use crate::knowledge::Knowledge;
use crate::outgoing::{Class, Target, plan};
use crate::schedule::{Offset, Subscription};
use crate::store::{Commit, Store, StoreError, Watch};
use crate::text::texts;

/// What one comparison did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowReport {
    pub follows: usize,
    /// Followers told of a change.
    pub told: usize,
    /// Reminders planned for a deadline just published.
    pub planned: usize,
    /// Follows changed meanwhile by someone else (left to the next load).
    pub skipped: usize,
    /// Kept check results whose outcome or reasons changed, or that need a new answer.
    pub rechecked: usize,
}

/// Follows read per page.
const PAGE: usize = 1000;

/// Compares every follow with `k` at `now` and stores the notices.
pub async fn sync(
    store: &Store,
    k: &Knowledge,
    offsets: &[Offset],
    now: Timestamp,
) -> Result<FollowReport, StoreError> {
    let mut report = FollowReport::default();
    let mut after = None;
    let mut sweep = Sweep::new(store);
    loop {
        let page = store.watches_page(after.clone(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.user, last.call.clone()));
        for w in page {
            report.follows += 1;
            let call = k.call(&w.call.0);
            let facts = CallFacts::of(call, now);
            let mut found = changes(&w.seen, &facts);
            // A kept check result, evaluated again with the questionnaire in force.
            let kept = w.verdict.as_ref().and_then(|v| {
                let q = k.questionnaire(&v.questionnaire)?;
                Some((q, v, recheck(q, v)))
            });
            let verdict_news = kept.as_ref().is_some_and(|(_, _, r)| *r != Recheck::Same);
            if found.is_empty() && !verdict_news {
                continue;
            }
            let mut commit = Commit::new();
            let lang = super::profile_alerts::user_lang(store, w.user, w.lang).await?;
            let (tx, view) = (texts(lang), k.in_lang(lang));
            // A subscriber hears of deadline moves from the reminders (one notice only).
            let subscribed = store.subscription(w.user, &w.call).await?.is_some();
            // The reminders' own comparison tells of a moved, withdrawn or vanished
            // deadline (with the status change it brings): run right after this one.
            if subscribed {
                let news = found.iter().any(deadline_news);
                found.retain(|c| {
                    let status = matches!(c, Change::Status { .. });
                    let told_by_reminders = deadline_news(c) || (news && status);
                    !told_by_reminders
                });
            }
            let mut planned = None;
            if !subscribed
                && let Some(Change::Published { to }) =
                    found.iter().find(|c| matches!(c, Change::Published { .. }))
                && to.closes_at().timestamp() > now
            {
                let upcoming: Vec<Offset> = offsets
                    .iter()
                    .copied()
                    .filter(|o| o.before(to) > now)
                    .collect();
                if !upcoming.is_empty() {
                    planned = Some(tx.offsets(&upcoming));
                    report.planned += upcoming.len();
                }
                commit.subscribe(
                    Subscription {
                        user: w.user,
                        call: w.call.clone(),
                        deadline: *to,
                        planned_from: now,
                    },
                    offsets,
                );
            }
            let shown = view.call(&w.call.0).or(call);
            let name = shown.map_or(w.call.0.clone(), |c| c.short.clone());
            let to = Target {
                chat: w.user.0,
                ..Target::default()
            };
            let mut new = Watch {
                seen: facts,
                ..w.clone()
            };
            if let Some((q, before, found)) = &kept {
                new.verdict = match found {
                    Recheck::Same => w.verdict.clone(),
                    Recheck::Changed(v) => Some(v.clone()),
                    Recheck::Incomplete => Some(KeptVerdict {
                        invited: true,
                        ..(*before).clone()
                    }),
                };
                // Reasons as the user reads them (the same rules, by id, in their language).
                let shown_q = view.questionnaire(&q.id).unwrap_or(q);
                if let Some(reply) =
                    verdict_notice(tx, view, &w.call, &name, shown_q, before, found)
                {
                    commit.send_all(plan(&[reply], &to, Class::Background));
                    report.rechecked += 1;
                }
            }
            if !found.is_empty() {
                let source = shown.map(|c| {
                    c.deadline
                        .as_ref()
                        .map_or(c.source.as_str(), |d| d.source.as_str())
                });
                let reply = notice(tx, &w.call, &name, source, &found, planned.as_deref());
                commit.send_all(plan(&[reply], &to, Class::Background));
            }
            if found.contains(&Change::Gone) {
                commit.unfollow(w.user, Some(w.call.clone()));
            } else {
                commit.refollow(w, new);
            }
            sweep.commit(&commit).await?;
        }
    }
    (report.told, report.skipped) = sweep.finish().await?;
    Ok(report)
}

/// A change the reminders' own comparison tells a subscriber of.
fn deadline_news(c: &Change) -> bool {
    matches!(
        c,
        Change::Moved { .. } | Change::Withdrawn { .. } | Change::Gone
    )
}
