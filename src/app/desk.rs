//! The app's side of the help desk: it reads what the pure help-desk engine needs
//! through the store's interfaces, runs it ([`crate::helpdesk::staff::step`],
//! [`crate::helpdesk::tickets::step`]), puts the changed tickets in the update's commit
//! (each compared with the ticket as read) and carries out the effects: the knowledge
//! reload, `/statistiche` (the log read, the chart drawn off the async workers) and the
//! teach flow (`app/teaching.rs`).

use jiff::Timestamp;

use super::{App, AppError, Delivery, Incoming};
use crate::helpdesk::staff::{self, Desk, Need, Reloaded, StaffEffect, StaffReply};
use crate::helpdesk::statistics;
use crate::helpdesk::tickets::{self, TicketEvent};
use crate::helpdesk::{NewTicket, chart};
use crate::reply::Reply;
use crate::store::{Commit, StoreError};

impl App {
    /// A staff member's event, if it is one of theirs (a forward, a staff command, a
    /// staff button, a draft edit); `None`: handle it like anyone's.
    pub(crate) async fn staff_event(
        &self,
        incoming: &Incoming,
        now: Timestamp,
        commit: &mut Commit,
    ) -> Result<Option<Vec<Delivery>>, AppError> {
        let Some(event) = staff::read(&incoming.event, incoming.forwarded) else {
            return Ok(None);
        };
        let desk = Desk {
            tickets: match staff::needs(&event) {
                Need::Nothing => Vec::new(),
                Need::Ticket(n) => self.store.ticket(n).await?.into_iter().collect(),
                Need::Tickets => self.store.tickets().await?,
            },
        };
        let brain = self.brain();
        let engine = brain.engine(&self.settings);
        let out = staff::step(&engine, desk.clone(), &event, now);
        save_changed(&desk.tickets, out.desk.tickets, commit);
        let mut replies = out.replies;
        for effect in out.effects {
            match effect {
                StaffEffect::Reload => {
                    let result = match self.reload_everywhere().await {
                        Ok(b) => Ok(Reloaded {
                            calls: b.knowledge.calls.len(),
                            faqs: b.knowledge.faqs.len(),
                            warnings: b.knowledge.warnings.len(),
                        }),
                        Err(AppError::Knowledge(errors)) => {
                            Err(errors.0.iter().map(|e| e.to_string()).collect())
                        }
                        Err(e) => {
                            tracing::error!("reload: {e}");
                            Err(vec![e.to_string()])
                        }
                    };
                    replies.push(Delivery::Here(Reply::new(staff::reloaded(&result))));
                }
                StaffEffect::Statistics => {
                    replies.push(Delivery::Here(self.statistics(now).await?))
                }
                StaffEffect::Teach(request) => match self.teach(request, incoming, now).await? {
                    Some(d) => replies.extend(d),
                    // A «campo: valore» with no draft open here: anyone's text.
                    None => return Ok(None),
                },
            }
        }
        Ok(Some(replies))
    }

    /// `/statistiche`: the report, with the chart as a photo when it can be drawn. The
    /// chart is drawn on a blocking thread (tens of milliseconds of CPU).
    async fn statistics(&self, now: Timestamp) -> Result<Reply, AppError> {
        let log = self.store.questions_since(statistics::since(now)).await?;
        let brain = self.brain();
        let report = statistics::report(&log, now, &brain.index);
        let (days, missing, labels) = (report.days, report.missing, report.labels);
        let drawn =
            tokio::task::spawn_blocking(move || chart::render(&days, &missing, &labels)).await;
        let png = match drawn {
            Ok(Ok(png)) => Some(png),
            Ok(Err(e)) => {
                tracing::warn!("/statistiche without its chart: {e}");
                None
            }
            Err(e) => {
                tracing::warn!("/statistiche without its chart: {e}");
                None
            }
        };
        Ok(statistics::message(report.text, report.buttons, png))
    }

    /// Runs ticket `n`'s flow on the ticket as stored; the change goes in `commit`.
    pub(crate) async fn ticket_event(
        &self,
        n: u64,
        event: &TicketEvent,
        now: Timestamp,
        commit: &mut Commit,
    ) -> Result<Vec<Delivery>, StoreError> {
        let before = self.store.ticket(n).await?;
        let out = tickets::step(n, before.as_ref(), event, now);
        if let (Some(before), Some(after)) = (before, out.ticket)
            && before != after
        {
            commit.save_ticket(Some(before), after);
        }
        Ok(out.replies)
    }

    /// Opens a ticket for the user's question (in `commit`) and posts it to the staff
    /// group; the user is told once the post is accepted.
    pub(crate) async fn hand_over(
        &self,
        ticket: NewTicket,
        now: Timestamp,
        commit: &mut Commit,
    ) -> Result<Vec<Delivery>, AppError> {
        let t = self.store.open_ticket_in(commit, ticket, now).await?;
        Ok(tickets::handed_over(&t))
    }

    /// A staff message in the staff group that replies to one of the bot's: if that is a
    /// ticket's message, the reply goes to the ticket's user (`None`: not a ticket's). A
    /// text answer is offered as a FAQ first, so that its delivery confirmation carries
    /// «📌 Salva come FAQ».
    pub async fn staff_reply(
        &self,
        reply: &StaffReply,
        now: Timestamp,
    ) -> Result<Option<Vec<Delivery>>, AppError> {
        if self.settings.staff.chat != Some(reply.chat) {
            return Ok(None);
        }
        let Some(t) = self
            .store
            .ticket_of_message(reply.chat, reply.replied_to)
            .await?
        else {
            return Ok(None);
        };
        let out = tickets::step(
            t.number,
            Some(&t),
            &TicketEvent::StaffReplied {
                chat: reply.chat,
                message: reply.message,
            },
            now,
        );
        if let Some(text) = &reply.text
            && let Err(e) = self.offer_faq(&t, text, &reply.by, now).await
        {
            // The log writer removes the token (one redaction layer).
            tracing::warn!(ticket = t.number, "offering a staff answer as a FAQ: {e}");
        }
        Ok(Some(out.replies))
    }

    /// After a [`Delivery::CopyToUser`]: the changes that mark the ticket answered (when
    /// delivered) and the confirmation for staff.
    pub(crate) async fn copied(
        &self,
        n: u64,
        delivered: bool,
        now: Timestamp,
        commit: &mut Commit,
    ) -> Result<Vec<Reply>, StoreError> {
        let replies = self
            .ticket_event(n, &TicketEvent::Copied { delivered }, now, commit)
            .await?;
        let save = if delivered {
            self.offer_button(n).await.unwrap_or_else(|e| {
                tracing::warn!(ticket = n, "no «Salva come FAQ» button: {e}");
                Vec::new()
            })
        } else {
            Vec::new()
        };
        let mut out: Vec<Reply> = replies
            .into_iter()
            .filter_map(|d| match d {
                Delivery::Here(r) => Some(r),
                _ => None,
            })
            .collect();
        if let Some(last) = out.last_mut() {
            last.buttons.extend(save);
        }
        Ok(out)
    }
}

/// Puts in `commit` every ticket of `after` that differs from the one read (`before`).
fn save_changed(
    before: &[crate::helpdesk::Ticket],
    after: Vec<crate::helpdesk::Ticket>,
    commit: &mut Commit,
) {
    for t in after {
        let read = before.iter().find(|b| b.number == t.number);
        if read != Some(&t) {
            commit.save_ticket(read.cloned(), t);
        }
    }
}
