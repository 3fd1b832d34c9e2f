//! The login, consent and error pages: plain accessible HTML, replaceable through [`Pages`].

/// What the login page shows.
pub struct LoginPage<'a> {
    /// The client asking (its name or id).
    pub client_name: &'a str,
    /// Hidden field: the pending request id.
    pub request: &'a str,
    /// Hidden field: the CSRF token.
    pub csrf: &'a str,
    /// An error to announce (`role="alert"`).
    pub error: Option<&'a str>,
    /// The username to pre-fill after a failed attempt.
    pub username: &'a str,
}

/// What the consent page shows.
pub struct ConsentPage<'a> {
    /// The client's name (or id).
    pub client_name: &'a str,
    /// Where the user will be sent back (host only).
    pub redirect_host: &'a str,
    /// The signed-in user.
    pub user: &'a str,
    /// Requested scopes, each pre-checked.
    pub scopes: &'a [String],
    /// The resource the token is for.
    pub resource: &'a str,
    /// Hidden field: the pending request id.
    pub request: &'a str,
    /// Hidden field: the CSRF token.
    pub csrf: &'a str,
}

/// Replaceable templates. Forms must post the same field names as the defaults:
/// login — `username`, `password`, `request`, `csrf`; consent — `scope` (repeated), `decision`
/// (`approve` | `deny`), `request`, `csrf`.
pub trait Pages: Send + Sync + 'static {
    /// The login form (POSTs to `login`).
    fn login(&self, page: &LoginPage<'_>) -> String;
    /// The consent form (POSTs to `consent`).
    fn consent(&self, page: &ConsentPage<'_>) -> String;
    /// An error that cannot be sent back to the client.
    fn error(&self, title: &str, message: &str) -> String;
}

/// The built-in pages.
pub struct DefaultPages;

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}\
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password],input:not([type]){width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}\
button{margin:1rem .5rem 0 0;padding:.6rem 1.2rem;font-size:1rem}[role=alert]{color:#a00;font-weight:600}\
ul{list-style:none;padding:0}li label{display:inline;margin-left:.4rem}.muted{color:#555}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        escape(title)
    )
}

impl Pages for DefaultPages {
    fn login(&self, p: &LoginPage<'_>) -> String {
        let error = p.error.map(|e| format!("<p role=\"alert\">{}</p>", escape(e))).unwrap_or_default();
        page(
            "Sign in",
            &format!(
                "<h1>Sign in</h1><p class=\"muted\">to continue to <strong>{client}</strong></p>{error}\
<form method=\"post\" action=\"login\">\
<input type=\"hidden\" name=\"request\" value=\"{request}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label for=\"username\">Username</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required value=\"{username}\">\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
<button type=\"submit\">Sign in</button></form>",
                client = escape(p.client_name),
                request = escape(p.request),
                csrf = escape(p.csrf),
                username = escape(p.username),
            ),
        )
    }

    fn consent(&self, p: &ConsentPage<'_>) -> String {
        let scopes: String = p
            .scopes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                format!(
                    "<li><input type=\"checkbox\" id=\"scope{i}\" name=\"scope\" value=\"{v}\" checked><label for=\"scope{i}\">{v}</label></li>",
                    v = escape(s)
                )
            })
            .collect();
        page(
            "Authorize",
            &format!(
                "<h1>Authorize {client}</h1>\
<p><strong>{client}</strong> wants to access <strong>{resource}</strong> as <strong>{user}</strong>.</p>\
<p class=\"muted\">You will be sent back to <strong>{host}</strong>.</p>\
<form method=\"post\" action=\"consent\">\
<input type=\"hidden\" name=\"request\" value=\"{request}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<fieldset><legend>Permissions</legend><ul>{scopes}</ul></fieldset>\
<button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
                client = escape(p.client_name),
                resource = escape(p.resource),
                user = escape(p.user),
                host = escape(p.redirect_host),
                request = escape(p.request),
                csrf = escape(p.csrf),
            ),
        )
    }

    fn error(&self, title: &str, message: &str) -> String {
        page(title, &format!("<h1>{}</h1><p role=\"alert\">{}</p>", escape(title), escape(message)))
    }
}
