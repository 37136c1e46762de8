//! Unit tests of `config/env.rs`.

use super::*;

#[test]
fn timeouts_below_a_millisecond_name_the_variable() {
    let err = parse_seconds("1e-10", ENV_TIMEOUT).expect_err("too short").to_string();
    assert!(err.contains("TE_TIMEOUT") && err.contains("millisecond"), "{err}");
    assert_eq!(parse_seconds("2.5", ENV_TIMEOUT).ok(), Some(Duration::from_millis(2_500)));
}
