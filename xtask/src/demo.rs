//! `cargo xtask demo`: the tracker built, the collector started on its embedded database under
//! `data/`, serving the demo site `www/` with the fresh `dist/`, and the demo's event
//! definitions created, so a newcomer can click around and watch events arrive.

use crate::build::{self, Profile};
use crate::http;
use crate::run::{cmd, root, status, Result};
use crate::tools;
use std::net::SocketAddr;

/// The demo's event definitions (HubSpot's create body), created if missing.
const DEFINITIONS: [&str; 2] = [
    r#"{"label":"Trial started","name":"trial_started","description":"A visitor started a free trial from the home page.","primaryObject":"CONTACT","propertyDefinitions":[{"name":"plan","label":"Plan","type":"enumeration","options":[{"label":"Free","value":"free"},{"label":"Pro","value":"pro"},{"label":"Enterprise","value":"enterprise"}]},{"name":"seats","label":"Seats","type":"number"}]}"#,
    r#"{"label":"Video played","name":"video_played","description":"A visitor played the product tour.","primaryObject":"CONTACT","propertyDefinitions":[{"name":"title","label":"Title","type":"string"},{"name":"seconds","label":"Seconds","type":"number"}]}"#,
];

/// Runs the demo until the collector stops (Ctrl-C).
pub fn demo(listen: Option<&str>) -> Result {
    tools::ensure_build_tools()?;
    let downloads = build::build(Profile::Release)?;
    crate::size::report(&downloads)?;
    status(cmd("cargo").args(["build", "--release", "-p", "wasmtrack-collector"]))?;

    let listen = listen.unwrap_or("127.0.0.1:8080");
    let addr: SocketAddr = listen
        .parse()
        .map_err(|e| format!("--listen {listen}: {e}"))?;
    let origins = format!("http://{addr},http://localhost:{}", addr.port());
    let data = root().join("data");
    let mut collector = cmd(root().join("target/release/wasmtrack-collector"))
        .args([
            "--listen",
            listen,
            "--www",
            "www",
            "--www",
            "/dist=dist",
            "--site",
            &format!("demo={origins}"),
            "--data-dir",
        ])
        .arg(&data)
        .spawn()
        .map_err(|e| format!("could not start the collector: {e}"))?;
    if !http::wait_healthy(addr, 30) {
        let _ = collector.kill();
        return Err(format!("the collector did not become healthy on {addr}"));
    }

    let token = match std::env::var("WASMTRACK_ADMIN_TOKEN") {
        Ok(t) if !t.trim().is_empty() => t,
        _ => std::fs::read_to_string(data.join("admin-token"))
            .map_err(|e| format!("data/admin-token: {e}"))?
            .trim()
            .to_owned(),
    };
    for body in DEFINITIONS {
        match http::request(
            addr,
            "POST",
            "/events/v3/event-definitions",
            Some(&token),
            body,
        ) {
            Ok((201 | 200 | 409, _)) => {}
            Ok((code, answer)) => {
                eprintln!("xtask demo: creating a definition answered {code}: {answer}")
            }
            Err(e) => eprintln!("xtask demo: creating a definition failed: {e}"),
        }
    }

    println!("\n  Demo site:   http://{addr}/   (click the buttons, then ask the collector what arrived)");
    println!("  Analyst app: http://{addr}/app/   (sign in with the admin token below: events and their reports)");
    println!(
        "  Data:        {} (SQLite, WAL); admin token in data/admin-token",
        data.display()
    );
    println!("  Events:      curl -H \"Authorization: Bearer $(cat data/admin-token)\" 'http://{addr}/events/v3/events?eventType=trial_started'");
    println!("  Stop:        Ctrl-C\n");
    let exit = collector.wait().map_err(|e| e.to_string())?;
    if exit.success() {
        Ok(())
    } else {
        Err(format!("the collector exited: {exit}"))
    }
}
