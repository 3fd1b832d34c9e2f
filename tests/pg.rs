//! Throwaway PostgreSQL clusters for the integration tests.
//!
//! `scripts/test` installs the Debian `postgresql` package when its server binaries are missing
//! and exports `FASTMCP_TEST_PG_BIN` (e.g. `/usr/lib/postgresql/15/bin`). [`Postgres::start`]
//! runs `initdb` into a fresh directory under [`std::env::temp_dir`], starts the server with
//! `pg_ctl` on a free port of 127.0.0.1 (trust authentication, no fsync), and the `Drop` impl
//! stops it (`pg_ctl stop -m immediate`) and deletes the directory.
//!
//! PostgreSQL refuses to run as root: when the tests run as root (as in CI), the server-side
//! commands run as the `postgres` system user (created by the Debian package) through
//! `runuser`, and the cluster directory is chowned to that user. The client commands (`psql`,
//! `createdb`) connect over TCP and run as the current user.
//!
//! Layout of one cluster directory `<tmp>/fastmcp-pg-<pid>-<n>-<nanos>/`:
//! `data/` (PGDATA), `postgres.log` (server log), `pg_ctl.out`, and the Unix socket.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The database superuser `initdb` creates (`-U`).
pub const PG_USER: &str = "fastmcp";
/// The database that exists right after `initdb`; [`Postgres::url`] points at it.
pub const PG_DEFAULT_DB: &str = "postgres";
/// Prefix of the cluster directories under the temp dir.
const DIR_PREFIX: &str = "fastmcp-pg-";

/// A throwaway PostgreSQL cluster on 127.0.0.1 (random free port, temp data dir, trust auth
/// for local TCP connections), stopped and deleted on drop.
pub struct Postgres {
    /// `postgres://fastmcp@127.0.0.1:PORT/postgres`
    pub url: String,
    /// The TCP port on 127.0.0.1.
    pub port: u16,
    /// The cluster directory (holds `data/`, `postgres.log`, the Unix socket).
    pub dir: PathBuf,
    bin: PathBuf,
    /// `Some("postgres")` when the server commands run through `runuser` (we are root).
    run_as: Option<String>,
}

impl Postgres {
    /// Creates and starts a new cluster. Panics with instructions when `FASTMCP_TEST_PG_BIN`
    /// is unset or does not hold the PostgreSQL server binaries, and with the server log when
    /// the cluster does not start: tests never skip silently.
    pub fn start() -> Self {
        let started = Instant::now();
        let bin = pg_bin();
        let run_as = server_user();
        static REAP: Once = Once::new();
        REAP.call_once(|| reap_stale_clusters(&bin, run_as.as_deref()));

        // A unique, private directory owned by the server user.
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "{DIR_PREFIX}{}-{}-{nanos:09}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        if let Some(user) = &run_as {
            let (uid, gid) = user_ids(user);
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("cannot chown {} to {user}: {e}", dir.display()));
        }
        // From here on, a failure still cleans up: `pg` is dropped while panicking.
        let mut pg = Postgres { url: String::new(), port: 0, dir, bin, run_as };

        let data = pg.data_dir();
        let out = pg.server_cmd("initdb", |c| {
            c.arg("-D").arg(&data).args([
                "-A",
                "trust",
                "-U",
                PG_USER,
                "--no-sync",
                "--no-locale",
                "-E",
                "UTF8",
                "--no-instructions",
            ]);
        });
        if !out.status.success() {
            panic!(
                "initdb failed ({}):\n{}{}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                pg.access_hint()
            );
        }

        // Settings go into postgresql.conf (no shell quoting of paths through `pg_ctl -o`).
        let socket_dir = if pg.dir.as_os_str().len() + "/.s.PGSQL.65535".len() < 100 {
            pg.dir.to_string_lossy().replace('\'', "''")
        } else {
            String::new() // path too long for a Unix socket: TCP only
        };
        let settings = format!(
            "\n# fastmcp-tests (tests/pg.rs)\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{socket_dir}'\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             max_connections = 100\n\
             shared_buffers = 32MB\n"
        );
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap_or_else(|e| panic!("cannot read {}: {e}", conf.display()));
        text.push_str(&settings);
        std::fs::write(&conf, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", conf.display()));

        // A free port can be taken by someone else between our probe and the server's bind:
        // retry with a fresh port when the log says so.
        let log = pg.log_path();
        let mut attempt = 0;
        loop {
            attempt += 1;
            pg.port = free_port();
            let _ = std::fs::remove_file(&log);
            let out = pg.server_cmd("pg_ctl", |c| {
                c.arg("start")
                    .arg("-D")
                    .arg(&data)
                    .arg("-l")
                    .arg(&log)
                    .args(["-w", "-t", "30", "-o"])
                    .arg(format!("-p {}", pg.port));
            });
            if out.status.success() {
                break;
            }
            let tail = pg.log_tail(40);
            let port_taken = tail.contains("could not bind") || tail.contains("Address already in use");
            if port_taken && attempt < 5 {
                // The postmaster exits by itself when it cannot bind; make sure before retrying.
                pg.stop();
                continue;
            }
            panic!(
                "PostgreSQL did not start (pg_ctl {}, attempt {attempt}, port {}):\n{}{}\n--- tail of {} ---\n{tail}",
                out.status,
                pg.port,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                log.display()
            );
        }
        pg.url = pg.database_url(PG_DEFAULT_DB);
        if std::env::var_os("FASTMCP_TEST_PG_VERBOSE").is_some() {
            eprintln!("[pg] {} up in {:.2?} ({})", pg.url, started.elapsed(), pg.dir.display());
        }
        pg
    }

    /// Creates a database (owned by `fastmcp`) and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        let out = self.client_cmd("createdb").arg(name).output().expect("failed to run createdb");
        assert!(
            out.status.success(),
            "createdb {name:?} failed ({}): {}{}\n--- tail of {} ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log_path().display(),
            self.log_tail(20)
        );
        self.database_url(name)
    }

    /// The URL of a database of this cluster (which need not exist yet).
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://{PG_USER}@127.0.0.1:{}/{}", self.port, percent_encode(name))
    }

    /// Runs SQL with `psql` against `database` and returns its unaligned, tuples-only output
    /// (one row a line, columns separated by `|`). Panics when psql fails.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let out = self
            .client_cmd("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql])
            .output()
            .expect("failed to run psql");
        assert!(
            out.status.success(),
            "psql -d {database} -c {sql:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Self-check: `SELECT 1` over TCP returns `1`.
    pub fn smoke(&self) {
        let got = self.psql(PG_DEFAULT_DB, "SELECT 1");
        assert_eq!(got.trim(), "1", "unexpected psql output for SELECT 1 on {}", self.url);
    }

    /// The server log (`postgres.log` in the cluster directory).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// The last `lines` lines of the server log.
    pub fn log_tail(&self, lines: usize) -> String {
        match std::fs::read_to_string(self.log_path()) {
            Ok(text) => {
                let all: Vec<&str> = text.lines().collect();
                all[all.len().saturating_sub(lines)..].join("\n")
            }
            Err(e) => format!("(no log: {e})"),
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A client program (`psql`, `createdb`) connecting over TCP as `fastmcp`.
    fn client_cmd(&self, program: &str) -> Command {
        let mut c = Command::new(self.bin.join(program));
        c.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", PG_USER])
            .env("PGCONNECT_TIMEOUT", "10")
            .env("PGSSLMODE", "disable")
            .env_remove("PGOPTIONS")
            .env_remove("PGSERVICE")
            .env_remove("PGDATABASE")
            .stdin(Stdio::null());
        c
    }

    /// Runs a server-side program (`initdb`, `pg_ctl`) as the server user.
    fn server_cmd(&self, program: &str, args: impl FnOnce(&mut Command)) -> Output {
        let mut c = server_command(&self.bin, self.run_as.as_deref(), program);
        c.current_dir(&self.dir);
        args(&mut c);
        c.output().unwrap_or_else(|e| panic!("failed to run {program}: {e}"))
    }

    /// Stops the server if it runs (`pg_ctl stop -m immediate`, then SIGKILL as a fallback).
    fn stop(&self) {
        stop_cluster(&self.bin, self.run_as.as_deref(), &self.dir);
    }

    fn access_hint(&self) -> String {
        match &self.run_as {
            Some(user) => format!(
                "(initdb runs as the `{user}` user: every parent directory of {} must be searchable by it; \
                 point TMPDIR at a world-accessible directory such as /tmp if it is not)",
                self.dir.display()
            ),
            None => String::new(),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `FASTMCP_TEST_PG_BIN`, checked to hold the server binaries.
fn pg_bin() -> PathBuf {
    let Some(bin) = std::env::var_os("FASTMCP_TEST_PG_BIN") else {
        panic!(
            "FASTMCP_TEST_PG_BIN is not set: this test needs a PostgreSQL server, which `scripts/test` installs \
             (Debian package `postgresql`) and exports as FASTMCP_TEST_PG_BIN=/usr/lib/postgresql/<version>/bin. \
             Run the tests with `scripts/test`."
        )
    };
    let bin = PathBuf::from(bin);
    for tool in ["initdb", "pg_ctl", "postgres", "psql", "createdb"] {
        if !bin.join(tool).is_file() {
            panic!(
                "FASTMCP_TEST_PG_BIN={} has no `{tool}`; re-run `scripts/test` (it installs the Debian package \
                 `postgresql`)",
                bin.display()
            );
        }
    }
    bin
}

/// `None` when the current user may run the server itself; `Some("postgres")` when we are root.
fn server_user() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok().filter(|o| o.status.success());
    let is_root = match uid {
        Some(o) => String::from_utf8_lossy(&o.stdout).trim() == "0",
        None => panic!("cannot run `id -u` to find out whether the tests run as root"),
    };
    if !is_root {
        return None;
    }
    let user = "postgres";
    let has_user = Command::new("id").arg("-u").arg(user).output().map(|o| o.status.success()).unwrap_or(false);
    assert!(
        has_user,
        "the tests run as root and PostgreSQL refuses to run as root, but there is no `{user}` system user to run \
         it as; install the Debian package `postgresql` (scripts/test does) which creates it"
    );
    Some(user.to_string())
}

fn user_ids(user: &str) -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let out = Command::new("id").arg(flag).arg(user).output().expect("failed to run id");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("`id {flag} {user}` printed no number"))
    };
    (id("-u"), id("-g"))
}

fn server_command(bin: &Path, run_as: Option<&str>, program: &str) -> Command {
    let mut c = match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(bin.join(program));
            c
        }
        None => Command::new(bin.join(program)),
    };
    c.env("LC_ALL", "C").env_remove("PGDATA").env_remove("PGPORT").env_remove("PGHOST").stdin(Stdio::null());
    c
}

fn stop_cluster(bin: &Path, run_as: Option<&str>, dir: &Path) {
    let data = dir.join("data");
    let pid_file = data.join("postmaster.pid");
    if !pid_file.exists() {
        return;
    }
    let pid = std::fs::read_to_string(&pid_file)
        .ok()
        .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<u32>().ok()));
    let Some(pid) = pid else { return };
    // A stale pid file may name a process id that was reused since: only ever signal the
    // postmaster of this very data directory.
    let ours = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).contains(&*data.to_string_lossy()))
        .unwrap_or(false);
    if !ours {
        return;
    }
    let stopped = server_command(bin, run_as, "pg_ctl")
        .current_dir(dir)
        .arg("stop")
        .arg("-D")
        .arg(&data)
        .args(["-m", "immediate", "-w", "-t", "10"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    // `pg_ctl stop -w` returns once the pid file is gone, a moment before the postmaster has
    // exited: wait for it, so that no server process outlives the `Postgres` value.
    if stopped && wait_gone(pid, Duration::from_secs(5)) {
        return;
    }
    // pg_ctl could not stop it: kill the postmaster (its children exit when it is gone).
    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).stderr(Stdio::null()).status();
    wait_gone(pid, Duration::from_secs(5));
}

/// Waits until process `pid` has exited (or is a zombie); false on timeout.
fn wait_gone(pid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let alive = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // "pid (comm) S ...": the state follows the last ')'.
            Ok(stat) => stat.rsplit_once(')').map(|(_, r)| !r.trim_start().starts_with('Z')).unwrap_or(false),
            Err(_) => false,
        };
        if !alive {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Stops and deletes clusters left behind by test processes that died without running `Drop`
/// (killed on a timeout, aborted): their directory names carry the dead process id.
fn reap_stale_clusters(bin: &Path, run_as: Option<&str>) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(DIR_PREFIX) else { continue };
        let Some(Ok(pid)) = rest.split('-').next().map(str::parse::<u32>) else { continue };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let dir = entry.path();
        stop_cluster(bin, run_as, &dir);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("cannot bind an ephemeral port on 127.0.0.1")
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
