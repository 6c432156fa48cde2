//! Group commit: concurrent commits share one sled transaction.
//!
//! Why: in sled 0.34 every transaction writes two log buffers (it rolls the current one,
//! then writes one holding only its batch manifest) and each write wakes the whole of
//! sled's I/O pool, whatever the transaction holds. Its closure also runs under sled's
//! global write lock. So one transaction for several commits costs about what one costs
//! alone.
//!
//! How: a commit that finds no leader becomes the leader and applies itself at once, alone
//! (no waiting, no timer, no hop to another thread: what a commit cost before). A commit
//! that finds a leader at work queues itself and awaits its result. Once done with its own,
//! the leader takes the queued commits (at most [`MAX_BATCH`] at a time, in queue order)
//! and applies each batch in one go, until the queue is empty; then it steps down. What
//! "apply" means (one transaction, a conflicting commit skipped, the others applied) is
//! the caller's: see [`super::commit`].

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::oneshot;

/// Commits in one transaction at most: bounds the leader's work per transaction.
pub(super) const MAX_BATCH: usize = 64;

/// What tests run before each batch, with its size.
#[cfg(test)]
pub(super) type Hook = std::sync::Arc<dyn Fn(usize) + Send + Sync>;

/// Hands batches of `T` to one leader at a time; each gets its `R`.
pub(super) struct Combiner<T, R> {
    state: Mutex<State<T, R>>,
    /// Called by the leader before it applies a batch, with the batch's size (tests hold
    /// the leader there).
    #[cfg(test)]
    pub(super) before_batch: Mutex<Option<Hook>>,
}

struct State<T, R> {
    /// A leader is at work: it will take whatever is queued.
    leading: bool,
    queue: VecDeque<(T, oneshot::Sender<R>)>,
}

impl<T, R> Default for Combiner<T, R> {
    fn default() -> Self {
        Combiner {
            state: Mutex::new(State {
                leading: false,
                queue: VecDeque::new(),
            }),
            #[cfg(test)]
            before_batch: Mutex::new(None),
        }
    }
}

/// Steps the leader down if it unwinds: the commits still queued (and those of the batch
/// it was applying) see their sender dropped, and the next commit leads.
struct Leading<'a, T, R>(&'a Combiner<T, R>);

impl<T, R> Drop for Leading<'_, T, R> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.leading = false;
        s.queue.clear();
    }
}

impl<T, R> Combiner<T, R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State<T, R>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Commits waiting for the leader.
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.lock().queue.len()
    }

    fn before(&self, _n: usize) {
        #[cfg(test)]
        {
            let hook = self
                .before_batch
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            if let Some(hook) = hook {
                hook(_n);
            }
        }
    }

    /// `item`'s result, applied by `apply` (with others, when a leader is at work) in
    /// queue order. `apply` returns one result per item, in order. `lost`: the result of
    /// an item whose leader panicked.
    pub(super) async fn run(
        &self,
        item: T,
        apply: impl Fn(&[T]) -> Vec<R>,
        lost: impl FnOnce() -> R,
    ) -> R {
        let waiting = {
            let mut s = self.lock();
            if s.leading {
                let (tx, rx) = oneshot::channel();
                s.queue.push_back((item, tx));
                Err(rx)
            } else {
                s.leading = true;
                Ok(item)
            }
        };
        let item = match waiting {
            Ok(item) => item,
            Err(rx) => return rx.await.unwrap_or_else(|_| lost()),
        };
        let lead = Leading(self);
        self.before(1);
        let own = apply(std::slice::from_ref(&item)).pop();
        let mut batch = Vec::new();
        let mut senders = Vec::new();
        loop {
            {
                let mut s = self.lock();
                if s.queue.is_empty() {
                    s.leading = false;
                    break;
                }
                let n = s.queue.len().min(MAX_BATCH);
                for (item, tx) in s.queue.drain(..n) {
                    batch.push(item);
                    senders.push(tx);
                }
            }
            self.before(batch.len());
            let results = apply(&batch);
            for (tx, r) in senders.drain(..).zip(results) {
                // A follower that gave up waiting: its commit is applied all the same.
                let _ = tx.send(r);
            }
            batch.clear();
        }
        std::mem::forget(lead);
        own.unwrap_or_else(lost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    #[tokio::test]
    async fn a_commit_alone_is_applied_at_once_by_itself() {
        let c = Combiner::<u32, u32>::default();
        let batches = Mutex::new(Vec::new());
        let r = c
            .run(
                7,
                |b| {
                    batches.lock().unwrap().push(b.to_vec());
                    b.iter().map(|x| x * 2).collect()
                },
                || 0,
            )
            .await;
        assert_eq!(r, 14);
        assert_eq!(*batches.lock().unwrap(), vec![vec![7]]);
        assert!(!c.lock().leading, "the leader stepped down");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn commits_queued_behind_a_busy_leader_share_one_batch_in_order() {
        let c = Arc::new(Combiner::<u32, u32>::default());
        let hold = Arc::new(Barrier::new(2));
        let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
        {
            let (hold, first) = (hold.clone(), first.clone());
            *c.before_batch.lock().unwrap() = Some(Arc::new(move |_| {
                if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                    hold.wait(); // the leader is in
                    hold.wait(); // the followers are queued
                }
            }));
        }
        let batches = Arc::new(Mutex::new(Vec::new()));
        let run = |x: u32| {
            let (c, batches) = (c.clone(), batches.clone());
            tokio::spawn(async move {
                c.run(
                    x,
                    |b| {
                        batches.lock().unwrap().push(b.to_vec());
                        b.iter().map(|x| x * 10).collect()
                    },
                    || 0,
                )
                .await
            })
        };
        let leader = run(1);
        tokio::task::spawn_blocking({
            let hold = hold.clone();
            move || hold.wait()
        })
        .await
        .unwrap();
        let mut followers = Vec::new();
        for x in 2..=4 {
            followers.push(run(x));
            while c.queued() < (x - 1) as usize {
                tokio::task::yield_now().await;
            }
        }
        tokio::task::spawn_blocking(move || hold.wait())
            .await
            .unwrap();
        assert_eq!(leader.await.unwrap(), 10);
        for (f, x) in followers.into_iter().zip(2..) {
            assert_eq!(f.await.unwrap(), x * 10);
        }
        assert_eq!(*batches.lock().unwrap(), vec![vec![1], vec![2, 3, 4]]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_leader_that_panics_lets_the_next_commit_lead() {
        let c = Arc::new(Combiner::<u32, u32>::default());
        let c2 = c.clone();
        let r =
            tokio::spawn(async move { c2.run(1, |_| panic!("apply failed"), || 0).await }).await;
        assert!(r.is_err());
        let r = c.run(2, |b| b.to_vec(), || 0).await;
        assert_eq!(r, 2);
    }
}
