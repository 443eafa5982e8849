//! Test helpers: the app on a temporary database, served on a real socket on 127.0.0.1 so
//! every request of every test goes through HTTP as a client's would, and request builders that
//! read like the user stories.
//!
//! The store is the embedded SQLite file, or PostgreSQL when `WASMTRACK_TEST_DATABASE` holds a
//! URL of a cluster's `postgres` database: each test then gets a database of its own on that
//! cluster. `cargo xtask test` runs the suite both ways, starting a throw-away cluster for the
//! second run (`crates/pgcluster`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tempfile::TempDir;
use wasmtrack_collector::rate_limit::RateLimits;
use wasmtrack_collector::store::postgres::PgStore;
use wasmtrack_collector::store::{EventStore, Retention, SqliteStore};
use wasmtrack_collector::{router, AppState, DB_FILE};

pub const TOKEN: &str = "test-admin-token-0123456789abcdef";
pub const ORIGIN: &str = "https://shop.example";

/// The app on a fresh temporary database (deleted when this is dropped), listening on
/// 127.0.0.1 until then.
pub struct TestApp {
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Serves `router` on a free port of 127.0.0.1 (inside the test's tokio runtime).
fn listen(router: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("address");
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (addr, server)
}

/// The cluster the suite runs on, when it runs on PostgreSQL: the URL of its `postgres`
/// database, from `WASMTRACK_TEST_DATABASE`.
pub fn postgres() -> Option<String> {
    std::env::var("WASMTRACK_TEST_DATABASE")
        .ok()
        .filter(|url| url.starts_with("postgres"))
}

/// PostgreSQL stores are opened on this runtime, which lives as long as the test process: the
/// store's own tasks (its listener, its writer) must outlive the test's runtime's `block_on`
/// calls, and a test's helpers are synchronous.
fn postgres_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// Where a test's store keeps its data: a SQLite file, or a database of the test cluster.
#[derive(Debug, Clone)]
pub enum Place {
    /// The database file.
    Sqlite(std::path::PathBuf),
    /// The database's URL.
    Postgres(String),
}

/// A fresh place for a store: the file `file` in `dir`, or a new database on the cluster.
pub fn new_place(dir: &std::path::Path, file: &str) -> Place {
    let Some(admin) = postgres() else {
        return Place::Sqlite(dir.join(file));
    };
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "api_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database");
    let url = format!("{base}/{name}");
    on_postgres_runtime(async move {
        let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
            .await
            .expect("connect to the test cluster");
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test's database");
        drop(client);
        let _ = driver.await;
    });
    // Kept beside the test's files, so that `TestApp::stored` finds the database.
    std::fs::write(dir.join(POSTGRES_URL_FILE), &url).expect("write the database's URL");
    Place::Postgres(url)
}

/// The file in a test's directory that names its PostgreSQL database.
const POSTGRES_URL_FILE: &str = "postgres-url";

/// Runs `work` to its end on the PostgreSQL runtime, from a thread of its own (a test's
/// runtime may be running on this one).
fn on_postgres_runtime<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    std::thread::spawn(move || postgres_runtime().block_on(work))
        .join()
        .expect("thread")
}

/// Opens the store at `place` (creating or reopening it).
pub fn open_place(place: &Place, retention: Retention) -> Arc<dyn EventStore> {
    match place {
        Place::Sqlite(path) => {
            Arc::new(SqliteStore::open_with(path, retention).expect("open store"))
        }
        Place::Postgres(url) => {
            let url = url.clone();
            let store =
                on_postgres_runtime(async move { PgStore::open_with(&url, retention).await })
                    .expect("open the PostgreSQL store");
            Arc::new(store)
        }
    }
}

/// A store on a fresh database: a new file in `dir`, or a new database on the cluster.
pub fn open_store(dir: &std::path::Path, retention: Retention) -> Arc<dyn EventStore> {
    open_place(&new_place(dir, DB_FILE), retention)
}

pub fn test_state() -> (AppState, Arc<dyn EventStore>, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open_store(dir.path(), Retention::default());
    let mut state = AppState::new(store.clone(), TOKEN);
    state.imports = Arc::new(wasmtrack_collector::import::Imports::empty(
        dir.path().join("imports"),
        wasmtrack_collector::import::DEFAULT_MAX_BYTES,
    ));
    (state, store, dir)
}

pub fn test_app() -> TestApp {
    test_app_with_store().0
}

/// The app on `state` (see [`test_state`]), kept with its directory.
pub fn test_app_with_state(state: AppState, dir: TempDir) -> TestApp {
    let (addr, server) = listen(router(state));
    TestApp {
        addr,
        server,
        _dir: dir,
    }
}

/// The app with these rate limits.
pub fn test_app_with_limits(limits: RateLimits) -> TestApp {
    let (mut state, _, dir) = test_state();
    state.limits = Arc::new(limits);
    let (addr, server) = listen(router(state));
    TestApp {
        addr,
        server,
        _dir: dir,
    }
}

/// The app keeping held and refused events as `retention` says.
pub fn test_app_with_retention(retention: Retention) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open_store(dir.path(), retention);
    let (addr, server) = listen(router(AppState::new(store, TOKEN)));
    TestApp {
        addr,
        server,
        _dir: dir,
    }
}

/// The app, and its store for what the API cannot do (e.g. issue an already expired token).
pub fn test_app_with_store() -> (TestApp, Arc<dyn EventStore>) {
    let (state, store, dir) = test_state();
    let (addr, server) = listen(router(state));
    let app = TestApp {
        addr,
        server,
        _dir: dir,
    };
    (app, store)
}

/// An answer: status, headers and body (JSON when it is JSON, else a string).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts HubSpot's error shape and returns the category.
    pub fn error_category(&self) -> &str {
        assert_eq!(self.body["status"], "error", "{}", self.text);
        assert!(
            self.body["correlationId"]
                .as_str()
                .is_some_and(|c| c.len() == 36),
            "{}",
            self.text
        );
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            self.text
        );
        assert!(self.body["errors"].is_array(), "{}", self.text);
        self.body["category"].as_str().unwrap_or("")
    }
}

/// Sends `req` over HTTP to the server at `addr`.
pub async fn call_at(addr: SocketAddr, req: Request<Body>) -> Answer {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.expect("request body").to_bytes();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut outgoing = Request::builder()
        .method(parts.method)
        .uri(format!("http://{}{path}", addr));
    for (name, value) in &parts.headers {
        outgoing = outgoing.header(name, value);
    }
    let outgoing = outgoing.body(Full::new(body)).expect("request");
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.request(outgoing).await.expect("the server answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        text,
    }
}

impl TestApp {
    /// Everything the store holds, as bytes: the SQLite file and its WAL, or every row of
    /// every table of the PostgreSQL database as text. For tests that a secret is never stored.
    pub async fn stored(&self) -> Vec<u8> {
        let Ok(url) = std::fs::read_to_string(self._dir.path().join(POSTGRES_URL_FILE)) else {
            let db = self._dir.path().join(DB_FILE);
            let mut bytes = std::fs::read(&db).expect("the database file");
            bytes.extend(std::fs::read(db.with_extension("db-wal")).unwrap_or_default());
            return bytes;
        };
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        let tables = client
            .query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
                &[],
            )
            .await
            .expect("tables");
        let mut bytes = Vec::new();
        for table in tables {
            let name: String = table.get(0);
            for row in client
                .query(&format!("SELECT t::text FROM \"{name}\" t"), &[])
                .await
                .expect("rows")
            {
                bytes.extend(row.get::<_, String>(0).into_bytes());
            }
        }
        bytes
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sends `req` to the server over HTTP.
    pub async fn call(&self, req: Request<Body>) -> Answer {
        call_at(self.addr, req).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(admin(Method::GET, path, None)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(admin(Method::POST, path, Some(body.to_string())))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(admin(Method::PATCH, path, Some(body.to_string())))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(admin(Method::PUT, path, Some(body.to_string())))
            .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(admin(Method::DELETE, path, None)).await
    }

    /// Posts a beacon body as the tracker does (`text/plain`, from `ORIGIN`).
    pub async fn beacon(&self, body: Value) -> Answer {
        self.call(beacon_request(&body.to_string(), Some(ORIGIN)))
            .await
    }

    /// Creates the site `shop` for `ORIGIN` and the definitions the tests use.
    pub async fn with_fixtures(self) -> Self {
        let site = self
            .post("/v1/sites", json!({"id": "shop", "origins": [ORIGIN]}))
            .await;
        assert_eq!(site.status, StatusCode::CREATED, "{}", site.text);
        let def = self
            .post("/events/v3/event-definitions", signup_definition())
            .await;
        assert_eq!(def.status, StatusCode::CREATED, "{}", def.text);
        self
    }

    /// Every event of the store, oldest first (up to 1000).
    pub async fn all_events(&self) -> Vec<Value> {
        let answer = self
            .get("/events/v3/events?sort=occurredAt&limit=1000")
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.body["results"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// A request with the admin token and a JSON body.
pub fn admin(method: Method, path: &str, body: Option<String>) -> Request<Body> {
    let builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json");
    builder
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .expect("request")
}

pub fn beacon_request(body: &str, origin: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/v1/collect")
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8");
    if let Some(origin) = origin {
        builder = builder.header(header::ORIGIN, origin);
    }
    builder.body(Body::from(body.to_owned())).expect("request")
}

/// `signup`: one property of each type, plus a URL property.
pub fn signup_definition() -> Value {
    json!({
        "label": "Signed up",
        "name": "signup",
        "description": "A visitor created an account",
        "propertyDefinitions": [
            {"name": "plan", "label": "Plan", "type": "enumeration",
             "options": [{"label": "Free", "value": "free"}, {"label": "Pro", "value": "pro"}, {"label": "Team", "value": "team"}]},
            {"name": "seats", "label": "Seats", "type": "number"},
            {"name": "trial_end", "label": "Trial end", "type": "datetime"},
            {"name": "note", "label": "Note", "type": "string"},
            {"name": "landing_url", "label": "Landing URL", "type": "string"}
        ]
    })
}

/// A UUID v4 made from a number, so tests can name their events.
pub fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// A beacon event as the tracker encodes it.
pub fn wire_event(n: u32, name: &str, ts: i64, vid: &str, props: Value) -> Value {
    json!({"id": uuid(n), "name": name, "ts": ts, "vid": vid, "sid": "s1", "p": props, "d": {"url": "https://shop.example/pricing", "path": "/pricing"}})
}

pub fn now_ms() -> i64 {
    wasmtrack_collector::timestamp::now_ms()
}
