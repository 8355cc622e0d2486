//! Alerting: rules over catalog KPIs, a pure state machine, evaluation coordinated through the
//! database, the event feed, webhooks and the scheduler.
//!
//! [`evaluate`] is the pure state machine, [`rules`] validates and stores rules, [`store`]
//! evaluates rules and keeps instances and events, [`scheduler`] runs evaluations in `serve`,
//! [`feed`] streams events to subscribers, [`webhook`] manages webhooks and delivers events to
//! them from the outbox.

pub mod evaluate;
pub mod feed;
pub mod rules;
pub mod scheduler;
pub mod store;
pub mod webhook;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, broadcast};

/// What the alerting parts of one process share: per-workspace write locks, the signal that
/// new events exist (for subscriptions), and the workspaces whose data changed since the last
/// evaluation.
pub struct AlertService {
    locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    events: broadcast::Sender<i64>,
    dirty: Mutex<HashSet<i64>>,
    wake: Notify,
}

impl Default for AlertService {
    fn default() -> Self {
        Self {
            locks: Mutex::new(HashMap::new()),
            events: broadcast::channel(1024).0,
            dirty: Mutex::new(HashSet::new()),
            wake: Notify::new(),
        }
    }
}

impl AlertService {
    /// The lock that serializes this process's writers of a workspace's alerts and events (the
    /// database lock does the same across processes on PostgreSQL).
    pub async fn lock(&self, workspace_id: i64) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self
                .locks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            locks.entry(workspace_id).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// Tells subscribers that workspace `workspace_id` has new events.
    pub fn notify_events(&self, workspace_id: i64) {
        // No receiver is fine: nobody is subscribed.
        let _ = self.events.send(workspace_id);
    }

    /// A receiver of "new events" signals.
    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.events.subscribe()
    }

    /// Marks a workspace's data as changed: the scheduler evaluates it soon.
    pub fn touch(&self, workspace_id: i64) {
        self.dirty
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(workspace_id);
        self.wake.notify_one();
    }

    /// The workspaces marked since the last call.
    pub fn take_dirty(&self) -> Vec<i64> {
        self.dirty
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain()
            .collect()
    }

    /// Waits until a workspace is marked.
    pub async fn changed(&self) {
        self.wake.notified().await;
    }
}
