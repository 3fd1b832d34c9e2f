//! HTTP endpoints of the authorization server.

use super::pages::{ConsentPage, LoginPage};
use super::store::{ClientRecord, CodeRedemption, Grant, PendingRequest, RefreshRotation, Store};
use super::{OAuthServer, Registration, cimd, digest, random_token, redirect};
use crate::{ScopeSet, TokenVerifier, now_unix};
use axum::Router;
use axum::extract::{Form, Query, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// Per-key fixed-window counter (registrations per client IP per minute).
pub(crate) struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter { per_minute, windows: Mutex::new(HashMap::new()) }
    }
    fn allow(&self, key: &str) -> bool {
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if w.len() > 10_000 {
            w.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = w.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

/// An OAuth error response (RFC 6749 §5.2 shape), never cached.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn oauth_error(status: StatusCode, error: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError { status, error, description: description.into() }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(json!({ "error": self.error, "error_description": self.description })))
            .into_response();
        no_store(&mut r);
        if self.error == "invalid_client" {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"token\""));
        }
        r
    }
}

fn no_store(r: &mut Response) {
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn json_no_store(status: StatusCode, v: Value) -> Response {
    let mut r = (status, axum::Json(v)).into_response();
    no_store(&mut r);
    r
}

impl OAuthServer {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.settings.issuer)
    }

    fn metadata(&self) -> Value {
        let s = &self.inner.settings;
        let mut m = json!({
            "issuer": s.issuer,
            "authorization_endpoint": self.url("/authorize"),
            "token_endpoint": self.url("/token"),
            "revocation_endpoint": self.url("/revoke"),
            "introspection_endpoint": self.url("/introspect"),
            "jwks_uri": self.url("/jwks"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": s.scopes_supported.to_vec(),
            "client_id_metadata_document_supported": true,
            "authorization_response_iss_parameter_supported": true,
        });
        if s.registration != Registration::Closed {
            m["registration_endpoint"] = json!(self.url("/register"));
        }
        m
    }

    /// Pages never go stale, never embed, never leak referrers.
    fn page(&self, status: StatusCode, html: String, form_target: Option<&str>) -> Response {
        let mut r = (status, Html(html)).into_response();
        let h = r.headers_mut();
        // Chromium applies form-action to the redirect that follows a form post, so the
        // client's redirect origin is allowed too.
        let form_action = match form_target.and_then(|t| url::Url::parse(t).ok()) {
            Some(u) => format!("'self' {}", u.origin().ascii_serialization()),
            None => "'self'".into(),
        };
        let csp = format!(
            "default-src 'none'; style-src 'unsafe-inline'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
        no_store(&mut r);
        r
    }

    fn error_page(&self, status: StatusCode, message: &str) -> Response {
        tracing::info!(%message, "authorization request refused");
        self.page(status, self.inner.pages.error("Authorization failed", message), None)
    }

    fn secure_cookies(&self) -> bool {
        self.inner.settings.issuer.starts_with("https://")
    }

    fn csrf_cookie_name(&self) -> &'static str {
        if self.secure_cookies() { "__Host-fastmcp_csrf" } else { "fastmcp_csrf" }
    }

    fn set_csrf_cookie(&self, r: &mut Response, csrf: &str) {
        let secure = if self.secure_cookies() { "; Secure" } else { "" };
        let cookie = format!("{}={csrf}; Path=/; HttpOnly; SameSite=Lax{secure}", self.csrf_cookie_name());
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }

    fn csrf_ok(&self, headers: &HeaderMap, form_csrf: &str, pending: &PendingRequest) -> bool {
        let name = self.csrf_cookie_name();
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default();
        let a = bool::from(cookie.as_bytes().ct_eq(pending.csrf.as_bytes()));
        let b = bool::from(form_csrf.as_bytes().ct_eq(pending.csrf.as_bytes()));
        a && b && !pending.csrf.is_empty()
    }

    async fn client(&self, store: &Arc<dyn Store>, client_id: &str) -> Result<Option<ClientRecord>, String> {
        if cimd::is_document_url(client_id) {
            return self.inner.cimd.client(client_id).await.map(Some);
        }
        store.get_client(client_id).await.map_err(|e| e.0)
    }
}

pub(crate) fn router(server: OAuthServer) -> Router {
    let s = server;
    let issuer_path = crate::metadata::split_origin(&s.inner.settings.issuer).1.trim_end_matches('/').to_owned();
    let mut r = Router::new();
    let mut metadata_paths =
        vec!["/.well-known/oauth-authorization-server".to_owned(), "/.well-known/openid-configuration".to_owned()];
    if !issuer_path.is_empty() {
        metadata_paths.push(format!("/.well-known/oauth-authorization-server{issuer_path}"));
        metadata_paths.push(format!("{issuer_path}/.well-known/openid-configuration"));
    }
    for path in metadata_paths {
        let s = s.clone();
        r = r.route(&path, get(move || async move { json_ok(s.metadata()) }));
    }
    let s1 = s.clone();
    r = r.route("/jwks", get(move || async move { jwks(s1).await }));
    let s2 = s.clone();
    r = r.route("/register", post(move |req: Request| async move { register(s2, req).await }));
    let s3 = s.clone();
    r = r.route("/authorize", get(move |q: Query<HashMap<String, String>>| async move { authorize(s3, q.0).await }));
    let (s4, s5) = (s.clone(), s.clone());
    r = r.route(
        "/login",
        get(move |q: Query<HashMap<String, String>>| async move { login_page(s4, q.0).await })
            .post(move |h: HeaderMap, f: Form<HashMap<String, String>>| async move { login_submit(s5, h, f.0).await }),
    );
    let (s6, s7) = (s.clone(), s.clone());
    r = r.route(
        "/consent",
        get(move |q: Query<HashMap<String, String>>| async move { consent_page(s6, q.0).await })
            .post(move |h: HeaderMap, body: String| async move { consent_submit(s7, h, body).await }),
    );
    let s8 = s.clone();
    r = r.route(
        "/token",
        post(move |h: HeaderMap, f: Form<HashMap<String, String>>| async move { token(s8, h, f.0).await }),
    );
    let s9 = s.clone();
    r = r.route(
        "/revoke",
        post(move |h: HeaderMap, f: Form<HashMap<String, String>>| async move { revoke(s9, h, f.0).await }),
    );
    let s10 = s;
    r.route(
        "/introspect",
        post(move |h: HeaderMap, f: Form<HashMap<String, String>>| async move { introspect(s10, h, f.0).await }),
    )
}

fn json_ok(v: Value) -> Response {
    let mut r = axum::Json(v).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    r
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "authorization server storage failure");
    oauth_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "the authorization server cannot reach its storage",
    )
    .into_response()
}

async fn jwks(s: OAuthServer) -> Response {
    match s.ready().await {
        Ok((_, keys)) => json_ok(keys.jwks()),
        Err(e) => unavailable(e),
    }
}

// ---------------------------------------------------------------- registration (RFC 7591)

#[derive(Deserialize)]
struct RegistrationRequest {
    #[serde(default)]
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    client_name: Option<String>,
    scope: Option<String>,
}

async fn register(s: OAuthServer, req: Request) -> Response {
    let ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let headers = req.headers().clone();
    match &s.inner.settings.registration {
        Registration::Closed => {
            return oauth_error(StatusCode::FORBIDDEN, "access_denied", "dynamic client registration is disabled")
                .into_response();
        }
        Registration::Token(expected) => {
            let presented = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .unwrap_or_default();
            if !bool::from(crate::sha256(presented.as_bytes()).ct_eq(&crate::sha256(expected.as_bytes()))) {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "registration requires a valid initial access token",
                )
                .into_response();
            }
        }
        Registration::Open => {}
    }
    if !s.inner.registrations.allow(&ip) {
        let mut r =
            oauth_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "too many registrations; try again later")
                .into_response();
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return r;
    }
    let body = match axum::body::to_bytes(req.into_body(), 64 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return oauth_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_client_metadata",
                "registration request too large",
            )
            .into_response();
        }
    };
    let meta: RegistrationRequest = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                format!("invalid registration JSON: {e}"),
            )
            .into_response();
        }
    };
    let method = meta.token_endpoint_auth_method.clone().unwrap_or_else(|| "none".into());
    if !["none", "client_secret_basic", "client_secret_post"].contains(&method.as_str()) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            format!("token_endpoint_auth_method `{method}` is not supported"),
        )
        .into_response();
    }
    let confidential = method != "none";
    let grant_types =
        meta.grant_types.clone().unwrap_or_else(|| vec!["authorization_code".into(), "refresh_token".into()]);
    for g in &grant_types {
        match g.as_str() {
            "authorization_code" | "refresh_token" => {}
            "client_credentials" if confidential => {}
            "client_credentials" => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_client_metadata",
                    "client_credentials needs a confidential client (client_secret_basic or client_secret_post)",
                )
                .into_response();
            }
            other => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_client_metadata",
                    format!("grant type `{other}` is not supported"),
                )
                .into_response();
            }
        }
    }
    if meta.response_types.as_ref().is_some_and(|r| r.iter().any(|t| t != "code")) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "only response_type `code` is supported",
        )
        .into_response();
    }
    if grant_types.iter().any(|g| g == "authorization_code") && meta.redirect_uris.is_empty() {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_redirect_uri", "redirect_uris is required")
            .into_response();
    }
    for u in &meta.redirect_uris {
        if let Err(e) = redirect::validate(u) {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_redirect_uri", e).into_response();
        }
    }
    if let Some(scope) = &meta.scope {
        let unknown = s.inner.settings.scopes_supported.missing(&ScopeSet::parse(scope));
        if !s.inner.settings.scopes_supported.is_empty() && !unknown.is_empty() {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                format!("unknown scope(s) `{unknown}`"),
            )
            .into_response();
        }
    }
    let store = match s.ready().await {
        Ok((st, _)) => st,
        Err(e) => return unavailable(e),
    };
    let client_id = random_token(16);
    let secret = confidential.then(|| random_token(32));
    let record = ClientRecord {
        client_id: client_id.clone(),
        secret_hash: secret.as_deref().map(digest),
        name: meta.client_name.clone(),
        redirect_uris: meta.redirect_uris.clone(),
        auth_method: method.clone(),
        grant_types: grant_types.clone(),
        scope: meta.scope.clone(),
        created_at: now_unix(),
    };
    if let Err(e) = store.put_client(record.clone()).await {
        return unavailable(e);
    }
    tracing::info!(client_id = %client_id, name = ?meta.client_name, "registered client");
    let mut out = json!({
        "client_id": client_id,
        "client_id_issued_at": record.created_at,
        "redirect_uris": record.redirect_uris,
        "token_endpoint_auth_method": method,
        "grant_types": grant_types,
        "response_types": ["code"],
    });
    if let Some(name) = &meta.client_name {
        out["client_name"] = json!(name);
    }
    if let Some(scope) = &meta.scope {
        out["scope"] = json!(scope);
    }
    if let Some(secret) = secret {
        out["client_secret"] = json!(secret);
        out["client_secret_expires_at"] = json!(0);
    }
    json_no_store(StatusCode::CREATED, out)
}

// ---------------------------------------------------------------- authorization

fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    let mut r = (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response();
    no_store(&mut r);
    r
}

impl OAuthServer {
    fn redirect_error(&self, redirect_uri: &str, state: Option<&str>, error: &str, description: &str) -> Response {
        tracing::info!(%error, %description, "authorization request denied");
        let mut params =
            vec![("error", error), ("error_description", description), ("iss", self.inner.settings.issuer.as_str())];
        if let Some(st) = state {
            params.push(("state", st));
        }
        redirect_with(redirect_uri, &params)
    }

    /// Issues the code for a completed request and sends the browser back to the client.
    async fn finish(&self, store: &Arc<dyn Store>, id_hash: &str, user_id: &str, scope: &str) -> Response {
        let Ok(Some(pending)) = store.take_pending(id_hash).await else {
            return self.error_page(
                StatusCode::BAD_REQUEST,
                "This authorization request has expired or was already completed. Start again from the application.",
            );
        };
        let code = random_token(32);
        let grant = Grant { user_id: user_id.to_owned(), scope: scope.to_owned(), ..pending.grant.clone() };
        let expires = now_unix() + self.inner.settings.code_ttl.as_secs();
        if let Err(e) = store.put_code(digest(&code), grant, random_token(16), expires).await {
            return unavailable(e);
        }
        let mut params = vec![("code", code.as_str()), ("iss", self.inner.settings.issuer.as_str())];
        if let Some(st) = &pending.state {
            params.push(("state", st));
        }
        redirect_with(&pending.grant.redirect_uri, &params)
    }
}

async fn authorize(s: OAuthServer, q: HashMap<String, String>) -> Response {
    let store = match s.ready().await {
        Ok((st, _)) => st,
        Err(e) => return unavailable(e),
    };
    let Some(client_id) = q.get("client_id").filter(|c| !c.is_empty()) else {
        return s.error_page(StatusCode::BAD_REQUEST, "The request has no client_id.");
    };
    let client = match s.client(&store, client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return s.error_page(
                StatusCode::BAD_REQUEST,
                "Unknown client: this application is not registered with this server.",
            );
        }
        Err(e) => {
            return s.error_page(StatusCode::BAD_REQUEST, &format!("The client's metadata could not be used: {e}"));
        }
    };
    // Until the redirect URI is known to be the client's, errors are shown here, never redirected.
    let redirect_uri = match q.get("redirect_uri") {
        Some(r) if redirect::matches(&client.redirect_uris, r) => r.clone(),
        Some(_) => {
            return s.error_page(
                StatusCode::BAD_REQUEST,
                "The redirect URI does not match the ones registered for this client.",
            );
        }
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return s.error_page(
                StatusCode::BAD_REQUEST,
                "The request has no redirect_uri and the client registered several.",
            );
        }
    };
    let state = q.get("state").map(String::as_str);
    let fail = |error: &str, description: &str| s.redirect_error(&redirect_uri, state, error, description);
    if q.get("response_type").map(String::as_str) != Some("code") {
        return fail("unsupported_response_type", "only response_type=code is supported");
    }
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return fail("unauthorized_client", "this client may not use the authorization code grant");
    }
    let challenge = q.get("code_challenge").cloned().unwrap_or_default();
    if challenge.is_empty() {
        return fail("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256");
    }
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256");
    }
    if challenge.len() != 43 || !challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return fail("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)");
    }
    let settings = &s.inner.settings;
    let resource = match q.get("resource") {
        Some(r) if settings.resources.contains(r) => r.clone(),
        Some(_) => return fail("invalid_target", "the requested resource is not served by this authorization server"),
        None => settings.resources[0].clone(),
    };
    let requested = match q.get("scope").filter(|s| !s.trim().is_empty()) {
        Some(sc) => ScopeSet::parse(sc),
        None => client.scope.as_deref().map(ScopeSet::parse).unwrap_or_else(|| settings.scopes_supported.clone()),
    };
    // Unknown scopes are dropped only if the client asked for them alongside known ones? No: refuse.
    let unknown = settings.scopes_supported.missing(&requested);
    if !settings.scopes_supported.is_empty() && !unknown.is_empty() {
        // OIDC clients ask for openid/offline_access; those are not ours to refuse.
        let unknown: ScopeSet =
            unknown.iter().filter(|s| !matches!(*s, "openid" | "offline_access" | "profile" | "email")).collect();
        if !unknown.is_empty() {
            return fail("invalid_scope", &format!("unknown scope(s): {unknown}"));
        }
    }
    let requested: ScopeSet = requested
        .iter()
        .filter(|sc| settings.scopes_supported.is_empty() || settings.scopes_supported.contains(sc))
        .collect();
    let request_id = random_token(24);
    let pending = PendingRequest {
        grant: Grant {
            client_id: client.client_id.clone(),
            user_id: String::new(),
            scope: requested.to_string(),
            resource,
            redirect_uri: redirect_uri.clone(),
            code_challenge: challenge,
        },
        state: state.map(str::to_owned),
        csrf: random_token(24),
        user_id: None,
    };
    let id_hash = digest(&request_id);
    if let Err(e) = store.put_pending(id_hash.clone(), pending.clone(), now_unix() + 600).await {
        return unavailable(e);
    }
    if settings.auto_approve {
        let user = settings.users.first().map(|(u, _)| u.clone()).unwrap_or_else(|| "admin".into());
        tracing::warn!(%user, client = %client.client_id, "auto-approving an authorization request (test mode)");
        return s.finish(&store, &id_hash, &user, &pending.grant.scope).await;
    }
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, format!("login?request={request_id}"))]).into_response();
    no_store(&mut r);
    s.set_csrf_cookie(&mut r, &pending.csrf);
    r
}

async fn pending_of(s: &OAuthServer, request: &str) -> Result<(Arc<dyn Store>, String, PendingRequest), Response> {
    let store = s.ready().await.map_err(unavailable)?.0;
    let id_hash = digest(request);
    match store.get_pending(&id_hash).await {
        Ok(Some(p)) => Ok((store, id_hash, p)),
        Ok(None) => Err(s.error_page(
            StatusCode::BAD_REQUEST,
            "This authorization request has expired or was already completed. Start again from the application.",
        )),
        Err(e) => Err(unavailable(e)),
    }
}

async fn client_name(s: &OAuthServer, store: &Arc<dyn Store>, client_id: &str) -> String {
    s.client(store, client_id).await.ok().flatten().and_then(|c| c.name).unwrap_or_else(|| client_id.to_owned())
}

async fn login_page(s: OAuthServer, q: HashMap<String, String>) -> Response {
    let request = q.get("request").cloned().unwrap_or_default();
    let (store, _, pending) = match pending_of(&s, &request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let name = client_name(&s, &store, &pending.grant.client_id).await;
    let html = s.inner.pages.login(&LoginPage {
        client_name: &name,
        request: &request,
        csrf: &pending.csrf,
        error: None,
        username: "",
    });
    let mut r = s.page(StatusCode::OK, html, Some(&pending.grant.redirect_uri));
    s.set_csrf_cookie(&mut r, &pending.csrf);
    r
}

async fn login_submit(s: OAuthServer, headers: HeaderMap, form: HashMap<String, String>) -> Response {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let request = get("request");
    let (store, id_hash, mut pending) = match pending_of(&s, &request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !s.csrf_ok(&headers, &get("csrf"), &pending) {
        return s.error_page(
            StatusCode::FORBIDDEN,
            "The form could not be verified (CSRF check failed). Start again from the application.",
        );
    }
    let authenticator: Arc<dyn super::Authenticator> =
        s.inner.authenticator.clone().unwrap_or_else(|| Arc::new(super::StoreUsers::new(store.clone())));
    let username = get("username");
    match authenticator.authenticate(&username, &get("password")).await {
        Ok(user) => {
            pending.user_id = Some(user.clone());
            if let Err(e) = store.put_pending(id_hash.clone(), pending.clone(), now_unix() + 600).await {
                return unavailable(e);
            }
            if s.inner.settings.remember_consent
                && let Ok(Some(approved)) = store.get_consent(&user, &pending.grant.client_id).await
                && ScopeSet::parse(&approved).contains_all(&ScopeSet::parse(&pending.grant.scope))
            {
                return s.finish(&store, &id_hash, &user, &pending.grant.scope).await;
            }
            let mut r =
                (StatusCode::SEE_OTHER, [(header::LOCATION, format!("consent?request={request}"))]).into_response();
            no_store(&mut r);
            r
        }
        Err(()) => {
            tracing::info!(client = %pending.grant.client_id, "failed login");
            let name = client_name(&s, &store, &pending.grant.client_id).await;
            let html = s.inner.pages.login(&LoginPage {
                client_name: &name,
                request: &request,
                csrf: &pending.csrf,
                error: Some("Invalid username or password."),
                username: &username,
            });
            s.page(StatusCode::UNAUTHORIZED, html, Some(&pending.grant.redirect_uri))
        }
    }
}

async fn consent_page(s: OAuthServer, q: HashMap<String, String>) -> Response {
    let request = q.get("request").cloned().unwrap_or_default();
    let (store, _, pending) = match pending_of(&s, &request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(user) = pending.user_id.clone() else {
        let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, format!("login?request={request}"))]).into_response();
        no_store(&mut r);
        return r;
    };
    let name = client_name(&s, &store, &pending.grant.client_id).await;
    let host = url::Url::parse(&pending.grant.redirect_uri).ok().and_then(|u| {
        u.host_str().map(|h| match u.port() {
            Some(p) => format!("{h}:{p}"),
            None => h.to_owned(),
        })
    });
    let scopes: Vec<String> = ScopeSet::parse(&pending.grant.scope).iter().map(str::to_owned).collect();
    let html = s.inner.pages.consent(&ConsentPage {
        client_name: &name,
        redirect_host: host.as_deref().unwrap_or("?"),
        user: &user,
        scopes: &scopes,
        resource: &pending.grant.resource,
        request: &request,
        csrf: &pending.csrf,
    });
    s.page(StatusCode::OK, html, Some(&pending.grant.redirect_uri))
}

async fn consent_submit(s: OAuthServer, headers: HeaderMap, body: String) -> Response {
    // Repeated `scope` fields: parse the form by hand.
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let request = get("request");
    let (store, id_hash, pending) = match pending_of(&s, &request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !s.csrf_ok(&headers, &get("csrf"), &pending) {
        return s.error_page(
            StatusCode::FORBIDDEN,
            "The form could not be verified (CSRF check failed). Start again from the application.",
        );
    }
    let Some(user) = pending.user_id.clone() else {
        return s.error_page(StatusCode::FORBIDDEN, "Sign in first.");
    };
    let state = pending.state.as_deref();
    if get("decision") != "approve" {
        let _ = store.take_pending(&id_hash).await;
        return s.redirect_error(&pending.grant.redirect_uri, state, "access_denied", "the user denied the request");
    }
    let requested = ScopeSet::parse(&pending.grant.scope);
    let chosen: ScopeSet =
        pairs.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.clone()).filter(|v| requested.contains(v)).collect();
    if chosen.is_empty() && !requested.is_empty() {
        let _ = store.take_pending(&id_hash).await;
        return s.redirect_error(&pending.grant.redirect_uri, state, "access_denied", "no permissions were approved");
    }
    if s.inner.settings.remember_consent {
        let _ = store.put_consent(user.clone(), pending.grant.client_id.clone(), chosen.to_string(), now_unix()).await;
    }
    s.finish(&store, &id_hash, &user, &chosen.to_string()).await
}

// ---------------------------------------------------------------- token endpoint

/// Authenticates the client of a token/revoke/introspect request. `Ok(None)`: a public client
/// identified by `client_id` only.
async fn authenticate_client(
    s: &OAuthServer,
    store: &Arc<dyn Store>,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<ClientRecord, OAuthError> {
    let invalid = |why: &str| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", why.to_owned());
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .map(|b| {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .map_err(|_| invalid("malformed Basic credentials"))?;
            let text = String::from_utf8(decoded).map_err(|_| invalid("malformed Basic credentials"))?;
            let (id, secret) = text.split_once(':').ok_or_else(|| invalid("malformed Basic credentials"))?;
            let dec = |x: &str| {
                url::form_urlencoded::parse(format!("v={x}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Ok::<_, OAuthError>((dec(id), Some(dec(secret)), "client_secret_basic"))
        })
        .transpose()?;
    let (client_id, secret, method) = match basic {
        Some(b) => b,
        None => match (form.get("client_id"), form.get("client_secret")) {
            (Some(id), Some(secret)) => (id.clone(), Some(secret.clone()), "client_secret_post"),
            (Some(id), None) => (id.clone(), None, "none"),
            (None, _) => return Err(invalid("client authentication is required")),
        },
    };
    let client =
        s.client(store, &client_id).await.map_err(|e| invalid(&e))?.ok_or_else(|| invalid("unknown client"))?;
    match (&client.secret_hash, secret) {
        (None, None) if client.auth_method == "none" => Ok(client),
        (Some(hash), Some(secret)) => {
            if client.auth_method != method {
                return Err(invalid(&format!("this client authenticates with {}", client.auth_method)));
            }
            if bool::from(digest(&secret).as_bytes().ct_eq(hash.as_bytes())) {
                Ok(client)
            } else {
                Err(invalid("client authentication failed"))
            }
        }
        (Some(_), None) => Err(invalid("this client must authenticate with its secret")),
        (None, Some(_)) => Err(invalid("this client has no secret")),
        _ => Err(invalid("client authentication failed")),
    }
}

/// The store and the authenticated client of a token, revocation or introspection request.
async fn authenticated(
    s: &OAuthServer,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(Arc<dyn Store>, ClientRecord), Response> {
    let store = s.ready().await.map_err(unavailable)?.0;
    let client = authenticate_client(s, &store, headers, form).await.map_err(IntoResponse::into_response)?;
    Ok((store, client))
}

impl OAuthServer {
    fn access_token(&self, grant: &Grant) -> Result<(String, u64), String> {
        let keys = self.inner.keys.get().ok_or("keys not loaded")?;
        let key = keys.signing().ok_or("no signing key")?;
        let now = now_unix();
        let ttl = self.inner.settings.access_token_ttl.as_secs();
        let sub = if grant.user_id.is_empty() { &grant.client_id } else { &grant.user_id };
        let claims = json!({
            "iss": self.inner.settings.issuer,
            "sub": sub,
            "aud": grant.resource,
            "client_id": grant.client_id,
            "scope": grant.scope,
            "iat": now,
            "exp": now + ttl,
            "jti": random_token(12),
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.typ = Some("at+jwt".into());
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, key.encoding()).map_err(|e| e.to_string())?;
        Ok((token, ttl))
    }

    async fn tokens(&self, store: &Arc<dyn Store>, grant: &Grant, family: Option<&str>) -> Response {
        let (access, ttl) = match self.access_token(grant) {
            Ok(t) => t,
            Err(e) => return unavailable(e),
        };
        let mut out =
            json!({ "access_token": access, "token_type": "Bearer", "expires_in": ttl, "scope": grant.scope });
        if let Some(family) = family {
            let refresh = random_token(32);
            let expires = now_unix() + self.inner.settings.refresh_token_ttl.as_secs();
            if let Err(e) = store.put_refresh(digest(&refresh), grant.clone(), family.to_owned(), expires).await {
                return unavailable(e);
            }
            out["refresh_token"] = json!(refresh);
        }
        json_no_store(StatusCode::OK, out)
    }
}

/// RFC 7636: BASE64URL(SHA256(verifier)) == challenge; verifier 43–128 unreserved characters.
fn pkce_ok(verifier: &str, challenge: &str) -> bool {
    let valid = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::sha256(verifier.as_bytes()));
    valid && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

/// `invalid_target` if the form names a `resource` other than the grant's.
fn other_resource(form: &HashMap<String, String>, grant: &Grant, why: &'static str) -> Option<Response> {
    form.get("resource")
        .filter(|r| **r != grant.resource)
        .map(|_| oauth_error(StatusCode::BAD_REQUEST, "invalid_target", why).into_response())
}

async fn token(s: OAuthServer, headers: HeaderMap, form: HashMap<String, String>) -> Response {
    let (store, client) = match authenticated(&s, &headers, &form).await {
        Ok(sc) => sc,
        Err(r) => return r,
    };
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let bad_grant = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why.to_owned()).into_response();
    let now = now_unix();
    match get("grant_type") {
        "authorization_code" => {
            let code = get("code");
            if code.is_empty() {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "code is required").into_response();
            }
            let (grant, family) = match store.redeem_code(&digest(code), now).await {
                Ok(CodeRedemption::Fresh { grant, family }) => (grant, family),
                Ok(CodeRedemption::Replayed) => {
                    tracing::warn!(client = %client.client_id, "authorization code replayed: its tokens were revoked");
                    return bad_grant("authorization code already used; every token issued from it has been revoked");
                }
                Ok(CodeRedemption::Invalid) => return bad_grant("invalid or expired authorization code"),
                Err(e) => return unavailable(e),
            };
            // The code is spent either way; a failed redemption also ends its token family.
            let refused = if grant.client_id != client.client_id {
                Some("the code was issued to another client")
            } else if get("redirect_uri") != grant.redirect_uri {
                Some("redirect_uri does not match the authorization request")
            } else if !pkce_ok(get("code_verifier"), &grant.code_challenge) {
                Some("PKCE verification failed (code_verifier)")
            } else {
                None
            };
            if let Some(why) = refused {
                let _ = store.revoke_family(&family, now).await;
                return bad_grant(why);
            }
            if let Some(r) = other_resource(&form, &grant, "resource differs from the authorization request") {
                return r;
            }
            let refresh = client.grant_types.iter().any(|g| g == "refresh_token").then_some(family.as_str());
            s.tokens(&store, &grant, refresh).await
        }
        "refresh_token" => {
            let (mut grant, family) = match store.rotate_refresh(&digest(get("refresh_token")), now).await {
                Ok(RefreshRotation::Rotated { grant, family }) => (grant, family),
                Ok(RefreshRotation::Reused) => {
                    tracing::warn!(client = %client.client_id, "rotated refresh token reused: its family was revoked");
                    return bad_grant("refresh token already used; the whole token family has been revoked");
                }
                Ok(RefreshRotation::Invalid) => return bad_grant("invalid, expired or revoked refresh token"),
                Err(e) => return unavailable(e),
            };
            if grant.client_id != client.client_id {
                let _ = store.revoke_family(&family, now).await;
                return bad_grant("the refresh token was issued to another client");
            }
            if let Some(scope) = form.get("scope").filter(|s| !s.trim().is_empty()) {
                let asked = ScopeSet::parse(scope);
                if !ScopeSet::parse(&grant.scope).contains_all(&asked) {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        "a refresh cannot widen the granted scope",
                    )
                    .into_response();
                }
                grant.scope = asked.to_string();
            }
            if let Some(r) = other_resource(&form, &grant, "resource differs from the original grant") {
                return r;
            }
            s.tokens(&store, &grant, Some(&family)).await
        }
        "client_credentials" => {
            if client.secret_hash.is_none() || !client.grant_types.iter().any(|g| g == "client_credentials") {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "unauthorized_client",
                    "client_credentials is only for confidential clients registered for it",
                )
                .into_response();
            }
            let settings = &s.inner.settings;
            let scope = form
                .get("scope")
                .map(|s| ScopeSet::parse(s))
                .unwrap_or_else(|| client.scope.as_deref().map(ScopeSet::parse).unwrap_or_default());
            if !settings.scopes_supported.is_empty() && !settings.scopes_supported.contains_all(&scope) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", "unknown scope").into_response();
            }
            let resource = match form.get("resource") {
                Some(r) if settings.resources.contains(r) => r.clone(),
                Some(_) => {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_target", "unknown resource").into_response();
                }
                None => settings.resources[0].clone(),
            };
            let grant = Grant {
                client_id: client.client_id.clone(),
                user_id: String::new(),
                scope: scope.to_string(),
                resource,
                redirect_uri: String::new(),
                code_challenge: String::new(),
            };
            s.tokens(&store, &grant, None).await
        }
        "" => oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required").into_response(),
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant_type `{other}` is not supported"),
        )
        .into_response(),
    }
}

async fn revoke(s: OAuthServer, headers: HeaderMap, form: HashMap<String, String>) -> Response {
    let (store, client) = match authenticated(&s, &headers, &form).await {
        Ok(sc) => sc,
        Err(r) => return r,
    };
    let token = form.get("token").cloned().unwrap_or_default();
    let now = now_unix();
    if let Ok(Some((grant, family))) = store.get_refresh(&digest(&token), now).await
        && grant.client_id == client.client_id
    {
        if let Err(e) = store.revoke_family(&family, now).await {
            return unavailable(e);
        }
        tracing::info!(client = %client.client_id, "refresh token family revoked");
    }
    // RFC 7009 §2.2: 200 whether or not the token was known; access tokens are short-lived JWTs.
    let mut r = StatusCode::OK.into_response();
    no_store(&mut r);
    r
}

async fn introspect(s: OAuthServer, headers: HeaderMap, form: HashMap<String, String>) -> Response {
    let (store, client) = match authenticated(&s, &headers, &form).await {
        Ok(sc) => sc,
        Err(r) => return r,
    };
    if client.secret_hash.is_none() {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "introspection is for authenticated (confidential) clients",
        )
        .into_response();
    }
    let token = form.get("token").cloned().unwrap_or_default();
    let now = now_unix();
    if let Ok(Some((grant, _))) = store.get_refresh(&digest(&token), now).await {
        return json_no_store(
            StatusCode::OK,
            json!({ "active": true, "token_type": "refresh_token", "client_id": grant.client_id, "sub": grant.user_id,
                    "scope": grant.scope, "aud": grant.resource, "iss": s.inner.settings.issuer }),
        );
    }
    match s.inner.verifier.verify(&token).await {
        Ok(t) => {
            let mut claims = Value::Object(t.claims.clone());
            claims["active"] = json!(true);
            claims["token_type"] = json!("access_token");
            json_no_store(StatusCode::OK, claims)
        }
        Err(_) => json_no_store(StatusCode::OK, json!({ "active": false })),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pkce_s256() {
        // RFC 7636 appendix B.
        assert!(super::pkce_ok(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!super::pkce_ok(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!super::pkce_ok("short", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }
}
