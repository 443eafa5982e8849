//! The real server on 127.0.0.1 (port 0) with a temporary data directory, over HTTP: static
//! files, the generated admin token, every kind of request, graceful shutdown that loses no
//! accepted event, and a restart that keeps every definition, site and event.

use std::net::SocketAddr;
use std::path::Path;

use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wasmtrack_collector::config::parse_site;
use wasmtrack_collector::config::parse_www;
use wasmtrack_collector::store::{EventStore, SqliteStore};
use wasmtrack_collector::{serve, Config, DB_FILE};

use crate::common::{now_ms, uuid, wire_event, ORIGIN};

pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    stop: oneshot::Sender<()>,
    handle: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        self.handle
            .await
            .expect("server task")
            .expect("server ran cleanly");
    }
}

pub(crate) async fn start(config: Config) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(serve(config, listener, async {
        let _ = stopped.await;
    }));
    Running { addr, stop, handle }
}

/// One HTTP request; `None` when the connection failed.
pub(crate) async fn http(
    addr: SocketAddr,
    method: Method,
    path: &str,
    token: Option<&str>,
    origin: Option<&str>,
    body: Option<String>,
) -> Option<(StatusCode, String)> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if let Some(origin) = origin {
        req = req
            .header("origin", origin)
            .header("content-type", "text/plain;charset=UTF-8");
    }
    let req = req
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .expect("request");
    let response = client.request(req).await.ok()?;
    let status = response.status();
    let bytes = response.into_body().collect().await.ok()?.to_bytes();
    Some((status, String::from_utf8_lossy(&bytes).into_owned()))
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn read_token(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("admin-token"))
        .expect("token file")
        .trim()
        .to_owned()
}

#[tokio::test]
async fn the_real_server_keeps_everything_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("dist")).unwrap();
    std::fs::write(www.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(www.join("dist").join("wasmtrack.js"), "// tracker").unwrap();
    let data = dir.path().join("data");
    let mut config = Config::new(&data);
    config
        .sites
        .push(parse_site(&format!("demo={ORIGIN}")).unwrap());
    config
        .www
        .push(parse_www(&format!("{}", www.display())).unwrap());
    config
        .www
        .push(parse_www(&format!("/dist={}", www.join("dist").display())).unwrap());

    let server = start(config).await;
    let addr = server.addr;
    let health = http(addr, Method::GET, "/healthz/", None, None, None)
        .await
        .expect("server answers");
    assert_eq!(health.0, StatusCode::OK);
    let token = read_token(&data);
    assert_eq!(token.len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("admin-token"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        http(addr, Method::GET, "/", None, None, None)
            .await
            .unwrap()
            .1,
        "<h1>demo</h1>"
    );
    assert_eq!(
        http(addr, Method::GET, "/dist/wasmtrack.js", None, None, None)
            .await
            .unwrap()
            .1,
        "// tracker"
    );

    let t = Some(token.as_str());
    let def = json!({"label": "Signup", "propertyDefinitions": [{"name": "plan", "label": "Plan", "type": "string"}]});
    let created = http(
        addr,
        Method::POST,
        "/events/v3/event-definitions/",
        t,
        None,
        Some(def.to_string()),
    )
    .await
    .unwrap();
    assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
    let send =
        json!({"eventName": "signup", "email": "ada@example.com", "properties": {"plan": "pro"}});
    assert_eq!(
        http(
            addr,
            Method::POST,
            "/events/v3/send",
            t,
            None,
            Some(send.to_string())
        )
        .await
        .unwrap()
        .0,
        StatusCode::NO_CONTENT
    );
    let mut identify = wire_event(2, "$identify", now_ms(), "v-1", json!({}));
    identify["email"] = json!("ada@example.com");
    let beacon = json!({"site": "demo", "sent": now_ms(), "events": [wire_event(1, "signup", now_ms(), "v-1", json!({"plan": "free"})), identify]});
    let collected = http(
        addr,
        Method::POST,
        "/v1/collect",
        None,
        Some(ORIGIN),
        Some(beacon.to_string()),
    )
    .await
    .unwrap();
    assert_eq!(json_of(&collected.1)["stored"], 2, "{}", collected.1);
    let unauthorized = http(addr, Method::GET, "/events/v3/events", None, None, None)
        .await
        .unwrap();
    assert_eq!(unauthorized.0, StatusCode::UNAUTHORIZED);

    let timeline = "/events/v3/events/?objectType=contact&objectProperty.email=ada@example.com";
    let before = json_of(
        &http(addr, Method::GET, timeline, t, None, None)
            .await
            .unwrap()
            .1,
    );
    assert_eq!(before["results"].as_array().map(Vec::len), Some(3));
    server.stop().await;
    assert!(
        http(addr, Method::GET, "/healthz", None, None, None)
            .await
            .is_none(),
        "stopped"
    );

    let server = start(Config::new(&data)).await;
    let addr = server.addr;
    assert_eq!(read_token(&data), token, "the stored token is reused");
    let after = json_of(
        &http(addr, Method::GET, timeline, t, None, None)
            .await
            .unwrap()
            .1,
    );
    assert_eq!(after, before, "every event survived the restart");
    let def = json_of(
        &http(
            addr,
            Method::GET,
            "/events/v3/event-definitions/signup",
            t,
            None,
            None,
        )
        .await
        .unwrap()
        .1,
    );
    assert_eq!(def["properties"][0]["name"], "plan");
    let site = json_of(
        &http(addr, Method::GET, "/v1/sites/demo", t, None, None)
            .await
            .unwrap()
            .1,
    );
    assert_eq!(site["origins"], json!([ORIGIN]));
    server.stop().await;
}

const SHUTDOWN_TOKEN: &str = "a-test-admin-token-of-32-characters-or-more";

#[tokio::test]
async fn shutdown_loses_no_accepted_event() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::new(dir.path());
    config.admin_token = Some(SHUTDOWN_TOKEN.into());
    let server = start(config.clone()).await;
    let addr = server.addr;
    let def = json!({"label": "Tick"}).to_string();
    let created = http(
        addr,
        Method::POST,
        "/events/v3/event-definitions",
        Some(SHUTDOWN_TOKEN),
        None,
        Some(def),
    )
    .await
    .unwrap();
    assert_eq!(created.0, StatusCode::CREATED);

    const REQUESTS: u32 = 24;
    const PER_REQUEST: u32 = 200;
    let mut tasks = Vec::new();
    // The first answer (not a fixed delay: other tests load the machine) says requests are
    // being served; the server is stopped while the others are in flight.
    let (answered, first_answer) = tokio::sync::mpsc::channel::<()>(REQUESTS as usize);
    for r in 0..REQUESTS {
        let inputs: Vec<Value> = (0..PER_REQUEST)
            .map(|i| json!({"eventName": "tick", "utk": "v", "occurredAt": "2024-01-01T00:00:00Z", "uuid": uuid(r * PER_REQUEST + i)}))
            .collect();
        let body = json!({ "inputs": inputs }).to_string();
        let answered = answered.clone();
        tasks.push(tokio::spawn(async move {
            let answer = http(
                addr,
                Method::POST,
                "/events/v3/send/batch",
                Some(SHUTDOWN_TOKEN),
                None,
                Some(body),
            )
            .await;
            let _ = answered.try_send(());
            answer
        }));
    }
    drop(answered);
    let mut first_answer = first_answer;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), first_answer.recv()).await;
    server.stop().await;
    let mut accepted = 0;
    for task in tasks {
        if let Some((status, _)) = task.await.unwrap() {
            if status == StatusCode::NO_CONTENT {
                accepted += 1;
            }
        }
    }

    let server = start(config).await;
    let path = "/v1/events/tick/completions?interval=week&from=2024-01-01&to=2024-01-08";
    let counts = json_of(
        &http(
            server.addr,
            Method::GET,
            path,
            Some(SHUTDOWN_TOKEN),
            None,
            None,
        )
        .await
        .unwrap()
        .1,
    );
    assert!(
        accepted > 0,
        "some requests were accepted before the shutdown"
    );
    assert_eq!(
        counts["total"],
        u64::from(accepted * PER_REQUEST),
        "every accepted event is stored"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_database_from_a_newer_collector_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(DB_FILE);
    let store = SqliteStore::open(&path).expect("open");
    store.close().await;
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).err().expect("refused");
    assert!(
        format!("{err:?}").contains("newer than this collector"),
        "{err:?}"
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99);
}
