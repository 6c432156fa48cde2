//! Passages of the official documents in answers: which passages to show under an
//! answer, their excerpts and citations («Bando, art. 5, par. 5.1, pag. 7»), a passage
//! in full, and the document file itself.

// The engine's names (types, imports, helpers) are the parent module's.
#[allow(unused_imports)]
use super::*;

/// Characters of the excerpt of each passage shown under an answer.
pub(super) const PASSAGE_EXCERPT_CHARS: usize = 450;
/// At most this many passages are shown under an answer.
pub(super) const MAX_PASSAGES: usize = 2;

/// Passages of the official documents in answers.
impl Engine<'_> {
    /// The passages that match a question (none searched when no document is loaded).
    pub(super) fn passages_for(&self, question: &str) -> crate::search::Results {
        if self.knowledge.documents.is_empty() {
            return crate::search::Results {
                hits: Vec::new(),
                confidence: Confidence::None,
                query: Default::default(),
            };
        }
        self.index.search_passages(question, 5)
    }

    /// Only the passages of `call` and of the calls right above or below it: under an
    /// answer about one call, the text of another call would mislead.
    pub(super) fn passages_of(
        &self,
        mut results: crate::search::Results,
        call: Option<&CallId>,
    ) -> crate::search::Results {
        let Some(call) = call else { return results };
        let parent_of = |id: &CallId| self.knowledge.call(&id.0).and_then(|c| c.parent.clone());
        results.hits.retain(|h| {
            self.index
                .entry(h.entry)
                .doc
                .call
                .as_ref()
                .is_some_and(|p| {
                    p == call
                        || parent_of(p).as_ref() == Some(call)
                        || parent_of(call).as_ref() == Some(p)
                })
        });
        results
    }

    /// Resolves a passage entry to its document, number and passage.
    pub(super) fn passage_of(
        &self,
        entry: usize,
    ) -> Option<(
        &crate::knowledge::documents::OfficialDocument,
        u32,
        &crate::knowledge::documents::Passage,
    )> {
        let id = self.index.entry(entry).doc.id.strip_prefix("doc:")?;
        let (path, n) = id.rsplit_once('#')?;
        let (call, doc) = path.split_once('/')?;
        let n: u32 = n.parse().ok()?;
        let d = self.knowledge.document(call, doc)?;
        Some((d, n, d.passages.get(n as usize)?))
    }

    /// The best passages with their citation and the matched words marked, and buttons to
    /// read each passage whole and to get the documents. `alone`: no curated answer above.
    pub(super) fn passages_reply(
        &self,
        tx: &Texts,
        results: &crate::search::Results,
        alone: bool,
    ) -> Option<Reply> {
        let shown = shown_passages(results);
        if shown.is_empty() {
            return None;
        }
        let mut text = tx.t(
            if alone {
                "passages.alone"
            } else {
                "passages.below"
            },
            &[],
        );
        let mut read_rows = Vec::new();
        let mut doc_rows: Vec<Vec<Button>> = Vec::new();
        let mut sent_docs = Vec::new();
        for entry in shown {
            let Some((doc, n, p)) = self.passage_of(entry) else {
                continue;
            };
            let citation = cite(tx, doc, p);
            text.para().bold(passage_title(tx, doc, p)).line();
            let excerpt = self
                .index
                .excerpt(&results.query, &p.text, PASSAGE_EXCERPT_CHARS);
            let cut = excerpt.to_plain().chars().count() < p.text.chars().count();
            text.append(excerpt)
                .line()
                .append(tx.t("passage.source", &[("citation", &citation)]));
            if cut {
                read_rows.push(vec![button(
                    short_label(&tx.s("button.passage", &[("citation", &citation)])),
                    Action::Passage(doc.call.clone(), doc.id.clone(), n),
                )]);
            }
            if !sent_docs.contains(&(&doc.call, &doc.id)) {
                sent_docs.push((&doc.call, &doc.id));
                doc_rows.push(vec![button(
                    short_label(&tx.s("button.document", &[("title", &doc.title)])),
                    Action::Document(doc.call.clone(), doc.id.clone()),
                )]);
            }
        }
        read_rows.extend(doc_rows);
        Some(Reply::new(text).with_buttons(read_rows))
    }

    /// A whole passage, with its citation and a button for the document.
    pub(super) fn passage_full(&self, tx: &Texts, entry: usize) -> Reply {
        let Some((doc, _, p)) = self.passage_of(entry) else {
            return Reply::new(tx.t("button.stale", &[]));
        };
        let mut text = Rich::new();
        text.bold(passage_title(tx, doc, p))
            .para()
            .text(&p.text)
            .para()
            .append(tx.t("passage.source", &[("citation", &cite(tx, doc, p))]));
        let mut rows = vec![vec![button(
            short_label(&tx.s("button.document", &[("title", &doc.title)])),
            Action::Document(doc.call.clone(), doc.id.clone()),
        )]];
        if let Some(c) = self.knowledge.call(&doc.call.0) {
            rows.push(vec![button(
                tx.s("button.call_card", &[("call", &c.short)]),
                Action::Call(c.id.clone()),
            )]);
        }
        Reply::new(text).with_buttons(rows)
    }

    pub(super) fn send_document(
        &self,
        tx: &Texts,
        doc: &crate::knowledge::documents::OfficialDocument,
    ) -> Effect {
        let call = self
            .knowledge
            .call(&doc.call.0)
            .map(|c| c.short.clone())
            .unwrap_or_else(|| doc.call.0.clone());
        Effect::SendDocument {
            file: doc.file.clone(),
            file_name: doc.file_name(),
            caption: tx.t(
                "document.caption",
                &[("title", &doc.title), ("call", &call)],
            ),
        }
    }
}

/// The passage hits worth showing: those close to the best one, at most [`MAX_PASSAGES`].
pub(super) fn shown_passages(results: &crate::search::Results) -> Vec<usize> {
    if results.confidence == Confidence::None {
        return Vec::new();
    }
    let Some(top) = results.hits.first() else {
        return Vec::new();
    };
    results
        .hits
        .iter()
        .filter(|h| h.coverage >= top.coverage - 0.15)
        .take(MAX_PASSAGES)
        .map(|h| h.entry)
        .collect()
}

/// "Art. 5 – Soggetti beneficiari", or the document's title for passages outside articles.
pub(super) fn passage_title(
    tx: &Texts,
    doc: &crate::knowledge::documents::OfficialDocument,
    p: &crate::knowledge::documents::Passage,
) -> String {
    match (&p.article, &p.heading) {
        (Some(a), Some(h)) => tx.s("passage.article_titled", &[("number", a), ("title", h)]),
        (Some(a), None) => tx.s("passage.article", &[("number", a)]),
        (None, _) => doc.title.clone(),
    }
}

/// The citation of a passage: "Bando, art. 5, par. 5.1, pag. 7".
pub fn cite(
    tx: &Texts,
    doc: &crate::knowledge::documents::OfficialDocument,
    p: &crate::knowledge::documents::Passage,
) -> String {
    let mut parts = vec![doc.title.clone()];
    if let Some(a) = &p.article {
        parts.push(tx.s("cite.article", &[("number", a)]));
    }
    if let Some(n) = &p.paragraph {
        parts.push(tx.s("cite.paragraph", &[("number", n)]));
    }
    match (p.page, p.last_page) {
        (Some(a), Some(b)) if b > a => parts.push(tx.s(
            "cite.pages",
            &[("from", &a.to_string()), ("to", &b.to_string())],
        )),
        (Some(a), _) => parts.push(tx.s("cite.page", &[("page", &a.to_string())])),
        _ => {}
    }
    parts.join(", ")
}
