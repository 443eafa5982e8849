//! A throw-away PostgreSQL cluster for tests and benchmarks (issue 19): `initdb` in a temporary
//! directory, `pg_ctl start` on a free port of 127.0.0.1, and everything removed when the
//! [`Cluster`] is dropped. Never a system service: each test suite starts its own, so tests
//! cannot see each other's data or a developer's databases.
//!
//! PostgreSQL refuses to run as root; under root (CI containers) every program runs as the
//! `postgres` user the Debian package creates, through `runuser`, and the directory is given
//! to that user. The programs are found in `WASMTRACK_PG_BIN`, else in the newest
//! `/usr/lib/postgresql/<version>/bin` (Debian's layout); `cargo xtask test` installs the
//! `postgresql` package when neither has them.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The role every cluster is created with (the superuser, trusted on 127.0.0.1).
pub const USER: &str = "wasmtrack";

/// How the cluster trades durability for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// PostgreSQL's defaults: what a benchmark should measure.
    Default,
    /// `fsync` and `full_page_writes` off: what a committed transaction wrote still reaches
    /// the operating system before the commit returns, so a killed or restarted server loses
    /// nothing; only a crash of the machine itself could. (`synchronous_commit` stays on: off,
    /// a server stopped as a crash would lose the last commits, which the tests of a database
    /// restarting under load must not allow. `tests/cluster.rs` found that.)
    Fast,
}

/// A running cluster. Stopped (immediately) and deleted on drop.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    durability: Durability,
    as_postgres: bool,
}

impl Cluster {
    /// Creates and starts a cluster for tests ([`Durability::Fast`]).
    pub fn start() -> Result<Cluster, String> {
        Cluster::start_with(Durability::Fast)
    }

    /// Creates and starts a cluster.
    pub fn start_with(durability: Durability) -> Result<Cluster, String> {
        let bin = bin_dir()?;
        let as_postgres = running_as_root();
        let dir = temp_dir()?;
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir))?;
        }
        let mut cluster = Cluster {
            bin,
            dir,
            port: 0,
            durability,
            as_postgres,
        };
        let data = cluster.data_dir();
        run(cluster.program("initdb").arg("-D").arg(&data).args([
            "-U",
            USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]))?;
        // A free port can be taken by someone else between looking and listening: try again.
        let mut last = String::new();
        for _ in 0..5 {
            cluster.port = free_port()?;
            match cluster.pg_ctl_start() {
                Ok(()) => return Ok(cluster),
                Err(e) => last = e,
            }
        }
        Err(format!("PostgreSQL did not start: {last}"))
    }

    /// `postgres://wasmtrack@127.0.0.1:<port>/<database>`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// The port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates a database (each test its own, on one cluster).
    pub fn create_database(&self, name: &str) -> Result<(), String> {
        run(self.program("createdb").args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            USER,
            name,
        ]))
        .map(|_| ())
    }

    /// Runs SQL with `psql` and returns what it printed (unaligned, tuples only).
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, String> {
        let out = run(self.program("psql").args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            USER,
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-c",
            sql,
        ]))?;
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
    }

    /// Stops the server as a crash would (`pg_ctl stop -m immediate`): no checkpoint, the next
    /// start replays the log. For tests of a database that goes away under load.
    pub fn kill(&self) -> Result<(), String> {
        run(self.program("pg_ctl").arg("-D").arg(self.data_dir()).args([
            "-m",
            "immediate",
            "-w",
            "stop",
        ]))
        .map(|_| ())
    }

    /// Starts the server again on the same port after [`Cluster::kill`].
    pub fn restart(&self) -> Result<(), String> {
        self.pg_ctl_start()
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200",
            self.port,
            self.dir.display()
        );
        if self.durability == Durability::Fast {
            options.push_str(" -c fsync=off -c full_page_writes=off");
        }
        run(self
            .program("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-o", &options, "-w", "-t", "30", "start"]))
        .map(|_| ())
        .map_err(|e| format!("{e}\n{}", self.log_tail()))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The end of the server's log, for error messages.
    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// One of PostgreSQL's programs, run as `postgres` when this process is root.
    fn program(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Where PostgreSQL's programs are.
fn bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("WASMTRACK_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| not_installed())?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(not_installed)
}

fn not_installed() -> String {
    "PostgreSQL's programs were not found in /usr/lib/postgresql/<version>/bin (or \
     WASMTRACK_PG_BIN): install them with `apt-get install -y postgresql` (`cargo xtask test` \
     does)"
        .into()
}

fn running_as_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// A new directory under the system's temporary directory, readable by `postgres`.
fn temp_dir() -> Result<PathBuf, String> {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "wasmtrack-pg-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn run(command: &mut Command) -> Result<Output, String> {
    let shown = format!("{command:?}");
    let out = command.output().map_err(|e| format!("{shown}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{shown} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
