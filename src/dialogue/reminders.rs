//! Deadline reminders in the engine: the reminders menu, subscribing and stopping, the
//! list of a user's reminders and calendar files (`.ics`). The schedule itself is
//! [`crate::reminders`]; the engine only says what to store (effects).

// The engine's names (types, imports, helpers) are the parent module's.
#[allow(unused_imports)]
use super::*;

/// Deadline reminders: subscribing, listing, stopping, calendar files.
impl Engine<'_> {
    /// The deadline of `c` if reminders can follow it (known and still ahead), otherwise
    /// the sentence that says why not.
    pub(super) fn open_deadline(
        &self,
        tx: &Texts,
        c: &Call,
        now: Timestamp,
    ) -> Result<DeadlineAt, Rich> {
        match c
            .deadline
            .as_ref()
            .and_then(|d| d.known().map(|at| (d, at)))
        {
            Some((d, at)) if !d.is_closed(now) => Ok(at),
            Some((_, at)) => Err(tx.t(
                "reminders.cannot.closed",
                &[("call", &c.short), ("date", &tx.date(&at))],
            )),
            None => {
                let page = official_page_hint(tx, c);
                Err(tx.t(
                    "reminders.cannot.unknown",
                    &[("call", &c.short), ("page", &page)],
                ))
            }
        }
    }

    /// Calls with a known deadline still ahead, soonest first.
    pub(super) fn subscribable(&self, now: Timestamp) -> impl Iterator<Item = (&Call, DeadlineAt)> {
        let mut v: Vec<(&Call, DeadlineAt)> = self
            .knowledge
            .calls_with_deadline()
            .filter(|(_, d)| !d.is_closed(now))
            .filter_map(|(c, d)| d.known().map(|at| (c, at)))
            .collect();
        v.sort_by_key(|(c, at)| (at.closes_at().timestamp(), c.short.clone()));
        v.into_iter()
    }

    /// The "🔔 Promemoria" row under an answer or a card of a call reminders can follow.
    pub(super) fn reminder_row(&self, tx: &Texts, c: &Call, now: Timestamp) -> Option<Vec<Button>> {
        let d = c.deadline.as_ref()?;
        (d.known().is_some() && !d.is_closed(now)).then(|| {
            vec![
                button(
                    tx.s("reminders.button.subscribe", &[]),
                    Action::Subscribe(c.id.clone()),
                ),
                button(
                    tx.s("reminders.button.calendar", &[]),
                    Action::Calendar(c.id.clone()),
                ),
            ]
        })
    }

    pub(super) fn call_name(&self, id: &CallId) -> String {
        self.knowledge
            .call(&id.0)
            .map_or(id.0.clone(), |c| c.short.clone())
    }

    /// `/promemoria`: what reminders are, the user's subscriptions, a button per call
    /// that can be followed, and why the others cannot.
    pub(super) fn reminders_menu(&self, tx: &Texts, now: Timestamp, view: &UserView) -> Reply {
        let offsets = tx.offsets(&self.settings.reminder_offsets);
        let mut text = tx.t("reminders.intro", &[("offsets", &offsets)]);
        if !view.subscriptions.is_empty() {
            text.para().append(tx.t("reminders.yours", &[]));
            for s in &view.subscriptions {
                text.line().text(format!(
                    "• {} – {}",
                    self.call_name(&s.call),
                    tx.date(&s.deadline)
                ));
            }
        }
        let open: Vec<(&Call, DeadlineAt)> = self.subscribable(now).collect();
        let mut rows = Vec::new();
        for (c, _) in &open {
            let followed = view.subscriptions.iter().any(|s| s.call == c.id);
            rows.push(vec![if followed {
                button(
                    tx.s(
                        "reminders.button.stop_call",
                        &[("call", &short_label(&c.short))],
                    ),
                    Action::Unsubscribe(c.id.clone()),
                )
            } else {
                button(
                    tx.s(
                        "reminders.button.follow",
                        &[("call", &short_label(&c.short))],
                    ),
                    Action::Subscribe(c.id.clone()),
                )
            }]);
        }
        if open.is_empty() {
            text.para().append(tx.t("reminders.nothing_open", &[]));
        } else {
            text.para().append(tx.t("reminders.choose", &[]));
        }
        self.follows_part(tx, &mut text, &mut rows, now, view);
        self.profile_alert_part(tx, &mut text, &mut rows, view);
        // Say plainly why the other calls cannot be followed.
        let mut others: Vec<&Call> = self
            .knowledge
            .calls_with_deadline()
            .map(|(c, _)| c)
            .filter(|c| c.kind != CallKind::Strategy && !open.iter().any(|(o, _)| o.id == c.id))
            .collect();
        others.sort_by_key(|c| c.short.clone());
        if !others.is_empty() {
            text.para().append(tx.t("reminders.not_possible", &[]));
            for c in others {
                if let Err(why) = self.open_deadline(tx, c, now) {
                    text.line().text("• ").append(why);
                }
            }
        }
        if !view.subscriptions.is_empty() {
            rows.push(vec![
                button(tx.s("reminders.button.mine", &[]), Action::MyReminders),
                button(
                    tx.s("reminders.button.stop_all", &[]),
                    Action::UnsubscribeAll,
                ),
            ]);
        }
        Reply::new(text).with_buttons(rows)
    }

    /// The user's subscriptions with the time left, and buttons to stop them.
    pub(super) fn my_reminders(&self, tx: &Texts, now: Timestamp, view: &UserView) -> Reply {
        if view.subscriptions.is_empty() {
            return Reply::new(tx.t("reminders.none", &[])).with_buttons(vec![vec![button(
                tx.s("reminders.button.menu", &[]),
                Action::Reminders,
            )]]);
        }
        let mut subs: Vec<&Subscription> = view.subscriptions.iter().collect();
        subs.sort_by_key(|s| s.closes_at());
        let mut text = tx.t("reminders.yours", &[]);
        let mut rows = Vec::new();
        for s in subs {
            let name = self.call_name(&s.call);
            let left = tx.time_left(now, s.closes_at());
            text.para().bold(&name).line().append(tx.t(
                "reminders.item",
                &[("date", &tx.date(&s.deadline)), ("left", &left)],
            ));
            rows.push(vec![
                button(
                    tx.s(
                        "reminders.button.stop_call",
                        &[("call", &short_label(&name))],
                    ),
                    Action::Unsubscribe(s.call.clone()),
                ),
                button(
                    tx.s("reminders.button.calendar", &[]),
                    Action::Calendar(s.call.clone()),
                ),
            ]);
        }
        rows.push(vec![button(
            tx.s("reminders.button.stop_all", &[]),
            Action::UnsubscribeAll,
        )]);
        Reply::new(text).with_buttons(rows)
    }

    pub(super) fn subscribe(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        id: &CallId,
        now: Timestamp,
        view: &UserView,
    ) {
        let Some(c) = self.knowledge.call(&id.0) else {
            out.replies.push(Reply::new(tx.t("button.stale", &[])));
            return;
        };
        let at = match self.open_deadline(tx, c, now) {
            Ok(at) => at,
            Err(why) => {
                out.replies
                    .push(Reply::new(why).with_buttons(vec![vec![button(
                        tx.s("button.call_card", &[("call", &short_label(&c.short))]),
                        Action::Call(c.id.clone()),
                    )]]));
                return;
            }
        };
        let date = tx.date(&at);
        let left = tx.time_left(now, at.closes_at().timestamp());
        let rows = vec![
            vec![button(
                tx.s("reminders.button.calendar", &[]),
                Action::Calendar(c.id.clone()),
            )],
            vec![button(
                tx.s("reminders.button.mine", &[]),
                Action::MyReminders,
            )],
        ];
        if view
            .subscriptions
            .iter()
            .any(|s| s.call == c.id && s.deadline == at)
        {
            out.replies.push(
                Reply::new(tx.t("reminders.already", &[("call", &c.short), ("date", &date)]))
                    .with_buttons(rows),
            );
            return;
        }
        out.effects.push(Effect::Subscribe {
            call: c.id.clone(),
            deadline: at,
        });
        let upcoming: Vec<Offset> = self
            .settings
            .reminder_offsets
            .iter()
            .copied()
            .filter(|o| o.before(&at) > now)
            .collect();
        let text = if upcoming.is_empty() {
            tx.t(
                "reminders.subscribed_late",
                &[("call", &c.short), ("date", &date), ("left", &left)],
            )
        } else {
            tx.t(
                "reminders.subscribed",
                &[
                    ("call", &c.short),
                    ("date", &date),
                    ("left", &left),
                    ("offsets", &tx.offsets(&upcoming)),
                ],
            )
        };
        out.replies.push(Reply::new(text).with_buttons(rows));
    }

    /// The `.ics` file of a call's deadline, with alarms at the reminder offsets.
    pub(super) fn calendar(&self, tx: &Texts, id: &CallId, now: Timestamp) -> Reply {
        let Some(c) = self.knowledge.call(&id.0) else {
            return Reply::new(tx.t("button.stale", &[]));
        };
        match self.open_deadline(tx, c, now) {
            Err(why) => Reply::new(why),
            Ok(at) => {
                let summary = tx.s("calendar.summary", &[("call", &c.short)]);
                let description = tx.s(
                    "calendar.description",
                    &[
                        ("title", &c.title),
                        ("date", &tx.date(&at)),
                        ("source", &c.source),
                    ],
                );
                let body = ics::calendar(
                    c,
                    &at,
                    &self.settings.reminder_offsets,
                    &summary,
                    &description,
                    now,
                );
                Reply {
                    document: Some(Document {
                        file_name: ics::file_name(c),
                        bytes: body.into_bytes(),
                        caption: Some(tx.t(
                            "calendar.caption",
                            &[("call", &c.short), ("date", &tx.date(&at))],
                        )),
                        photo: false,
                    }),
                    ..Reply::default()
                }
            }
        }
    }
}
