//! MCP protocol revisions and negotiation.

use std::fmt;

/// An MCP protocol revision this crate speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    /// 2024-11-05 (HTTP+SSE era).
    V2024_11_05,
    /// 2025-03-26 (Streamable HTTP, batching).
    V2025_03_26,
    /// 2025-06-18 (structured output, elicitation; no batching).
    V2025_06_18,
    /// 2025-11-25.
    V2025_11_25,
}

impl ProtocolVersion {
    /// The newest revision, offered when the client asks for one we do not know.
    pub const LATEST: ProtocolVersion = ProtocolVersion::V2025_11_25;
    /// Every revision, newest first.
    pub const ALL: [ProtocolVersion; 4] = [
        ProtocolVersion::V2025_11_25,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2024_11_05,
    ];
    /// The version a Streamable HTTP server assumes when the header is absent (spec: 2025-03-26).
    pub const HTTP_DEFAULT: ProtocolVersion = ProtocolVersion::V2025_03_26;

    /// The wire string, e.g. `"2025-11-25"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V2024_11_05 => "2024-11-05",
            ProtocolVersion::V2025_03_26 => "2025-03-26",
            ProtocolVersion::V2025_06_18 => "2025-06-18",
            ProtocolVersion::V2025_11_25 => "2025-11-25",
        }
    }

    /// Parses a wire string; `None` for revisions we do not speak.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The answer to an `initialize` that requested `requested`: the same revision when we
    /// speak it, otherwise our newest (the client then decides whether to continue).
    ///
    /// ```
    /// use fastmcp::protocol::ProtocolVersion;
    /// assert_eq!(ProtocolVersion::negotiate("2025-03-26"), ProtocolVersion::V2025_03_26);
    /// assert_eq!(ProtocolVersion::negotiate("1999-01-01"), ProtocolVersion::LATEST);
    /// ```
    pub fn negotiate(requested: &str) -> Self {
        Self::parse(requested).unwrap_or(Self::LATEST)
    }

    /// JSON-RPC batches were removed in 2025-06-18.
    pub fn allows_batches(self) -> bool {
        self < ProtocolVersion::V2025_06_18
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
