//! `wasmtrack-loadgen`: the Rust half of `cargo xtask bench`'s collector figures, run as its
//! own process so the load does not share the collector's runtime.
//!
//! * `definition` — prints the benchmark event's definition (HubSpot's create body).
//! * `load ADDR[,ADDR…] SITE CONNECTIONS BATCH SECONDS [EVENTS_PER_S] [--visits BEACONS PERCENT]` —
//!   beacons to `POST /v1/collect` on one thread (the other core is the collector's); prints
//!   the figures as JSON. `--visits`: each connection's visitors send `BEACONS` beacons each,
//!   and `PERCENT` of them identify (`visits.rs`); without it, one anonymous visitor each.
//!   With `LOADGEN_GZIP=1` each beacon is gzip-compressed, as the tracker sends them with `fetch`.
//! * `workflows COUNT HOOK_URL` — `COUNT` workflow definitions on the benchmark event, one
//!   JSON body per line (`workflows.rs`).
//! * `receive ADDR` — a webhook receiver counting what it is sent, until stopped
//!   (`receiver.rs`).
//! * `enrolled DB WAIT_SECONDS` — waits for the collector's enroller to catch up, then counts
//!   its enrollments; prints JSON (`enrolled.rs`).
//! * `sqlite SCHEMA_DB NEW_DB ROWS_PER_TX SECONDS [plain]` — the raw-SQLite insert reference
//!   (`plain`: without keeping ids unique); prints JSON.
//! * `app ADDR TOKEN RUNS` — the analyst app's pages timed on such a database (`app.rs`);
//!   prints JSON.
//! * `fill DB EVENTS` — a new database with `EVENTS` completions for the analyst app's
//!   benchmark (`fill.rs`); prints JSON.
//! * `importfile PATH ROWS` — a spreadsheet of `ROWS` rows × 10 columns, `.csv` or `.xlsx` by
//!   its name (`import.rs`).
//! * `import ADDR TOKEN FILE PID` — imports FILE through the collector (process PID) while
//!   beacons are sent; prints the time, rows per second, memory above idle and the beacons'
//!   latency as JSON (`import.rs`).
#![forbid(unsafe_code)]

mod app;
mod beacon;
mod enrolled;
mod fill;
mod import;
mod load;
mod pg_ref;
mod receiver;
mod sqlite_ref;
mod visits;
mod workflows;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let num = |i: usize| {
        arg(i)
            .parse::<f64>()
            .map_err(|_| format!("argument {i} must be a number, got {:?}", arg(i)))
    };
    // `--visits BEACONS PERCENT` may follow `load`'s arguments.
    let visits_at = args.iter().position(|a| a == "--visits");
    let current_thread = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    };
    let outcome: Result<serde_json::Value, String> = match arg(0) {
        "definition" => {
            println!("{}", beacon::definition());
            return;
        }
        "workflows" => match num(1) {
            Ok(count) => {
                let (event, _) = beacon::event();
                for body in workflows::definitions(&event, count as usize, arg(2)) {
                    println!("{body}");
                }
                return;
            }
            Err(e) => Err(e),
        },
        "receive" => (|| current_thread()?.block_on(receiver::run(arg(1))))(),
        "enrolled" => (|| enrolled::run(arg(1).as_ref(), num(2)?))(),
        "load" => (|| {
            let visits = match visits_at {
                Some(i) => Some(visits::Visits {
                    beacons: num(i + 1)? as u64,
                    identified_percent: num(i + 2)? as u64,
                }),
                None => None,
            };
            let load = load::Load {
                addr: arg(1).to_owned(),
                site: arg(2).to_owned(),
                connections: num(3)? as usize,
                batch: num(4)? as usize,
                seconds: num(5)?,
                rate: if arg(6).is_empty() || visits_at == Some(6) { None } else { Some(num(6)?) },
                stop: None,
                visits,
                gzip: std::env::var("LOADGEN_GZIP").is_ok_and(|v| v == "1"),
            };
            current_thread()?.block_on(load::run(load))
        })(),
        "app" => (|| app::run(arg(1), arg(2), num(3)? as usize))(),
        "fill" => (|| fill::run(arg(1).as_ref(), num(2)? as usize))(),
        "importfile" => (|| import::write_file(arg(1).as_ref(), num(2)? as usize))(),
        "import" => (|| import::run(arg(1), arg(2), arg(3).as_ref(), num(4)? as u32))(),
        "pg" => (|| current_thread()?.block_on(pg_ref::run(arg(1), num(2)? as usize, num(3)?, num(4)? as usize, arg(5) == "copy")))(),
        "sqlite" => (|| sqlite_ref::run(arg(1).as_ref(), arg(2).as_ref(), num(3)? as usize, num(4)?, arg(5) == "plain"))(),
        _ => Err("usage: wasmtrack-loadgen definition | load ADDR[,ADDR…] SITE CONNECTIONS BATCH SECONDS [EVENTS_PER_S] [--visits BEACONS PERCENT] | workflows COUNT HOOK_URL | receive ADDR | enrolled DB WAIT_SECONDS | sqlite SCHEMA_DB NEW_DB ROWS_PER_TX SECONDS [plain] | pg URL ROWS_PER_TX SECONDS CONNECTIONS [copy] | fill DB EVENTS | app ADDR TOKEN RUNS | importfile PATH ROWS | import ADDR TOKEN FILE PID".into()),
    };
    match outcome {
        Ok(figures) => println!("{figures}"),
        Err(message) => {
            eprintln!("wasmtrack-loadgen: {message}");
            std::process::exit(1);
        }
    }
}
