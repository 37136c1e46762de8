//! The process-wide registry: what the clients of one organization in this process share (their
//! pacer), found by where they send, with which token and which share of the limit.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Weak};

use crate::secret::Secret;

/// What the clients alive in this process share, by organization: each entry lives as long as
/// a client holds it.
pub(super) struct Registry<T> {
    /// Hashes the tokens, with keys drawn for this process: the registry keeps no token, and a
    /// hash tells nothing of its token outside the process.
    hasher: RandomState,
    /// Each entry lives as long as a client holds it.
    entries: HashMap<Key, Weak<T>>,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry { hasher: RandomState::new(), entries: HashMap::new() }
    }
}

/// What makes clients one organization's, for pacing: where they send, with which token (hashed),
/// and the share of the limit they use.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Key {
    /// The base URL requests go to.
    base_url: String,
    /// The token's hash (with the registry's keys).
    token: u64,
    /// The share's bits: clients with different shares keep different reserves.
    share: u64,
}

impl<T> Registry<T> {
    /// The key of the clients sending to `base_url` with the current token of `token` and `share`.
    fn key(&self, base_url: &str, token: &Secret, share: f64) -> Key {
        Key {
            base_url: base_url.to_owned(),
            token: self.hasher.hash_one(&*token.expose()),
            share: share.to_bits(),
        }
    }

    /// What the clients sending to `base_url` with `token`'s current token and `share` share:
    /// the entry while any of them holds it, else `make()`'s, entered.
    pub(super) fn get_or_insert(
        &mut self,
        base_url: &str,
        token: &Secret,
        share: f64,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        let key = self.key(base_url, token, share);
        if let Some(found) = self.entries.get(&key).and_then(Weak::upgrade) {
            return found;
        }
        // The entries of clients all gone go with this new one's.
        self.entries.retain(|_, entry| entry.strong_count() > 0);
        let made = Arc::new(make());
        self.entries.insert(key, Arc::downgrade(&made));
        made
    }

    /// Makes `shared` what [`get_or_insert`](Self::get_or_insert) finds for `token`'s current
    /// token too (a client's new token), unless a client already built with that token holds
    /// an entry of its own.
    pub(super) fn also_as(&mut self, shared: &Arc<T>, base_url: &str, token: &Secret, share: f64) {
        let key = self.key(base_url, token, share);
        if self.entries.get(&key).and_then(Weak::upgrade).is_none() {
            self.entries.insert(key, Arc::downgrade(shared));
        }
    }
}
