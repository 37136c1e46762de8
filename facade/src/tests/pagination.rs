//! Unit tests of `pagination.rs`.

use super::*;

fn base() -> Url {
    Url::parse("https://api.thousandeyes.com/v7").expect("url")
}

fn cursor(href: &str) -> Result<Option<String>, String> {
    next_cursor(NextLink::Href(href.to_string()), &base(), &Secret::new("token"))
}

#[test]
fn cursor_is_url_decoded() {
    let href = "https://api.thousandeyes.com/v7/usage/units/tests?aid=1&cursor=a%2Fb%3D%3D&x=1";
    assert_eq!(cursor(href), Ok(Some("a/b==".to_string())));
}

#[test]
fn relative_links_are_read_against_the_base() {
    assert_eq!(cursor("/v7/usage/units/tests?cursor=abc"), Ok(Some("abc".to_string())));
}

#[test]
fn no_next_link_is_the_end() {
    assert_eq!(next_cursor(NextLink::None, &base(), &Secret::new("token")), Ok(None));
}

#[test]
fn a_present_but_unusable_next_link_is_an_error_not_the_end() {
    for href in [
        "/v7/usage/units/tests?page=2",
        "/v7/usage/units/tests?Cursor=c2",
        "/v7/usage/units/tests?cursor=",
        "/v7/usage/units/tests{?cursor}",
        "http://[::1/v7/usage/units/tests?cursor=c2",
        "http://127.0.0.1:99999/v7/usage/units/tests?cursor=c2",
        "http://exa mple.com/v7/usage/units/tests?cursor=c2",
    ] {
        let reason = cursor(href).expect_err(href);
        assert!(reason.contains("next link"), "{href}: {reason}");
    }
    let reason = next_cursor(NextLink::Unusable("has no href".into()), &base(), &Secret::new("token"))
        .expect_err("no href");
    assert_eq!(reason, "the next link has no href");
}

#[tokio::test]
async fn a_panic_in_the_prefetch_task_is_raised_again_not_turned_into_an_error() {
    let task = tokio::spawn(async { panic!("boom in the prefetch task") });
    let prefetched: Prefetched<()> = Prefetched { task, operation: "getTestsUnitsUsage" };
    let outcome = tokio::spawn(prefetched).await.expect_err("the panic propagates");
    assert!(outcome.is_panic());
    let message = outcome.into_panic();
    assert_eq!(message.downcast_ref::<&str>(), Some(&"boom in the prefetch task"));
}

#[test]
fn pages_and_items_are_send_and_unpin() {
    fn check<T: Send + Unpin>() {}
    check::<Pages<thousandeyes_usage_generated::models::UnitsByTests>>();
    check::<Items<thousandeyes_usage_generated::models::UnitsByTests>>();
}

#[test]
fn a_pages_debug_shows_whether_there_is_a_next_page_never_its_cursor() {
    let page = Page::new(vec![1, 2], Some("c2-echoed-token".to_string()), RateLimit::default(), Some(1));
    let shown = format!("{page:?}");
    assert!(shown.contains("has_next: true") && !shown.contains("c2-echoed-token"), "{shown}");
}
