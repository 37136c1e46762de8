//! Differences between two documents' facts, in three steps that depend one way:
//! [`compare`] finds them (facts only), [`classify`] judges them by our policy (breaking or not,
//! which mark accepts one), and [`render`] words them for people.

pub mod classify;
pub mod compare;
pub mod render;
