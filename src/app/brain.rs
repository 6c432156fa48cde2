//! The knowledge and the search index built from it, loaded and replaced together: a
//! reload builds a new [`Brain`] while the old one keeps answering, and a message in
//! flight keeps the one it started with.

use std::path::Path;

use super::AppError;
use crate::dialogue::{Engine, Settings};
use crate::knowledge::{Knowledge, load_dir};
use crate::search::SearchIndex;

/// Knowledge and the index built from it, replaced together.
#[derive(Debug)]
pub struct Brain {
    pub knowledge: Knowledge,
    pub index: SearchIndex,
    /// Readings of messages made with this knowledge and index (see
    /// [`crate::dialogue::Readings`]); a new brain starts with none.
    pub readings: crate::dialogue::Readings,
}

impl Brain {
    /// Loads and indexes a knowledge directory, reading its documents without a cache.
    pub fn load(dir: &Path) -> Result<Brain, AppError> {
        Brain::load_with(dir, None)
    }

    /// Loads and indexes a knowledge directory; extracted document text is cached in
    /// `documents_cache` (if given). Documents that cannot be read become warnings in
    /// `knowledge.warnings`; they never make the load fail.
    pub fn load_with(dir: &Path, documents_cache: Option<&Path>) -> Result<Brain, AppError> {
        let mut brain = Brain::load_unranked(dir, documents_cache)?;
        // The learned ranker, when the pack has one (`sportello check` reads it too).
        brain.index.load_ranker(dir)?;
        Ok(brain)
    }

    /// Loads and indexes a knowledge directory without its learned ranker (`ranker.toml`
    /// is not read at all): what the training tool, which rewrites that file, starts from.
    pub fn load_unranked(dir: &Path, documents_cache: Option<&Path>) -> Result<Brain, AppError> {
        let mut knowledge = load_dir(dir)?;
        let cache = crate::documents::Cache::new(documents_cache.map(Path::to_path_buf));
        let (documents, warnings) = crate::documents::load(&knowledge, &cache);
        // Official documents stay Italian: the English view cites the same passages.
        if let Some(en) = knowledge.english.as_mut() {
            en.documents = documents.clone();
        }
        knowledge.documents = documents;
        knowledge.warnings.extend(warnings);
        let index = SearchIndex::from_knowledge(&knowledge)?;
        Ok(Brain {
            knowledge,
            index,
            readings: Default::default(),
        })
    }

    /// The engine over this knowledge and index, remembering its readings of messages.
    pub fn engine<'a>(&'a self, settings: &'a Settings) -> Engine<'a> {
        Engine {
            knowledge: &self.knowledge,
            index: &self.index,
            settings,
            readings: Some(&self.readings),
        }
    }
}
