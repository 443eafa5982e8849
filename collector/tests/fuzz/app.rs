//! The collector under fuzzing: `router(state)` on a temporary SQLite file, called without a
//! socket (`tower::ServiceExt::oneshot`), and the checks every answer must pass.
//!
//! Each call runs as a task of the app's own runtime and is awaited with a deadline from
//! outside it: a handler that panics fails the case with its message (instead of a dropped
//! connection a client would see), and one that loops or blocks fails it after
//! [`CALL_TIMEOUT`], even when it never yields.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;
use wasmtrack_collector::store::SqliteStore;
use wasmtrack_collector::{router, AppState, DB_FILE};

pub const TOKEN: &str = "fuzz-admin-token";
pub const ORIGIN: &str = "https://shop.example";
/// Longest a call may take before the case fails as a hang.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// An answer: status and body (JSON when it is JSON, else `Null`).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub json: Value,
    pub text: String,
}

/// The app on a temporary database, with a runtime of its own.
pub struct FuzzApp {
    runtime: tokio::runtime::Runtime,
    router: Router,
    timeout: Duration,
    _dir: Option<TempDir>,
}

impl FuzzApp {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join(DB_FILE)).expect("open store");
        let router = router(AppState::new(std::sync::Arc::new(store), TOKEN));
        FuzzApp {
            _dir: Some(dir),
            ..FuzzApp::serving(router, CALL_TIMEOUT)
        }
    }

    /// Any router, answering within `timeout` (the harness's own test).
    fn serving(router: Router, timeout: Duration) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        FuzzApp {
            runtime,
            router,
            timeout,
            _dir: None,
        }
    }

    /// Sends `req`; fails the case when the handler panics or does not answer in time.
    pub fn call(&self, req: Request<Body>) -> Result<Answer, TestCaseError> {
        let what = format!("{} {}", req.method(), req.uri());
        let router = self.router.clone();
        let timeout = self.timeout;
        self.runtime.block_on(async move {
            let mut task = tokio::spawn(async move {
                let response = match router.oneshot(req).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                let status = response.status();
                let body = response.into_body().collect().await.map(|b| b.to_bytes());
                (status, body)
            });
            match tokio::time::timeout(timeout, &mut task).await {
                Err(_) => {
                    task.abort();
                    Err(fail(format!(
                        "{what}: no answer within {timeout:?} (a hang)"
                    )))
                }
                Ok(Err(join)) if join.is_panic() => {
                    let panic = join.into_panic();
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Err(fail(format!("{what}: the handler panicked: {message}")))
                }
                Ok(Err(join)) => Err(fail(format!("{what}: task failed: {join}"))),
                Ok(Ok((status, Err(e)))) => {
                    Err(fail(format!("{what}: {status}, body failed: {e}")))
                }
                Ok(Ok((status, Ok(bytes)))) => Ok(Answer {
                    status,
                    json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                }),
            }
        })
    }

    /// A request with the admin token and `body`.
    pub fn admin(
        &self,
        method: Method,
        path: &str,
        body: impl Into<Body>,
    ) -> Result<Answer, TestCaseError> {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.into())
            .map_err(|e| fail(format!("{path}: {e}")))?;
        self.call(req)
    }

    /// `GET path` with the admin token; the answer must be 200.
    pub fn get(&self, path: &str) -> Result<Value, TestCaseError> {
        let answer = self.admin(Method::GET, path, Body::empty())?;
        prop_assert_eq!(
            answer.status,
            StatusCode::OK,
            "GET {}: {}",
            path,
            answer.text
        );
        Ok(answer.json)
    }

    /// What the tests' setup needs to succeed (sites, definitions): panics otherwise.
    pub fn setup(&self, method: Method, path: &str, body: Value) -> Value {
        let answer = self
            .admin(method, path, body.to_string())
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(answer.status.is_success(), "{path}: {}", answer.text);
        answer.json
    }

    /// How many events the store holds, counted through `GET /events/v3/events` page by page.
    pub fn event_count(&self) -> Result<usize, TestCaseError> {
        let mut count = 0;
        let mut path = "/events/v3/events?limit=1000".to_owned();
        loop {
            let page = self.get(&path)?;
            count += page["results"].as_array().map_or(0, Vec::len);
            match page["paging"]["next"]["after"].as_str() {
                Some(after) => path = format!("/events/v3/events?limit=1000&after={after}"),
                None => return Ok(count),
            }
        }
    }
}

pub fn fail(message: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(message.into())
}

/// Every answer is a success or a 4xx, and every 4xx is HubSpot's error body.
pub fn check_answer(what: &str, answer: &Answer) -> Result<(), TestCaseError> {
    prop_assert!(
        answer.status.is_success() || answer.status.is_client_error(),
        "{}: answered {} (only 2xx and 4xx are allowed): {}",
        what,
        answer.status,
        answer.text
    );
    if answer.status.is_client_error() {
        let body = &answer.json;
        let ok = body["status"] == "error"
            && body["category"].as_str().is_some_and(|c| !c.is_empty())
            && body["correlationId"]
                .as_str()
                .is_some_and(|c| c.len() == 36)
            && body["message"].as_str().is_some_and(|m| !m.is_empty());
        prop_assert!(
            ok,
            "{}: {} is not HubSpot's error body: {}",
            what,
            answer.status,
            answer.text
        );
    }
    Ok(())
}

#[test]
fn a_handler_that_panics_or_hangs_fails_the_case_instead_of_passing_unseen() {
    use axum::routing::get;
    let router = Router::new()
        .route("/panics", get(|| async { panic!("boom") as &'static str }))
        .route(
            "/hangs",
            get(|| async {
                // Blocks its worker without yielding, as a runaway loop would.
                std::thread::sleep(Duration::from_millis(4000));
                "late"
            }),
        )
        .route("/answers", get(|| async { "ok" }));
    // Long enough for a panic's backtrace to be printed on a loaded machine (RUST_BACKTRACE
    // is set in CI), short of the hang.
    let app = FuzzApp::serving(router, Duration::from_millis(2000));
    let get = |path: &str| app.call(Request::get(path).body(Body::empty()).expect("request"));
    let panicked = get("/panics")
        .expect_err("a panic fails the case")
        .to_string();
    assert!(panicked.contains("panicked: boom"), "{panicked}");
    let hung = get("/hangs")
        .expect_err("a hang fails the case")
        .to_string();
    assert!(hung.contains("no answer within 2s"), "{hung}");
    assert_eq!(
        get("/answers").expect("an answer").text,
        "ok",
        "the runtime still serves"
    );
}
