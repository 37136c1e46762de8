//! Unit tests of `pagination.rs`.

use super::*;

fn base() -> Url {
    Url::parse("https://api.thousandeyes.com/v7").expect("url")
}

#[test]
fn cursor_is_url_decoded() {
    let href = "https://api.thousandeyes.com/v7/usage/units/tests?aid=1&cursor=a%2Fb%3D%3D&x=1";
    assert_eq!(cursor_of(href, &base()).as_deref(), Some("a/b=="));
}

#[test]
fn relative_links_and_missing_cursors() {
    assert_eq!(cursor_of("/v7/usage/units/tests?cursor=abc", &base()).as_deref(), Some("abc"));
    assert_eq!(cursor_of("/v7/usage/units/tests?page=2", &base()), None);
    assert_eq!(cursor_of("/v7/usage/units/tests?cursor=", &base()), None);
}
