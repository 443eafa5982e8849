//! The static files the collector serves (`--www`) never include what is not meant to be
//! public: not the database or the admin token (a www directory that overlaps the data
//! directory is refused at start), not dotfiles, nothing a symlink leads to outside the
//! directory; and a path can neither crash it nor make it redirect to another host. The data
//! directory and its files are private to the collector's user.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wasmtrack_collector::config::parse_www;
use wasmtrack_collector::{serve, Config};

use crate::server::{http, start};

fn config_with_www(data: &std::path::Path, www: &std::path::Path) -> Config {
    let mut config = Config::new(data);
    config
        .www
        .push(parse_www(&format!("{}", www.display())).unwrap());
    config
}

async fn refused_at_start(config: Config) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        serve(config, listener, std::future::pending()),
    )
    .await
    .expect("refused at once, not served");
    format!("{:#}", result.expect_err("the server must not start"))
}

#[tokio::test]
async fn a_www_directory_overlapping_the_data_directory_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    // The www directory holds the data directory...
    let message = refused_at_start(config_with_www(&dir.path().join("data"), dir.path())).await;
    assert!(message.contains("overlap"), "{message}");
    // ...or lies inside it...
    let data = dir.path().join("data2");
    std::fs::create_dir_all(data.join("public")).unwrap();
    let message = refused_at_start(config_with_www(&data, &data.join("public"))).await;
    assert!(message.contains("overlap"), "{message}");
    // ...or reaches it through a symlink.
    #[cfg(unix)]
    {
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&data, &link).unwrap();
        let message = refused_at_start(config_with_www(&data, &link)).await;
        assert!(message.contains("overlap"), "{message}");
    }
}

#[tokio::test]
async fn no_path_reaches_a_dotfile_a_file_outside_or_another_host() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("docs")).unwrap();
    std::fs::write(www.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(www.join(".env"), "SECRET=1").unwrap();
    std::fs::write(www.join("docs").join("index.html"), "docs").unwrap();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, "private").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, www.join("leak.txt")).unwrap();
    let server = start(config_with_www(&dir.path().join("data"), &www)).await;
    let get = |path: &'static str| http(server.addr, Method::GET, path, None, None, None);
    assert_eq!(get("/").await.unwrap().1, "<h1>demo</h1>");
    assert_eq!(get("/docs/").await.unwrap().1, "docs");
    for path in [
        "/.env",
        "/%2eenv",
        "/docs/../.env",
        "/leak.txt",
        "/%2e%2e/outside.txt",
    ] {
        let (status, body) = get(path).await.unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(
            !body.contains("SECRET") && !body.contains("private"),
            "{path}"
        );
    }
    let long = format!("/{}", "a".repeat(300));
    let (status, _) = http(server.addr, Method::GET, &long, None, None, None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A directory without its slash is redirected on this host only.
    for path in [
        "//evil.example",
        "//evil.example/docs",
        "/\\evil.example",
        "/docs",
    ] {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        let location = answer
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("location:"))
            .map(|l| l[9..].trim().to_owned());
        if let Some(location) = location {
            assert!(
                location.starts_with('/') && !location.starts_with("//"),
                "{path} redirects to {location}"
            );
        }
    }
    server.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_the_database_are_private_to_the_collector() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(Config::new(&data)).await;
    let (status, _) = http(server.addr, Method::GET, "/healthz", None, None, None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let (status, _) = http(
        server.addr,
        Method::POST,
        "/v1/sites",
        Some(token.trim()),
        None,
        Some(r#"{"id":"shop","origins":["*"]}"#.into()),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::CREATED);
    let mode = |p: std::path::PathBuf| std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(data.clone()), 0o700);
    assert_eq!(mode(data.join("wasmtrack.db")), 0o600);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        // SQLite's short-lived files may be gone by the time they are looked at.
        if let Ok(meta) = std::fs::metadata(&path) {
            // Directories (the imports') are the user's only too.
            let private = if meta.is_dir() { 0o700 } else { 0o600 };
            assert_eq!(
                meta.permissions().mode() & 0o777,
                private,
                "{}",
                path.display()
            );
            files.push(path);
        }
    }
    assert!(files.len() >= 2, "{files:?}");
    server.stop().await;
}
