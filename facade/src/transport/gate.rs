//! Which attempts the route lets through, when it goes through a proxy the client sends
//! credentials to. Until the client has its first answer, its attempts go one at a time: a
//! proxy that refuses our credentials then sees one login, not one per call a program starts at
//! once. Once the proxy has refused them (407), the client sends nothing more: a proxy backed by
//! a directory locks the account after a few failed logins, and the credentials of a client do
//! not change. Without such a proxy, attempts go as they come (no first answer to wait for).

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

/// The state of a client's route, shared by its clones.
#[derive(Debug)]
pub(super) struct Gate {
    /// Whether an attempt got an answer (any status but a proxy's 407).
    answered: AtomicBool,
    /// The one attempt that goes while none has been answered.
    first: Semaphore,
    /// Whether the proxy refused the credentials the client sends it.
    refused: AtomicBool,
}

/// An attempt let through; while it is held, and the client has had no answer yet, no other
/// attempt goes.
#[derive(Debug)]
pub(crate) struct Admitted<'a> {
    _first: Option<SemaphorePermit<'a>>,
}

impl Gate {
    /// The gate of a route that carries credentials to a proxy (`logins`), or of one that does
    /// not, which lets every attempt through.
    pub(super) fn new(logins: bool) -> Self {
        Gate { answered: AtomicBool::new(!logins), first: Semaphore::new(1), refused: AtomicBool::new(false) }
    }

    /// Lets an attempt through: at once once the client has had an answer; before, when no other
    /// attempt is out. `Err(())` when the proxy refused our credentials, checked after any wait.
    pub(super) async fn admit(&self) -> Result<Admitted<'_>, ()> {
        let mut first = None;
        if !self.answered.load(Ordering::Acquire) {
            // The semaphore is never closed.
            let permit = self.first.acquire().await.map_err(|_| ())?;
            if !self.answered.load(Ordering::Acquire) {
                first = Some(permit);
            }
        }
        if self.refused.load(Ordering::Acquire) {
            return Err(());
        }
        Ok(Admitted { _first: first })
    }

    /// An attempt got an answer: attempts go as they come from now on.
    pub(super) fn answered(&self) {
        self.answered.store(true, Ordering::Release);
    }

    /// The proxy refused our credentials: no attempt goes from now on.
    pub(super) fn refuse(&self) {
        self.refused.store(true, Ordering::Release);
    }
}
