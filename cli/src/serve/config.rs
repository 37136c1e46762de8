//! What `serve` watches: the organizations of `--config FILE` (TOML), or the one organization of
//! the `TE_*` variables (or `--demo`), and the durations `--interval` takes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::CliError;

/// One organization of the organizations file, as written there.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationEntry {
    /// The `organization` label of its series; unique in the file.
    pub name: String,
    /// The file holding its API token (re-read on SIGHUP and when it changes).
    pub token_file: PathBuf,
    /// The API's base URL, up to and including `/v7`.
    pub endpoint: Option<String>,
    /// The share of the organization's rate limit to use, in (0, 1] (default 1).
    pub rate_limit_share: Option<f64>,
    /// The SQLite history every refresh is stored in, if any (relative to the file's
    /// directory when relative); a history holds one organization.
    pub history: Option<PathBuf>,
}

/// The organizations file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationsFile {
    organization: Vec<toml::Spanned<OrganizationEntry>>,
}

/// The organizations listed in `text`, the contents of the file `path`: `[[organization]]`
/// tables with a `name`, a `token_file` (relative to the file's directory when relative), and
/// optionally an `endpoint`, a `rate_limit_share` and a `history`. An error names the file, the line and the
/// column, and the value at fault: a syntax error, an unknown or missing key, an empty or
/// repeated name, a share outside (0, 1], or no organization at all.
///
/// ```
/// use thousandeyes_usage_cli::serve::config::parse_organizations;
///
/// let text = r#"
/// [[organization]]
/// name = "acme"
/// token_file = "acme.token"
/// rate_limit_share = 0.5
///
/// [[organization]]
/// name = "globex"
/// token_file = "/etc/te-usage/globex.token"
/// endpoint = "https://api.thousandeyes.com/v7"
/// "#;
/// let orgs = parse_organizations(text, "/etc/te-usage/organizations.toml".as_ref())?;
/// assert_eq!(orgs[0].token_file, std::path::Path::new("/etc/te-usage/acme.token"));
/// assert_eq!(orgs[1].rate_limit_share, None);
///
/// let twice = "[[organization]]\nname = \"a\"\ntoken_file = \"t\"\n[[organization]]\nname = \"a\"\ntoken_file = \"u\"\n";
/// let err = parse_organizations(twice, "orgs.toml".as_ref()).unwrap_err();
/// assert_eq!(err.to_string(), "orgs.toml:4:1: organization \"a\" is listed twice (first at line 1)");
/// # Ok::<(), thousandeyes_usage_cli::error::CliError>(())
/// ```
pub fn parse_organizations(text: &str, path: &Path) -> Result<Vec<OrganizationEntry>, CliError> {
    let file: OrganizationsFile = toml::from_str(text).map_err(|e| {
        let at =
            e.span().map(|s| position(text, s.start)).map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default();
        CliError::Failed(format!("{}{at}: {}", path.display(), e.message()))
    })?;
    if file.organization.is_empty() {
        return Err(CliError::Failed(format!("{}: lists no [[organization]]", path.display())));
    }
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut entries = Vec::new();
    for spanned in file.organization {
        let (line, column) = position(text, spanned.span().start);
        let at = format!("{}:{line}:{column}", path.display());
        let mut entry = spanned.into_inner();
        if entry.name.trim().is_empty() {
            return Err(CliError::Failed(format!("{at}: an organization's name is empty")));
        }
        if let Some(first) = seen.insert(entry.name.clone(), line) {
            return Err(CliError::Failed(format!(
                "{at}: organization {:?} is listed twice (first at line {first})",
                entry.name
            )));
        }
        if let Some(share) = entry.rate_limit_share {
            if !(share > 0.0 && share <= 1.0) {
                return Err(CliError::Failed(format!(
                    "{at}: organization {:?}: rate_limit_share {share} is not in (0, 1]",
                    entry.name
                )));
            }
        }
        if entry.token_file.is_relative() {
            entry.token_file = dir.join(&entry.token_file);
        }
        if let Some(history) = entry.history.as_mut().filter(|h| h.is_relative()) {
            *history = dir.join(&*history);
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// Reads and parses the organizations file `path` (see [`parse_organizations`]).
///
/// # Errors
///
/// [`CliError::File`] when it cannot be read; otherwise as [`parse_organizations`].
pub fn read_organizations(path: &Path) -> Result<Vec<OrganizationEntry>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::File {
        path: path.to_path_buf(),
        action: "cannot read the organizations file",
        source,
    })?;
    parse_organizations(&text, path)
}

/// The line and column (from 1, in characters) of byte `offset` of `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A duration as `--interval` takes it: whole numbers each followed by a unit (`ms`, `s`, `m`,
/// `h`, `d`), such as `30s`, `5m` or `1h30m`; more than zero. The error says what is wrong and
/// gives examples.
///
/// ```
/// use std::time::Duration;
/// use thousandeyes_usage_cli::serve::config::parse_duration;
///
/// assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
/// assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert!(parse_duration("5").unwrap_err().contains("a unit"));
/// assert!(parse_duration("0s").unwrap_err().contains("more than zero"));
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let examples = "such as 30s, 5m or 1h30m";
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(format!("an empty duration: give one {examples}"));
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("{text:?} is not a duration: give numbers with units, {examples}"));
        }
        let number: u64 =
            rest[..digits].parse().map_err(|_| format!("{text:?}: {} is too large", &rest[..digits]))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3_600),
            "d" => Duration::from_secs(86_400),
            "" => return Err(format!("{text:?} lacks a unit after {number}: ms, s, m, h or d, {examples}")),
            other => {
                return Err(format!("{text:?}: unknown unit {other:?}; use ms, s, m, h or d, {examples}"))
            }
        };
        rest = &rest[unit_len..];
        let part = u32::try_from(number)
            .ok()
            .and_then(|n| unit.checked_mul(n))
            .ok_or_else(|| format!("{text:?} is too long"))?;
        total = total.checked_add(part).ok_or_else(|| format!("{text:?} is too long"))?;
    }
    if total.is_zero() {
        return Err(format!("{text:?}: the duration must be more than zero"));
    }
    Ok(total)
}

/// `d` as `--interval` would write it: `5m`, `1h30m`, `2.75s`, `500ms`.
///
/// ```
/// use std::time::Duration;
/// use thousandeyes_usage_cli::serve::config::format_duration;
///
/// assert_eq!(format_duration(Duration::from_secs(300)), "5m");
/// assert_eq!(format_duration(Duration::from_secs(5_400)), "1h30m");
/// assert_eq!(format_duration(Duration::from_millis(2_750)), "2.75s");
/// assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
/// ```
pub fn format_duration(d: Duration) -> String {
    if d.as_secs() == 0 {
        return format!("{}ms", d.as_millis());
    }
    if d.subsec_millis() != 0 {
        let text = format!("{:.3}", d.as_secs_f64());
        return format!("{}s", text.trim_end_matches('0').trim_end_matches('.'));
    }
    let mut secs = d.as_secs();
    let mut out = String::new();
    for (unit, len) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= len {
            out.push_str(&format!("{}{unit}", secs / len));
            secs %= len;
        }
    }
    out
}
