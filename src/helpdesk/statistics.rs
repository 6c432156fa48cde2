//! `/statistiche` (pure): what staff get from the question log of the last 7 and 30
//! days — the text, the chart's data ([`super::chart`]) and «✍️ Scrivi la FAQ» buttons
//! under the unanswered groups. The app reads the log through the store, draws the chart
//! on a blocking thread and sends one photo message with the text as its caption
//! (continued in messages past Telegram's 1,024 characters); if the chart cannot be
//! drawn, or Telegram refuses the photo, the text alone is sent.

use jiff::{SignedDuration, Timestamp};

use super::chart::{self, Labels};
use super::drafts::write_buttons;
use super::settings::STAFF_LANG;
use super::stats::stats;
use crate::reply::{Button, Document, Reply, Rich};
use crate::search::SearchIndex;
use crate::store::AskedQuestion;
use crate::text::texts;

/// Days the chart covers.
pub const CHART_DAYS: usize = 30;

/// Unanswered groups shown (in the text and as buttons).
const GROUPS_SHOWN: usize = 8;

/// How far back the log is read for the report.
pub fn since(now: Timestamp) -> Timestamp {
    now - SignedDuration::from_hours(24 * (CHART_DAYS as i64 + 1))
}

/// What `/statistiche` sends, before the chart is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub text: Rich,
    pub days: Vec<chart::Day>,
    /// Unanswered topics: an example question and how many alike ones were asked.
    pub missing: Vec<(String, usize)>,
    pub buttons: Vec<Vec<Button>>,
    pub labels: Labels,
}

/// The report of `log` (read from [`since`]) at `now`; `index` names the entries and
/// reduces questions to their stems.
pub fn report(log: &[AskedQuestion], now: Timestamp, index: &SearchIndex) -> Report {
    let tx = texts(STAFF_LANG);
    let stems = |q: &str| index.analyse(q).stems();
    let month = stats(log, now - SignedDuration::from_hours(24 * 30), &stems);
    let missing = month
        .unanswered
        .iter()
        .filter_map(|g| Some((g.examples.first()?.clone(), g.count)))
        .take(chart::TOPICS)
        .collect();
    let shown = &month.unanswered[..month.unanswered.len().min(GROUPS_SHOWN)];
    Report {
        text: text(log, now, index),
        days: chart::per_day(log, now, CHART_DAYS),
        missing,
        buttons: write_buttons(shown),
        labels: Labels {
            title_days: tx.s(
                "helpdesk.chart.title_days",
                &[("days", &CHART_DAYS.to_string())],
            ),
            direct: tx.s("helpdesk.chart.direct", &[]),
            unsure: tx.s("helpdesk.chart.unsure", &[]),
            none: tx.s("helpdesk.chart.none", &[]),
            title_missing: tx.s("helpdesk.chart.title_missing", &[]),
            nothing_missing: tx.s("helpdesk.chart.nothing_missing", &[]),
        },
    }
}

/// The message: the chart as a photo with the text as caption, or the text alone when
/// the chart could not be drawn (`None`).
pub fn message(text: Rich, buttons: Vec<Vec<Button>>, png: Option<Vec<u8>>) -> Reply {
    match png {
        Some(png) => Reply {
            document: Some(Document {
                file_name: texts(STAFF_LANG).s("helpdesk.chart.file_name", &[]),
                bytes: png,
                caption: Some(text),
                photo: true,
            }),
            ..Reply::default()
        }
        .with_buttons(buttons),
        None => Reply::new(text).with_buttons(buttons),
    }
}

/// The text: the last 7 and 30 days of `log`.
pub fn text(log: &[AskedQuestion], now: Timestamp, index: &SearchIndex) -> Rich {
    let tx = texts(STAFF_LANG);
    let month = now - SignedDuration::from_hours(24 * 30);
    let week = now - SignedDuration::from_hours(24 * 7);
    let stems = |q: &str| index.analyse(q).stems();
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
            let title = index
                .find(id)
                .map(|e| index.entry(e).doc.title.clone())
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
        for g in m.unanswered.iter().take(GROUPS_SHOWN) {
            let examples: Vec<String> = g
                .examples
                .iter()
                .take(3)
                .map(|e| {
                    tx.s(
                        "helpdesk.stats.example",
                        &[("question", &e.chars().take(100).collect::<String>())],
                    )
                })
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
