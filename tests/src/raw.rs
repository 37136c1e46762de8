//! A raw HTTP/1.1 server for tests of servers that misbehave: it answers from a script of raw byte responses, so
//! that a test can send lying headers, a wrong `Content-Length`, a stall or a reset, and it
//! records every request it reads.
//!
//! The server is a task of the runtime it is started on (the test's own): its loopback I/O is
//! then seen by that runtime's driver, so a test on paused time
//! (`#[tokio::test(start_paused = true)]`) only jumps ahead when client and server are both
//! truly waiting, never over a request in flight. Arrival times are read from
//! [`tokio::time::Instant`], so the delay between two attempts is measured in the same (virtual)
//! time the client waits in.
//!
//! ```no_run
//! use thousandeyes_usage_tests::raw::{RawServer, Reply};
//!
//! # async fn f() {
//! // The first request gets a 429, every later one a 200.
//! let server = RawServer::script(vec![
//!     Reply::status(429).header("Retry-After", "2").into(),
//!     Reply::status(200).header("Content-Type", "application/json").body("{}").into(),
//! ])
//! .await;
//! // ... a client of server.base_url() ...
//! let gap = server.requests()[1].at - server.requests()[0].at;
//! # let _ = gap; }
//! ```

use std::fmt::Display;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// The largest request head read; a longer one closes the connection.
const MAX_HEAD: usize = 1 << 20;

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Position among all requests the server read, from 0.
    pub index: usize,
    /// The connection it came on, from 0, in order of acceptance.
    pub connection: usize,
    /// The request line as sent (`GET /v7/usage?aid=1 HTTP/1.1`).
    pub request_line: String,
    /// The method (`GET`).
    pub method: String,
    /// The request target, path and query, as sent (still percent-encoded).
    pub target: String,
    /// The headers, names lower-cased, values as sent, in order.
    pub headers: Vec<(String, String)>,
    /// The body (read by `Content-Length`; empty without one).
    pub body: Vec<u8>,
    /// When the whole request had arrived, on the runtime's clock (virtual when paused).
    pub at: Instant,
}

impl Request {
    /// The first header of that name (case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The path of the target, without the query.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The query parameters, decoded (`application/x-www-form-urlencoded`), in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        match self.target.split_once('?') {
            Some((_, q)) => url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The first query parameter of that name, decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The bearer token of the `Authorization` header, if any.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization").and_then(|v| v.strip_prefix("Bearer "))
    }
}

/// One thing the server does on a connection after reading a request.
#[derive(Debug, Clone)]
enum Step {
    /// Shared, so that cloning a reply for each request copies no body.
    Write(Arc<[u8]>),
    Sleep(Duration),
    Hang,
    Close,
    Reset,
}

/// What the server does with one request: raw bytes to write, waits, and how the connection
/// ends. After the last step the connection stays open for the next request, unless the reply
/// ends with [`then_hang`](Reply::then_hang), [`then_close`](Reply::then_close) or
/// [`then_reset`](Reply::then_reset).
#[derive(Debug, Clone)]
#[must_use]
pub struct Reply {
    steps: Vec<Step>,
}

impl Reply {
    /// Writes exactly these bytes (a whole response, part of one, or garbage).
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply { steps: vec![Step::Write(bytes.into().into())] }
    }

    /// A well-formed response to build on: status line, headers, and a `Content-Length` that
    /// matches the body unless [`Response::content_length`] says otherwise.
    pub fn status(code: u16) -> Response {
        Response { status: code, headers: Vec::new(), body: Vec::new(), content_length: None }
    }

    /// Then writes these bytes too.
    pub fn then_write(mut self, bytes: impl Into<Vec<u8>>) -> Reply {
        self.steps.push(Step::Write(bytes.into().into()));
        self
    }

    /// Then waits this long (on the runtime's clock).
    pub fn then_sleep(mut self, duration: Duration) -> Reply {
        self.steps.push(Step::Sleep(duration));
        self
    }

    /// Then holds the connection open without writing or reading anything more, until the
    /// server is dropped.
    pub fn then_hang(mut self) -> Reply {
        self.steps.push(Step::Hang);
        self
    }

    /// Then closes the connection (FIN).
    pub fn then_close(mut self) -> Reply {
        self.steps.push(Step::Close);
        self
    }

    /// Then resets the connection (RST).
    pub fn then_reset(mut self) -> Reply {
        self.steps.push(Step::Reset);
        self
    }
}

/// A response being built; see [`Reply::status`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    content_length: Option<String>,
}

impl Response {
    /// Adds a header, exactly as given.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The body (`Content-Length` follows it unless overridden).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    /// A JSON body, and `Content-Type: application/json` unless a content type was given.
    pub fn json(self, value: &serde_json::Value) -> Response {
        let typed = self.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        let this = if typed { self } else { self.header("Content-Type", "application/json") };
        this.body(value.to_string())
    }

    /// Announces this `Content-Length` whatever the body is (a lie, or a body to come).
    pub fn content_length(mut self, announced: impl Display) -> Response {
        self.content_length = Some(announced.to_string());
        self
    }

    /// The response's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let reason = http_reason(self.status);
        let mut out = format!("HTTP/1.1 {} {reason}\r\n", self.status).into_bytes();
        for (k, v) in &self.headers {
            out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        let length = self.content_length.clone().unwrap_or_else(|| self.body.len().to_string());
        out.extend_from_slice(format!("Content-Length: {length}\r\n\r\n").as_bytes());
        out.extend_from_slice(&self.body);
        out
    }

    /// Writes the response, then continues as [`Reply::then_write`] and the rest.
    pub fn then_write(self, bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::from(self).then_write(bytes)
    }

    /// Writes the response, then waits.
    pub fn then_sleep(self, duration: Duration) -> Reply {
        Reply::from(self).then_sleep(duration)
    }

    /// Writes the response, then holds the connection open.
    pub fn then_hang(self) -> Reply {
        Reply::from(self).then_hang()
    }

    /// Writes the response, then closes the connection.
    pub fn then_close(self) -> Reply {
        Reply::from(self).then_close()
    }

    /// Writes the response, then resets the connection.
    pub fn then_reset(self) -> Reply {
        Reply::from(self).then_reset()
    }
}

impl From<Response> for Reply {
    fn from(response: Response) -> Reply {
        Reply::raw(response.to_bytes())
    }
}

fn http_reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        407 => "Proxy Authentication Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Whatever",
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

struct Shared {
    handler: Box<Handler>,
    requests: Mutex<Vec<Request>>,
    connections: AtomicUsize,
    tasks: Mutex<Vec<AbortHandle>>,
}

/// A raw HTTP/1.1 server on `127.0.0.1`, running as tasks of the runtime it was started on.
/// Dropping it stops it and closes its connections.
pub struct RawServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl RawServer {
    /// A server that answers each request with what `handler` returns for it.
    pub async fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            requests: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            tasks: Mutex::new(Vec::new()),
        });
        let accepting = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let connection = accepting.connections.fetch_add(1, Ordering::SeqCst);
                let serving = Arc::clone(&accepting);
                let task = tokio::spawn(serve(stream, connection, serving));
                accepting.tasks.lock().expect("tasks").push(task.abort_handle());
            }
        });
        shared.tasks.lock().expect("tasks").push(task.abort_handle());
        RawServer { addr, shared }
    }

    /// A server that answers the n-th request with the n-th reply; once the script is used up,
    /// the last reply again.
    pub async fn script(replies: Vec<Reply>) -> RawServer {
        assert!(!replies.is_empty(), "a script needs at least one reply");
        RawServer::start(move |req| replies[req.index.min(replies.len() - 1)].clone()).await
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL a client is configured with: `http://127.0.0.1:<port>/v7`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v7", self.addr)
    }

    /// Every request read so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().expect("requests").clone()
    }

    /// How many requests have been read so far.
    pub fn count(&self) -> usize {
        self.shared.requests.lock().expect("requests").len()
    }

    /// How many connections have been accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        for task in self.shared.tasks.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            task.abort();
        }
    }
}

/// Reads requests from one connection and plays the handler's reply to each.
async fn serve(mut stream: TcpStream, connection: usize, shared: Arc<Shared>) {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer, connection, &shared).await else {
            return;
        };
        let reply = (shared.handler)(&request);
        for step in reply.steps {
            match step {
                Step::Write(bytes) => {
                    if stream.write_all(&bytes).await.is_err() || stream.flush().await.is_err() {
                        return;
                    }
                }
                Step::Sleep(duration) => tokio::time::sleep(duration).await,
                Step::Hang => {
                    std::future::pending::<()>().await;
                }
                Step::Close => {
                    let _ = stream.shutdown().await;
                    return;
                }
                Step::Reset => {
                    // Linger zero: closing sends RST instead of FIN. (Deprecated because a
                    // non-zero linger blocks on drop; zero never does.)
                    #[allow(deprecated)]
                    let _ = stream.set_linger(Some(Duration::ZERO));
                    return;
                }
            }
        }
    }
}

/// Reads one request (head, and a body by `Content-Length`) and records it; `None` when the
/// connection ends first or the head is unreadable.
async fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    connection: usize,
    shared: &Shared,
) -> Option<Request> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buffer.len() > MAX_HEAD {
            return None;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?.to_string();
    let mut parts = request_line.split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize =
        headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let body_start = head_end + 4;
    while buffer.len() < body_start + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    let body = buffer[body_start..body_start + length].to_vec();
    buffer.drain(..body_start + length);
    let mut requests = shared.requests.lock().expect("requests");
    let request = Request {
        index: requests.len(),
        connection,
        request_line,
        method,
        target,
        headers,
        body,
        at: Instant::now(),
    };
    requests.push(request.clone());
    Some(request)
}
