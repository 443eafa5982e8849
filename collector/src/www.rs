//! Static files (`--www`): the demo site, the tracker's scripts, later the app. A file server
//! next to a database is a way in, so it serves less than a plain `ServeDir` would:
//!
//! * a www directory that contains the data directory, or lies inside it, is refused at start
//!   ([`check_overlap`]): it would serve `admin-token` and `wasmtrack.db`, and reading the
//!   database through it would close a descriptor of the file inside this process, which
//!   drops SQLite's POSIX locks (an outside `sqlite3 .backup` could then delete the live WAL);
//! * no path segment starting with `.` (dotfiles, `..`), none of 256 bytes or more, no encoded
//!   `/` or `\`, and no path starting with `//` (a directory's redirect to `//host/` would send
//!   the browser to another host);
//! * no symlink leading out of the directory: what a path resolves to must lie inside it.

use std::convert::Infallible;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use tower::util::BoxCloneSyncService;
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::error::ApiError;

/// Longest path segment served, in bytes (file systems allow 255).
const MAX_SEGMENT: usize = 255;

/// Refuses a www directory that overlaps the data directory (one inside the other, after
/// resolving symlinks), or that does not exist.
pub fn check_overlap(www: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let www_real = www
        .canonicalize()
        .with_context(|| format!("--www {}: no such directory", www.display()))?;
    let data_real = data_dir
        .canonicalize()
        .with_context(|| format!("cannot resolve the data directory {}", data_dir.display()))?;
    if www_real.starts_with(&data_real) || data_real.starts_with(&www_real) {
        bail!(
            "--www {} and the data directory {} overlap: the file server would serve the database \
             and the admin token; serve a directory that neither holds nor lies inside the data directory",
            www.display(),
            data_dir.display()
        );
    }
    Ok(())
}

/// The file service of `dir`, with the checks of this module.
pub fn service(dir: &Path) -> BoxCloneSyncService<Request, Response, Infallible> {
    let root = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let files = ServeDir::new(&root);
    BoxCloneSyncService::new(tower::service_fn(move |req: Request| {
        let files = files.clone();
        let root = root.clone();
        async move {
            let Some(segments) = segments(req.uri().path()) else {
                return Ok(not_found());
            };
            if !inside(&root, &segments).await {
                return Ok(not_found());
            }
            Ok(match files.oneshot(req).await {
                Ok(response) => response.map(Body::new),
                Err(never) => match never {},
            })
        }
    }))
}

fn not_found() -> Response {
    ApiError::NotFound("no such file".into()).into_response()
}

/// The decoded segments of a request path, or `None` when it asks for what is never served.
fn segments(path: &str) -> Option<Vec<String>> {
    if path.starts_with("//") || path.contains('\\') {
        return None;
    }
    let mut out = Vec::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode_str(raw).decode_utf8().ok()?;
        let bad = decoded.starts_with('.')
            || decoded.len() > MAX_SEGMENT
            || decoded.contains(['/', '\\', '\0']);
        if bad {
            return None;
        }
        out.push(decoded.into_owned());
    }
    Some(out)
}

/// Whether what the path names (and, for a directory, its `index.html`) resolves to a place
/// inside `root`; a path that names nothing is left to the file server's 404.
async fn inside(root: &Path, segments: &[String]) -> bool {
    let mut path: PathBuf = root.to_owned();
    path.extend(segments);
    let Ok(real) = tokio::fs::canonicalize(&path).await else {
        return true;
    };
    if !real.starts_with(root) {
        return false;
    }
    if real.is_dir() {
        if let Ok(index) = tokio::fs::canonicalize(real.join("index.html")).await {
            return index.starts_with(root);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_are_never_served() {
        assert!(segments("/dist/wasmtrack.js").is_some());
        assert!(segments("/").is_some_and(|s| s.is_empty()));
        for path in [
            "/.env",
            "/a/../b",
            "/%2e%2e/x",
            "//evil.example",
            "/\\evil.example",
            "/a%2Fb",
            "/a%5Cb",
            "/%FF",
        ] {
            assert_eq!(segments(path), None, "{path}");
        }
        assert!(segments(&format!("/{}", "a".repeat(255))).is_some());
        assert_eq!(segments(&format!("/{}", "a".repeat(256))), None);
    }
}
