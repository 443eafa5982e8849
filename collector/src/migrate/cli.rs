//! `wasmtrack-collector migrate --from DATA_DIR --to postgres://…`: the flags, and what the
//! command prints. Exits 0 once the target is complete (a second run then does nothing), 1
//! when the migration failed or was refused; a failed run is resumed by running it again.

use std::path::{Path, PathBuf};

use anyhow::bail;

use super::{Options, Report, BATCH_ROWS};

/// The migrate subcommand's flags.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The data directory whose `wasmtrack.db` is copied (default: `--data-dir`). Stop the
    /// collector first: it is read as it is when the run starts.
    #[arg(long, value_name = "DATA_DIR")]
    pub from: Option<PathBuf>,
    /// The PostgreSQL database to copy into (`postgres://USER@HOST:PORT/DB`): a new, empty
    /// database, or the one an interrupted migration was copying into.
    #[arg(
        long,
        value_name = "postgres://…",
        env = "WASMTRACK_DATABASE_URL",
        hide_env_values = true
    )]
    pub to: String,
    /// Rows per batch and per transaction.
    #[arg(long, default_value_t = BATCH_ROWS as u32, hide = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_rows: u32,
}

/// Runs the migration and prints what it did.
pub async fn run(args: MigrateArgs, data_dir: &Path) -> anyhow::Result<()> {
    let from = args.from.as_deref().unwrap_or(data_dir);
    let options = Options {
        batch_rows: args.batch_rows as usize,
        ..Options::default()
    };
    let report = super::run(from, &args.to, &options).await?;
    print(&report);
    if !report.complete {
        bail!("the migration stopped before the end; run it again to continue");
    }
    Ok(())
}

fn print(report: &Report) {
    let rows = |n: u64| {
        if n == 1 {
            "1 row".to_owned()
        } else {
            format!("{n} rows")
        }
    };
    let now: u64 = report.tables.iter().map(|t| t.copied_now).sum();
    let all: u64 = report.tables.iter().map(|t| t.copied).sum();
    for t in report.tables.iter().filter(|t| t.copied_now > 0) {
        println!("{:>21}: {} copied", t.name, rows(t.copied_now));
    }
    if report.repaired > 0 {
        println!(
            "{} held NUL characters or invalid UTF-8, which PostgreSQL cannot store: those \
             characters are now U+FFFD",
            if report.repaired == 1 {
                "1 value".to_owned()
            } else {
                format!("{} values", report.repaired)
            }
        );
    }
    if !report.complete {
        return;
    }
    if now == 0 {
        println!(
            "nothing left to copy: the target holds the whole database ({})",
            rows(all)
        );
    } else if now < all {
        println!("{} copied by this run, {} in all", rows(now), rows(all));
    }
    println!(
        "done. Start the collectors with --database (or WASMTRACK_DATABASE_URL) naming this \
         database"
    );
}
