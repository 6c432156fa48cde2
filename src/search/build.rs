//! Building a [`SearchIndex`]: the tantivy schema and documents, the vocabulary and
//! stems computed once, document frequencies and weights, and the synonym groups in the
//! order they are matched (longest first). Done once per pack load, off the async workers.

use super::*;

impl SearchIndex {
    /// Builds an index from documents and synonym groups, analysed in `lang`.
    pub fn build_in(
        lang: crate::text::Lang,
        docs: Vec<Doc>,
        synonyms: &[Vec<String>],
    ) -> Result<SearchIndex, SearchError> {
        let (mut stem, mut fold) = analysis::analyzers(lang);
        let mut sb = Schema::builder();
        let text = |tok: &str, stored: bool| {
            let idx = TextFieldIndexing::default()
                .set_tokenizer(tok)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions);
            let o = TextOptions::default().set_indexing_options(idx);
            if stored { o.set_stored() } else { o }
        };
        let fields = Fields {
            ord: sb.add_u64_field("ord", NumericOptions::default().set_fast()),
            kind: sb.add_u64_field("kind", NumericOptions::default().set_indexed()),
            title: sb.add_text_field("title", text("it", false)),
            body: sb.add_text_field("body", text("it", false)),
        };
        let index = Index::create_in_ram(sb.build());
        // Custom tokenizers are not persisted with an index: register them on every open.
        index.tokenizers().register("it", stem.clone());
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 30_000_000)?;
        let mut entries = Vec::with_capacity(docs.len());
        let mut df: HashMap<String, u32> = HashMap::default();
        let mut ids = ids::StemIds::default();
        let question_stems: std::sync::Arc<HashSet<String>> = std::sync::Arc::new(
            analysis::question_words(lang)
                .split_whitespace()
                .filter_map(|w| tokens(&mut stem, w).into_iter().next())
                .collect(),
        );
        let mut vocab: HashMap<String, u32> = HashMap::default();
        let define_cues = opening::define_cues(lang);
        for (i, d) in docs.into_iter().enumerate() {
            // The help-desk placeholder is filled when shown, never searched.
            let indexed = crate::knowledge::strip_help_desk(&d.body);
            let mut doc = TantivyDocument::default();
            doc.add_u64(fields.ord, i as u64);
            doc.add_u64(fields.kind, d.kind.code());
            doc.add_text(fields.title, join_acronyms(&d.title));
            // Alternatives are more titles: one multi-valued field, one posting list.
            doc.add_text(fields.title, join_acronyms(&d.alt));
            doc.add_text(fields.body, join_acronyms(&indexed));
            let title_all = format!("{}\n{}", d.title, d.alt);
            writer.add_document(doc)?;
            let all = format!("{title_all}\n{indexed}");
            let title_stems: HashSet<String> = tokens(&mut stem, &d.title).into_iter().collect();
            let alt_stems: HashSet<String> = tokens(&mut stem, &d.alt).into_iter().collect();
            let body_stems: HashSet<String> = tokens(&mut stem, &indexed).into_iter().collect();
            let mut phrasings = vec![title_stems.clone()];
            if d.kind == EntryKind::Faq {
                phrasings.extend(
                    d.alt
                        .lines()
                        .map(|l| tokens(&mut stem, l).into_iter().collect::<HashSet<_>>())
                        .filter(|p| !p.is_empty()),
                );
            }
            let phrasings_within = phrasings
                .iter()
                .all(|p| p.is_subset(&title_stems) || p.is_subset(&alt_stems));
            let mut seen: HashSet<&String> = HashSet::default();
            for s in title_stems.iter().chain(&alt_stems).chain(&body_stems) {
                if seen.insert(s) {
                    *df.entry(s.clone()).or_insert(0u32) += 1;
                }
            }
            for w in tokens(&mut fold, &all) {
                *vocab.entry(w).or_insert(0u32) += 1;
            }
            let mut set = |stems: &HashSet<String>| {
                ids::IdSet::new(stems.iter().map(|s| ids.intern(s)).collect::<Vec<_>>())
            };
            let (title_ids, alt_ids, body_ids) =
                (set(&title_stems), set(&alt_stems), set(&body_stems));
            let title_words: Vec<String> = crate::fold::fold_str(&join_acronyms(&d.title))
                .split_whitespace()
                .map(String::from)
                .collect();
            entries.push(Entry {
                opens_defining: opening::opens_with(&title_words, define_cues),
                title_words,
                doc: d,
                asks: title_stems
                    .iter()
                    .filter(|s| question_stems.contains(*s))
                    .cloned()
                    .collect(),
                title_stems: title_ids,
                alt_stems: alt_ids,
                body_stems: body_ids,
                // In the order each set yields its stems (the order their weights are
                // summed in).
                phrasings: phrasings
                    .iter()
                    .map(|p| p.iter().map(|s| ids.intern(s)).collect())
                    .collect(),
                phrasing_idf: Vec::new(),
                phrasings_within,
            });
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        reader.reload()?;
        let postings = {
            let searcher = reader.searcher();
            // The entry of each document: its `ord` (documents were added in entry order).
            let ords: Vec<Option<tantivy::columnar::Column<u64>>> = searcher
                .segment_readers()
                .iter()
                .map(|s| s.fast_fields().u64("ord").ok())
                .collect();
            postings::Postings::read(
                &searcher,
                [fields.title, fields.body],
                |segment, doc| {
                    let ord = ords[segment as usize].as_ref()?.first(doc)?;
                    u32::try_from(ord).ok()
                },
                |e| entries[e as usize].doc.kind == EntryKind::Passage,
            )?
        };
        let stops: HashSet<String> = analysis::stop_words(lang).into_iter().collect();
        let mut all = all_words_analyzer();
        let synonyms: Vec<Vec<Vec<String>>> = synonyms
            .iter()
            .map(|g| {
                // Phrases keep their stop words (`soldi miei` is not `soldi`); a phrase of
                // stop words only could never tell anything apart.
                g.iter()
                    .filter_map(|t| {
                        let toks = tokens(&mut all, t);
                        toks.iter().any(|w| !stops.contains(w)).then_some(toks)
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|g: &Vec<Vec<String>>| g.len() > 1)
            .collect();
        for w in synonyms.iter().flatten().flatten() {
            vocab.entry(w.clone()).or_insert(1);
        }
        let mut by_len: Vec<Vec<analysis::Known>> = Vec::new();
        for (w, n) in &vocab {
            let l = w.chars().count();
            if by_len.len() <= l {
                by_len.resize(l + 1, Vec::new());
            }
            by_len[l].push(analysis::Known {
                letters: analysis::letters(w),
                word: w.clone(),
                freq: *n,
            });
        }
        // Commonest first, then by word: the same correction whatever the map's order.
        for bucket in &mut by_len {
            bucket.sort_by(|a, b| b.freq.cmp(&a.freq).then_with(|| a.word.cmp(&b.word)));
        }
        let stem_of = vocab
            .keys()
            .map(|w| (w.clone(), tokens(&mut stem, w).into_iter().next()))
            .collect();
        // The weight of each stem, for the phrasings' weights only: at query time a stem
        // is known when `df` has it (the same keys).
        let n = entries.len().max(1) as f32;
        let mut idf = vec![0.0f32; ids.len()];
        for (s, &d) in &df {
            if let Some(id) = ids.id(s) {
                idf[id as usize] = (1.0 + n / d.max(1) as f32).ln();
            }
        }
        for e in &mut entries {
            e.phrasing_idf = e
                .phrasings
                .iter()
                .map(|p| p.iter().map(|&s| idf[s as usize]).collect())
                .collect();
        }
        ids.shrink_to_fit();
        let mut synonym_order: Vec<(usize, usize)> = synonyms
            .iter()
            .enumerate()
            .flat_map(|(g, terms)| (0..terms.len()).map(move |t| (g, t)))
            .collect();
        synonym_order.sort_by_key(|&(g, t)| std::cmp::Reverse(synonyms[g][t].len()));
        let mut synonym_starts: HashMap<String, Vec<usize>> = HashMap::default();
        for (i, &(g, t)) in synonym_order.iter().enumerate() {
            if let Some(first) = synonyms[g][t].first() {
                synonym_starts.entry(first.clone()).or_default().push(i);
            }
        }
        let mut position: HashMap<String, usize> = HashMap::default();
        for (i, e) in entries.iter().enumerate() {
            position.entry(e.doc.id.clone()).or_insert(i);
        }
        let mut index = SearchIndex {
            position,
            english: None,
            learned: None,
            priors: Vec::new(),
            taught: None,
            serial: analysed::next_serial(),
            analyses: analysed::Analyses::with_bytes("analyses", analysed::ANALYSES_BYTES),
            marks: excerpt::MarksKept::with_bytes("marks", excerpt::MARKS_BYTES),
            found: Default::default(),
            define_cues,
            synonym_order,
            synonym_starts,
            #[cfg(test)]
            reader,
            postings,
            #[cfg(test)]
            fields,
            stem,
            all,
            stops,
            entries,
            df,
            ids,
            by_len,
            stem_of,
            question_stems,
            vocab,
            synonyms,
            synonym_stems: Vec::new(),
            synonym_own: Vec::new(),
        };
        (index.synonym_stems, index.synonym_own) = index.stems_of_synonyms();
        Ok(index)
    }
}
