//! The usage report (being written).
