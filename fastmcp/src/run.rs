//! [`RunOptions`]: the command line and environment every fastmcp server binary understands
//! (`--transport stdio|http|sse`, `--host`, `--port`, `--stateless`, or `FASTMCP_TRANSPORT`,
//! `FASTMCP_HOST`, `FASTMCP_PORT`, `FASTMCP_STATELESS`), and [`Server::run`] which serves
//! accordingly.

use crate::{HttpConfig, Server};
use std::net::{IpAddr, SocketAddr};

/// Which transport to serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Newline-delimited JSON on stdin/stdout.
    Stdio,
    /// Streamable HTTP at `/mcp` (legacy SSE is served too, at `/sse`).
    Http,
    /// Legacy HTTP+SSE only (`/sse` + `/messages`); Streamable HTTP is served too.
    Sse,
}

/// Where and how to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// Transport (default `http`).
    pub transport: Transport,
    /// Address to bind for HTTP (default `127.0.0.1`).
    pub host: IpAddr,
    /// Port for HTTP (default 8000; 0 picks a free one).
    pub port: u16,
    /// Stateless Streamable HTTP (no sessions; see [`HttpConfig::stateless`]).
    pub stateless: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { transport: Transport::Http, host: IpAddr::from([127, 0, 0, 1]), port: 8000, stateless: false }
    }
}

/// A command-line or environment value that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

impl RunOptions {
    /// Reads `FASTMCP_*` variables, then command-line flags (flags win).
    ///
    /// ```
    /// use fastmcp::{RunOptions, Transport};
    /// let o = RunOptions::parse(["--transport", "stdio", "--port=9"].map(String::from), |_| None).unwrap();
    /// assert_eq!((o.transport, o.port), (Transport::Stdio, 9));
    /// assert!(RunOptions::parse(["--port", "x"].map(String::from), |_| None).is_err());
    /// ```
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, UsageError> {
        let mut o = RunOptions::default();
        for (var, flag) in [
            ("FASTMCP_TRANSPORT", "transport"),
            ("FASTMCP_HOST", "host"),
            ("FASTMCP_PORT", "port"),
            ("FASTMCP_STATELESS", "stateless"),
        ] {
            if let Some(v) = env(var) {
                o.set(flag, &v).map_err(|e| UsageError(format!("{var}: {e}")))?;
            }
        }
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "-h" || arg == "--help" {
                return Err(UsageError(
                    "usage: [--transport stdio|http|sse] [--host ADDR] [--port PORT] [--stateless]\n\
                     (or FASTMCP_TRANSPORT, FASTMCP_HOST, FASTMCP_PORT, FASTMCP_STATELESS=true)"
                        .into(),
                ));
            }
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(UsageError(format!("unexpected argument `{arg}`")));
            };
            if flag == "stateless" {
                o.stateless = true;
                continue;
            }
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n.to_owned(), v.to_owned()),
                None => {
                    let v = args.next().ok_or_else(|| UsageError(format!("--{flag} needs a value")))?;
                    (flag.to_owned(), v)
                }
            };
            o.set(&name, &value).map_err(|e| UsageError(format!("--{name}: {e}")))?;
        }
        Ok(o)
    }

    /// Reads the real environment and `std::env::args()`.
    pub fn from_env() -> Result<Self, UsageError> {
        Self::parse(std::env::args().skip(1), |k| std::env::var(k).ok())
    }

    fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "transport" => {
                self.transport = match value {
                    "stdio" => Transport::Stdio,
                    "http" | "streamable-http" => Transport::Http,
                    "sse" => Transport::Sse,
                    other => return Err(format!("unknown transport `{other}` (expected stdio, http or sse)")),
                }
            }
            "host" => {
                self.host = match value {
                    "localhost" => IpAddr::from([127, 0, 0, 1]),
                    v => v.parse().map_err(|_| format!("`{v}` is not an IP address"))?,
                }
            }
            "port" => self.port = value.parse().map_err(|_| format!("`{value}` is not a port number"))?,
            "stateless" => self.stateless = value.parse().map_err(|_| format!("`{value}` is not true or false"))?,
            other => {
                return Err(format!(
                    "unknown option `--{other}` (expected --transport, --host, --port or --stateless)"
                ));
            }
        }
        Ok(())
    }
}

/// Sends `tracing` output to stderr (stdout belongs to the stdio transport). Honours `RUST_LOG`.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).try_init();
}

impl Server {
    /// Serves as the command line and environment say (see [`RunOptions`]), logging to stderr.
    /// Exits the process with status 2 on a usage error.
    pub async fn run(&self) -> std::io::Result<()> {
        init_logging();
        let options = match RunOptions::from_env() {
            Ok(o) => o,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        self.run_with(options).await
    }

    /// Serves with explicit options.
    pub async fn run_with(&self, options: RunOptions) -> std::io::Result<()> {
        match options.transport {
            Transport::Stdio => self.serve_stdio().await,
            Transport::Http | Transport::Sse => {
                let addr = SocketAddr::new(options.host, options.port);
                self.serve_http(addr, HttpConfig::for_addr(addr).stateless(options.stateless)).await
            }
        }
    }
}
