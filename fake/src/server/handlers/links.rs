//! The links of an answer: the request's own URL, absolute, with its query, and a listing's
//! next link, which swaps the cursor.

use thousandeyes_usage_generated::models::{Link, SelfLinks};

use super::super::request::Req;
use super::super::state::Config;

/// The absolute URL of the request's path with its query; with `cursor` `(name, value)`, the
/// parameter `name` set to `value` (or removed, for `None`).
pub(super) fn link(config: &Config, req: &Req, cursor: Option<(&str, Option<&str>)>) -> String {
    let plain = format!("{}{}", config.root, req.path);
    let Ok(mut url) = url::Url::parse(&plain) else { return plain };
    {
        let replaced = cursor.map(|(name, _)| name);
        let mut query = url.query_pairs_mut();
        for (k, v) in req.query.iter().filter(|(k, _)| Some(k.as_str()) != replaced) {
            query.append_pair(k, v);
        }
        if let Some((name, Some(value))) = cursor {
            query.append_pair(name, value);
        }
    }
    let mut s = url.to_string();
    if s.ends_with('?') {
        s.pop();
    }
    s
}

/// The `_links` of an answer that is not a listing page.
pub(super) fn self_links(config: &Config, req: &Req) -> SelfLinks {
    SelfLinks { param_self: Some(Link::new(link(config, req, None))), ..Default::default() }
}
