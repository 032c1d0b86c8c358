//! What the server keeps between calls: sessions, the idle lock, live sync
//! status, the pairing in progress, import jobs, and the event channel.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::broadcast;

use crate::journal::Journal;

/// An event for the pages (`GET /api/events`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Entries changed here or on another device.
    Changed,
    /// A sync batch finished.
    Sync,
    /// The idle lock came on.
    Locked,
    /// The idle lock ended.
    Unlocked,
}

/// The live sync's state as the pages show it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LiveStatus {
    /// Whether the live connection to the relay is up.
    pub connected: bool,
    /// When the last sync batch finished (Unix seconds).
    pub last_event_unix: Option<i64>,
    /// The problems of the last batch, in words.
    pub problems: Vec<String>,
    /// Whether a relay is set at all.
    pub relay: bool,
}

/// An import that runs while the page polls it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Job {
    /// `running`, `done` or `failed`.
    pub state: &'static str,
    /// Entries handled so far.
    pub done: usize,
    /// Entries in all.
    pub total: usize,
    /// Words for the person.
    pub message: String,
    /// `{added, skipped}` when done.
    pub result: Option<serde_json::Value>,
}

/// The idle lock.
pub struct IdleLock {
    /// Whether the content is hidden until the person comes back.
    pub locked: bool,
    /// The last time the person did something.
    pub last_activity: Instant,
}

/// Everything the handlers share.
pub struct Shared {
    /// The journal.
    pub journal: Journal,
    /// `127.0.0.1:PORT` and `localhost:PORT`.
    pub hosts: [String; 2],
    /// `http://127.0.0.1:PORT` and `http://localhost:PORT`.
    pub origins: [String; 2],
    /// The one-time opening token, until it is used.
    pub token: Mutex<Option<String>>,
    /// Session cookies handed out.
    pub sessions: Mutex<HashSet<String>>,
    /// After how long without activity the lock comes on.
    pub idle_after: Duration,
    /// Whether the device key has a passphrase (asked to unlock).
    pub passphrase_protected: bool,
    /// The idle lock.
    pub lock: Mutex<IdleLock>,
    /// Live sync status.
    pub live: Mutex<LiveStatus>,
    /// The pairing in progress.
    pub pairing: Mutex<crate::pairing::Pairing>,
    /// Import jobs by id.
    pub jobs: Mutex<HashMap<u64, Job>>,
    /// The SVG plots drawn by the last `GET /api/insights`, by key: the page
    /// asks for them as images right after, so they are not computed again.
    pub plots: Mutex<HashMap<&'static str, String>>,
    /// Events for the pages.
    pub events: broadcast::Sender<Event>,
}

/// The state handlers receive.
pub type AppState = Arc<Shared>;

/// Lock a mutex, recovering its data if a thread panicked while holding it.
pub fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// Tell every open page.
    pub fn notify(&self, event: Event) {
        let _ = self.events.send(event);
    }

    /// Whether the idle lock is on; turns it on when the person has been away too long.
    pub fn is_locked(&self) -> bool {
        let mut lock = guard(&self.lock);
        if !lock.locked && lock.last_activity.elapsed() >= self.idle_after {
            lock.locked = true;
            drop(lock);
            self.notify(Event::Locked);
            return true;
        }
        lock.locked
    }

    /// The person did something.
    pub fn touch(&self) {
        guard(&self.lock).last_activity = Instant::now();
    }

    /// Turn the lock on now.
    pub fn lock_now(&self) {
        guard(&self.lock).locked = true;
        self.notify(Event::Locked);
    }

    /// Turn the lock off.
    pub fn unlock(&self) {
        {
            let mut lock = guard(&self.lock);
            lock.locked = false;
            lock.last_activity = Instant::now();
        }
        self.notify(Event::Unlocked);
    }
}
