//! [`ConnectionMemo`]: the last bearer token a connection presented, so that a kept-alive client
//! repeating its token does not have it hashed again on every request.

use crate::PresentedToken;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// Longer tokens are not remembered (they are rare, and the memo lives as long as the connection).
const MAX_REMEMBERED_BYTES: usize = 8 * 1024;

/// Remembers the digest of the last token verified on one connection. It only saves the SHA-256:
/// verifiers still look the digest up in their caches, so expiry, key withdrawal and every other
/// check run as before. The token's bytes are kept for the byte comparison (constant-time, since
/// a proxy may multiplex several clients over one connection) and zeroed when replaced or dropped.
///
/// [`Server::serve_http`](https://docs.rs/fastmcp) gives every accepted connection one; an axum app
/// that mounts the router itself can insert an `Arc<ConnectionMemo>` per connection into the
/// request extensions.
///
/// ```
/// use fastmcp_auth::ConnectionMemo;
/// let memo = ConnectionMemo::new();
/// let first = memo.present("token-a");
/// first.digest();
/// memo.remember(&first);
/// assert!(memo.present("token-a").remembered());
/// assert!(!memo.present("token-b").remembered());
/// ```
#[derive(Default)]
pub struct ConnectionMemo {
    last: Mutex<Option<Remembered>>,
}

struct Remembered {
    token: Zeroizing<Vec<u8>>,
    digest: [u8; 32],
}

impl ConnectionMemo {
    /// An empty memo (one per connection).
    pub fn new() -> Self {
        Self::default()
    }

    /// `token` as presented on this connection, carrying the remembered digest if the connection
    /// presented exactly these bytes last time.
    pub fn present<'a>(&self, token: &'a str) -> PresentedToken<'a> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        match &*last {
            Some(r) if same_bytes(&r.token, token.as_bytes()) => {
                PresentedToken::with_remembered_digest(token, r.digest)
            }
            _ => PresentedToken::new(token),
        }
    }

    /// Remembers `token` and its digest, if a verifier computed it (call after the token was
    /// accepted).
    pub fn remember(&self, token: &PresentedToken<'_>) {
        let Some(digest) = token.digest_if_known() else { return };
        if token.remembered() || token.as_str().len() > MAX_REMEMBERED_BYTES {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        *last = Some(Remembered { token: Zeroizing::new(token.as_str().as_bytes().to_vec()), digest: *digest });
    }
}

/// Byte equality whose time depends only on the length: eight bytes at a time, OR-ing the
/// differences, with the result hidden from the optimiser until the end (`subtle`'s per-byte
/// barrier costs more than the SHA-256 this memo saves).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().unwrap_or_default());
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    let mut diff = x.by_ref().zip(y.by_ref()).fold(0u64, |d, (p, q)| d | (word(p) ^ word(q)));
    for (p, q) in x.remainder().iter().zip(y.remainder()) {
        diff |= u64::from(p ^ q);
    }
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sha256;

    #[test]
    fn remembers_only_the_same_bytes() {
        let memo = ConnectionMemo::new();
        let t = memo.present("aaaa");
        assert!(!t.remembered());
        memo.remember(&t); // no digest computed yet: nothing to remember
        assert!(!memo.present("aaaa").remembered());
        t.digest();
        memo.remember(&t);
        let again = memo.present("aaaa");
        assert!(again.remembered());
        assert_eq!(again.digest(), &sha256(b"aaaa"));
        // Same length, one byte different; a prefix; a longer token.
        for other in ["aaab", "aaa", "aaaaa"] {
            let p = memo.present(other);
            assert!(!p.remembered(), "{other}");
            assert_eq!(p.digest(), &sha256(other.as_bytes()));
        }
    }

    #[test]
    fn same_bytes_compares_every_byte() {
        let a: Vec<u8> = (0..=255).cycle().take(700).collect();
        assert!(same_bytes(&a, &a.clone()));
        for i in [0, 7, 8, 350, 695, 699] {
            let mut b = a.clone();
            b[i] ^= 1;
            assert!(!same_bytes(&a, &b), "difference at {i} missed");
        }
        assert!(!same_bytes(&a, &a[..699]));
        assert!(same_bytes(b"", b""));
    }

    #[test]
    fn a_new_token_replaces_the_old_one() {
        let memo = ConnectionMemo::new();
        for t in ["first", "second"] {
            let p = memo.present(t);
            p.digest();
            memo.remember(&p);
        }
        assert!(memo.present("second").remembered());
        assert!(!memo.present("first").remembered());
    }

    #[test]
    fn long_tokens_are_not_remembered() {
        let memo = ConnectionMemo::new();
        let long = "x".repeat(MAX_REMEMBERED_BYTES + 1);
        let p = memo.present(&long);
        p.digest();
        memo.remember(&p);
        assert!(!memo.present(&long).remembered());
    }
}
