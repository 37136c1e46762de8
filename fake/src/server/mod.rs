//! The server, in layers that each use only the ones listed before them:
//!
//! * [`answer`]: an answer being built, and the API's error bodies;
//! * [`routing`]: which operation a method and path name, from the spec's descriptors;
//! * [`request`]: a request as the handlers see it;
//! * [`windows`]: the organization's rate-limit windows;
//! * [`rules`]: the scripted failure rules, and the answers they script;
//! * [`tokens`]: the bearer tokens accepted, the fake's and the one before it;
//! * [`state`]: what the server holds: configuration, data, quotas, windows, rules, the record;
//! * [`validate`]: the request checks that lead to a 400, 404, 413 or 415;
//! * [`handlers`]: one per operation;
//! * [`respond`]: one request answered: authentication, the window, the rules, the handler;
//! * [`http`]: HTTP framing: reading the request, writing the response's headers, recording;
//! * [`accept`]: the accept loop.

mod accept;
mod answer;
mod handlers;
mod http;
mod request;
mod respond;
mod routing;
mod rules;
mod state;
mod tokens;
mod validate;
mod windows;

pub(crate) use accept::serve;
pub(crate) use state::{Config, Shared};
pub(crate) use tokens::Tokens;
