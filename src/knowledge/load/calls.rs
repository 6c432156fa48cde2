//! One call file of `knowledge/calls/`: its raw shape, and its conversion into a [`Call`]
//! with its sections and its deadline (status, date, history), each mistake an error
//! with its line.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::is_valid_id;
use crate::fold::phrase;
use crate::knowledge::files::FileErrors;
use crate::knowledge::{
    Applicant, Call, CallId, CallKind, Deadline, DeadlineAt, DeadlineChange, DeadlineStatus,
    OfficialPage, Section,
};

/// Longest ids, so that button data (at most 64 bytes) can always carry them.
const MAX_CALL_ID: usize = 32;
const MAX_SECTION_ID: usize = 24;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCall {
    id: Spanned<String>,
    kind: CallKind,
    programme: String,
    title: String,
    short: Spanned<String>,
    parent: Option<Spanned<String>>,
    #[serde(default)]
    funds: Vec<String>,
    budget: Option<String>,
    #[serde(default)]
    applicants: Vec<Applicant>,
    territory: Option<String>,
    summary: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    #[serde(default)]
    weak_aliases: Vec<Spanned<String>>,
    #[serde(default)]
    focus_aliases: Vec<Spanned<String>>,
    source: String,
    official_page: Option<OfficialPage>,
    deadline: Option<RawDeadline>,
    #[serde(default)]
    see_also: Vec<Spanned<String>>,
    #[serde(default)]
    section: Vec<RawSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadline {
    status: Spanned<String>,
    at: Option<Spanned<String>>,
    open_by: Option<Spanned<String>>,
    note: Option<String>,
    source: String,
    #[serde(default)]
    history: Vec<RawChange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChange {
    at: Spanned<String>,
    changed_by: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    id: Spanned<String>,
    title: String,
    text: String,
    source: String,
}

pub(super) fn convert_call(
    raw: RawCall,
    fe: &mut FileErrors<'_>,
    refs: &mut Vec<(PathBuf, String, usize, String)>,
    aliases: &mut Vec<(String, String)>,
) -> Option<Call> {
    let before = fe.out.len();
    let id = raw.id.get_ref().clone();
    let stem = fe
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if !is_valid_id(&id, MAX_CALL_ID) {
        fe.at(raw.id.span().start, format!("invalid id «{id}»: use lower-case words joined by -, at most {MAX_CALL_ID} characters"));
    } else if id != stem {
        fe.at(
            raw.id.span().start,
            format!("id «{id}» must equal the file name «{stem}»"),
        );
    }
    if raw.short.get_ref().chars().count() > 40 {
        fe.at(
            raw.short.span().start,
            "`short` is a button label: keep it within 40 characters",
        );
    }
    if let Some(p) = &raw.parent {
        refs.push((
            fe.path.to_path_buf(),
            fe.src.to_string(),
            p.span().start,
            p.get_ref().clone(),
        ));
    }
    for p in &raw.see_also {
        refs.push((
            fe.path.to_path_buf(),
            fe.src.to_string(),
            p.span().start,
            p.get_ref().clone(),
        ));
    }
    for a in raw
        .aliases
        .iter()
        .chain(&raw.weak_aliases)
        .chain(&raw.focus_aliases)
    {
        let folded = phrase(a.get_ref()).join(" ");
        if folded.is_empty() {
            fe.at(a.span().start, "an alias needs at least one word");
        } else if let Some((_, other)) = aliases.iter().find(|(f, c)| *f == folded && *c != id) {
            fe.at(
                a.span().start,
                format!("alias «{}» already names the call «{other}»", a.get_ref()),
            );
        } else {
            aliases.push((folded, id.clone()));
        }
    }
    let deadline = raw.deadline.and_then(|d| convert_deadline(d, fe));
    let mut section_ids = HashSet::new();
    let mut sections = Vec::new();
    for s in raw.section {
        if !is_valid_id(s.id.get_ref(), MAX_SECTION_ID) {
            fe.at(s.id.span().start, format!("invalid section id «{}» (lower-case words joined by -, at most {MAX_SECTION_ID} characters)", s.id.get_ref()));
        }
        if !section_ids.insert(s.id.get_ref().clone()) {
            fe.at(
                s.id.span().start,
                format!("section id «{}» is used twice", s.id.get_ref()),
            );
        }
        sections.push(Section {
            id: s.id.into_inner(),
            title: s.title,
            text: s.text,
            source: s.source,
        });
    }
    if fe.out.len() > before {
        return None;
    }
    Some(Call {
        id: CallId(id),
        kind: raw.kind,
        programme: raw.programme,
        title: raw.title,
        short: raw.short.into_inner(),
        parent: raw.parent.map(|p| CallId(p.into_inner())),
        funds: raw.funds,
        budget: raw.budget,
        applicants: raw.applicants,
        territory: raw.territory,
        summary: raw.summary,
        keywords: raw.keywords,
        aliases: raw.aliases.iter().map(|a| phrase(a.get_ref())).collect(),
        weak_aliases: raw
            .weak_aliases
            .iter()
            .map(|a| phrase(a.get_ref()))
            .collect(),
        focus_aliases: raw
            .focus_aliases
            .iter()
            .map(|a| phrase(a.get_ref()))
            .collect(),
        source: raw.source,
        official_page: raw.official_page,
        deadline,
        see_also: raw
            .see_also
            .into_iter()
            .map(|s| CallId(s.into_inner()))
            .collect(),
        sections,
        file: fe.path.to_path_buf(),
    })
}

fn convert_deadline(d: RawDeadline, fe: &mut FileErrors<'_>) -> Option<Deadline> {
    let status = match d.status.get_ref().as_str() {
        "known" => DeadlineStatus::Known,
        "unknown" => DeadlineStatus::Unknown,
        other => {
            fe.at(
                d.status.span().start,
                format!("deadline status «{other}»: use \"known\" or \"unknown\""),
            );
            return None;
        }
    };
    let parse = |s: &Spanned<String>, fe: &mut FileErrors<'_>| match DeadlineAt::parse(s.get_ref())
    {
        Ok(a) => Some(a),
        Err(m) => {
            fe.at(s.span().start, m);
            None
        }
    };
    let at = match (&status, &d.at) {
        (DeadlineStatus::Known, Some(s)) => Some(parse(s, fe)?),
        (DeadlineStatus::Known, None) => {
            fe.at(d.status.span().start, "a known deadline needs `at`");
            return None;
        }
        (DeadlineStatus::Unknown, Some(s)) => {
            fe.at(s.span().start, "an unknown deadline cannot have `at`");
            return None;
        }
        (DeadlineStatus::Unknown, None) => None,
    };
    let open_by = match &d.open_by {
        None => None,
        Some(s) => match s.get_ref().parse::<jiff::civil::Date>() {
            Ok(date) if s.get_ref().len() == 10 => Some(date),
            _ => {
                fe.at(
                    s.span().start,
                    format!("open_by «{}»: write the date as YYYY-MM-DD", s.get_ref()),
                );
                return None;
            }
        },
    };
    let mut history = Vec::new();
    for h in &d.history {
        let a = parse(&h.at, fe)?;
        if let Some(prev) = history.last().map(|p: &DeadlineChange| p.at)
            && a.closes_at() <= prev.closes_at()
        {
            fe.at(
                h.at.span().start,
                "deadline history must go from the oldest to the newest",
            );
        }
        history.push(DeadlineChange {
            at: a,
            changed_by: h.changed_by.clone(),
            source: h.source.clone(),
        });
    }
    if let (Some(open), Some(at), Some(s)) = (open_by, at, &d.open_by)
        && open > at.date
    {
        fe.at(s.span().start, "open_by is after the deadline");
        return None;
    }
    Some(Deadline {
        status,
        at,
        open_by,
        note: d.note,
        source: d.source,
        history,
    })
}
