//! Settings at their edges: `rate_limit_share` bounds, and the spellings of a base URL reaching the
//! right path.

use crate::{figures, ok_with, ServerClock};
use thousandeyes_usage::{Client, Error};
use thousandeyes_usage_tests::raw::{RawServer, Request};
use thousandeyes_usage_tests::support::{builder_of, TOKEN};

// ---------------------------------------------------------------------------------------------
// Configuration.

/// `TE_RATE_LIMIT_SHARE` "in (0, 1]": everything else is a `Config` error naming it; the
/// smallest positive share is accepted and does not stop the client for ever (it waits for each
/// window's reset, one call a window).
#[tokio::test(start_paused = true)]
async fn rate_limit_share_edges() {
    for bad in
        ["NaN", "nan", "inf", "-inf", "0", "-0", "0.0", "1.0000001", "2", "1e-400", "0x0.5", "½", "0,5"]
    {
        let err = Client::builder_from_vars([("TE_TOKEN", TOKEN), ("TE_RATE_LIMIT_SHARE", bad)])
            .and_then(|b| b.build())
            .expect_err(bad);
        assert!(
            matches!(&err, Error::Config { setting, .. } if setting == "TE_RATE_LIMIT_SHARE"),
            "{bad:?}: {err:?}"
        );
    }
    for good in [" 0.5 ", "1", "1.0", "5e-324", "0.9999999999999999"] {
        Client::builder_from_vars([("TE_TOKEN", TOKEN), ("TE_RATE_LIMIT_SHARE", good)])
            .and_then(|b| b.build())
            .unwrap_or_else(|e| panic!("{good:?}: {e}"));
    }
    let clock = ServerClock::new();
    let server = RawServer::start(move |req: &Request| {
        let window_end = (clock.secs(req.at, 0) / 10 + 1) * 10;
        let mut headers = figures(240, 239, window_end);
        headers.push(("Date".into(), clock.date(req.at, 0)));
        ok_with(headers)
    })
    .await;
    let client = builder_of(server.base_url()).rate_limit_share(f64::from_bits(1)).build().expect("client");
    for _ in 0..3 {
        client.usage().send().await.expect("one call a window");
    }
    assert_eq!(server.count(), 3);
}

/// Base URLs with trailing slashes, surrounding white space, or a loopback host spelled
/// otherwise: requests go to `<base>/usage`.
#[tokio::test(start_paused = true)]
async fn base_url_spellings_reach_the_right_path() {
    let server = RawServer::start(|_: &Request| ok_with(Vec::new())).await;
    let port = server.addr().port();
    for base in [
        format!("http://127.0.0.1:{port}/v7/"),
        format!("http://127.0.0.1:{port}/v7//"),
        format!("  http://127.0.0.1:{port}/v7\n"),
        format!("http://0x7f.0.0.1:{port}/v7"),
        format!("http://127.1:{port}/v7"),
        format!("HTTP://127.0.0.1:{port}/v7"),
    ] {
        let before = server.count();
        let client = builder_of(base.clone()).build().unwrap_or_else(|e| panic!("{base:?}: {e}"));
        client.usage().send().await.unwrap_or_else(|e| panic!("{base:?}: {e}"));
        let requests = server.requests();
        assert_eq!(requests.len(), before + 1);
        assert_eq!(requests.last().expect("one").path(), "/v7/usage", "{base:?}");
    }
}
