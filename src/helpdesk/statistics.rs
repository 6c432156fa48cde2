//! `/statistiche`: what the staff get, the question log of the last 7 and 30 days as
//! text and as a chart ([`super::chart`]) in one photo message, the text as its caption
//! (continued in messages past Telegram's 1,024 characters). If the chart cannot be
//! drawn, or Telegram refuses the photo, the text alone is sent.

use jiff::{SignedDuration, Timestamp};

use super::chart::{self, Labels};
use super::stats;
use crate::app::{App, AppError};
use crate::reply::{Document, Reply, Rich};
use crate::text::{Lang, texts};

/// Unanswered topics: an example question and how many alike ones were asked.
type Topics = Vec<(String, usize)>;

/// Days the chart covers.
const CHART_DAYS: usize = 30;

impl App {
    /// `/statistiche`: the text, with the chart as a photo when it can be drawn. The
    /// chart is drawn on a blocking thread (tens of milliseconds of CPU).
    pub(super) async fn statistics(&self, now: Timestamp) -> Result<Reply, AppError> {
        let (text, days, missing, rows) = self.statistics_data(now).await?;
        let tx = texts(Lang::It);
        let labels = Labels {
            title_days: tx.s(
                "helpdesk.chart.title_days",
                &[("days", &CHART_DAYS.to_string())],
            ),
            direct: tx.s("helpdesk.chart.direct", &[]),
            unsure: tx.s("helpdesk.chart.unsure", &[]),
            none: tx.s("helpdesk.chart.none", &[]),
            title_missing: tx.s("helpdesk.chart.title_missing", &[]),
            nothing_missing: tx.s("helpdesk.chart.nothing_missing", &[]),
        };
        let drawn =
            tokio::task::spawn_blocking(move || chart::render(&days, &missing, &labels)).await;
        // «✍️ Scrivi la FAQ» under each group of unanswered questions.
        Ok(match drawn {
            Ok(Ok(png)) => Reply {
                document: Some(Document {
                    file_name: "statistiche.png".into(),
                    bytes: png,
                    caption: Some(text),
                    photo: true,
                }),
                ..Reply::default()
            }
            .with_buttons(rows),
            Ok(Err(e)) => {
                tracing::warn!("/statistiche without its chart: {e}");
                Reply::new(text).with_buttons(rows)
            }
            Err(e) => {
                tracing::warn!("/statistiche without its chart: {e}");
                Reply::new(text).with_buttons(rows)
            }
        })
    }

    /// The text, the chart's days and the unanswered topics (an example, a count).
    async fn statistics_data(
        &self,
        now: Timestamp,
    ) -> Result<
        (
            Rich,
            Vec<chart::Day>,
            Topics,
            Vec<Vec<crate::reply::Button>>,
        ),
        AppError,
    > {
        let log = self
            .store
            .questions_since(now - SignedDuration::from_hours(24 * (CHART_DAYS as i64 + 1)))
            .await?;
        let days = chart::per_day(&log, now, CHART_DAYS);
        let text = self.statistics_text(&log, now);
        let brain = self.brain();
        let stems = |q: &str| brain.index.analyse(q).stems();
        let month = stats(&log, now - SignedDuration::from_hours(24 * 30), &stems);
        let missing = month
            .unanswered
            .iter()
            .filter_map(|g| Some((g.examples.first()?.clone(), g.count)))
            .take(chart::TOPICS)
            .collect();
        let rows = App::write_buttons(&month.unanswered[..month.unanswered.len().min(8)]);
        Ok((text, days, missing, rows))
    }

    /// The text: the last 7 and 30 days of `log`.
    fn statistics_text(&self, log: &[crate::store::AskedQuestion], now: Timestamp) -> Rich {
        let tx = texts(Lang::It);
        let brain = self.brain();
        let month = now - SignedDuration::from_hours(24 * 30);
        let week = now - SignedDuration::from_hours(24 * 7);
        let stems = |q: &str| brain.index.analyse(q).stems();
        let w = stats(log, week, &stems);
        let m = stats(log, month, &stems);
        let mut r = tx.t("helpdesk.stats.title", &[]);
        for (key, s) in [("helpdesk.stats.week", &w), ("helpdesk.stats.month", &m)] {
            let pct = (s.confident * 100).checked_div(s.questions).unwrap_or(0);
            r.para().append(tx.t(
                key,
                &[
                    ("questions", &s.questions.to_string()),
                    ("confident", &s.confident.to_string()),
                    ("percent", &pct.to_string()),
                ],
            ));
        }
        if !m.top.is_empty() {
            r.para().append(tx.t("helpdesk.stats.top", &[]));
            for (id, count) in m.top.iter().take(5) {
                let title = brain
                    .index
                    .find(id)
                    .map(|e| brain.index.entry(e).doc.title.clone())
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| id.clone());
                r.line().append(tx.t(
                    "helpdesk.stats.top_item",
                    &[("title", &title), ("count", &count.to_string())],
                ));
            }
        }
        if m.unanswered.is_empty() {
            r.para().append(tx.t("helpdesk.stats.all_answered", &[]));
        } else {
            r.para().append(tx.t("helpdesk.stats.missing", &[]));
            for g in m.unanswered.iter().take(8) {
                let examples: Vec<String> = g
                    .examples
                    .iter()
                    .take(3)
                    .map(|e| format!("«{}»", e.chars().take(100).collect::<String>()))
                    .collect();
                r.line().append(tx.t(
                    "helpdesk.stats.missing_item",
                    &[
                        ("examples", &examples.join(" · ")),
                        ("count", &g.count.to_string()),
                    ],
                ));
            }
        }
        r
    }
}
