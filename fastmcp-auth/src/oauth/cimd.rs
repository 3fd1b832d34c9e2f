//! Client ID Metadata Documents (MCP 2025-11-25): a client whose `client_id` is an https URL
//! is described by the JSON document at that URL. Fetched with a timeout, a size cap and no
//! redirects, never from private or loopback addresses (unless allowed for tests), and cached
//! per the response's caching headers.

use super::redirect;
use super::store::ClientRecord;
use crate::http_client::read_capped;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) struct CimdCache {
    allow_private: bool,
    cache: Mutex<HashMap<String, (ClientRecord, Instant)>>,
}

/// True for a `client_id` that names a metadata document.
pub(crate) fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

fn private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| private(IpAddr::V4(v4)))
        }
    }
}

impl CimdCache {
    pub fn new(allow_private: bool) -> Self {
        CimdCache { allow_private, cache: Mutex::new(HashMap::new()) }
    }

    /// The client described by the document at `url`.
    pub async fn client(&self, url: &str) -> Result<ClientRecord, String> {
        if let Some((c, until)) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(url)
            && Instant::now() < *until
        {
            return Ok(c.clone());
        }
        let parsed = url::Url::parse(url).map_err(|e| format!("client_id `{url}` is not a URL: {e}"))?;
        let https = parsed.scheme() == "https";
        if !(https || (self.allow_private && parsed.scheme() == "http")) {
            return Err("a client_id metadata document must be served over https".into());
        }
        if parsed.fragment().is_some() || parsed.path() == "/" || parsed.path().is_empty() {
            return Err("a client_id URL needs a path and no fragment".into());
        }
        let host = parsed.host_str().ok_or("client_id URL has no host")?.trim_matches(['[', ']']).to_owned();
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        let addr = *addrs.first().ok_or_else(|| format!("{host} has no address"))?;
        if !self.allow_private && addrs.iter().any(|a| private(a.ip())) {
            return Err(format!(
                "refusing to fetch client metadata from a private or loopback address ({})",
                addr.ip()
            ));
        }
        // Pin the checked address so a second DNS answer cannot point elsewhere.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .resolve(&host, addr)
            .build()
            .map_err(|e| e.to_string())?;
        let resp = http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| format!("fetching {url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("fetching {url}: HTTP {}", resp.status()));
        }
        let ttl = cache_ttl(resp.headers().get(reqwest::header::CACHE_CONTROL).and_then(|v| v.to_str().ok()));
        let body = read_capped(resp, 64 * 1024).await?;
        let doc: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| format!("client metadata is not JSON: {e}"))?;
        if doc.get("client_id").and_then(|v| v.as_str()) != Some(url) {
            return Err("the document's client_id does not equal its URL".into());
        }
        let method = doc.get("token_endpoint_auth_method").and_then(|v| v.as_str()).unwrap_or("none");
        if method != "none" {
            return Err(format!(
                "token_endpoint_auth_method `{method}` is not supported for metadata-document clients (use none)"
            ));
        }
        let redirect_uris: Vec<String> = doc
            .get("redirect_uris")
            .and_then(|v| v.as_array())
            .ok_or("the document has no redirect_uris")?
            .iter()
            .map(|u| u.as_str().map(str::to_owned).ok_or_else(|| "redirect_uris must be strings".to_owned()))
            .collect::<Result<_, _>>()?;
        if redirect_uris.is_empty() {
            return Err("the document has no redirect_uris".into());
        }
        for u in &redirect_uris {
            redirect::validate(u)?;
        }
        let client = ClientRecord {
            client_id: url.to_owned(),
            secret_hash: None,
            name: doc.get("client_name").and_then(|v| v.as_str()).map(str::to_owned),
            redirect_uris,
            auth_method: "none".into(),
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            scope: doc.get("scope").and_then(|v| v.as_str()).map(str::to_owned),
            created_at: crate::now_unix(),
        };
        if let Some(ttl) = ttl {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() > 1000 {
                cache.clear();
            }
            cache.insert(url.to_owned(), (client.clone(), Instant::now() + ttl));
        }
        Ok(client)
    }
}

/// How long to reuse a document: `max-age` clamped to [1 min, 1 day], 5 minutes by default,
/// never with `no-store`.
fn cache_ttl(cache_control: Option<&str>) -> Option<Duration> {
    let Some(cc) = cache_control else { return Some(Duration::from_secs(300)) };
    let mut ttl = Some(Duration::from_secs(300));
    for d in cc.split(',').map(|d| d.trim().to_ascii_lowercase()) {
        if d == "no-store" || d == "no-cache" {
            return None;
        }
        if let Some(v) = d.strip_prefix("max-age=") {
            ttl = v.parse().ok().map(|s: u64| Duration::from_secs(s.clamp(60, 86_400)));
        }
    }
    ttl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "100.64.0.1",
        ] {
            assert!(private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(!private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn caching_headers() {
        assert_eq!(cache_ttl(Some("max-age=10")), Some(Duration::from_secs(60)));
        assert_eq!(cache_ttl(Some("public, max-age=3600")), Some(Duration::from_secs(3600)));
        assert_eq!(cache_ttl(Some("no-store")), None);
        assert_eq!(cache_ttl(None), Some(Duration::from_secs(300)));
    }
}
