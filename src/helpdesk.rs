//! The help desk: who the staff are, tickets (questions handed over to a person) and
//! their durable store, statistics over the question log, and the ready-to-send answers
//! staff get for a forwarded question.
//!
//! Staff teaching the bot (a relayed answer becomes a FAQ, reviewed and published from
//! the chat) lives in [`teach`] (pure), [`drafts`] (file and card), [`publish`] (atomic
//! write), [`audit`] (append-only log) and `teaching` (the app's side).
//!
//! Statistics and ready answers are pure; tickets are kept by the store
//! ([`crate::store::TicketStore`]) and changed through a commit that compares each
//! ticket with the one that was read.

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;

use crate::action::Action;
use crate::app::{App, AppError, Brain, Delivery, Incoming};
use crate::command::{Command, Who};
use crate::dialogue::Event;
use crate::knowledge::deadline::italian_time_left;
use crate::outgoing::ReplyTo;
use crate::reply::{Button, Reply, Rich};
use crate::search::{Confidence, EntryKind, SearchIndex};
use crate::store::{AskedQuestion, Commit, StoreError, UserId};
use crate::text::{Lang, texts};

pub mod audit;
pub mod chart;
pub mod drafts;
pub mod impact;
pub mod publish;
mod statistics;
pub mod teach;
mod teaching;

pub use crate::store::tickets::{FOLLOW_UP_WINDOW, NewTicket, Status, Ticket};

/// Who the staff are (from `config.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staff {
    /// The staff group: tickets are posted there, and whoever writes there is staff.
    pub chat: Option<i64>,
    /// Staff members who may also use the staff commands in a private chat.
    pub users: Vec<i64>,
}

impl Staff {
    /// Whether `user`, writing in `chat`, acts as staff.
    pub fn is_staff(&self, user: UserId, chat: i64) -> bool {
        self.chat.is_some_and(|c| c == chat) || self.users.contains(&user.0)
    }

    /// Whether tickets can reach a person.
    pub fn reachable(&self) -> bool {
        self.chat.is_some()
    }
}

/// Eligibility answers of `questionnaire`, as (question label, answer label).
pub fn answers_of(
    knowledge: &crate::knowledge::Knowledge,
    questionnaire: &str,
    answers: &crate::eligibility::Answers,
    yes: &str,
    no: &str,
    skipped: &str,
) -> Vec<(String, String)> {
    use crate::eligibility::Answer;
    let Some(q) = knowledge.questionnaire(questionnaire) else {
        return Vec::new();
    };
    let label = |qid: &str, opt: &str| {
        q.question(qid)
            .and_then(|qq| qq.options.iter().find(|o| o.id == opt))
            .map_or(opt.to_string(), |o| o.label.clone())
    };
    answers
        .iter()
        .map(|(qid, a)| {
            let question = q.question(qid).map_or(qid.clone(), |qq| qq.label.clone());
            let unit = q.question(qid).and_then(|qq| qq.unit.clone());
            let answer = match a {
                Answer::Bool(true) => yes.to_string(),
                Answer::Bool(false) => no.to_string(),
                Answer::Choice(c) => label(qid, c),
                Answer::Multi(v) => v
                    .iter()
                    .map(|c| label(qid, c))
                    .collect::<Vec<_>>()
                    .join(", "),
                Answer::Number(n) => match unit {
                    Some(u) => format!("{n} {u}"),
                    None => n.to_string(),
                },
                Answer::Text(t) => t.clone(),
                Answer::Skipped => skipped.to_string(),
            };
            (question, answer)
        })
        .collect()
}

/// The question log summed up over one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub questions: usize,
    pub confident: usize,
    /// Entry ids answered confidently, most asked first, with their count.
    pub top: Vec<(String, usize)>,
    /// Questions without a confident answer, alike ones together, largest group first.
    pub unanswered: Vec<Group>,
}

/// Alike unanswered questions.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Distinct texts, most frequent first.
    pub examples: Vec<String>,
    pub count: usize,
}

/// Two questions are alike when their stem sets overlap this much (Jaccard).
pub const ALIKE: f64 = 0.5;

/// Jaccard similarity of two sets (1 for two empty sets).
pub fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// A group being built: its first question's stems, distinct texts with counts, size.
type Pending = (BTreeSet<String>, Vec<(String, usize)>, usize);

/// Sums up the questions asked at or after `since`. `stems` reduces a question to the
/// words that carry its meaning (the search analyser: folded, stop words out, stemmed).
pub fn stats(
    log: &[AskedQuestion],
    since: Timestamp,
    stems: &dyn Fn(&str) -> Vec<String>,
) -> Stats {
    let recent: Vec<&AskedQuestion> = log.iter().filter(|q| q.at >= since).collect();
    let mut top: HashMap<&str, usize> = HashMap::new();
    // (stems of the group's first question, distinct texts with counts, size)
    let mut groups: Vec<Pending> = Vec::new();
    let mut by_stem: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_text: HashMap<String, usize> = HashMap::new();
    let mut confident = 0;
    for q in &recent {
        if q.confident {
            confident += 1;
            if let Some(b) = &q.best {
                *top.entry(b.as_str()).or_default() += 1;
            }
            continue;
        }
        let set: BTreeSet<String> = stems(&q.question).into_iter().collect();
        let text = q.question.trim().to_string();
        // Compared with each group's first question, so a group cannot drift away from
        // it; only groups sharing a stem can reach the threshold, so only those are
        // looked at (the earliest one that fits wins). Questions with no meaningful word
        // (emoji, stop words) group only with the same text.
        let found = if set.is_empty() {
            *by_text.get(&text).unwrap_or(&usize::MAX)
        } else {
            let mut candidates: Vec<usize> = set
                .iter()
                .filter_map(|w| by_stem.get(w))
                .flatten()
                .copied()
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            candidates
                .into_iter()
                .find(|&g| jaccard(&groups[g].0, &set) >= ALIKE)
                .unwrap_or(usize::MAX)
        };
        match groups.get_mut(found) {
            Some((_, examples, count)) => {
                *count += 1;
                match examples.iter_mut().find(|(t, _)| *t == text) {
                    Some((_, n)) => *n += 1,
                    None => examples.push((text, 1)),
                }
            }
            None => {
                let g = groups.len();
                if set.is_empty() {
                    by_text.insert(text.clone(), g);
                }
                for w in &set {
                    by_stem.entry(w.clone()).or_default().push(g);
                }
                groups.push((set, vec![(text, 1)], 1));
            }
        }
    }
    let mut top: Vec<(String, usize)> = top.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut unanswered: Vec<Group> = groups
        .into_iter()
        .map(|(_, mut examples, count)| {
            // Stable: equally frequent texts keep the order they were first asked in.
            examples.sort_by_key(|e| std::cmp::Reverse(e.1));
            Group {
                examples: examples.into_iter().map(|(t, _)| t).collect(),
                count,
            }
        })
        .collect();
    unanswered.sort_by_key(|g| std::cmp::Reverse(g.count));
    Stats {
        questions: recent.len(),
        confident,
        top,
        unanswered,
    }
}

/// The text staff can send as it is: title, body and source of an entry, plain.
pub fn ready_text(index: &SearchIndex, entry: usize) -> String {
    let d = &index.entry(entry).doc;
    let mut s = String::new();
    if !d.title.is_empty() && d.kind != EntryKind::Passage {
        s.push_str(&d.title);
        s.push_str("\n\n");
    }
    // Staff send it, so a person is reachable through the bot.
    let pointer = texts(Lang::It).s("help.pointer.staff", &[]);
    s.push_str(crate::knowledge::fill_help_desk(&d.body, &pointer).trim());
    s
}

/// The best entry for a question, up to two alternatives, and how sure the match is: the
/// engine's own decision for someone with no conversation yet, so «alta» is given exactly
/// when a user would get a direct answer (and never from a call other than the one named).
pub fn staff_pick(
    knowledge: &crate::knowledge::Knowledge,
    index: &SearchIndex,
    settings: &crate::dialogue::Settings,
    question: &str,
    now: Timestamp,
) -> (Option<usize>, Vec<usize>, Confidence) {
    crate::dialogue::Engine {
        knowledge,
        index,
        settings,
    }
    .staff_pick(question, now)
}

/// The help desk's side of the app: staff commands, forwards and buttons, tickets.
impl App {
    /// A staff member's event, if it is one of theirs (a forward, a staff command, a
    /// staff button); `None`: handle it like anyone's.
    pub(crate) async fn staff_event(
        &self,
        incoming: &Incoming,
        now: Timestamp,
        commit: &mut Commit,
    ) -> Result<Option<Vec<Delivery>>, AppError> {
        match &incoming.event {
            Event::Text(t) if incoming.forwarded => Ok(Some(self.staff_answer(t))),
            Event::Text(t) => match crate::command::parse(t.trim()) {
                Some(typed) => match typed.command {
                    Some(Command::Faq) => {
                        Ok(Some(self.faq_command(typed.args, incoming, now).await?))
                    }
                    Some(c) if c.who() == Who::Staff => {
                        Ok(Some(self.staff_command(c, typed.args, now, commit).await?))
                    }
                    _ => Ok(None),
                },
                None => self.teach_event(incoming, now).await,
            },
            Event::Button(_) if let Some(d) = self.teach_event(incoming, now).await? => Ok(Some(d)),
            Event::Button(data) => match Action::decode(data) {
                Some(Action::StaffAnswer(id)) => {
                    let brain = self.brain();
                    Ok(Some(match brain.index.find(&id) {
                        Some(e) => {
                            let tx = texts(Lang::It);
                            self.staff_show(
                                &brain,
                                e,
                                &tx.s("helpdesk.confidence.chosen", &[]),
                                &[],
                            )
                        }
                        None => vec![Delivery::Here(Reply::new(
                            texts(Lang::It).t("button.stale", &[]),
                        ))],
                    }))
                }
                _ => Ok(None),
            },
        }
    }

    async fn staff_command(
        &self,
        cmd: Command,
        args: &str,
        now: Timestamp,
        commit: &mut Commit,
    ) -> Result<Vec<Delivery>, AppError> {
        let tx = texts(Lang::It);
        let here = |r: Rich| vec![Delivery::Here(Reply::new(r))];
        Ok(match cmd {
            Command::Answer if args.is_empty() => here(tx.t("helpdesk.risposta.empty", &[])),
            Command::Answer => self.staff_answer(args),
            Command::Tickets => here(self.open_tickets(now).await?),
            Command::Close => {
                let Some(n) = args
                    .trim_start_matches(['n', '.', '#', ' '])
                    .parse::<u64>()
                    .ok()
                else {
                    return Ok(here(tx.t("helpdesk.chiudi.usage", &[])));
                };
                self.close(n, commit).await?
            }
            Command::Statistics => vec![Delivery::Here(self.statistics(now).await?)],
            Command::Reload => here(match self.reload_everywhere().await {
                Ok(b) => tx.t(
                    "helpdesk.reload.done",
                    &[
                        ("calls", &b.knowledge.calls.len().to_string()),
                        ("faqs", &b.knowledge.faqs.len().to_string()),
                        ("warnings", &b.knowledge.warnings.len().to_string()),
                    ],
                ),
                Err(AppError::Knowledge(errors)) => {
                    let mut r = tx.t(
                        "helpdesk.reload.failed",
                        &[("count", &errors.0.len().to_string())],
                    );
                    for e in errors.0.iter().take(20) {
                        r.line().text(format!("• {e}"));
                    }
                    r
                }
                Err(e) => {
                    tracing::error!("reload: {e}");
                    let mut r = tx.t("helpdesk.reload.failed", &[("count", "1")]);
                    r.line().text(format!("• {e}"));
                    r
                }
            }),
            _ => Vec::new(),
        })
    }

    /// The ready-to-send answer to a question, with source, confidence and alternatives.
    fn staff_answer(&self, question: &str) -> Vec<Delivery> {
        let tx = texts(Lang::It);
        let question = question.trim();
        if question.is_empty() {
            return vec![Delivery::Here(Reply::new(
                tx.t("helpdesk.risposta.empty", &[]),
            ))];
        }
        let brain = self.brain();
        let (best, others, confidence) = staff_pick(
            &brain.knowledge,
            &brain.index,
            &self.settings,
            question,
            Timestamp::now(),
        );
        let Some(best) = best else {
            return vec![Delivery::Here(Reply::new(
                tx.t("helpdesk.staff.nothing", &[]),
            ))];
        };
        let label = match confidence {
            Confidence::High => tx.s("helpdesk.confidence.high", &[]),
            Confidence::Low => tx.s("helpdesk.confidence.low", &[]),
            Confidence::None => tx.s("helpdesk.confidence.none", &[]),
        };
        self.staff_show(&brain, best, &label, &others)
    }

    /// An entry as two messages: the text to send as it is, then its source, the
    /// confidence and buttons for the alternatives.
    fn staff_show(
        &self,
        brain: &Brain,
        entry: usize,
        confidence: &str,
        others: &[usize],
    ) -> Vec<Delivery> {
        let tx = texts(Lang::It);
        let d = &brain.index.entry(entry).doc;
        let mut ready = ready_text(&brain.index, entry);
        ready.push_str("\n\n");
        ready.push_str(&tx.s("helpdesk.ready.source", &[("source", &d.source)]));
        let info = tx.t(
            "helpdesk.staff.info",
            &[("source", &d.source), ("confidence", confidence)],
        );
        let rows = others
            .iter()
            .filter_map(|&o| {
                let od = &brain.index.entry(o).doc;
                let action = Action::staff_answer(&od.id)?;
                let title = if od.title.is_empty() {
                    &od.source
                } else {
                    &od.title
                };
                Some(vec![Button {
                    label: short(&tx.s("helpdesk.button.alternative", &[("title", title)])),
                    data: action.encode(),
                }])
            })
            .collect();
        vec![
            Delivery::Here(Reply::new(Rich::plain(ready))),
            Delivery::Here(Reply::new(info).with_buttons(rows)),
        ]
    }

    /// Opens a ticket for the user's question (in `commit`) and posts it to the staff
    /// group; the user is told once the post is accepted.
    pub(crate) async fn hand_over(
        &self,
        ticket: NewTicket,
        now: Timestamp,
        commit: &mut Commit,
    ) -> Result<Vec<Delivery>, AppError> {
        let user = ticket.user;
        let t = self.store.open_ticket_in(commit, ticket, now).await?;
        let tx = texts(t.lang);
        let n = t.number.to_string();
        Ok(vec![Delivery::ToStaff {
            ticket: t.number,
            reply: Reply::new(ticket_card(&t)),
            reply_to: None,
            tell: Some((user, Reply::new(tx.t("handover.done", &[("number", &n)])))),
        }])
    }

    /// Adds a user's message to their open ticket and posts it under the ticket.
    pub(crate) async fn follow_up(
        &self,
        n: u64,
        text: &str,
        commit: &mut Commit,
    ) -> Result<Vec<Delivery>, AppError> {
        let tx = texts(Lang::It);
        let Some(before) = self.store.ticket(n).await? else {
            return Ok(Vec::new());
        };
        let mut t = before.clone();
        t.follow_ups.push(text.to_string());
        commit.save_ticket(Some(before), t.clone());
        let num = n.to_string();
        Ok(vec![
            Delivery::Here(Reply::new(
                texts(t.lang).t("ticket.followup_added", &[("number", &num)]),
            )),
            Delivery::ToStaff {
                ticket: n,
                reply: Reply::new(tx.t(
                    "ticket.followup_staff",
                    &[
                        ("number", &num),
                        ("name", &display(&t.name)),
                        ("text", text),
                    ],
                )),
                reply_to: Some(ReplyTo::Ticket(n)),
                tell: None,
            },
        ])
    }

    /// The user withdrew their ticket (`/annulla`): closed, staff are told.
    pub(crate) async fn withdraw(
        &self,
        n: u64,
        commit: &mut Commit,
    ) -> Result<Vec<Delivery>, AppError> {
        let Some(before) = self.store.ticket(n).await? else {
            return Ok(Vec::new());
        };
        let mut t = before.clone();
        t.status = Status::Closed;
        commit.save_ticket(Some(before), t);
        Ok(vec![Delivery::ToStaff {
            ticket: n,
            reply: Reply::new(
                texts(Lang::It).t("ticket.withdrawn_staff", &[("number", &n.to_string())]),
            ),
            reply_to: Some(ReplyTo::Ticket(n)),
            tell: None,
        }])
    }

    /// A staff message in the staff group that replies to `replied_to`: if that is a
    /// ticket's message, the reply goes to the ticket's user (`None`: not a ticket's).
    pub async fn staff_reply(
        &self,
        chat: i64,
        replied_to: i32,
        message: i32,
    ) -> Result<Option<Vec<Delivery>>, AppError> {
        if self.settings.staff.chat != Some(chat) {
            return Ok(None);
        }
        let Some(t) = self.store.ticket_of_message(chat, replied_to).await? else {
            return Ok(None);
        };
        let tx = texts(Lang::It);
        let n = t.number.to_string();
        let Some(user) = t.user else {
            return Ok(Some(vec![Delivery::Here(Reply::new(
                tx.t("ticket.user_gone", &[("number", &n)]),
            ))]));
        };
        Ok(Some(vec![
            Delivery::ToUser {
                user,
                reply: Reply::new(texts(t.lang).t("ticket.answer_header", &[("number", &n)])),
            },
            Delivery::CopyToUser {
                ticket: t.number,
                user,
                from_chat: chat,
                message,
            },
        ]))
    }

    /// After a [`Delivery::CopyToUser`]: the changes that mark the ticket answered (when
    /// delivered) and the confirmation for staff.
    pub(crate) async fn copied(
        &self,
        n: u64,
        delivered: bool,
        now: Timestamp,
        commit: &mut Commit,
    ) -> Result<Reply, StoreError> {
        let tx = texts(Lang::It);
        let num = n.to_string();
        if !delivered {
            return Ok(Reply::new(
                tx.t("ticket.not_delivered", &[("number", &num)]),
            ));
        }
        let mut name = String::new();
        if let Some(before) = self.store.ticket(n).await? {
            let mut t = before.clone();
            if t.status == Status::Open {
                t.status = Status::Answered;
            }
            t.last_reply = Some(now);
            name = display(&t.name);
            commit.save_ticket(Some(before), t);
        }
        let save = self.offer_button(n).await.unwrap_or_else(|e| {
            tracing::warn!(ticket = n, "no «Salva come FAQ» button: {e}");
            Vec::new()
        });
        Ok(
            Reply::new(tx.t("ticket.delivered", &[("number", &num), ("name", &name)]))
                .with_buttons(save),
        )
    }

    /// `/chiudi N`.
    async fn close(&self, n: u64, commit: &mut Commit) -> Result<Vec<Delivery>, AppError> {
        let tx = texts(Lang::It);
        let num = n.to_string();
        let Some(before) = self.store.ticket(n).await? else {
            return Ok(vec![Delivery::Here(Reply::new(
                tx.t("helpdesk.chiudi.unknown", &[("number", &num)]),
            ))]);
        };
        if before.status == Status::Closed {
            return Ok(vec![Delivery::Here(Reply::new(
                tx.t("helpdesk.chiudi.already", &[("number", &num)]),
            ))]);
        }
        let mut t = before.clone();
        t.status = Status::Closed;
        commit.save_ticket(Some(before), t.clone());
        let mut out = vec![Delivery::Here(Reply::new(
            tx.t("helpdesk.chiudi.done", &[("number", &num)]),
        ))];
        if let Some(user) = t.user {
            out.push(Delivery::ToUser {
                user,
                reply: Reply::new(texts(t.lang).t("ticket.closed_user", &[("number", &num)])),
            });
        }
        Ok(out)
    }

    /// `/ticket`: the tickets not closed, oldest first, with their age.
    async fn open_tickets(&self, now: Timestamp) -> Result<Rich, AppError> {
        let tx = texts(Lang::It);
        let open: Vec<Ticket> = self
            .store
            .tickets()
            .await?
            .into_iter()
            .filter(|t| t.status != Status::Closed)
            .collect();
        if open.is_empty() {
            return Ok(tx.t("helpdesk.tickets.none", &[]));
        }
        let mut r = tx.t(
            "helpdesk.tickets.title",
            &[("count", &open.len().to_string())],
        );
        for t in &open {
            let key = if t.status == Status::Open {
                "helpdesk.tickets.waiting"
            } else {
                "helpdesk.tickets.answered"
            };
            let q: String = t.question.chars().take(80).collect();
            r.para().append(tx.t(
                key,
                &[
                    ("number", &t.number.to_string()),
                    ("name", &display(&t.name)),
                    ("age", &italian_time_left(t.opened, now)),
                    ("question", &q),
                ],
            ));
        }
        Ok(r)
    }
}

/// The ticket's message in the staff group.
pub fn ticket_card(t: &Ticket) -> Rich {
    let tx = texts(Lang::It);
    let n = t.number.to_string();
    let mut r = tx.t(
        "ticket.card",
        &[
            ("number", &n),
            ("name", &display(&t.name)),
            (
                "call",
                &t.call
                    .clone()
                    .unwrap_or_else(|| tx.s("ticket.no_call", &[])),
            ),
            ("question", &t.question),
        ],
    );
    if t.lang != Lang::It {
        let language = tx.s(&format!("lang.name.{}", t.lang.code()), &[]);
        r.line()
            .append(tx.t("ticket.language", &[("language", &language)]));
    }
    if !t.answers.is_empty() {
        r.para().append(tx.t("ticket.answers", &[]));
        for (q, a) in &t.answers {
            r.line().text(format!("• {q}: {a}"));
        }
    }
    r.para()
        .append(tx.t("ticket.how_to_reply", &[("number", &n)]));
    r
}

/// A name for staff (Telegram may give none).
fn display(name: &str) -> String {
    if name.trim().is_empty() {
        texts(Lang::It).s("ticket.anonymous", &[])
    } else {
        name.to_string()
    }
}

/// Button labels fit a phone screen.
fn short(s: &str) -> String {
    const MAX: usize = 48;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!(
            "{}…",
            s.chars().take(MAX - 1).collect::<String>().trim_end()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    fn q(at: i64, text: &str, best: Option<&str>, confident: bool) -> AskedQuestion {
        AskedQuestion {
            at: t(at),
            question: text.into(),
            best: best.map(Into::into),
            confident,
        }
    }

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace()
            .filter(|w| w.len() > 2)
            .map(|w| w.to_lowercase())
            .collect()
    }

    #[test]
    fn stats_count_the_period_rank_entries_and_group_alike_questions() {
        let log = vec![
            q(10, "vecchia domanda", None, false),
            q(100, "scadenza bando", Some("faq:a"), true),
            q(101, "quando scade bando", Some("faq:a"), true),
            q(102, "chi partecipa", Some("faq:b"), true),
            q(103, "rimborso spese viaggio", None, false),
            q(104, "rimborso delle spese viaggio dipendenti", None, false),
            q(105, "rimborso spese viaggio", None, false),
            q(106, "orari ufficio", Some("faq:c"), false),
        ];
        let s = stats(&log, t(100), &words);
        assert_eq!(s.questions, 7);
        assert_eq!(s.confident, 3);
        assert_eq!(s.top, vec![("faq:a".into(), 2), ("faq:b".into(), 1)]);
        assert_eq!(s.unanswered.len(), 2);
        assert_eq!(s.unanswered[0].count, 3);
        assert_eq!(
            s.unanswered[0].examples,
            vec![
                "rimborso spese viaggio".to_string(),
                "rimborso delle spese viaggio dipendenti".to_string()
            ]
        );
        assert_eq!(s.unanswered[1].examples, vec!["orari ufficio".to_string()]);
    }

    #[test]
    fn questions_without_words_do_not_swallow_each_other() {
        let log = vec![
            q(1, "🙂", None, false),
            q(2, "??", None, false),
            q(3, "🙂", None, false),
        ];
        let s = stats(&log, t(0), &words);
        assert_eq!(s.unanswered.len(), 2);
        assert_eq!(s.unanswered[0].examples, vec!["🙂".to_string()]);
        assert_eq!(s.unanswered[0].count, 2);
    }

    #[test]
    fn jaccard_of_sets() {
        let a: BTreeSet<String> = ["x", "y"].iter().map(|s| s.to_string()).collect();
        let b: BTreeSet<String> = ["y", "z"].iter().map(|s| s.to_string()).collect();
        assert!((jaccard(&a, &b) - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(jaccard(&a, &a), 1.0);
    }

    #[test]
    fn follow_ups_stop_when_closed_or_a_day_after_the_last_reply() {
        let mut tk = Ticket {
            number: 1,
            user: Some(UserId(5)),
            name: "A".into(),
            question: "q".into(),
            call: None,
            answers: vec![],
            follow_ups: vec![],
            opened: t(0),
            status: Status::Open,
            last_reply: None,
            message: None,
            lang: Lang::It,
        };
        assert!(tk.takes_follow_ups(t(10_000_000)));
        tk.status = Status::Answered;
        tk.last_reply = Some(t(1000));
        assert!(tk.takes_follow_ups(t(1000 + 3600)));
        assert!(!tk.takes_follow_ups(t(1000 + 25 * 3600)));
        tk.status = Status::Closed;
        assert!(!tk.takes_follow_ups(t(1001)));
    }
}
