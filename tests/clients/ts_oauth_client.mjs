#!/usr/bin/env node
// OAuth check driver: runs the official TypeScript MCP SDK client's OAuth support
// (@modelcontextprotocol/sdk/client/auth.js: an in-memory OAuthClientProvider given to
// StreamableHTTPClientTransport as `authProvider`) against a protected fastmcp server whose
// authorization server is tests/clients/oidc_provider.mjs, headlessly, and runs named checks.
//
// usage:
//   node ts_oauth_client.mjs --url http://127.0.0.1:PORT/mcp [--expect-sub alice]
//        [--initial-scope "notes:read notes:write"] [--no-cookies] [--timeout-ms N]
//        [--access-token-ttl-wait SECONDS] [--cimd [--cimd-ca DIR]]
//
// Output (stdout): one line per check, `ok <name>` or `FAIL <name>: <reason>`, then the final line
// `N passed, M failed`. Exit status 0 only if M == 0 (2 on bad arguments). Diagnostics (the HTTP
// exchanges, which way the step-up went) go to stderr.
//
// The flow: connect -> 401 -> the SDK reads the RFC 9728 metadata named by the challenge -> the
// authorization server's metadata -> registers dynamically -> calls redirectToAuthorization(url),
// which here follows the authorization server's redirects with plain GETs (fetch, redirect:
// 'manual'; cookies kept unless --no-cookies) until the Location is our redirect_uri
// (http://127.0.0.1:<unused port>/callback, never listened on) -> transport.finishAuth(code) ->
// connect again with a new transport.
//
// --initial-scope: the FIRST authorization request is narrowed to these scopes (plus any requested
// non-notes:* scope such as openid/offline_access), the way a user may consent to less than asked,
// so that the `step-up` check is meaningful whatever the server's 401 advertises. Later
// authorizations (the step-up) are sent as the SDK built them. "" disables narrowing.
//
// --access-token-ttl-wait N (seconds, default 0 = no `refresh` check): after the other checks,
// wait N seconds so that the (short-lived) access token expires, then call whoami again. The SDK
// does not track expiry: the server's 401 (error="invalid_token") makes the transport run auth(),
// which uses the refresh token (grant_type=refresh_token) and retries. `refresh` passes only if
// the call succeeded, a refresh_token grant was answered 200 by the token endpoint, the stored
// access token changed, and the retried call carried the new token; a new authorization request
// in place of the refresh fails it. Should the call fail instead, the script calls the SDK's
// public auth() (which refreshes when it holds a refresh token), says so on stderr, and retries;
// the same conditions apply.
//
// --cimd: identify the client with a Client ID Metadata Document instead of dynamic
// registration. The script serves the document itself at https://127.0.0.1:<free port>/client.json
// (the SDK only accepts an https clientMetadataUrl with a path, and uses it when the authorization
// server's metadata says client_id_metadata_document_supported: true). Its TLS certificate is
// issued for 127.0.0.1 by the CA in --cimd-ca DIR (DIR/ca.pem + DIR/ca.key, created with openssl
// if absent; a throwaway directory by default), so the authorization server that fetches the
// document must trust DIR/ca.pem: start it with SSL_CERT_FILE=DIR/ca.pem (rustls reads that file
// whenever it builds an HTTP client, so the file may be created after the server started). The
// `registered` check is then replaced by `cimd`: no registration POST, the authorization request's
// client_id is the document URL, and the authorization server fetched the document.
//
// Checks: initial-401, registered (or cimd with --cimd), resource-indicator, tools-list,
// call-whoami, call-add-note, step-up, tools-list-after-step-up, then refresh with
// --access-token-ttl-wait N > 0.
//
// The SDK is loaded from $FASTMCP_TEST_NODE_MODULES (set by scripts/test), falling back to
// ./node_modules next to this file.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const USAGE = 'usage: ts_oauth_client.mjs --url <http://127.0.0.1:PORT/mcp> [--expect-sub NAME] ' +
  '[--initial-scope "SCOPES"] [--no-cookies] [--timeout-ms N] [--access-token-ttl-wait SECONDS] [--cimd [--cimd-ca DIR]]';

function parseArgs(argv) {
  const o = { timeoutMs: 30000, expectSub: 'alice', initialScope: 'notes:read notes:write', cookies: true, ttlWait: 0, cimd: false, cimdCa: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usageError(`missing value for ${flag}`);
      return argv[++i];
    };
    switch (flag) {
      case '--url': o.url = val(); break;
      case '--expect-sub': o.expectSub = val(); break;
      case '--initial-scope': o.initialScope = val(); break;
      case '--no-cookies': o.cookies = false; break;
      case '--timeout-ms': o.timeoutMs = Number(val()); break;
      case '--access-token-ttl-wait': o.ttlWait = Number(val()); break;
      case '--cimd': o.cimd = true; break;
      case '--cimd-ca': o.cimdCa = val(); break;
      case '-h': case '--help': console.error(USAGE); process.exit(0); break;
      default: usageError(`unknown argument ${flag}`);
    }
  }
  if (!o.url) usageError('--url is required');
  try { new URL(o.url); } catch { usageError(`--url is not a URL: ${o.url}`); }
  if (!(o.timeoutMs > 0)) usageError('--timeout-ms must be positive');
  if (!(o.ttlWait >= 0)) usageError('--access-token-ttl-wait must be a number of seconds >= 0');
  if (o.cimdCa !== undefined && !o.cimd) usageError('--cimd-ca needs --cimd');
  return o;
}
function usageError(msg) {
  console.error(`ts_oauth_client.mjs: ${msg}\n${USAGE}`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules = process.env.FASTMCP_TEST_NODE_MODULES || path.join(here, 'node_modules');
const requireSdk = createRequire(path.join(nodeModules, 'fastmcp-resolve-base.js'));
let sdk;
try {
  sdk = {
    ...requireSdk('@modelcontextprotocol/sdk/client/index.js'),
    ...requireSdk('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    ...requireSdk('@modelcontextprotocol/sdk/client/auth.js'),
  };
} catch (e) {
  console.error(`ts_oauth_client.mjs: cannot load @modelcontextprotocol/sdk from ${nodeModules} ` +
    `(run scripts/test, or set FASTMCP_TEST_NODE_MODULES): ${e.message}`);
  process.exit(2);
}
const { Client, StreamableHTTPClientTransport, StreamableHTTPError, UnauthorizedError, auth, extractWWWAuthenticateParams } = sdk;

// ---------------------------------------------------------------- check harness
let passed = 0;
let failed = 0;

class CheckError extends Error {}
function fail(msg) { throw new CheckError(msg); }
function assert(cond, msg) { if (!cond) fail(msg); }
const show = (v) => { const s = JSON.stringify(v); return s === undefined ? String(v) : s.length > 300 ? s.slice(0, 300) + '…' : s; };
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new CheckError(`timed out after ${ms} ms (${what})`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}
const oneLine = (s) => String(s).replace(/\s+/g, ' ').trim();
const diag = (msg) => console.error(`ts_oauth_client: ${msg}`);

async function check(name, fn) {
  try {
    await withTimeout(Promise.resolve().then(fn), opts.timeoutMs, name);
    passed++;
    console.log(`ok ${name}`);
    return true;
  } catch (e) {
    failed++;
    const reason = e instanceof CheckError ? e.message : `${e?.constructor?.name ?? 'Error'}: ${e?.message ?? e}`;
    console.log(`FAIL ${name}: ${oneLine(reason)}`);
    return false;
  }
}
function skip(name, why) {
  failed++;
  console.log(`FAIL ${name}: not run (${why})`);
}
function textOf(result, what) {
  assert(Array.isArray(result?.content), `${what}: result has no content array: ${show(result)}`);
  const texts = result.content.filter((c) => c.type === 'text').map((c) => c.text);
  assert(texts.length > 0, `${what}: no text content in ${show(result.content)}`);
  return texts.join('\n');
}
function decodeJwtPayload(token) {
  try {
    return JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
const scopeSet = (s) => new Set(String(s ?? '').split(' ').filter(Boolean));

// ---------------------------------------------------------------- HTTP log (every request the SDK makes)
// Each entry: method, url, status, hadAuth, www (WWW-Authenticate), bearer (the access token sent,
// kept in memory only), grantType (the form body's grant_type, for token requests).
const httpLog = [];
function formGrantType(body) {
  try {
    if (body instanceof URLSearchParams) return body.get('grant_type') ?? undefined;
    if (typeof body === 'string' && /(^|&)grant_type=/.test(body)) return new URLSearchParams(body).get('grant_type') ?? undefined;
  } catch {
    // not a form
  }
  return undefined;
}
async function loggingFetch(input, init) {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const method = init?.method ?? (typeof input === 'object' && input.method) ?? 'GET';
  const authorization = new Headers(init?.headers ?? {}).get('authorization');
  const hadAuth = authorization !== null;
  const bearer = authorization?.replace(/^bearer\s+/i, '');
  const grantType = formGrantType(init?.body);
  const res = await fetch(input, init);
  const entry = { method, url, status: res.status, hadAuth, bearer, grantType, www: res.headers.get('www-authenticate') };
  httpLog.push(entry);
  diag(`${method} ${url} ${grantType ? `[grant_type=${grantType}] ` : ''}${hadAuth ? '(bearer) ' : ''}-> ${res.status}` +
    `${entry.www ? ` [WWW-Authenticate: ${entry.www}]` : ''}`);
  return res;
}

// ---------------------------------------------------------------- headless user agent
const cookieJar = new Map();
function storeCookies(res) {
  if (!opts.cookies) return;
  for (const sc of res.headers.getSetCookie?.() ?? []) {
    const [pair, ...attrs] = sc.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attrs.some((a) => {
      const [k, v = ''] = a.split('=').map((x) => x.trim());
      return (k.toLowerCase() === 'max-age' && Number(v) <= 0) ||
        (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now());
    });
    if (expired || value === '') cookieJar.delete(name); else cookieJar.set(name, value);
  }
}
const cookieHeader = () => [...cookieJar].map(([k, v]) => `${k}=${v}`).join('; ');

// The readable text of an HTML error page (the body as-is otherwise).
const pageText = (body) => oneLine(/<html[\s>]/i.test(body)
  ? body.replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ')
    .replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
  : body);

// Follows the authorization server's redirects with plain GETs until the Location is the
// redirect_uri; returns its query parameters. No listener on the redirect_uri is needed.
async function followToCallback(authorizationUrl, redirectUri) {
  let url = authorizationUrl;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(redirectUri)) {
      const params = Object.fromEntries(new URL(url).searchParams);
      diag(`authorization ended at the redirect_uri with ${show(Object.keys(params))}`);
      return params;
    }
    const headers = {};
    if (opts.cookies && cookieJar.size) headers.cookie = cookieHeader();
    const res = await fetch(url, { redirect: 'manual', headers });
    storeCookies(res);
    const location = res.headers.get('location');
    diag(`user agent: GET ${url} -> ${res.status}${location ? ` Location: ${location}` : ''}`);
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      url = new URL(location, url).href;
      continue;
    }
    const body = await res.text().catch(() => '');
    throw new Error(`authorization stopped at ${url}: HTTP ${res.status} ${pageText(body).slice(0, 300)}`);
  }
  throw new Error('authorization: too many redirects');
}

// ---------------------------------------------------------------- in-memory OAuthClientProvider
class InMemoryOAuthProvider {
  constructor(redirectUrl, clientMetadataUrl) {
    this._redirectUrl = redirectUrl;
    // SEP-991 (CIMD): the SDK uses this URL as the client_id, instead of registering, when the
    // authorization server's metadata has client_id_metadata_document_supported: true.
    if (clientMetadataUrl) this.clientMetadataUrl = clientMetadataUrl;
    this._clientInformation = undefined;
    this._tokens = undefined;
    this._codeVerifier = undefined;
    this._state = undefined;
    this.registrations = [];
    this.authorizations = []; // { url (as the SDK built it), sent (after narrowing), params (callback) }
    this.pendingCode = undefined;
    this.tokenHistory = [];
  }
  get redirectUrl() { return this._redirectUrl; }
  get clientMetadata() {
    return {
      client_name: 'fastmcp-ts-oauth-client',
      redirect_uris: [this._redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    this._state = crypto.randomBytes(16).toString('base64url');
    return this._state;
  }
  clientInformation() { return this._clientInformation; }
  saveClientInformation(info) {
    this.registrations.push(info);
    this._clientInformation = info;
  }
  tokens() { return this._tokens; }
  saveTokens(tokens) {
    this.tokenHistory.push(tokens);
    this._tokens = tokens;
  }
  saveCodeVerifier(v) { this._codeVerifier = v; }
  codeVerifier() {
    if (!this._codeVerifier) throw new Error('no code verifier saved');
    return this._codeVerifier;
  }
  invalidateCredentials(scope) {
    diag(`invalidateCredentials(${scope})`);
    if (scope === 'all' || scope === 'client') this._clientInformation = undefined;
    if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this._codeVerifier = undefined;
  }
  async redirectToAuthorization(authorizationUrl) {
    const asBuilt = new URL(authorizationUrl.href ?? String(authorizationUrl));
    const sent = new URL(asBuilt.href);
    const requested = sent.searchParams.get('scope');
    if (this.authorizations.length === 0 && opts.initialScope && requested !== null) {
      const allowed = scopeSet(opts.initialScope);
      const narrowed = [...scopeSet(requested)].filter((s) => allowed.has(s) || !s.startsWith('notes:'));
      if (narrowed.join(' ') !== requested) {
        diag(`narrowing the first authorization's scope from "${requested}" to "${narrowed.join(' ')}"`);
        sent.searchParams.set('scope', narrowed.join(' '));
      }
    }
    const record = { asBuilt: asBuilt.href, sent: sent.href, params: undefined };
    this.authorizations.push(record);
    diag(`redirectToAuthorization: ${asBuilt.href}`);
    const params = await followToCallback(sent.href, this._redirectUrl);
    record.params = params;
    if (params.error) throw new Error(`authorization error ${params.error}: ${params.error_description ?? ''}`);
    if (!params.code) throw new Error(`no code at the redirect_uri: ${show(params)}`);
    if (asBuilt.searchParams.get('state') !== null && params.state !== asBuilt.searchParams.get('state')) {
      throw new Error(`state mismatch: sent ${asBuilt.searchParams.get('state')}, got ${params.state}`);
    }
    this.pendingCode = params.code;
  }
  takeCode() {
    const c = this.pendingCode;
    this.pendingCode = undefined;
    return c;
  }
}

// ---------------------------------------------------------------- Client ID Metadata Document server (--cimd)
// The TLS material: a CA (reused from --cimd-ca DIR, or created there with openssl) and a leaf
// certificate for 127.0.0.1 / localhost issued by it for this run.
function openssl(args, cwd) {
  try {
    return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`openssl ${args[0]} failed: ${e.code === 'ENOENT' ? 'openssl not found' : oneLine(e.stderr?.toString() || e.message)}`);
  }
}
async function ensureCa(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const caKey = path.join(dir, 'ca.key');
  const caPem = path.join(dir, 'ca.pem');
  if (!fs.existsSync(caKey)) {
    // Created aside, then hard-linked into place (key first), so that concurrent runs sharing DIR
    // agree on one pair.
    const tmp = fs.mkdtempSync(path.join(dir, '.ca-'));
    try {
      openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=fastmcp test CIMD CA',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], tmp);
      let won = true;
      try { fs.linkSync(path.join(tmp, 'ca.key'), caKey); } catch (e) { if (e.code === 'EEXIST') won = false; else throw e; }
      if (won) {
        fs.linkSync(path.join(tmp, 'ca.pem'), caPem);
        diag(`created the CIMD test CA ${caPem}`);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  for (let i = 0; i < 100 && !fs.existsSync(caPem); i++) await new Promise((r) => setTimeout(r, 100));
  if (!fs.existsSync(caPem)) throw new Error(`${caKey} exists but ${caPem} does not`);
  return { caKey, caPem };
}
function leafCertificate(ca) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastmcp-cimd-'));
  try {
    fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' +
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=127.0.0.1'], dir);
    openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', ca.caPem, '-CAkey', ca.caKey,
      '-set_serial', `0x${crypto.randomBytes(12).toString('hex')}`, '-days', '2', '-out', 'leaf.pem', '-extfile', 'ext.cnf'], dir);
    return { key: fs.readFileSync(path.join(dir, 'leaf.key')), cert: fs.readFileSync(path.join(dir, 'leaf.pem')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
// Serves the document at https://127.0.0.1:<free port>/client.json; `fetches` records who got it.
async function startCimdServer(redirectUrl) {
  let caDir = opts.cimdCa;
  if (!caDir) {
    caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastmcp-cimd-ca-'));
    diag(`no --cimd-ca: a throwaway CA in ${caDir}; the authorization server must trust ${path.join(caDir, 'ca.pem')} ` +
      '(SSL_CERT_FILE) to fetch the document');
  }
  const ca = await ensureCa(caDir);
  const tls = leafCertificate(ca);
  const fetches = [];
  let url;
  const server = https.createServer(tls, (req, res) => {
    fetches.push({ method: req.method, path: req.url, userAgent: req.headers['user-agent'] });
    diag(`CIMD document server: ${req.method} ${req.url}`);
    if (req.method !== 'GET' || req.url !== '/client.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({
      client_id: url,
      client_name: 'fastmcp-ts-oauth-client',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }));
  });
  server.on('tlsClientError', (e) => diag(`CIMD document server: TLS error: ${e.message}`));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  url = `https://127.0.0.1:${server.address().port}/client.json`;
  diag(`CIMD document: ${url} (CA ${ca.caPem})`);
  const close = () => {
    server.close();
    if (!opts.cimdCa) fs.rmSync(caDir, { recursive: true, force: true });
  };
  return { url, fetches, caPem: ca.caPem, close };
}

async function unusedPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- main
const CHECKS = ['initial-401', opts.cimd ? 'cimd' : 'registered', 'resource-indicator', 'tools-list', 'call-whoami',
  'call-add-note', 'step-up', 'tools-list-after-step-up', ...(opts.ttlWait > 0 ? ['refresh'] : [])];

async function main() {
  const serverUrl = new URL(opts.url);
  const redirectUrl = `http://127.0.0.1:${await unusedPort()}/callback`;
  let cimd;
  if (opts.cimd) {
    try {
      cimd = await startCimdServer(redirectUrl);
    } catch (e) {
      diag(`CIMD document server: ${e?.stack ?? e}`);
      for (const name of CHECKS) skip(name, `cannot serve the client ID metadata document: ${oneLine(e?.message ?? e)}`);
      return finish(1);
    }
  }
  const provider = new InMemoryOAuthProvider(redirectUrl, cimd?.url);
  const makeTransport = () => new StreamableHTTPClientTransport(serverUrl, { authProvider: provider, fetch: loggingFetch });
  const makeClient = () => {
    const c = new Client({ name: 'fastmcp-ts-oauth-client', version: '1.0.0' });
    c.onerror = (e) => diag(`client error: ${e?.message ?? e}`);
    return c;
  };

  // Phase 1: connect without a token, which must lead to the authorization redirect.
  let client;
  let transport; // the connected client's transport (finishAuth for the step-up goes through it)
  let firstError;
  let authorized = false;
  const connectOk = await (async () => {
    try {
      const c = makeClient();
      const t = makeTransport();
      try {
        await withTimeout(c.connect(t), opts.timeoutMs, 'first connect');
        client = c; // connected without any authorization: the server is not protected
        transport = t;
        return true;
      } catch (e) {
        firstError = e;
        await c.close().catch(() => {});
      }
      if (!(firstError instanceof UnauthorizedError)) return false;
      const code = provider.takeCode();
      if (!code) return false;
      await withTimeout(t.finishAuth(code), opts.timeoutMs, 'finishAuth');
      authorized = true;
      client = makeClient();
      transport = makeTransport();
      await withTimeout(client.connect(transport), opts.timeoutMs, 'second connect');
      return true;
    } catch (e) {
      firstError ??= e;
      diag(`connect failed: ${e?.stack ?? e}`);
      return false;
    }
  })();
  const mcpUrl = serverUrl.href;
  const mcpPosts = () => httpLog.filter((r) => r.method === 'POST' && r.url === mcpUrl);

  await check('initial-401', async () => {
    const first = mcpPosts()[0];
    assert(first, `no POST to ${mcpUrl} was made (${firstError?.message ?? 'no error'})`);
    assert(!first.hadAuth, 'the first POST already carried a token');
    assert(first.status === 401, `the first POST got HTTP ${first.status}, expected 401`);
    assert(first.www && /^bearer\s/i.test(first.www), `401 without a Bearer WWW-Authenticate challenge: ${show(first.www)}`);
    assert(/resource_metadata=/.test(first.www), `the 401 challenge has no resource_metadata: ${first.www}`);
    assert(firstError instanceof UnauthorizedError,
      `the SDK did not start an authorization (first connect ended with ${firstError?.constructor?.name}: ${firstError?.message})`);
    assert(authorized, 'no authorization code was obtained');
    assert(connectOk, `connecting with the token failed: ${firstError?.message ?? firstError}`);
  });

  if (cimd) {
    await check('cimd', async () => {
      const regs = httpLog.filter((r) => r.method === 'POST' && r.url !== mcpUrl && !r.grantType);
      assert(regs.length === 0, `a registration request was made: POST ${regs[0]?.url} -> ${regs[0]?.status}`);
      assert(provider.authorizations.length >= 1, 'no authorization request was made');
      const a = new URL(provider.authorizations[0].asBuilt);
      assert(a.searchParams.get('client_id') === cimd.url,
        `the authorization request's client_id is ${show(a.searchParams.get('client_id'))}, not the document URL ${cimd.url}`);
      assert(a.searchParams.get('code_challenge_method') === 'S256', 'no PKCE S256 in the authorization request');
      assert(provider.clientInformation()?.client_id === cimd.url,
        `the SDK saved client_id ${show(provider.clientInformation()?.client_id)}, not the document URL`);
      assert(cimd.fetches.some((f) => f.method === 'GET' && f.path === '/client.json'),
        `the authorization server never fetched the document ${cimd.url} (does it trust ${cimd.caPem}? SSL_CERT_FILE)`);
      assert(authorized, 'no authorization code was obtained with the document URL as client_id');
    });
  } else await check('registered', async () => {
    assert(provider.registrations.length >= 1, 'saveClientInformation was never called (no dynamic registration)');
    const info = provider.registrations[0];
    assert(typeof info.client_id === 'string' && info.client_id, `registration without client_id: ${show(info)}`);
    const reg = httpLog.find((r) => r.method === 'POST' && r.status >= 200 && r.status < 300 && r.url !== mcpUrl &&
      !r.url.includes('/token'));
    assert(reg, 'no successful registration POST seen');
    assert(provider.authorizations.length >= 1, 'no authorization request was made after registering');
    const a = new URL(provider.authorizations[0].asBuilt);
    assert(a.searchParams.get('client_id') === info.client_id, 'the authorization request used another client_id');
    assert(a.searchParams.get('code_challenge_method') === 'S256', 'no PKCE S256 in the authorization request');
  });

  await check('resource-indicator', async () => {
    assert(provider.authorizations.length >= 1, 'no authorization request was made');
    const a = new URL(provider.authorizations[0].asBuilt);
    const canonical = new URL(mcpUrl);
    canonical.hash = '';
    assert(a.searchParams.get('resource') === canonical.href,
      `authorization request resource=${show(a.searchParams.get('resource'))}, expected ${canonical.href} (the metadata's "resource")`);
    const tok = provider.tokens();
    assert(tok?.access_token, 'no access token');
    const claims = decodeJwtPayload(tok.access_token);
    assert(claims, 'the access token is not a JWT');
    const aud = [].concat(claims.aud ?? []);
    assert(aud.includes(canonical.href), `access token aud ${show(claims.aud)} does not name ${canonical.href}`);
  });

  if (!connectOk || !client) {
    for (const name of CHECKS.slice(3)) skip(name, `connect failed: ${oneLine(firstError?.message ?? firstError)}`);
    cimd?.close();
    return finish(1);
  }

  const granted = () => {
    const t = provider.tokens();
    return scopeSet(t?.scope ?? decodeJwtPayload(t?.access_token)?.scope);
  };
  const expectTools = (names, scopes, what) => {
    const want = (tool, scope) => (scopes.has(scope) ? assert(names.includes(tool), `${what}: ${tool} missing (scope ${scope} granted): ${show(names)}`)
      : assert(!names.includes(tool), `${what}: ${tool} listed without scope ${scope}: ${show(names)}`));
    assert(names.includes('whoami'), `${what}: whoami missing: ${show(names)}`);
    want('list_notes', 'notes:read');
    want('add_note', 'notes:write');
    want('admin_reset', 'notes:admin');
  };

  await check('tools-list', async () => {
    const scopes = granted();
    diag(`granted scopes: ${[...scopes].join(' ')}`);
    assert(scopes.has('notes:read') && scopes.has('notes:write'), `expected notes:read and notes:write to be granted, got "${[...scopes].join(' ')}"`);
    assert(!scopes.has('notes:admin'), 'notes:admin was granted up front; the step-up check would be meaningless');
    const { tools } = await client.listTools();
    expectTools(tools.map((t) => t.name), scopes, 'tools/list');
  });

  await check('call-whoami', async () => {
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    assert(!r.isError, `whoami returned isError: ${show(r.content)}`);
    const text = textOf(r, 'whoami');
    assert(text.includes(opts.expectSub), `whoami text does not contain "${opts.expectSub}": ${show(text)}`);
  });

  await check('call-add-note', async () => {
    const note = `ts-oauth note ${crypto.randomBytes(4).toString('hex')}`;
    const r = await client.callTool({ name: 'add_note', arguments: { text: note } });
    assert(!r.isError, `add_note returned isError: ${show(r.content)}`);
    const l = await client.callTool({ name: 'list_notes', arguments: {} });
    assert(!l.isError, `list_notes returned isError: ${show(l.content)}`);
    assert(textOf(l, 'list_notes').includes(note), `list_notes does not show the added note: ${show(l.content)}`);
  });

  let steppedUp = false;
  await check('step-up', async () => {
    const before = httpLog.length;
    const authsBefore = provider.authorizations.length;
    let result;
    let how;
    try {
      result = await client.callTool({ name: 'admin_reset', arguments: {} });
      how = 'no re-authorization was needed';
    } catch (e) {
      if (e instanceof UnauthorizedError && provider.pendingCode) {
        // The SDK handled the 403 itself: it re-ran auth() with the challenge's scope, which
        // redirected (to us); exchange the code and repeat the call.
        how = 'SDK: 403 -> auth() -> redirect; finishAuth + retry by the script';
        await transport.finishAuth(provider.takeCode());
        result = await client.callTool({ name: 'admin_reset', arguments: {} });
      } else if (e instanceof StreamableHTTPError && e.code === 403) {
        // The SDK refreshed instead of re-authorizing (it does when it holds a refresh token), got
        // the same 403 again and gave up: re-run the authorization with the challenged scope.
        const challenge = [...httpLog.slice(before)].reverse().find((r) => r.status === 403);
        const scope = challenge && extractWWWAuthenticateParams({ headers: new Headers({ 'www-authenticate': challenge.www }) }).scope;
        how = `script fallback after "${e.message}": auth() with scope "${scope}"`;
        provider.invalidateCredentials('tokens');
        const r = await auth(provider, { serverUrl, scope, fetchFn: loggingFetch });
        assert(r === 'REDIRECT' && provider.pendingCode, `auth() for the step-up returned ${r}`);
        await transport.finishAuth(provider.takeCode());
        result = await client.callTool({ name: 'admin_reset', arguments: {} });
      } else {
        throw e;
      }
    }
    diag(`step-up: ${how}`);
    const challenges = httpLog.slice(before).filter((r) => r.status === 403);
    assert(challenges.length >= 1, `admin_reset did not get HTTP 403 first (${how})`);
    const p = extractWWWAuthenticateParams({ headers: new Headers({ 'www-authenticate': challenges[0].www ?? '' }) });
    assert(p.error === 'insufficient_scope', `403 without error="insufficient_scope": ${show(challenges[0].www)}`);
    assert(scopeSet(p.scope).has('notes:admin'), `the 403 challenge's scope does not include notes:admin: ${show(challenges[0].www)}`);
    assert(provider.authorizations.length > authsBefore, 'no new authorization request was made for the step-up');
    const stepAuth = new URL(provider.authorizations.at(-1).sent);
    assert(scopeSet(stepAuth.searchParams.get('scope')).has('notes:admin'),
      `the step-up authorization did not ask for notes:admin: scope=${show(stepAuth.searchParams.get('scope'))}`);
    assert(granted().has('notes:admin'), `notes:admin not granted after the step-up: "${[...granted()].join(' ')}"`);
    assert(!result.isError, `admin_reset returned isError after the step-up: ${show(result.content)}`);
    textOf(result, 'admin_reset');
    steppedUp = true;
  });

  if (steppedUp) {
    await check('tools-list-after-step-up', async () => {
      const { tools } = await client.listTools();
      expectTools(tools.map((t) => t.name), granted(), 'tools/list after the step-up');
    });
  } else {
    skip('tools-list-after-step-up', 'step-up failed');
  }

  if (opts.ttlWait > 0) {
    // The wait is not part of the check's timeout.
    const before = provider.tokens();
    const authsBefore = provider.authorizations.length;
    diag(`refresh: waiting ${opts.ttlWait} s for the access token to expire (expires_in was ${before?.expires_in})`);
    await new Promise((r) => setTimeout(r, opts.ttlWait * 1000));
    const logStart = httpLog.length;
    await check('refresh', async () => {
      assert(before?.access_token, 'no access token before the wait');
      assert(before.refresh_token, 'the token response had no refresh_token, so there is nothing to refresh with');
      let result;
      let how = 'SDK';
      const callStart = Date.now();
      try {
        result = await client.callTool({ name: 'whoami', arguments: {} });
      } catch (e) {
        // The SDK did not recover by itself: refresh through its public API and retry once
        // (unless it already fell back to a new authorization, which is a failure as such).
        assert(provider.authorizations.length === authsBefore,
          `the SDK started a new authorization instead of refreshing (the call failed with: ${e?.message ?? e})`);
        how = `script fallback after "${e?.message ?? e}": auth() (public API) then retry`;
        diag(`refresh: ${how}`);
        const r = await auth(provider, { serverUrl, fetchFn: loggingFetch });
        assert(r === 'AUTHORIZED', `auth() returned ${r} instead of refreshing (the call had failed with: ${e?.message ?? e})`);
        result = await client.callTool({ name: 'whoami', arguments: {} });
      }
      const window = httpLog.slice(logStart);
      const mcpCalls = window.filter((r) => r.url === mcpUrl && r.method === 'POST');
      const rejected = mcpCalls.filter((r) => r.status === 401);
      const grants = window.filter((r) => r.grantType);
      const refreshes = grants.filter((r) => r.grantType === 'refresh_token');
      const after = provider.tokens();
      const way = rejected.length ? `401 [${rejected[0].www}] -> ${grants.map((g) => `${g.grantType} ${g.status}`).join(', ') || 'no token request'} -> retry`
        : `no 401; token requests: ${grants.map((g) => `${g.grantType} ${g.status}`).join(', ') || 'none'}`;
      diag(`refresh: ${how}: ${way}`);
      const exp = decodeJwtPayload(before.access_token)?.exp;
      const expNote = typeof exp !== 'number' ? '' : exp * 1000 > callStart
        ? `; it had not expired yet (exp in ${Math.round(exp - callStart / 1000)} s): wait longer than the token's lifetime`
        : `; its exp had passed ${Math.round(callStart / 1000 - exp)} s before${rejected.length ? '' : ', yet the server accepted it (clock-skew leeway?)'}`;
      assert(refreshes.length > 0, `no refresh_token grant was sent to the token endpoint (${way}; ` +
        `the access token ${rejected.length ? 'was rejected' : 'was still accepted'} after ${opts.ttlWait} s${expNote})`);
      assert(refreshes.some((r) => r.status === 200), `the refresh_token grant failed: HTTP ${refreshes.map((r) => r.status).join(', ')}`);
      assert(provider.authorizations.length === authsBefore,
        `a new authorization request was made instead of (or after) the refresh (${way})`);
      assert(grants.at(-1).grantType === 'refresh_token' && grants.at(-1).status === 200,
        `the last token request was ${grants.at(-1).grantType} -> ${grants.at(-1).status}, not a successful refresh`);
      assert(after?.access_token && after.access_token !== before.access_token, 'the access token did not change');
      for (const r of rejected) {
        const p = extractWWWAuthenticateParams({ headers: new Headers({ 'www-authenticate': r.www ?? '' }) });
        assert(p.error === 'invalid_token', `the expired token's 401 lacks error="invalid_token": ${show(r.www)}`);
        assert(r.bearer === before.access_token, 'the 401 was for another token than the expired one');
      }
      const last = mcpCalls.at(-1);
      assert(last?.status === 200 && last.bearer === after.access_token,
        `the call was not retried with the new access token (last POST: ${last?.status}, ${last?.bearer === before.access_token ? 'old' : 'other'} token)`);
      assert(!result.isError, `whoami returned isError after the refresh: ${show(result.content)}`);
      const text = textOf(result, 'whoami');
      assert(text.includes(opts.expectSub), `whoami text does not contain "${opts.expectSub}" after the refresh: ${show(text)}`);
    });
  }

  cimd?.close();
  try {
    await withTimeout(client.close(), 5000, 'close');
  } catch (e) {
    diag(`close: ${e?.message ?? e}`);
  }
  return finish(failed === 0 ? 0 : 1);
}

// Flush stdout before exiting (a dangling socket must not keep us alive).
function finish(code) {
  process.stdout.write(`${passed} passed, ${failed} failed\n`, () => process.exit(code));
}

main().catch((e) => {
  console.error(`ts_oauth_client.mjs: unexpected error: ${e?.stack ?? e}`);
  failed++;
  finish(1);
});
