#!/usr/bin/env python3
"""OAuth check driver: runs the official Python MCP SDK client's OAuth support (PyPI `mcp`, pinned
in scripts/test: `mcp.client.auth.OAuthClientProvider` with an in-memory TokenStorage) against a
protected fastmcp server whose authorization server is tests/clients/oidc_provider.mjs, headlessly,
and runs named checks.

usage:
  python py_oauth_client.py --url http://127.0.0.1:PORT/mcp [--expect-sub alice]
         [--initial-scope "notes:read notes:write"] [--no-cookies] [--timeout-ms N]
         [--access-token-ttl-wait SECONDS] [--cimd [--cimd-ca DIR]]

Output (stdout): one line per check, `ok <name>` or `FAIL <name>: <reason>`, then the final line
`N passed, M failed`. Exit status 0 only if M == 0 (2 on bad arguments). Diagnostics (the HTTP
exchanges) go to stderr.

The flow: initialize -> 401 -> the SDK reads the RFC 9728 metadata named by the challenge -> the
authorization server's metadata -> registers dynamically -> calls redirect_handler(url), which here
follows the authorization server's redirects with plain GETs (an httpx client with redirects off;
cookies kept unless --no-cookies) until the Location is our redirect_uri
(http://127.0.0.1:<unused port>/callback, never listened on) -> callback_handler() returns
(code, state, iss) -> the SDK exchanges the code and retries the request with the token.

--initial-scope: the FIRST authorization request is narrowed to these scopes (plus any requested
non-notes:* scope such as offline_access), the way a user may consent to less than asked, so that
the `step-up` check is meaningful whatever the server's 401 advertises. Later authorizations (the
step-up) are sent as the SDK built them. "" disables narrowing.

The step-up (HTTP 403 with error="insufficient_scope") is handled by the SDK itself in mcp 2.x
(SEP-2350: it re-authorizes with the union of the granted and the challenged scopes and retries the
request); this script does not help it, it only checks what happened.

--access-token-ttl-wait N (seconds, default 0 = no `refresh` check): after the other checks, wait
N seconds so that the (short-lived) access token expires, then call whoami again. mcp 2.x refreshes
proactively: before sending a request it compares the time with the token response's expires_in
and, past it, sends grant_type=refresh_token first. (On a 401 it does not refresh: it runs a new
authorization, which fails this check.) `refresh` passes only if the call succeeded, a
refresh_token grant was answered 200 by the token endpoint, the stored access token changed, and
the call carried the new token. mcp 2.3.0 has no public refresh API, so there is no fallback: if
the SDK does not refresh by itself, the check fails and says what happened instead.

--cimd: identify the client with a Client ID Metadata Document instead of dynamic registration
(OAuthClientProvider(client_metadata_url=...), used when the authorization server's metadata has
client_id_metadata_document_supported: true; the SDK only accepts an https URL with a path). The
script serves the document itself at https://127.0.0.1:<free port>/client.json. Its TLS
certificate is issued for 127.0.0.1 by the CA in --cimd-ca DIR (DIR/ca.pem + DIR/ca.key, created
with openssl if absent; a throwaway directory by default), so the authorization server that
fetches the document must trust DIR/ca.pem: start it with SSL_CERT_FILE=DIR/ca.pem (rustls reads
that file whenever it builds an HTTP client, so the file may be created after the server started).
The `registered` check is then replaced by `cimd`: no registration POST, the authorization
request's client_id is the document URL, and the authorization server fetched the document.

Checks: initial-401, registered (or cimd with --cimd), resource-indicator, tools-list,
call-whoami, call-add-note, step-up, tools-list-after-step-up, then refresh with
--access-token-ttl-wait N > 0.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from contextlib import AsyncExitStack
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

try:
    import anyio
    from mcp import ClientSession
    from mcp.client.auth import OAuthClientProvider, TokenStorage
    from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

    try:  # mcp 2.x ships httpx2
        import httpx2 as httpx
    except ImportError:  # mcp 1.x
        import httpx  # type: ignore[no-redef]
    try:
        from mcp.shared.auth import AuthorizationCodeResult  # mcp 2.x: callback returns (code, state, iss)
    except ImportError:
        AuthorizationCodeResult = None  # type: ignore[assignment,misc]
    try:  # mcp 2.x
        from mcp.client.streamable_http import streamable_http_client as _http_client
        _HTTP_CLIENT_KW = "http_client"
    except ImportError:  # mcp 1.x
        from mcp.client.streamable_http import streamablehttp_client as _http_client  # type: ignore[no-redef]
        _HTTP_CLIENT_KW = "auth"
    import mcp.types as types
except ImportError as e:  # pragma: no cover - environment problem
    print(f"py_oauth_client.py: cannot import the mcp package ({e}); run scripts/test or use $FASTMCP_TEST_PYTHON",
          file=sys.stderr)
    sys.exit(2)


USAGE = ('usage: py_oauth_client.py --url <http://127.0.0.1:PORT/mcp> [--expect-sub NAME] '
         '[--initial-scope "SCOPES"] [--no-cookies] [--timeout-ms N] [--access-token-ttl-wait SECONDS] '
         '[--cimd [--cimd-ca DIR]]')


def usage_error(msg: str) -> None:
    print(f"py_oauth_client.py: {msg}\n{USAGE}", file=sys.stderr)
    sys.exit(2)


class Opts:
    url: str = ""
    expect_sub: str = "alice"
    initial_scope: str = "notes:read notes:write"
    cookies: bool = True
    timeout_ms: int = 30000
    access_token_ttl_wait: float = 0
    cimd: bool = False
    cimd_ca: str | None = None


def parse_args(argv: list[str]) -> Opts:
    o = Opts()
    i = 0
    while i < len(argv):
        flag = argv[i]
        if flag in ("-h", "--help"):
            print(USAGE, file=sys.stderr)
            sys.exit(0)
        if flag == "--no-cookies":
            o.cookies = False
            i += 1
            continue
        if flag == "--cimd":
            o.cimd = True
            i += 1
            continue
        if flag not in ("--url", "--expect-sub", "--initial-scope", "--timeout-ms", "--access-token-ttl-wait", "--cimd-ca"):
            usage_error(f"unknown argument {flag}")
        if i + 1 >= len(argv):
            usage_error(f"missing value for {flag}")
        value = argv[i + 1]
        i += 2
        if flag == "--timeout-ms":
            try:
                o.timeout_ms = int(value)
            except ValueError:
                usage_error("--timeout-ms must be an integer")
        elif flag == "--access-token-ttl-wait":
            try:
                o.access_token_ttl_wait = float(value)
            except ValueError:
                usage_error("--access-token-ttl-wait must be a number of seconds")
        else:
            setattr(o, flag[2:].replace("-", "_"), value)
    if not o.url:
        usage_error("--url is required")
    if urlsplit(o.url).scheme not in ("http", "https"):
        usage_error(f"--url is not an http(s) URL: {o.url}")
    if o.timeout_ms <= 0:
        usage_error("--timeout-ms must be positive")
    if not o.access_token_ttl_wait >= 0:
        usage_error("--access-token-ttl-wait must be >= 0")
    if o.cimd_ca is not None and not o.cimd:
        usage_error("--cimd-ca needs --cimd")
    return o


OPTS = parse_args(sys.argv[1:])

# ---------------------------------------------------------------- check harness
passed = 0
failed = 0


class CheckError(Exception):
    pass


def fail(msg: str) -> None:
    raise CheckError(msg)


def check_that(cond: Any, msg: str) -> None:
    if not cond:
        fail(msg)


def show(v: Any) -> str:
    try:
        s = json.dumps(v, sort_keys=True)
    except (TypeError, ValueError):
        s = repr(v)
    return s if len(s) <= 300 else s[:300] + "…"


def wire(obj: Any) -> Any:
    """An SDK object as it would appear on the wire (camelCase JSON)."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(by_alias=True, mode="json", exclude_none=True)
    if isinstance(obj, list):
        return [wire(x) for x in obj]
    return obj


def one_line(s: str) -> str:
    return " ".join(str(s).split())


def diag(msg: str) -> None:
    print(f"py_oauth_client: {msg}", file=sys.stderr, flush=True)


reported: set[str] = set()
current_check: str | None = None


def report(name: str, reason: str | None) -> None:
    global passed, failed
    reported.add(name)
    if reason is None:
        passed += 1
        print(f"ok {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name}: {one_line(reason)}", flush=True)


def describe(e: BaseException) -> str:
    if isinstance(e, BaseExceptionGroup):
        return "; ".join(describe(x) for x in e.exceptions)
    return f"{type(e).__name__}: {str(e) or repr(e)}"


async def check(name: str, fn: Callable[[], Awaitable[None]]) -> bool:
    global current_check
    current_check = name
    ok = False
    try:
        with anyio.fail_after(OPTS.timeout_ms / 1000):
            await fn()
    except TimeoutError:
        report(name, f"timed out after {OPTS.timeout_ms} ms")
    except CheckError as e:
        report(name, str(e))
    except Exception as e:  # noqa: BLE001 - any exception fails the check
        report(name, describe(e))
    else:
        report(name, None)
        ok = True
    current_check = None
    return ok


summary_printed = False


def print_summary() -> None:
    global summary_printed
    if not summary_printed:
        summary_printed = True
        print(f"{passed} passed, {failed} failed", flush=True)


def skip(name: str, why: str) -> None:
    report(name, f"not run ({why})")


def text_of(result: dict, what: str) -> str:
    content = result.get("content")
    check_that(isinstance(content, list), f"{what}: result has no content array: {show(result)}")
    texts = [c.get("text", "") for c in content if c.get("type") == "text"]
    check_that(texts, f"{what}: no text content in {show(content)}")
    return "\n".join(texts)


def jwt_payload(token: str | None) -> dict | None:
    try:
        part = str(token).split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except Exception:  # noqa: BLE001
        return None


def scope_set(s: str | None) -> list[str]:
    seen: list[str] = []
    for x in (s or "").split():
        if x not in seen:
            seen.append(x)
    return seen


def www_param(header: str | None, name: str) -> str | None:
    """A parameter of a WWW-Authenticate challenge (quoted or token value)."""
    if not header:
        return None
    m = re.search(rf'(?:^|[\s,]){re.escape(name)}=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', header)
    if not m:
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


# ---------------------------------------------------------------- HTTP log (every request the SDK makes)
# Each entry: method, url, status, had_auth, www (WWW-Authenticate), bearer (the access token sent,
# kept in memory only), grant_type (the form body's grant_type, for token requests).
http_log: list[dict[str, Any]] = []


def form_grant_type(req: Any) -> str | None:
    if "application/x-www-form-urlencoded" not in req.headers.get("content-type", ""):
        return None
    try:
        return parse_qs(req.content.decode("utf-8", "replace")).get("grant_type", [None])[0]
    except Exception:  # noqa: BLE001 - a streamed body cannot be read here
        return None


async def log_response(response: Any) -> None:
    req = response.request
    authorization = req.headers.get("authorization")
    entry = {
        "method": req.method,
        "url": str(req.url),
        "status": response.status_code,
        "had_auth": authorization is not None,
        "bearer": re.sub(r"(?i)^bearer\s+", "", authorization) if authorization else None,
        "grant_type": form_grant_type(req),
        "www": response.headers.get("www-authenticate"),
    }
    http_log.append(entry)
    www = f" [WWW-Authenticate: {entry['www']}]" if entry["www"] else ""
    grant = f"[grant_type={entry['grant_type']}] " if entry["grant_type"] else ""
    diag(f"{entry['method']} {entry['url']} {grant}{'(bearer) ' if entry['had_auth'] else ''}-> {entry['status']}{www}")


# ---------------------------------------------------------------- in-memory storage + headless user agent
class InMemoryTokenStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None
        self.token_history: list[OAuthToken] = []
        self.registrations: list[OAuthClientInformationFull] = []

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.token_history.append(tokens)
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.registrations.append(client_info)
        self.client_info = client_info


def page_text(body: str) -> str:
    """The readable text of an HTML error page (the body as-is otherwise)."""
    if re.search(r"<html[\s>]", body, re.I):
        body = re.sub(r"(?is)<(style|script)[^>]*>.*?</\1>", " ", body)
        body = html.unescape(re.sub(r"<[^>]*>", " ", body))
    return one_line(body)


class HeadlessUserAgent:
    """Follows the authorization server's redirects with plain GETs until the redirect_uri."""

    def __init__(self, redirect_uri: str) -> None:
        self.redirect_uri = redirect_uri
        self.authorizations: list[dict[str, Any]] = []  # {"as_built", "sent", "params"}
        self.pending: dict[str, str] | None = None
        self.client = httpx.AsyncClient(follow_redirects=False, timeout=30.0)

    async def redirect_handler(self, authorization_url: str) -> None:
        as_built = authorization_url
        parts = urlsplit(as_built)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        requested = query.get("scope")
        if not self.authorizations and OPTS.initial_scope and requested is not None:
            allowed = set(OPTS.initial_scope.split())
            narrowed = [s for s in scope_set(requested) if s in allowed or not s.startswith("notes:")]
            if " ".join(narrowed) != requested:
                diag(f'narrowing the first authorization\'s scope from "{requested}" to "{" ".join(narrowed)}"')
                query["scope"] = " ".join(narrowed)
        sent = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
        record: dict[str, Any] = {"as_built": as_built, "sent": sent, "params": None}
        self.authorizations.append(record)
        diag(f"redirect_handler: {as_built}")
        if not OPTS.cookies:
            self.client.cookies.clear()
        url = sent
        for _ in range(20):
            if url.startswith(self.redirect_uri):
                params = {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
                diag(f"authorization ended at the redirect_uri with {sorted(params)}")
                record["params"] = params
                self.pending = params
                return
            response = await self.client.get(url)
            if not OPTS.cookies:
                self.client.cookies.clear()
            location = response.headers.get("location")
            diag(f"user agent: GET {url} -> {response.status_code}{f' Location: {location}' if location else ''}")
            if 300 <= response.status_code < 400 and location:
                url = urljoin(url, location)
                continue
            raise RuntimeError(f"authorization stopped at {url}: HTTP {response.status_code} "
                               f"{page_text(response.text)[:300]}")
        raise RuntimeError("authorization: too many redirects")

    async def callback_handler(self) -> Any:
        params = self.pending or {}
        self.pending = None
        if "error" in params:
            raise RuntimeError(f"authorization error {params['error']}: {params.get('error_description', '')}")
        if not params.get("code"):
            raise RuntimeError(f"no code at the redirect_uri: {show(params)}")
        if AuthorizationCodeResult is not None:
            return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))
        return params["code"], params.get("state")  # mcp 1.x


# ---------------------------------------------------------------- Client ID Metadata Document server (--cimd)
# The TLS material: a CA (reused from --cimd-ca DIR, or created there with openssl) and a leaf
# certificate for 127.0.0.1 / localhost issued by it for this run.
def openssl(args: list[str], cwd: str) -> None:
    try:
        subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)
    except FileNotFoundError:
        raise RuntimeError("openssl not found") from None
    except subprocess.CalledProcessError as e:
        raise RuntimeError(f"openssl {args[0]} failed: {one_line(e.stderr.decode('utf-8', 'replace'))}") from None


def ensure_ca(directory: str) -> tuple[str, str]:
    os.makedirs(directory, exist_ok=True)
    ca_key = os.path.join(directory, "ca.key")
    ca_pem = os.path.join(directory, "ca.pem")
    if not os.path.exists(ca_key):
        # Created aside, then hard-linked into place (key first), so that concurrent runs sharing
        # the directory agree on one pair.
        tmp = tempfile.mkdtemp(prefix=".ca-", dir=directory)
        try:
            openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650", "-subj", "/CN=fastmcp test CIMD CA",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], tmp)
            try:
                os.link(os.path.join(tmp, "ca.key"), ca_key)
            except FileExistsError:
                pass
            else:
                os.link(os.path.join(tmp, "ca.pem"), ca_pem)
                diag(f"created the CIMD test CA {ca_pem}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    for _ in range(100):
        if os.path.exists(ca_pem):
            break
        time.sleep(0.1)
    if not os.path.exists(ca_pem):
        raise RuntimeError(f"{ca_key} exists but {ca_pem} does not")
    return ca_key, ca_pem


class CimdServer:
    """Serves the client ID metadata document at https://127.0.0.1:<free port>/client.json."""

    def __init__(self, redirect_uri: str) -> None:
        ca_dir = OPTS.cimd_ca
        self.throwaway_ca = None if ca_dir else ca_dir
        if not ca_dir:
            ca_dir = self.throwaway_ca = tempfile.mkdtemp(prefix="fastmcp-cimd-ca-")
            diag(f"no --cimd-ca: a throwaway CA in {ca_dir}; the authorization server must trust "
                 f"{os.path.join(ca_dir, 'ca.pem')} (SSL_CERT_FILE) to fetch the document")
        ca_key, self.ca_pem = ensure_ca(ca_dir)
        self.fetches: list[dict[str, Any]] = []
        self.closed = False
        self.tls_dir = tempfile.mkdtemp(prefix="fastmcp-cimd-")
        with open(os.path.join(self.tls_dir, "ext.cnf"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
        openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1"], self.tls_dir)
        openssl(["x509", "-req", "-in", "leaf.csr", "-CA", self.ca_pem, "-CAkey", ca_key,
                 "-set_serial", f"0x{secrets.token_hex(12)}", "-days", "2", "-out", "leaf.pem", "-extfile", "ext.cnf"],
                self.tls_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(self.tls_dir, "leaf.pem"), os.path.join(self.tls_dir, "leaf.key"))
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.fetches.append({"method": "GET", "path": self.path, "user_agent": self.headers.get("user-agent")})
                diag(f"CIMD document server: GET {self.path}")
                if self.path != "/client.json":
                    self.send_error(404)
                    return
                body = json.dumps({
                    "client_id": outer.url,
                    "client_name": "fastmcp-py-oauth-client",
                    "redirect_uris": [redirect_uri],
                    "grant_types": ["authorization_code", "refresh_token"],
                    "response_types": ["code"],
                    "token_endpoint_auth_method": "none",
                }).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("cache-control", "no-store")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}/client.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        diag(f"CIMD document: {self.url} (CA {self.ca_pem})")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.tls_dir, ignore_errors=True)
        if self.throwaway_ca:
            shutil.rmtree(self.throwaway_ca, ignore_errors=True)


def unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- main
CHECKS = ["initial-401", "cimd" if OPTS.cimd else "registered", "resource-indicator", "tools-list", "call-whoami",
          "call-add-note", "step-up", "tools-list-after-step-up", *(["refresh"] if OPTS.access_token_ttl_wait > 0 else [])]


async def main() -> int:
    redirect_uri = f"http://127.0.0.1:{unused_port()}/callback"
    storage = InMemoryTokenStorage()
    agent = HeadlessUserAgent(redirect_uri)
    cimd: CimdServer | None = None
    if OPTS.cimd:
        try:
            cimd = CimdServer(redirect_uri)
        except Exception as e:  # noqa: BLE001
            diag(f"CIMD document server: {describe(e)}")
            for name in CHECKS:
                skip(name, f"cannot serve the client ID metadata document: {describe(e)}")
            print_summary()
            return 1
    provider = OAuthClientProvider(
        server_url=OPTS.url,
        client_metadata=OAuthClientMetadata(
            client_name="fastmcp-py-oauth-client",
            redirect_uris=[redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=agent.redirect_handler,
        callback_handler=agent.callback_handler,
        # SEP-991 (CIMD): used as the client_id instead of registering when the authorization
        # server's metadata has client_id_metadata_document_supported: true.
        **({"client_metadata_url": cimd.url} if cimd else {}),
    )
    mcp_url = OPTS.url
    canonical = urlunsplit(urlsplit(mcp_url)._replace(fragment=""))

    def mcp_posts() -> list[dict[str, Any]]:
        return [r for r in http_log if r["method"] == "POST" and r["url"] == mcp_url]

    def granted() -> list[str]:
        t = storage.tokens
        if t is None:
            return []
        return scope_set(t.scope if t.scope else (jwt_payload(t.access_token) or {}).get("scope"))

    def expect_tools(names: list[str], scopes: list[str], what: str) -> None:
        check_that("whoami" in names, f"{what}: whoami missing: {show(names)}")
        for tool, scope in (("list_notes", "notes:read"), ("add_note", "notes:write"), ("admin_reset", "notes:admin")):
            if scope in scopes:
                check_that(tool in names, f"{what}: {tool} missing (scope {scope} granted): {show(names)}")
            else:
                check_that(tool not in names, f"{what}: {tool} listed without scope {scope}: {show(names)}")

    plan = list(CHECKS)
    transport_error: BaseException | None = None
    try:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(agent.client)
            if _HTTP_CLIENT_KW == "http_client":
                http_client = httpx.AsyncClient(
                    auth=provider,
                    timeout=httpx.Timeout(30.0, read=300.0),
                    event_hooks={"response": [log_response]},
                )
                await stack.enter_async_context(http_client)
                streams = await stack.enter_async_context(_http_client(mcp_url, http_client=http_client))
            else:  # mcp 1.x (no request log there)
                streams = await stack.enter_async_context(_http_client(mcp_url, auth=provider))
            read, write = streams[0], streams[1]
            session = await stack.enter_async_context(ClientSession(
                read, write, client_info=types.Implementation(name="fastmcp-py-oauth-client", version="1.0.0")))

            init_error: BaseException | None = None
            try:
                with anyio.fail_after(OPTS.timeout_ms / 1000):
                    await session.initialize()
            except Exception as e:  # noqa: BLE001
                init_error = e
                diag(f"initialize failed: {describe(e)}")

            async def initial_401() -> None:
                posts = mcp_posts()
                check_that(posts, f"no POST to {mcp_url} was made ({describe(init_error) if init_error else 'no error'})")
                first = posts[0]
                check_that(not first["had_auth"], "the first POST already carried a token")
                check_that(first["status"] == 401, f"the first POST got HTTP {first['status']}, expected 401")
                www = first["www"] or ""
                check_that(www.lower().startswith("bearer "), f"401 without a Bearer WWW-Authenticate challenge: {show(www)}")
                check_that(www_param(www, "resource_metadata"), f"the 401 challenge has no resource_metadata: {www}")
                check_that(agent.authorizations, "the SDK never called redirect_handler")
                check_that(init_error is None, f"initialize failed after the authorization: {describe(init_error) if init_error else ''}")

            async def registered() -> None:
                check_that(storage.registrations, "set_client_info was never called (no dynamic registration)")
                info = storage.registrations[0]
                check_that(info.client_id, f"registration without client_id: {show(wire(info))}")
                check_that(agent.authorizations, "no authorization request was made after registering")
                q = parse_qs(urlsplit(agent.authorizations[0]["as_built"]).query)
                check_that(q.get("client_id", [None])[0] == info.client_id, "the authorization request used another client_id")
                check_that(q.get("code_challenge_method", [None])[0] == "S256", "no PKCE S256 in the authorization request")

            async def resource_indicator() -> None:
                check_that(agent.authorizations, "no authorization request was made")
                q = parse_qs(urlsplit(agent.authorizations[0]["as_built"]).query)
                got = q.get("resource", [None])[0]
                check_that(got == canonical,
                           f"authorization request resource={show(got)}, expected {canonical} (the metadata's \"resource\")")
                tok = storage.tokens
                check_that(tok is not None and tok.access_token, "no access token")
                claims = jwt_payload(tok.access_token)
                check_that(claims is not None, "the access token is not a JWT")
                aud = claims.get("aud")
                auds = aud if isinstance(aud, list) else [aud]
                check_that(canonical in auds, f"access token aud {show(aud)} does not name {canonical}")

            async def cimd_check() -> None:
                assert cimd is not None
                regs = [r for r in http_log if r["method"] == "POST" and r["url"] != mcp_url and not r["grant_type"]]
                check_that(not regs, f"a registration request was made: POST {regs[0]['url']} -> {regs[0]['status']}" if regs else "")
                check_that(agent.authorizations, "no authorization request was made")
                q = parse_qs(urlsplit(agent.authorizations[0]["as_built"]).query)
                got = q.get("client_id", [None])[0]
                check_that(got == cimd.url,
                           f"the authorization request's client_id is {show(got)}, not the document URL {cimd.url}")
                check_that(q.get("code_challenge_method", [None])[0] == "S256", "no PKCE S256 in the authorization request")
                saved = storage.client_info.client_id if storage.client_info else None
                check_that(saved == cimd.url, f"the SDK saved client_id {show(saved)}, not the document URL")
                check_that(any(f["path"] == "/client.json" for f in cimd.fetches),
                           f"the authorization server never fetched the document {cimd.url} "
                           f"(does it trust {cimd.ca_pem}? SSL_CERT_FILE)")
                check_that(agent.authorizations[0]["params"] and agent.authorizations[0]["params"].get("code"),
                           "no authorization code was obtained with the document URL as client_id")

            await check("initial-401", initial_401)
            if cimd:
                await check("cimd", cimd_check)
            else:
                await check("registered", registered)
            await check("resource-indicator", resource_indicator)

            if init_error is not None:
                for name in plan[3:]:
                    skip(name, f"initialize failed: {describe(init_error)}")
            else:
                async def tools_list() -> None:
                    scopes = granted()
                    diag(f"granted scopes: {' '.join(scopes)}")
                    check_that("notes:read" in scopes and "notes:write" in scopes,
                               f'expected notes:read and notes:write to be granted, got "{" ".join(scopes)}"')
                    check_that("notes:admin" not in scopes,
                               "notes:admin was granted up front; the step-up check would be meaningless")
                    result = wire(await session.list_tools())
                    expect_tools([t["name"] for t in result.get("tools", [])], scopes, "tools/list")

                async def call_whoami() -> None:
                    r = wire(await session.call_tool("whoami", {}))
                    check_that(not r.get("isError"), f"whoami returned isError: {show(r.get('content'))}")
                    text = text_of(r, "whoami")
                    check_that(OPTS.expect_sub in text, f'whoami text does not contain "{OPTS.expect_sub}": {show(text)}')

                async def call_add_note() -> None:
                    note = f"py-oauth note {secrets.token_hex(4)}"
                    r = wire(await session.call_tool("add_note", {"text": note}))
                    check_that(not r.get("isError"), f"add_note returned isError: {show(r.get('content'))}")
                    lst = wire(await session.call_tool("list_notes", {}))
                    check_that(not lst.get("isError"), f"list_notes returned isError: {show(lst.get('content'))}")
                    check_that(note in text_of(lst, "list_notes"), f"list_notes does not show the added note: {show(lst.get('content'))}")

                stepped_up = False

                async def step_up() -> None:
                    nonlocal stepped_up
                    before = len(http_log)
                    auths_before = len(agent.authorizations)
                    r = wire(await session.call_tool("admin_reset", {}))
                    challenges = [e for e in http_log[before:] if e["status"] == 403]
                    check_that(challenges, "admin_reset did not get HTTP 403 first")
                    www = challenges[0]["www"] or ""
                    check_that(www_param(www, "error") == "insufficient_scope",
                               f'403 without error="insufficient_scope": {show(www)}')
                    check_that("notes:admin" in scope_set(www_param(www, "scope")),
                               f"the 403 challenge's scope does not include notes:admin: {show(www)}")
                    check_that(len(agent.authorizations) > auths_before, "no new authorization request was made for the step-up")
                    q = parse_qs(urlsplit(agent.authorizations[-1]["sent"]).query)
                    asked = q.get("scope", [""])[0]
                    check_that("notes:admin" in scope_set(asked),
                               f"the step-up authorization did not ask for notes:admin: scope={show(asked)}")
                    check_that("notes:admin" in granted(), f'notes:admin not granted after the step-up: "{" ".join(granted())}"')
                    check_that(not r.get("isError"), f"admin_reset returned isError after the step-up: {show(r.get('content'))}")
                    text_of(r, "admin_reset")
                    diag(f"step-up: handled by the SDK (asked for scope={asked!r})")
                    stepped_up = True

                async def tools_list_after() -> None:
                    result = wire(await session.list_tools())
                    expect_tools([t["name"] for t in result.get("tools", [])], granted(), "tools/list after the step-up")

                await check("tools-list", tools_list)
                await check("call-whoami", call_whoami)
                await check("call-add-note", call_add_note)
                await check("step-up", step_up)
                if stepped_up:
                    await check("tools-list-after-step-up", tools_list_after)
                else:
                    skip("tools-list-after-step-up", "step-up failed")

                if OPTS.access_token_ttl_wait > 0:
                    # The wait is not part of the check's timeout.
                    before = storage.tokens
                    auths_before = len(agent.authorizations)
                    diag(f"refresh: waiting {OPTS.access_token_ttl_wait:g} s for the access token to expire "
                         f"(expires_in was {before.expires_in if before else None})")
                    await anyio.sleep(OPTS.access_token_ttl_wait)
                    log_start = len(http_log)

                    async def refresh() -> None:
                        check_that(before is not None and before.access_token, "no access token before the wait")
                        assert before is not None
                        check_that(before.refresh_token,
                                   "the token response had no refresh_token, so there is nothing to refresh with")
                        # mcp 2.3.0 has no public refresh API: the SDK must do it by itself.
                        call_start = time.time()
                        r = wire(await session.call_tool("whoami", {}))
                        window = http_log[log_start:]
                        mcp_calls = [e for e in window if e["url"] == mcp_url and e["method"] == "POST"]
                        rejected = [e for e in mcp_calls if e["status"] == 401]
                        grants = [e for e in window if e["grant_type"]]
                        refreshes = [e for e in grants if e["grant_type"] == "refresh_token"]
                        after = storage.tokens
                        token_reqs = ", ".join(f"{g['grant_type']} {g['status']}" for g in grants) or "none"
                        position = {id(e): i for i, e in enumerate(window)}
                        if rejected:
                            way = f"401 [{rejected[0]['www']}] -> token requests: {token_reqs}"
                        elif refreshes and mcp_calls and position[id(refreshes[0])] < position[id(mcp_calls[0])]:
                            way = f"refreshed before sending (expires_in had passed), no 401; token requests: {token_reqs}"
                        else:
                            way = f"no 401; token requests: {token_reqs}"
                        diag(f"refresh: SDK: {way}")
                        exp = (jwt_payload(before.access_token) or {}).get("exp")
                        if not isinstance(exp, (int, float)):
                            exp_note = ""
                        elif exp > call_start:
                            exp_note = (f"; it had not expired yet (exp in {round(exp - call_start)} s): "
                                        "wait longer than the token's lifetime")
                        else:
                            exp_note = (f"; its exp had passed {round(call_start - exp)} s before"
                                        f"{'' if rejected else ', yet the server accepted it (clock-skew leeway?)'}")
                        check_that(refreshes, f"no refresh_token grant was sent to the token endpoint ({way}; the access "
                                   f"token {'was rejected' if rejected else 'was still accepted'} after "
                                   f"{OPTS.access_token_ttl_wait:g} s{exp_note})")
                        check_that(any(e["status"] == 200 for e in refreshes),
                                   f"the refresh_token grant failed: HTTP {', '.join(str(e['status']) for e in refreshes)}")
                        check_that(len(agent.authorizations) == auths_before,
                                   f"a new authorization request was made instead of (or after) the refresh ({way})")
                        check_that(grants[-1]["grant_type"] == "refresh_token" and grants[-1]["status"] == 200,
                                   f"the last token request was {grants[-1]['grant_type']} -> {grants[-1]['status']}, "
                                   "not a successful refresh")
                        check_that(after is not None and after.access_token and after.access_token != before.access_token,
                                   "the access token did not change")
                        assert after is not None
                        for e in rejected:
                            check_that(www_param(e["www"], "error") == "invalid_token",
                                       f'the expired token\'s 401 lacks error="invalid_token": {show(e["www"])}')
                        last = mcp_calls[-1] if mcp_calls else None
                        check_that(last is not None and last["status"] == 200 and last["bearer"] == after.access_token,
                                   "the call was not made with the new access token (last POST: "
                                   f"{last['status'] if last else None}, "
                                   f"{'old' if last and last['bearer'] == before.access_token else 'other'} token)")
                        check_that(not r.get("isError"), f"whoami returned isError after the refresh: {show(r.get('content'))}")
                        text = text_of(r, "whoami")
                        check_that(OPTS.expect_sub in text,
                                   f'whoami text does not contain "{OPTS.expect_sub}" after the refresh: {show(text)}')

                    await check("refresh", refresh)

            if cimd is not None:
                cimd.close()
            print_summary()
            code = 0 if failed == 0 else 1
            watchdog = threading.Timer(10.0, lambda: os._exit(code))
            watchdog.daemon = True
            watchdog.start()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - transport failure (often an exception group)
        transport_error = e

    if transport_error is not None:
        if summary_printed:
            diag(f"error while closing: {describe(transport_error)}")
        else:
            culprit = current_check or next((n for n in plan if n not in reported), None)
            for name in plan:
                if name in reported:
                    continue
                if name == culprit:
                    report(name, f"transport failed: {describe(transport_error)}")
                else:
                    skip(name, "transport failed")
            print_summary()
    if cimd is not None:
        cimd.close()
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    try:
        exit_code = anyio.run(main)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        exit_code = 1
        if not summary_printed:
            failed += 1
            print_summary()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
