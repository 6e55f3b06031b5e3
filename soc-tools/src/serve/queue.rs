//! The enrichment queue: alert ids waiting for `soc enrich`, bounded and without duplicates.

use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};

use thehive_client::model::AlertId;
use tokio::sync::Notify;

/// What [`EnrichmentQueue::push`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Queued.
    Queued,
    /// The id was already waiting: nothing added.
    AlreadyQueued,
    /// The queue is full: nothing added.
    Full,
}

#[derive(Debug, Default)]
struct Inner {
    order: VecDeque<AlertId>,
    waiting: HashSet<AlertId>,
}

/// A bounded first-in first-out queue of alert ids, each present at most once.
///
/// An id taken off the queue may be queued again (an alert updated after its enrichment).
#[derive(Debug)]
pub struct EnrichmentQueue {
    inner: Mutex<Inner>,
    capacity: usize,
    ready: Notify,
}

impl EnrichmentQueue {
    /// An empty queue holding at most `capacity` ids (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(1),
            ready: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The critical sections cannot leave the state half-changed: a poisoned lock is usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an id unless it is already waiting or the queue is full.
    pub fn push(&self, id: AlertId) -> Pushed {
        let pushed = {
            let mut q = self.lock();
            if q.waiting.contains(&id) {
                Pushed::AlreadyQueued
            } else if q.order.len() >= self.capacity {
                Pushed::Full
            } else {
                q.waiting.insert(id.clone());
                q.order.push_back(id);
                Pushed::Queued
            }
        };
        if pushed == Pushed::Queued {
            self.ready.notify_one();
        }
        pushed
    }

    /// Takes the oldest id, if any.
    pub fn try_pop(&self) -> Option<AlertId> {
        let mut q = self.lock();
        let id = q.order.pop_front()?;
        q.waiting.remove(&id);
        Some(id)
    }

    /// Waits for an id and takes it.
    pub async fn pop(&self) -> AlertId {
        loop {
            if let Some(id) = self.try_pop() {
                return id;
            }
            self.ready.notified().await;
        }
    }

    /// How many ids are waiting.
    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    /// Whether no id is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most ids it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_deduplicated_fifo() {
        let q = EnrichmentQueue::new(2);
        assert_eq!(q.push(AlertId::new("~1")), Pushed::Queued);
        assert_eq!(q.push(AlertId::new("~1")), Pushed::AlreadyQueued);
        assert_eq!(q.push(AlertId::new("~2")), Pushed::Queued);
        assert_eq!(q.push(AlertId::new("~3")), Pushed::Full);
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop().await, AlertId::new("~1"));
        assert_eq!(
            q.push(AlertId::new("~1")),
            Pushed::Queued,
            "taken, so again"
        );
        assert_eq!(q.try_pop(), Some(AlertId::new("~2")));
        assert_eq!(q.try_pop(), Some(AlertId::new("~1")));
        assert!(q.is_empty());
    }

    #[tokio::test]
    async fn pop_waits_for_a_push() {
        let q = std::sync::Arc::new(EnrichmentQueue::new(4));
        let waiter = tokio::spawn({
            let q = q.clone();
            async move { q.pop().await }
        });
        tokio::task::yield_now().await;
        q.push(AlertId::new("~9"));
        assert_eq!(waiter.await.expect("join"), AlertId::new("~9"));
    }
}
