//! The exporter's HTTP server (hyper 1, HTTP/1.1 with keep-alive): `/metrics`, `/healthz`, and
//! a short index at `/`. A scrape is answered from the page encoded after the last refresh:
//! it never calls the API.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ACCEPT, ALLOW, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::serve::metrics::{OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};
use crate::serve::state::Exporter;

/// How long a connection may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `exporter` on `listener` until `shutdown` turns true; open connections are then
/// dropped.
pub async fn serve(listener: TcpListener, exporter: Arc<Exporter>, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let exporter = Arc::clone(&exporter);
                    connections.spawn(async move {
                        let service = service_fn(move |req| {
                            let answer = answer(&exporter, &req);
                            async move { Ok::<_, Infallible>(answer) }
                        });
                        let _ = http1::Builder::new()
                            .timer(TokioTimer::new())
                            .header_read_timeout(HEADER_TIMEOUT)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                // Out of file descriptors, say: try again shortly.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// The answer to `req`.
pub fn answer<B>(exporter: &Exporter, req: &Request<B>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    match req.uri().path() {
        "/metrics" => {
            let page = exporter.page();
            let openmetrics = req
                .headers()
                .get_all(ACCEPT)
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| v.contains("application/openmetrics-text")));
            let (body, content_type) = if openmetrics {
                (page.openmetrics.clone(), OPENMETRICS_CONTENT_TYPE)
            } else {
                (page.text.clone(), TEXT_CONTENT_TYPE)
            };
            let mut response = Response::new(Full::new(body));
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        "/healthz" => {
            let (healthy, text) = exporter.health();
            let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
            plain(status, &text)
        }
        "/" => plain(
            StatusCode::OK,
            "te-usage serve: ThousandEyes usage for Prometheus\n/metrics  the metrics\n/healthz  200 once a refresh has succeeded\n",
        ),
        _ => plain(StatusCode::NOT_FOUND, "not found: /metrics and /healthz are served\n"),
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
