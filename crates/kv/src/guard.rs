//! A mutex's guard even when an earlier holder panicked: the data behind the store's
//! mutexes stays consistent between statements, so it is used as it is.

use std::sync::{Mutex, MutexGuard};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
