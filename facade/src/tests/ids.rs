//! Unit tests of `operations/ids.rs`.

use super::*;

#[test]
fn aid_must_be_decimal() {
    assert_eq!(check_aid(" 1234 ").as_deref(), Ok("1234"));
    assert!(check_aid("").is_err());
    assert!(check_aid("   ").is_err());
    assert!(check_aid("12a4").is_err());
    assert!(check_aid("-5").is_err());
}
