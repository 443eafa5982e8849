//! Command-line flags (each also readable from a `WASMTRACK_*` environment variable) and the
//! resolved [`Config`] that [`crate::serve`] runs with.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::bail;
use clap::Parser;

use crate::connections::ConnectionLimits;
use crate::model::site::{normalize_origin, valid_id, MAX_ORIGINS};
use crate::rate_limit::Limit;
use crate::store::Retention;

/// The collector's flags.
#[derive(Debug, Parser)]
#[command(
    name = "wasmtrack-collector",
    version,
    about = "The wasmtrack collector: a HubSpot-compatible custom-events API"
)]
pub struct Cli {
    /// Address and port to listen on.
    #[arg(long, env = "WASMTRACK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Directory of the database (`wasmtrack.db`) and the generated admin token (`admin-token`).
    #[arg(
        long,
        env = "WASMTRACK_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// A PostgreSQL database (`postgres://USER@HOST:PORT/DB`) to keep everything in instead of
    /// the embedded SQLite file, for several collectors sharing one database
    /// (`docs/postgres.md`). The data directory still holds the admin token and uploads.
    #[arg(
        long,
        env = "WASMTRACK_DATABASE_URL",
        value_name = "postgres://…",
        hide_env_values = true,
        global = true
    )]
    pub database: Option<String>,
    /// Static files to serve: `DIR` at `/`, or `PREFIX=DIR` (e.g. `/dist=dist`). Repeatable;
    /// in the environment, separate entries with `;`.
    #[arg(
        long = "www",
        env = "WASMTRACK_WWW",
        value_delimiter = ';',
        value_name = "[PREFIX=]DIR"
    )]
    pub www: Vec<String>,
    /// A site and its allowed origins, created or updated at start: `ID=ORIGIN[,ORIGIN…]`
    /// (`*` allows any origin and server-side posts). Repeatable; in the environment, separate
    /// entries with `;`.
    #[arg(
        long = "site",
        env = "WASMTRACK_SITE",
        value_delimiter = ';',
        value_name = "ID=ORIGIN[,ORIGIN…]"
    )]
    pub sites: Vec<String>,
    /// The admin token. When absent, one is generated on first start and kept in
    /// `DATA_DIR/admin-token`.
    #[arg(long, env = "WASMTRACK_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Days beacon events of undefined names are held for replay.
    #[arg(long, env = "WASMTRACK_HELD_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub held_days: u32,
    /// Most beacon events held for replay; past it the oldest go first.
    #[arg(long, env = "WASMTRACK_HELD_MAX", default_value_t = 1_000_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub held_max: u32,
    /// Days refused beacon events are kept (`/v1/rejected`).
    #[arg(long, env = "WASMTRACK_REJECTED_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub rejected_days: u32,
    /// Most refused beacon events kept; past it the oldest go first.
    #[arg(long, env = "WASMTRACK_REJECTED_MAX", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub rejected_max: u32,
    /// Beacon events a second one site may send (bursts of twice as many); 0 for no limit.
    #[arg(long, env = "WASMTRACK_BEACON_RATE", default_value_t = 20_000)]
    pub beacon_rate: u32,
    /// API requests a second one credential may make (bursts of twice as many); 0 for no
    /// limit.
    #[arg(long, env = "WASMTRACK_API_RATE", default_value_t = 100)]
    pub api_rate: u32,
    /// Seconds a client may take to send a request's headers (and to start the next request
    /// on a kept-alive connection).
    #[arg(long, env = "WASMTRACK_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout: u64,
    /// Most open connections from one IP address.
    #[arg(long, env = "WASMTRACK_MAX_CONNECTIONS_PER_IP", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections_per_ip: u64,
    /// Seconds a shutdown waits for requests in flight before closing their connections.
    #[arg(long, env = "WASMTRACK_SHUTDOWN_GRACE", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub shutdown_grace: u64,
    /// Largest spreadsheet an import may upload, in bytes (default 1 GiB).
    #[arg(long, env = "WASMTRACK_IMPORT_MAX_BYTES", default_value_t = crate::import::DEFAULT_MAX_BYTES, value_parser = clap::value_parser!(u64).range(1..))]
    pub import_max_bytes: u64,
    /// Let workflow webhooks reach loopback, private and link-local addresses (development,
    /// intranets); off by default, so a workflow cannot be pointed at the collector's network.
    #[arg(long, env = "WASMTRACK_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
    /// Instead of serving: import a spreadsheet (see `import --help`), or move the database
    /// to PostgreSQL (see `migrate --help`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the binary does instead of serving.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Imports a spreadsheet's rows as completions of an event (CSV, XLSX or XLS), into the
    /// data directory (`--data-dir`, the collector stopped) or through a running collector
    /// (`--collector URL`, with `--token`), with a progress bar.
    Import(crate::import::cli::ImportArgs),
    /// Copies the SQLite database of a data directory (`--from`, the collector stopped) into a
    /// PostgreSQL database (`--to`), table by table with a progress bar; an interrupted run
    /// continues where it stopped when started again (`docs/postgres.md`).
    Migrate(crate::migrate::cli::MigrateArgs),
}

/// A static directory served at a path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WwwMount {
    /// `/` or `/dist` (no trailing slash).
    pub prefix: String,
    /// The directory.
    pub dir: PathBuf,
}

/// A site declared at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteDecl {
    /// Site id.
    pub id: String,
    /// Normalized allowed origins.
    pub origins: Vec<String>,
}

/// Everything [`crate::serve`] needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Data directory.
    pub data_dir: PathBuf,
    /// PostgreSQL URL; `None`: the embedded SQLite file in the data directory.
    pub database: Option<String>,
    /// Static directories.
    pub www: Vec<WwwMount>,
    /// Sites to create or update.
    pub sites: Vec<SiteDecl>,
    /// Admin token from the environment, if set.
    pub admin_token: Option<String>,
    /// How long held and refused events are kept, and how many.
    pub retention: Retention,
    /// Beacon events per site.
    pub beacon_limit: Limit,
    /// API requests per credential.
    pub api_limit: Limit,
    /// Bounds on connections.
    pub connections: ConnectionLimits,
    /// Largest spreadsheet an import may upload, bytes.
    pub import_max_bytes: u64,
    /// Whether webhooks may reach non-public addresses.
    pub allow_private_webhooks: bool,
}

impl Config {
    /// A configuration with only a data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            database: None,
            www: vec![],
            sites: vec![],
            admin_token: None,
            retention: Retention::default(),
            beacon_limit: Limit::NONE,
            api_limit: Limit::NONE,
            connections: ConnectionLimits::default(),
            import_max_bytes: crate::import::DEFAULT_MAX_BYTES,
            allow_private_webhooks: false,
        }
    }
}

impl Cli {
    /// Checks and resolves the flags.
    pub fn into_config(self) -> anyhow::Result<Config> {
        let www = self
            .www
            .iter()
            .map(|w| parse_www(w))
            .collect::<anyhow::Result<Vec<_>>>()?;
        for (i, mount) in www.iter().enumerate() {
            if www[..i].iter().any(|m| m.prefix == mount.prefix) {
                bail!("--www: two directories for the prefix {}", mount.prefix);
            }
        }
        let sites = self
            .sites
            .iter()
            .map(|s| parse_site(s))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let admin_token = self.admin_token.filter(|t| !t.trim().is_empty());
        const DAY: i64 = 86_400_000;
        let retention = Retention {
            held_ms: i64::from(self.held_days) * DAY,
            held_rows: i64::from(self.held_max),
            rejected_ms: i64::from(self.rejected_days) * DAY,
            rejected_rows: i64::from(self.rejected_max),
        };
        let database = self.database.filter(|d| !d.trim().is_empty());
        if let Some(url) = &database {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                bail!("--database: expected a postgres:// URL, got {url:?}");
            }
        }
        Ok(Config {
            data_dir: self.data_dir,
            database,
            www,
            sites,
            admin_token,
            retention,
            beacon_limit: Limit::per_second(self.beacon_rate),
            api_limit: Limit::per_second(self.api_rate),
            connections: ConnectionLimits {
                header_timeout: std::time::Duration::from_secs(self.header_timeout),
                per_ip: usize::try_from(self.max_connections_per_ip).unwrap_or(usize::MAX),
                grace: std::time::Duration::from_secs(self.shutdown_grace),
                ..ConnectionLimits::default()
            },
            import_max_bytes: self.import_max_bytes,
            allow_private_webhooks: self.allow_private_webhooks,
        })
    }
}

/// Reads `DIR` or `PREFIX=DIR`.
pub fn parse_www(text: &str) -> anyhow::Result<WwwMount> {
    let (prefix, dir) = match text.split_once('=') {
        Some((prefix, dir)) => (prefix.trim(), dir.trim()),
        None => ("/", text.trim()),
    };
    if dir.is_empty() {
        bail!("--www {text}: no directory");
    }
    let prefix = format!("/{}", prefix.trim_matches('/'));
    if prefix.starts_with("/events") || prefix.starts_with("/v1") || prefix == "/healthz" {
        bail!("--www {text}: the prefix {prefix} is used by the API");
    }
    Ok(WwwMount {
        prefix,
        dir: PathBuf::from(dir),
    })
}

/// Reads `ID=ORIGIN[,ORIGIN…]`.
pub fn parse_site(text: &str) -> anyhow::Result<SiteDecl> {
    let Some((id, origins)) = text.split_once('=') else {
        bail!("--site {text}: expected ID=ORIGIN[,ORIGIN…]");
    };
    let id = id.trim();
    if !valid_id(id) {
        bail!("--site {text}: a site id is 1-64 characters of A-Z a-z 0-9 _ - . starting with a letter or digit");
    }
    let mut list = Vec::new();
    for origin in origins.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        match normalize_origin(origin) {
            Some(o) if !list.contains(&o) => list.push(o),
            Some(_) => {}
            None => bail!("--site {text}: {origin} is not an origin (scheme://host[:port] or *)"),
        }
    }
    if list.is_empty() || list.len() > MAX_ORIGINS {
        bail!("--site {text}: give 1 to {MAX_ORIGINS} origins");
    }
    Ok(SiteDecl {
        id: id.to_owned(),
        origins: list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn www_mounts_read_with_and_without_prefix() {
        assert_eq!(
            parse_www("www").unwrap(),
            WwwMount {
                prefix: "/".into(),
                dir: "www".into()
            }
        );
        assert_eq!(
            parse_www("/dist=dist").unwrap(),
            WwwMount {
                prefix: "/dist".into(),
                dir: "dist".into()
            }
        );
        assert_eq!(parse_www("dist/=out").unwrap().prefix, "/dist");
        assert!(parse_www("/v1=x").is_err());
    }

    #[test]
    fn sites_read_with_their_origins() {
        let site = parse_site("demo=http://localhost:8080, https://Shop.example/").unwrap();
        assert_eq!(site.id, "demo");
        assert_eq!(
            site.origins,
            vec!["http://localhost:8080", "https://shop.example"]
        );
        assert_eq!(parse_site("any=*").unwrap().origins, vec!["*"]);
        assert!(parse_site("demo").is_err());
        assert!(parse_site("demo=").is_err());
        assert!(parse_site("demo=shop.example").is_err());
    }

    #[test]
    fn flags_resolve_into_a_config() {
        let cli = Cli::parse_from([
            "x",
            "--www",
            "www",
            "--www",
            "/dist=dist",
            "--site",
            "demo=*",
            "--data-dir",
            "/tmp/d",
        ]);
        let config = cli.into_config().unwrap();
        assert_eq!(config.www.len(), 2);
        assert_eq!(config.sites[0].id, "demo");
        assert_eq!(config.data_dir, PathBuf::from("/tmp/d"));
        let twice = Cli::parse_from(["x", "--www", "a", "--www", "b"]);
        assert!(twice.into_config().is_err());
    }
}
