//! The throw-away cluster really is a PostgreSQL server: it takes SQL on its port, keeps what
//! was committed across a crash-like stop and a restart, refuses connections while it is down,
//! and leaves nothing behind.

use wasmtrack_pgcluster::Cluster;

#[test]
fn a_cluster_serves_sql_survives_a_kill_and_restart_and_is_removed_on_drop() {
    let cluster = Cluster::start().expect("start");
    assert!(cluster
        .url("postgres")
        .starts_with("postgres://wasmtrack@127.0.0.1:"));
    cluster.create_database("events").expect("createdb");
    cluster
        .psql(
            "events",
            "CREATE TABLE t (n int); INSERT INTO t SELECT generate_series(1, 1000)",
        )
        .expect("write");
    assert_eq!(
        cluster.psql("events", "SELECT sum(n) FROM t").unwrap(),
        "500500"
    );

    cluster.kill().expect("kill");
    let down = cluster
        .psql("events", "SELECT 1")
        .expect_err("no server while it is down");
    assert!(
        down.contains("connection") || down.contains("server"),
        "{down}"
    );
    cluster.restart().expect("restart");
    assert_eq!(
        cluster.psql("events", "SELECT count(*) FROM t").unwrap(),
        "1000",
        "committed rows survive"
    );

    // Two clusters at once: each its own port and data.
    let other = Cluster::start().expect("a second cluster");
    assert_ne!(other.port(), cluster.port());
    assert!(
        other.psql("events", "SELECT 1").is_err(),
        "the database is the first cluster's only"
    );

    let port = cluster.port();
    drop(cluster);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "stopped on drop"
    );
    let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("wasmtrack-pg-{}-0", std::process::id()))
        })
        .collect();
    assert!(leftovers.is_empty(), "its directory is removed");
}
