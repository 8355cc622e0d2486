//! The live event feed behind the `alertEvents` subscription: the events after a cursor, then
//! each new one as soon as it is committed.
//!
//! The feed remembers the id of the last event it yielded and always reads "after that id", so
//! it never repeats or skips one (a workspace's events become visible in id order, see
//! [`super::store`]). It reads when this process signals new events of the workspace and, for
//! events committed by other server processes, at least every [`POLL_INTERVAL`].

use std::collections::VecDeque;
use std::time::Duration;

use entity::alert_event;
use futures::Stream;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::{self, error::RecvError};

use super::AlertService;
use super::store;
use crate::error::ApiResult;

/// Longest time before the feed looks for events committed by another process.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Events read per statement.
const PAGE: u64 = 100;

struct Follow {
    db: DatabaseConnection,
    signals: broadcast::Receiver<i64>,
    workspace_id: i64,
    last: i64,
    ready: VecDeque<alert_event::Model>,
    failed: bool,
}

impl Follow {
    /// Waits for a signal of this workspace's events, or the poll interval.
    async fn wait(&mut self) {
        let signalled = async {
            loop {
                match self.signals.recv().await {
                    Ok(ws) if ws == self.workspace_id => return,
                    Ok(_) => {}
                    // Missed signals may have been ours: read.
                    Err(RecvError::Lagged(_)) => return,
                    // No more signals: only the poll interval remains.
                    Err(RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        };
        tokio::select! {
            () = signalled => {}
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }

    async fn next(mut self) -> Option<(ApiResult<alert_event::Model>, Self)> {
        loop {
            if self.failed {
                return None;
            }
            if let Some(event) = self.ready.pop_front() {
                self.last = event.id;
                return Some((Ok(event), self));
            }
            match store::events_after(&self.db, self.workspace_id, self.last, PAGE).await {
                Ok((events, _)) if !events.is_empty() => self.ready.extend(events),
                Ok(_) => self.wait().await,
                Err(e) => {
                    // The error ends the feed; the client resumes from its last cursor.
                    self.failed = true;
                    return Some((Err(e), self));
                }
            }
        }
    }
}

/// The events of workspace `workspace_id` after id `after`, oldest first, then new ones as they
/// are committed, without end. A database error is yielded once and ends the stream.
pub fn follow(
    db: DatabaseConnection,
    service: &AlertService,
    workspace_id: i64,
    after: i64,
) -> impl Stream<Item = ApiResult<alert_event::Model>> + Send + use<> {
    // Subscribed before the first read, so no signal between the read and the wait is lost.
    let state = Follow {
        db,
        signals: service.subscribe(),
        workspace_id,
        last: after,
        ready: VecDeque::new(),
        failed: false,
    };
    futures::stream::unfold(state, Follow::next)
}
