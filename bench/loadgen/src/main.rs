//! `wasmtrack-loadgen`: the Rust half of `cargo xtask bench`'s collector figures, run as its
//! own process so the load does not share the collector's runtime.
//!
//! * `definition` — prints the benchmark event's definition (HubSpot's create body).
//! * `load ADDR SITE CONNECTIONS BATCH SECONDS [EVENTS_PER_S]` — beacons to `POST /v1/collect`
//!   on one thread (the other core is the collector's); prints the figures as JSON.
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
mod fill;
mod import;
mod load;
mod sqlite_ref;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let num = |i: usize| {
        arg(i)
            .parse::<f64>()
            .map_err(|_| format!("argument {i} must be a number, got {:?}", arg(i)))
    };
    let outcome: Result<serde_json::Value, String> = match arg(0) {
        "definition" => {
            println!("{}", beacon::definition());
            return;
        }
        "load" => (|| {
            let load = load::Load {
                addr: arg(1).to_owned(),
                site: arg(2).to_owned(),
                connections: num(3)? as usize,
                batch: num(4)? as usize,
                seconds: num(5)?,
                rate: if arg(6).is_empty() { None } else { Some(num(6)?) },
                stop: None,
            };
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(load::run(load))
        })(),
        "app" => (|| app::run(arg(1), arg(2), num(3)? as usize))(),
        "fill" => (|| fill::run(arg(1).as_ref(), num(2)? as usize))(),
        "importfile" => (|| import::write_file(arg(1).as_ref(), num(2)? as usize))(),
        "import" => (|| import::run(arg(1), arg(2), arg(3).as_ref(), num(4)? as u32))(),
        "sqlite" => (|| sqlite_ref::run(arg(1).as_ref(), arg(2).as_ref(), num(3)? as usize, num(4)?, arg(5) == "plain"))(),
        _ => Err("usage: wasmtrack-loadgen definition | load ADDR SITE CONNECTIONS BATCH SECONDS [EVENTS_PER_S] | sqlite SCHEMA_DB NEW_DB ROWS_PER_TX SECONDS [plain] | fill DB EVENTS | app ADDR TOKEN RUNS | importfile PATH ROWS | import ADDR TOKEN FILE PID".into()),
    };
    match outcome {
        Ok(figures) => println!("{figures}"),
        Err(message) => {
            eprintln!("wasmtrack-loadgen: {message}");
            std::process::exit(1);
        }
    }
}
