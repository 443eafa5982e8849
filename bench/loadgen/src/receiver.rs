//! `receive ADDR`: the webhook receiver of the throughput-with-workflows figure. It answers
//! every `POST` with 204 at once (a receiver that keeps up, so what is measured is the
//! collector's side of a delivery) and counts them; `GET /count` answers the counts as JSON
//! (`requests`, `bytes`, and `paths`: the distinct URLs, one per workflow step), `GET /healthz`
//! 200. It serves until it is stopped, so deliveries made after the load are counted too.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;

/// What the receiver has been sent.
#[derive(Default)]
struct Counts {
    requests: u64,
    bytes: u64,
    paths: HashSet<String>,
}

/// Serves on `addr` until the process is stopped.
pub async fn run(addr: &str) -> Result<serde_json::Value, String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    let counts = Arc::new(Mutex::new(Counts::default()));
    loop {
        let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let counts = counts.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request| answer(request, counts.clone()));
            // A sender that hangs up mid-request is its own problem, not the count's.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    request: Request<Incoming>,
    counts: Arc<Mutex<Counts>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let reply = |status: StatusCode, body: String| {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        Ok(response)
    };
    if method == Method::POST {
        let bytes = request
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().len() as u64)
            .unwrap_or(0);
        let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
        c.requests += 1;
        c.bytes += bytes;
        c.paths.insert(path);
        return reply(StatusCode::NO_CONTENT, String::new());
    }
    match path.as_str() {
        "/count" => {
            let c = counts.lock().unwrap_or_else(|e| e.into_inner());
            let body = json!({ "requests": c.requests, "bytes": c.bytes, "paths": c.paths.len() });
            reply(StatusCode::OK, body.to_string())
        }
        "/healthz" => reply(StatusCode::OK, "ok".into()),
        _ => reply(StatusCode::NOT_FOUND, String::new()),
    }
}
