//! Telling users with a profile alert of new calls that fit them, on every load of the
//! knowledge (start, `/ricarica`).
//!
//! Each stored profile lists the calls already compared with it; a call of the pack not
//! in that list is new ([`crate::dialogue::profile_alert::news`]). For a profile with new
//! calls, one commit stores the new list (only if the old one is still stored: two loads
//! never tell the same call twice) and, when some new call fits, the notice as a
//! background outbox entry (sent after the replies by the one sender under the one
//! limiter, resumed after a crash). A crash before that commit leaves the old list
//! stored: the next load finds the same new calls and tells them. A call that does not
//! fit is recorded as seen and gives nothing.
//!
//! The notice is written in the language of the user's session (their `/lingua`), or,
//! once the session has expired, the language they spoke when they asked.

use jiff::Timestamp;

use super::sweep::Sweep;
use crate::dialogue::profile_alert::{news, notice};
use crate::knowledge::Knowledge;
use crate::outgoing::{Class, Target, plan};
use crate::store::{Commit, ProfileAlert, Store, StoreError, UserId};
use crate::text::{Lang, texts};

/// What one comparison did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileReport {
    pub profiles: usize,
    /// Users told of new calls that fit them.
    pub told: usize,
    /// Profiles changed meanwhile by someone else (left to the next load).
    pub skipped: usize,
}

/// Profiles read per page.
const PAGE: usize = 1000;

/// The language to write to `user` in: their session's, else `fallback`.
pub async fn user_lang(store: &Store, user: UserId, fallback: Lang) -> Result<Lang, StoreError> {
    Ok(match super::session::load(store, user).await?.0 {
        super::Loaded::Found(s) => s.lang,
        _ => fallback,
    })
}

/// Compares every profile alert with `k` at `now` and stores the notices.
pub async fn sync(
    store: &Store,
    k: &Knowledge,
    now: Timestamp,
) -> Result<ProfileReport, StoreError> {
    let mut report = ProfileReport::default();
    let mut after = None;
    let mut sweep = Sweep::new(store);
    loop {
        let page = store.profile_alerts_page(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.user);
        for p in page {
            report.profiles += 1;
            let Some(found) = news(k, &p.questionnaire, &p.answers, &p.seen, now) else {
                continue;
            };
            let mut commit = Commit::new();
            if !found.fit.is_empty() {
                let lang = user_lang(store, p.user, p.lang).await?;
                let ids: Vec<_> = found.fit.iter().map(|c| c.id.clone()).collect();
                let view = k.in_lang(lang);
                if let Some(reply) =
                    notice(texts(lang), view, &p.questionnaire, &p.answers, &ids, now)
                {
                    let to = Target {
                        chat: p.user.0,
                        ..Target::default()
                    };
                    commit.send_all(plan(&[reply], &to, Class::Background));
                }
            }
            let new = ProfileAlert {
                seen: found.seen,
                ..p.clone()
            };
            commit.reprofile(p, new);
            sweep.commit(&commit).await?;
        }
    }
    (report.told, report.skipped) = sweep.finish().await?;
    Ok(report)
}
