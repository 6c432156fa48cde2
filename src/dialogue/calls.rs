//! The calls as the engine shows them: `/bandi` (open first, grouped by status),
//! `/scadenze`, a call's card and the lines that say a deadline's status.

// The engine's names (types, imports, helpers) are the parent module's.
#[allow(unused_imports)]
use super::*;

impl Engine<'_> {
    /// The status line of a call's deadline at `now`, if the call has a deadline table.
    pub fn deadline_status(&self, tx: &Texts, c: &Call, now: Timestamp) -> Option<Rich> {
        let d = c.deadline.as_ref()?;
        let history = if d.history.is_empty() {
            String::new()
        } else {
            let dates: Vec<String> = d.history.iter().map(|h| tx.date(&h.at)).collect();
            tx.s(
                "deadline.extended",
                &[
                    ("dates", &dates.join(" → ")),
                    ("count", &d.history.len().to_string()),
                ],
            )
        };
        Some(match d.known() {
            Some(at) if d.is_closed(now) => tx.t(
                "deadline.closed",
                &[("date", &tx.date(&at)), ("history", &history)],
            ),
            Some(at) => {
                let left = tx.time_left(now, at.closes_at().timestamp());
                let mut r = tx.t(
                    "deadline.open",
                    &[
                        ("date", &tx.date(&at)),
                        ("left", &left),
                        ("history", &history),
                    ],
                );
                if at.time.is_none() {
                    r.text(" ").append(tx.t("deadline.no_time", &[]));
                }
                r
            }
            None => {
                let page = official_page_hint(tx, c);
                let key = if c.status(now) == CallStatus::Open {
                    "deadline.unknown_open"
                } else {
                    "deadline.unknown"
                };
                let mut r = tx.t(key, &[("page", &page)]);
                r.text(" ").append(self.help_pointer(tx));
                r
            }
        })
    }

    /// One short line of a call's deadline for lists (the card and answers say more).
    pub(super) fn deadline_brief(&self, tx: &Texts, c: &Call, now: Timestamp) -> Option<Rich> {
        deadline_brief(tx, c, now)
    }

    /// The list of calls, open ones first, each with its status.
    pub(super) fn calls(&self, tx: &Texts, now: Timestamp) -> Reply {
        let mut calls: Vec<&Call> = self.knowledge.calls.iter().collect();
        calls.sort_by_key(|c| (call_rank(c, now), c.short.clone()));
        let mut text = tx.t("calls.title", &[]);
        let mut rows = Vec::new();
        let mut group = None;
        for c in calls {
            // A heading per status: a call whose status is unknown never reads as open.
            let rank = call_rank(c, now);
            if group != Some(rank) {
                group = Some(rank);
                text.para().append(tx.t(status_group_key(rank), &[]));
            }
            text.para().bold(&c.short);
            if let Some(b) = &c.budget {
                text.text(format!(" · {b}"));
            }
            if let Some(s) = self.deadline_brief(tx, c, now) {
                text.line().append(s);
            }
            rows.push(vec![button(
                short_label(&c.short),
                Action::Call(c.id.clone()),
            )]);
        }
        Reply::new(text).with_buttons(rows)
    }

    /// The known deadlines, soonest first, with the time left; closed and unknown after.
    pub(super) fn deadlines(&self, tx: &Texts, now: Timestamp) -> Reply {
        let mut list: Vec<(&Call, Option<Timestamp>)> = self
            .knowledge
            .calls_with_deadline()
            .map(|(c, d)| (c, d.known().map(|a| a.closes_at().timestamp())))
            .collect();
        list.sort_by_key(|(c, at)| match at {
            Some(t) if *t >= now => (0, t.as_second(), c.short.clone()),
            None => (1, 0, c.short.clone()),
            Some(t) => (2, -t.as_second(), c.short.clone()),
        });
        let mut text = tx.t("deadlines.title", &[]);
        for (c, _) in &list {
            if let Some(s) = self.deadline_brief(tx, c, now) {
                text.para().bold(&c.short).line().append(s);
            }
        }
        if list
            .iter()
            .any(|(c, _)| c.deadline.as_ref().is_some_and(|d| d.known().is_none()))
        {
            text.para()
                .append(tx.t("deadlines.unknown_hint", &[]))
                .text(" ")
                .append(self.help_pointer(tx));
        }
        if list.is_empty() {
            text.para().append(tx.t("deadlines.none", &[]));
        }
        let rows = if self.subscribable(now).next().is_some() {
            vec![vec![button(
                tx.s("reminders.button.menu", &[]),
                Action::Reminders,
            )]]
        } else {
            Vec::new()
        };
        Reply::new(text).with_buttons(rows)
    }

    /// A call's card: what it is, money, who may apply, deadline, where to read more.
    pub(super) fn call_card(&self, tx: &Texts, c: &Call, now: Timestamp) -> Reply {
        let mut text = Rich::new();
        text.bold(&c.title)
            .line()
            .italic(&c.programme)
            .para()
            .text(&c.summary);
        if let Some(b) = &c.budget {
            text.para().append(tx.t("call.budget", &[("budget", b)]));
        }
        if !c.funds.is_empty() {
            text.line()
                .append(tx.t("call.funds", &[("funds", &c.funds.join(", "))]));
        }
        if let Some(s) = self.deadline_status(tx, c, now) {
            text.para().append(s);
        }
        if let Some(p) = &c.official_page {
            text.para()
                .append(tx.t("call.page", &[("title", &p.title), ("site", &p.site)]));
        }
        text.line().append(tx.t(
            "answer.source",
            &[("place", &c.short), ("source", &c.source)],
        ));
        let mut rows: Vec<Vec<Button>> = Vec::new();
        if let Some(b) = self.eligibility_button(tx, c) {
            rows.push(vec![b]);
        }
        rows.extend(c.sections.iter().map(|s| {
            vec![button(
                short_label(&s.title),
                Action::Section(c.id.clone(), s.id.clone()),
            )]
        }));
        let children = self
            .knowledge
            .calls
            .iter()
            .filter(|k| k.parent.as_ref() == Some(&c.id));
        let related = c
            .see_also
            .iter()
            .filter_map(|id| self.knowledge.call(&id.0));
        let parent = c.parent.as_ref().and_then(|p| self.knowledge.call(&p.0));
        for k in children.chain(related).chain(parent) {
            rows.push(vec![button(
                format!("→ {}", short_label(&k.short)),
                Action::Call(k.id.clone()),
            )]);
        }
        if c.kind != CallKind::Strategy
            && c.deadline.as_ref().is_some_and(|d| d.is_closed(now))
            && !c.see_also.is_empty()
        {
            text.para().append(tx.t("call.see_also", &[]));
        }
        rows.extend(self.reminder_row(tx, c, now));
        rows.extend(self.follow_row(tx, c, now));
        Reply::new(text).with_buttons(rows)
    }
}

/// " Verifica sulla pagina ufficiale «…» (site)." for a call that names its page, else "".
pub(super) fn official_page_hint(tx: &Texts, c: &Call) -> String {
    c.official_page
        .as_ref()
        .map(|p| tx.s("deadline.page", &[("title", &p.title), ("site", &p.site)]))
        .unwrap_or_default()
}

/// Open calls first, then those whose status the sources do not give, then closed, then
/// strategies (no deadline at all).
pub(super) fn call_rank(c: &Call, now: Timestamp) -> u8 {
    match (&c.deadline, c.status(now)) {
        (None, _) => 3,
        (_, CallStatus::Open) => 0,
        (_, CallStatus::Unknown) => 1,
        (_, CallStatus::Closed) => 2,
    }
}

/// The heading of a group of calls of one [`call_rank`].
pub(super) fn status_group_key(rank: u8) -> &'static str {
    match rank {
        0 => "status.group.open",
        1 => "status.group.unknown",
        2 => "status.group.closed",
        _ => "status.group.strategy",
    }
}

/// A call's deadline in one short line (lists, notices).
pub(super) fn deadline_brief(tx: &Texts, c: &Call, now: Timestamp) -> Option<Rich> {
    let d = c.deadline.as_ref()?;
    Some(match d.known() {
        Some(at) if d.is_closed(now) => tx.t("deadline.brief_closed", &[("date", &tx.date(&at))]),
        Some(at) => {
            let left = tx.time_left(now, at.closes_at().timestamp());
            tx.t(
                "deadline.brief_open",
                &[("date", &tx.date(&at)), ("left", &left)],
            )
        }
        None if c.status(now) == CallStatus::Open => tx.t("deadline.brief_unknown_open", &[]),
        None => tx.t("deadline.brief_unknown", &[]),
    })
}
