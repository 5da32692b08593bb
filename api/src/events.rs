//! Change notifications for subscriptions, across replicas.
//!
//! A write announces what it changed with [`Events::commit`]. On PostgreSQL the
//! announcement is a `NOTIFY` inside the writing transaction: PostgreSQL delivers it at
//! commit, and only if the transaction commits, to every replica's listener (this one's
//! included), which hands it to its local subscribers. On SQLite (one process) it goes to
//! the local subscribers right after the commit.
//!
//! Notifications only wake subscribers up: what they send is read from the database with
//! the subscriber's own visibility, and the feed subscription reads the feed from its last
//! sequence. A lost notification therefore delays an item, never loses it: the listener
//! sends [`Event::Resync`] after reconnecting, and feed subscribers also look every
//! [`FEED_POLL`].

use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::error::ApiResult;

/// The PostgreSQL channel the replicas notify each other on.
pub const CHANNEL: &str = "prioritering_events";

/// How often a feed subscriber looks for new items even without a notification.
pub const FEED_POLL: Duration = Duration::from_secs(15);

/// What changed about a proposal.
#[derive(async_graphql::Enum, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProposalChangeKind {
    /// It was created (or imported).
    Created,
    /// Its content changed: texts, lines, figures, needs, relations.
    Content,
    /// Its status changed.
    Status,
    /// A decision was recorded.
    Decision,
    /// Its HU remarks changed.
    Remarks,
    /// It was deleted (a draft).
    Deleted,
}

/// A notification.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Event {
    /// Items may have been appended to a round's feed (subscribers read what follows their
    /// last sequence).
    Feed {
        /// The round.
        round_id: i32,
    },
    /// A proposal changed.
    Proposal {
        /// Which.
        proposal_id: i32,
        /// Its round.
        round_id: i32,
        /// Its committee.
        committee_id: i32,
        /// Its status after the change (stored form).
        status: String,
        /// Its version after the change (0 when deleted).
        version: i32,
        /// What changed.
        changes: Vec<ProposalChangeKind>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Notifications may have been missed: every subscriber should look again.
    Resync,
}

impl Event {
    /// A change of `row` (as it is after the change).
    pub fn proposal(
        row: &entity::proposal::Model,
        changes: &[ProposalChangeKind],
        at: DateTime<Utc>,
    ) -> Self {
        Self::Proposal {
            proposal_id: row.id,
            round_id: row.round_id,
            committee_id: row.committee_id,
            status: row.status.clone(),
            version: row.version,
            changes: changes.to_vec(),
            at,
        }
    }

    /// The feed of the round of `row` may grow.
    pub fn feed(row: &entity::proposal::Model) -> Self {
        Self::Feed {
            round_id: row.round_id,
        }
    }
}

/// Events announced in a transaction, for delivery after its commit where the database does
/// not deliver them itself.
#[must_use = "commit the transaction with Events::commit"]
pub struct Announced(Vec<Event>);

struct Inner {
    sender: broadcast::Sender<Event>,
    /// Dropped with the hub, which stops the listener.
    _stop: tokio::sync::watch::Sender<()>,
    stopped: tokio::sync::watch::Receiver<()>,
}

/// The notification hub of one server process.
#[derive(Clone)]
pub struct Events {
    inner: Arc<Inner>,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    /// A hub with no subscribers yet.
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        let (stop, stopped) = tokio::sync::watch::channel(());
        Self {
            inner: Arc::new(Inner {
                sender,
                _stop: stop,
                stopped,
            }),
        }
    }

    /// Receives every notification from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.sender.subscribe()
    }

    fn deliver(&self, event: Event) {
        // No subscriber is fine: nobody is listening.
        let _ = self.inner.sender.send(event);
    }

    /// Announces `events` as part of `txn`, to be delivered when it commits: on PostgreSQL a
    /// NOTIFY now, in the transaction (PostgreSQL delivers it at commit, only if it
    /// commits); on SQLite held for [`Events::commit`]. Announce before taking feed
    /// sequences, so the feed counter stays locked as briefly as possible.
    pub async fn announce(
        &self,
        txn: &DatabaseTransaction,
        events: Vec<Event>,
    ) -> ApiResult<Announced> {
        let backend = txn.get_database_backend();
        if backend != DbBackend::Postgres || events.is_empty() {
            return Ok(Announced(events));
        }
        let mut values: Vec<sea_orm::Value> = vec![CHANNEL.into()];
        let mut calls = Vec::new();
        for event in &events {
            let payload = serde_json::to_string(event).map_err(|error| {
                tracing::error!(%error, "cannot encode a notification");
                crate::error::ApiError::Internal
            })?;
            values.push(payload.into());
            calls.push(format!("pg_notify($1, ${})", values.len()));
        }
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT {}", calls.join(", ")),
            values,
        ))
        .await?;
        Ok(Announced(Vec::new()))
    }

    /// Commits `txn` and delivers what was announced in it.
    pub async fn commit(&self, txn: DatabaseTransaction, announced: Announced) -> ApiResult<()> {
        txn.commit().await?;
        for event in announced.0 {
            self.deliver(event);
        }
        Ok(())
    }

    /// Announces `events` and commits `txn` (for writes that book nothing in the feed).
    pub async fn announce_and_commit(
        &self,
        txn: DatabaseTransaction,
        events: Vec<Event>,
    ) -> ApiResult<()> {
        let announced = self.announce(&txn, events).await?;
        self.commit(txn, announced).await
    }

    /// On PostgreSQL, listens for the notifications of every replica and hands them to
    /// this process's subscribers, until the hub is dropped. Does nothing on SQLite.
    pub fn listen(&self, db: &DatabaseConnection) {
        if db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let pool = db.get_postgres_connection_pool().clone();
        let hub = Arc::downgrade(&self.inner);
        tokio::spawn(listen(pool, hub, self.inner.stopped.clone()));
    }
}

async fn listen(
    pool: sea_orm::sqlx::PgPool,
    hub: Weak<Inner>,
    mut stopped: tokio::sync::watch::Receiver<()>,
) {
    use sea_orm::sqlx::postgres::PgListener;
    let deliver = |event: Event| {
        if let Some(inner) = hub.upgrade() {
            Events { inner }.deliver(event);
        }
    };
    let mut listener = loop {
        let connected = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        tokio::select! {
            _ = stopped.changed() => return,
            result = connected => match result {
                Ok(listener) => break listener,
                Err(error) => tracing::warn!(%error, "cannot LISTEN for changes; retrying"),
            },
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    tracing::info!(
        channel = CHANNEL,
        "listening for changes from every replica"
    );
    let mut backoff = Duration::from_secs(1);
    loop {
        // Cancelled only when the server stops.
        let received = tokio::select! {
            _ = stopped.changed() => return,
            received = listener.try_recv() => received,
        };
        match received {
            Ok(Some(notification)) => {
                backoff = Duration::from_secs(1);
                match serde_json::from_str::<Event>(notification.payload()) {
                    Ok(event) => deliver(event),
                    Err(error) => tracing::warn!(%error, "an unreadable notification"),
                }
            }
            // The connection was lost; the next try_recv reconnects. What was sent meanwhile
            // is lost: tell subscribers to look again.
            Ok(None) => {
                tracing::warn!("the change listener lost its connection; reconnecting");
                deliver(Event::Resync);
            }
            Err(sea_orm::sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::warn!(%error, ?backoff, "the change listener failed; retrying");
                tokio::select! {
                    _ = stopped.changed() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
                deliver(Event::Resync);
                continue;
            }
        }
    }
}
