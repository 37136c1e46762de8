//! Which attempts the route lets through, when it goes through a proxy the client sends
//! credentials to. A proxy backed by a directory locks the account after a few failed logins,
//! so the clients in this process that send one proxy the same credentials share one gate:
//!
//! * until one of them has an answer, their attempts go one at a time, so a proxy that refuses
//!   the credentials sees one login, not one per call started at once (a wait for the attempt
//!   before is bounded by a connect and a request timeout: then the waiting one goes too);
//! * once the proxy has refused the credentials (407), nothing is sent for
//!   [`REFUSAL_HOLD`]; then one attempt goes again, alone, in case the refusal passed (a
//!   directory's hiccup, the password set right on the proxy's side).
//!
//! Without such a proxy, attempts go as they come (no first answer to wait for).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// How long, after a proxy refused the credentials, nothing is sent to it: twice an hour at
/// most, fewer failed logins than a directory's usual lockout (3 to 5 within 30 minutes) counts.
pub(crate) const REFUSAL_HOLD: Duration = Duration::from_secs(30 * 60);

/// The state of a route through a proxy given credentials, shared by the clients that send it
/// the same ones.
#[derive(Debug)]
pub(crate) struct Gate {
    /// False for a route without proxy credentials: every attempt goes, nothing is looked at.
    login: bool,
    /// Whether an attempt got an answer (any status but a proxy's 407) since the last refusal.
    answered: AtomicBool,
    /// The one attempt that goes while none has been answered.
    first: Semaphore,
    /// When the proxy last refused the credentials, while that holds.
    refused_at: Mutex<Option<Instant>>,
    /// The longest wait for the attempt before.
    wait: Duration,
}

/// The gates of the process, by a hash of the proxy and the credentials sent to it.
type Registry = HashMap<u64, Weak<Gate>>;

/// An attempt let through; while it is held, and no answer has come yet, no other attempt goes.
#[derive(Debug)]
pub(crate) struct Admitted<'a> {
    _first: Option<SemaphorePermit<'a>>,
}

impl Gate {
    /// A gate that lets every attempt through: a route without proxy credentials.
    pub(super) fn open() -> Arc<Gate> {
        Arc::new(Gate { login: false, ..Gate::new(Duration::ZERO) })
    }

    /// The gate of the clients that send the proxy at `proxy` the credentials `secrets`, shared
    /// while any of them lives; `wait` bounds a wait for the attempt before (a new gate's).
    pub(super) fn shared(proxy: &str, secrets: &[String], wait: Duration) -> Arc<Gate> {
        static GATES: OnceLock<(RandomState, Mutex<Registry>)> = OnceLock::new();
        let (hasher, gates) = GATES.get_or_init(|| (RandomState::new(), Mutex::new(HashMap::new())));
        // A hash with keys drawn for this process: the registry keeps no password.
        let key = hasher.hash_one((proxy, secrets));
        let mut gates = gates.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(gate) = gates.get(&key).and_then(Weak::upgrade) {
            return gate;
        }
        gates.retain(|_, gate| gate.strong_count() > 0);
        let gate = Arc::new(Gate::new(wait));
        gates.insert(key, Arc::downgrade(&gate));
        gate
    }

    fn new(wait: Duration) -> Gate {
        Gate {
            login: true,
            answered: AtomicBool::new(false),
            first: Semaphore::new(1),
            refused_at: Mutex::new(None),
            wait,
        }
    }

    /// Lets an attempt through: at once once an answer came; before, when no other attempt is
    /// out (or the one out has taken longer than a connect and a request). `Err(())` while a
    /// refusal of the credentials holds, checked before and after any wait.
    pub(super) async fn admit(&self) -> Result<Admitted<'_>, ()> {
        if !self.login {
            return Ok(Admitted { _first: None });
        }
        self.refused()?;
        let mut first = None;
        if !self.answered.load(Ordering::Acquire) {
            // The semaphore is never closed; past the wait, this attempt goes without it.
            if let Ok(Ok(permit)) = tokio::time::timeout(self.wait, self.first.acquire()).await {
                if !self.answered.load(Ordering::Acquire) {
                    first = Some(permit);
                }
            }
        }
        self.refused()?;
        Ok(Admitted { _first: first })
    }

    /// `Err(())` while a refusal holds. One that has run its time is forgotten: the next
    /// attempts go one at a time again, until one is answered.
    fn refused(&self) -> Result<(), ()> {
        let mut refused_at = self.refused_at.lock().unwrap_or_else(PoisonError::into_inner);
        match *refused_at {
            Some(at) if at.elapsed() < REFUSAL_HOLD => Err(()),
            Some(_) => {
                *refused_at = None;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// An attempt got an answer: attempts go as they come from now on.
    pub(super) fn answered(&self) {
        self.answered.store(true, Ordering::Release);
    }

    /// The proxy refused the credentials: nothing goes for [`REFUSAL_HOLD`], then one attempt
    /// at a time.
    pub(super) fn refuse(&self) {
        self.answered.store(false, Ordering::Release);
        *self.refused_at.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }
}

#[cfg(test)]
#[path = "../tests/gate.rs"]
mod tests;
