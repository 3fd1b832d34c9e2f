#!/usr/bin/env node
// Test-only OpenID provider / OAuth 2.0 authorization server for fastmcp's auth integration tests,
// built on the certified `oidc-provider` package (plus `jose` for keys and test tokens).
//
// usage:
//   node oidc_provider.mjs [--port N] [--host 127.0.0.1] [--alg RS256|ES256] [--user alice]
//                          [--access-token-ttl SECONDS] [--log]
//
// Output (stdout): exactly one line, `OIDC issuer http://127.0.0.1:<port>`, once listening; then it
// runs until killed (SIGTERM/SIGINT). Everything else (oidc-provider notices, --log lines) goes to
// stderr. Exit status 2 on bad arguments or when the modules cannot be loaded.
//
// What it is:
//   * issuer http://<host>:<port> (no path). Metadata at /.well-known/openid-configuration and, as an
//     alias with the same body, at /.well-known/oauth-authorization-server (RFC 8414).
//   * endpoints: /auth (authorization), /token, /reg (open dynamic client registration, RFC 7591: no
//     initial access token), /jwks, /me, /token/revocation, /session/end.
//   * scopes: openid offline_access notes:read notes:write notes:admin. PKCE (S256) is required for
//     public clients (token_endpoint_auth_method "none"). A `scope` sent at registration is dropped
//     (the registered client may then request any supported scope, so a later step-up works).
//   * resource indicators (RFC 8707): any http://127.0.0.1:*/…/mcp or http://localhost:*/…/mcp URL
//     is a resource server; an access token issued for it is a JWT (typ at+jwt) with
//     aud = the resource, scope = the granted notes:* scopes, sub = the user, client_id, iss, jti,
//     iat, exp; kid in the header. Without a resource the access token is opaque (userinfo only).
//     Refresh tokens are issued when offline_access was requested and the client registered the
//     refresh_token grant.
//   * signing keys: one RS256 and one ES256 key generated at start; --alg picks the one that signs
//     access tokens (ID tokens always RS256).
//   * interactions: none a person sees. The authorization endpoint redirects to /interaction/<uid>,
//     which logs in the fixed user (--user) and grants every requested scope for every requested
//     resource, then redirects back to /auth/<uid>, which redirects to the client's redirect_uri with
//     code, state and iss. So a client that follows the 303/302/... Location headers with plain GETs
//     ends at its redirect_uri. Cookies are optional: a client may carry them like a browser (then the
//     login session is reused), but one without a cookie jar works too (the resume cookie is
//     supplied server-side; every authorization then logs in afresh).
//
// Test-only endpoints (same port):
//   POST /__test/rotate[?keep_old=true]  new RS256 + ES256 keys go FIRST in the JWKS and sign from
//        now on; the previous public keys stay in the JWKS only with keep_old=true (default: dropped).
//        -> {"kid": "<new kid of the access-token alg>", "alg": "...", "kids": {"RS256":…,"ES256":…},
//            "jwks_kids": [...]}
//   POST /__test/token  JSON body, all optional but resource/aud:
//        {"resource": "http://127.0.0.1:P/mcp", "scope": "notes:read", "sub": "alice",
//         "expires_in": 300, "aud": "..."|[...], "alg": "RS256"|"ES256"|"none", "client_id": "...",
//         "iss": "...", "claims": {extra or overriding claims; null deletes}, "header": {...}}
//        -> {"access_token": "...", "token_type": "Bearer", "expires_in": N, "kid": "...", "alg": "..."}
//        Signed with the current key of that alg exactly like the provider's own access tokens
//        (header {alg, typ: "at+jwt", kid}; claims jti, sub, iat, exp, scope, client_id, iss, aud).
//        expires_in may be negative (already expired). alg "none" yields an unsigned token.
//   GET  /__test/jwks_hits[?reset=true]  -> {"count": N} GETs of /jwks so far (reset after reading).
//   GET  /__test/info  -> {"issuer", "alg", "kids", "user", "jwks_hits"}
//
// Modules are loaded from $FASTMCP_TEST_NODE_MODULES (set by scripts/test), falling back to
// ./node_modules next to this file.
import { createRequire } from 'node:module';
import http from 'node:http';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// oidc-provider prints notices with console.info (stdout); keep stdout for the one issuer line.
console.log = console.info = (...a) => console.error(...a);

const USAGE = 'usage: oidc_provider.mjs [--port N] [--host H] [--alg RS256|ES256] [--user NAME] ' +
  '[--access-token-ttl SECONDS] [--log]';

function parseArgs(argv) {
  const o = { port: 0, host: '127.0.0.1', alg: 'RS256', user: 'alice', ttl: 600, log: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usageError(`missing value for ${flag}`);
      return argv[++i];
    };
    switch (flag) {
      case '--port': o.port = Number(val()); break;
      case '--host': o.host = val(); break;
      case '--alg': o.alg = val(); break;
      case '--user': o.user = val(); break;
      case '--access-token-ttl': o.ttl = Number(val()); break;
      case '--log': o.log = true; break;
      case '-h': case '--help': console.error(USAGE); process.exit(0); break;
      default: usageError(`unknown argument ${flag}`);
    }
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) usageError('--port must be 0..65535');
  if (!['RS256', 'ES256'].includes(o.alg)) usageError('--alg must be RS256 or ES256');
  if (!o.user) usageError('--user must not be empty');
  if (!Number.isInteger(o.ttl) || o.ttl <= 0) usageError('--access-token-ttl must be a positive integer');
  return o;
}
function usageError(msg) {
  console.error(`oidc_provider.mjs: ${msg}\n${USAGE}`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules = process.env.FASTMCP_TEST_NODE_MODULES || path.join(here, 'node_modules');
const requireFrom = createRequire(path.join(nodeModules, 'fastmcp-resolve-base.js'));
let Provider, errors, jose, initializeKeystore;
try {
  const mainPath = requireFrom.resolve('oidc-provider');
  ({ default: Provider, errors } = await import(pathToFileURL(mainPath).href));
  // Internal (the package has no "exports" map): re-runs the keystore setup, used by /__test/rotate.
  ({ default: initializeKeystore } = await import(
    pathToFileURL(path.join(path.dirname(mainPath), 'helpers', 'initialize_keystore.js')).href));
  jose = await import(pathToFileURL(requireFrom.resolve('jose')).href);
} catch (e) {
  console.error(`oidc_provider.mjs: cannot load oidc-provider/jose from ${nodeModules} ` +
    `(run scripts/test, or set FASTMCP_TEST_NODE_MODULES): ${e.message}`);
  process.exit(2);
}

const ALGS = ['RS256', 'ES256'];
const RESOURCE_SCOPES = ['notes:read', 'notes:write', 'notes:admin'];
const SCOPES = ['openid', 'offline_access', ...RESOURCE_SCOPES];

// ---------------------------------------------------------------- keys
async function newKey(alg) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = `${alg.toLowerCase()}-${(await jose.calculateJwkThumbprint(jwk)).slice(0, 16)}`;
  jwk.alg = alg;
  jwk.use = 'sig';
  return jwk;
}
const publicJwk = ({ d, p, q, dp, dq, qi, ...pub }) => pub;

const keys = {
  current: {}, // alg -> private JWK that signs now
  all: [], // private JWKs in JWKS order (current first)
};
async function makeKeys(keepOld) {
  const fresh = {};
  for (const alg of ALGS) fresh[alg] = await newKey(alg);
  keys.all = [...ALGS.map((a) => fresh[a]), ...(keepOld ? keys.all : [])];
  keys.current = fresh;
}
await makeKeys(false);

// ---------------------------------------------------------------- resources
function isAcceptedResource(value) {
  let u;
  try { u = new URL(value); } catch { return false; }
  return u.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(u.hostname) && u.port !== '' &&
    (u.pathname === '/mcp' || u.pathname.endsWith('/mcp')) && !u.search && !u.hash && !u.username;
}

// ---------------------------------------------------------------- server + provider
const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(opts.port, opts.host, resolve);
});
const port = server.address().port;
const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
const issuer = `http://${hostForUrl}:${port}`;

const configuration = {
  clients: [],
  scopes: SCOPES,
  claims: { openid: ['sub'] },
  jwks: { keys: keys.all },
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true, initialAccessToken: false },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf ?? undefined,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (!isAcceptedResource(resourceIndicator)) {
          throw new errors.InvalidTarget(`unknown resource ${resourceIndicator} (expected http://127.0.0.1:<port>/mcp)`);
        }
        return {
          scope: RESOURCE_SCOPES.join(' '),
          audience: resourceIndicator,
          accessTokenTTL: opts.ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: opts.alg, kid: keys.current[opts.alg].kid } },
        };
      },
    },
  },
  issueRefreshToken: async (_ctx, client, code) =>
    client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  clientBasedCORS: () => true,
  ttl: {
    AccessToken: opts.ttl,
    AuthorizationCode: 120,
    IdToken: 3600,
    RefreshToken: 24 * 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 24 * 3600,
    ClientCredentials: 600,
  },
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false;

// ---------------------------------------------------------------- helpers
let jwksHits = 0;
const RESUME_COOKIE = provider.cookieName('resume');

async function readJson(ctx) {
  const chunks = [];
  for await (const c of ctx.req) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  return JSON.parse(text);
}
function sendJson(ctx, status, body) {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

async function mintToken(body) {
  const alg = body.alg ?? opts.alg;
  if (![...ALGS, 'none'].includes(alg)) throw new Error(`alg must be one of ${[...ALGS, 'none'].join(', ')}`);
  const aud = body.aud ?? body.resource;
  if (aud === undefined) throw new Error('resource (or aud) is required');
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = body.expires_in ?? opts.ttl;
  if (!Number.isFinite(expiresIn)) throw new Error('expires_in must be a number');
  const payload = {
    jti: crypto.randomBytes(16).toString('base64url'),
    sub: body.sub ?? opts.user,
    iat: now,
    exp: now + Math.trunc(expiresIn),
    scope: body.scope === undefined ? undefined : (body.scope || undefined),
    client_id: body.client_id ?? 'fastmcp-test-client',
    iss: body.iss ?? issuer,
    aud,
  };
  for (const [k, v] of Object.entries(body.claims ?? {})) {
    if (v === null) delete payload[k]; else payload[k] = v;
  }
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  if (alg === 'none') {
    const header = { alg: 'none', typ: 'at+jwt', ...(body.header ?? {}) };
    const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return { token: `${enc(header)}.${enc(payload)}.`, kid: undefined, alg, expiresIn };
  }
  const jwk = keys.current[alg];
  const key = await jose.importJWK(jwk, alg);
  const header = { alg, typ: 'at+jwt', kid: jwk.kid, ...(body.header ?? {}) };
  const token = await new jose.SignJWT(payload).setProtectedHeader(header).sign(key);
  return { token, kid: header.kid, alg, expiresIn };
}

// Logs in the configured user and grants everything that was asked for, without any page.
async function finishInteraction(ctx, uid) {
  const interaction = await provider.Interaction.find(uid);
  if (!interaction) {
    sendJson(ctx, 400, { error: 'invalid_request', error_description: 'interaction not found or expired' });
    return;
  }
  const { params, prompt } = interaction;
  const accountId = interaction.session?.accountId ?? opts.user;
  let grant = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  if (!grant || grant.accountId !== accountId) grant = new provider.Grant({ accountId, clientId: params.client_id });

  const requested = String(params.scope ?? '').split(' ').filter(Boolean);
  const oidcScopes = requested.filter((s) => SCOPES.includes(s));
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
  const details = prompt?.details ?? {};
  if (details.missingOIDCScope?.length) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims?.length) grant.addOIDCClaims(details.missingOIDCClaims);
  const resources = params.resource === undefined ? [] : [].concat(params.resource);
  for (const resource of resources) {
    const rs = requested.filter((s) => RESOURCE_SCOPES.includes(s));
    if (rs.length) grant.addResourceScope(resource, rs.join(' '));
  }
  for (const [resource, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    if (scopes.length) grant.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grant.save();
  interaction.result = { login: { accountId }, consent: { grantId } };
  await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
  ctx.status = 303;
  ctx.redirect(interaction.returnTo);
}

// ---------------------------------------------------------------- pre-middleware
provider.use(async (ctx, next) => {
  const started = Date.now();
  try {
    await route(ctx, next);
  } finally {
    if (opts.log) console.error(`idp: ${ctx.method} ${ctx.originalUrl} -> ${ctx.status} (${Date.now() - started} ms)`);
  }
});

async function route(ctx, next) {
  const p = ctx.path;
  if (p === '/.well-known/oauth-authorization-server') {
    ctx.path = '/.well-known/openid-configuration';
    return next();
  }
  if (p === '/jwks' && ctx.method === 'GET') {
    jwksHits++;
    return next();
  }
  if (p.startsWith('/__test/')) {
    try {
      if (p === '/__test/rotate' && ctx.method === 'POST') {
        const keepOld = ctx.query.keep_old === 'true' || ctx.query.keep_old === '1';
        await makeKeys(keepOld);
        initializeKeystore.call(provider, { keys: keys.all });
        return sendJson(ctx, 200, {
          kid: keys.current[opts.alg].kid,
          alg: opts.alg,
          kids: Object.fromEntries(ALGS.map((a) => [a, keys.current[a].kid])),
          jwks_kids: keys.all.map((k) => k.kid),
        });
      }
      if (p === '/__test/token' && ctx.method === 'POST') {
        let body;
        try { body = await readJson(ctx); } catch (e) { return sendJson(ctx, 400, { error: `bad JSON: ${e.message}` }); }
        const { token, kid, alg, expiresIn } = await mintToken(body);
        return sendJson(ctx, 200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn, kid, alg });
      }
      if (p === '/__test/jwks_hits' && ctx.method === 'GET') {
        const count = jwksHits;
        if (ctx.query.reset === 'true') jwksHits = 0;
        return sendJson(ctx, 200, { count });
      }
      if (p === '/__test/info' && ctx.method === 'GET') {
        return sendJson(ctx, 200, {
          issuer, alg: opts.alg, user: opts.user, jwks_hits: jwksHits,
          kids: Object.fromEntries(ALGS.map((a) => [a, keys.current[a].kid])),
          jwks_kids: keys.all.map((k) => k.kid),
        });
      }
      return sendJson(ctx, 404, { error: `no test endpoint ${ctx.method} ${p}` });
    } catch (e) {
      return sendJson(ctx, 400, { error: e.message });
    }
  }
  let m = /^\/interaction\/([^/]+)$/.exec(p);
  if (m && ctx.method === 'GET') {
    return finishInteraction(ctx, m[1]);
  }
  m = /^\/auth\/([^/]+)$/.exec(p);
  if (m && !ctx.cookies.get(RESUME_COOKIE)) {
    // A client without a cookie jar: supply the resume cookie the authorization endpoint set.
    const cookie = ctx.req.headers.cookie;
    ctx.req.headers.cookie = `${cookie ? `${cookie}; ` : ''}${RESUME_COOKIE}=${m[1]}`;
  }
  if (p === '/reg' && ctx.method === 'POST' && ctx.is('application/json')) {
    // Drop a registration-time `scope`: oidc-provider would otherwise limit the client to it, and
    // MCP SDK clients register with just the scopes of the first challenge (no later step-up).
    let body;
    try { body = await readJson(ctx); } catch { body = undefined; }
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      if ('scope' in body && opts.log) console.error(`idp: registration scope ${JSON.stringify(body.scope)} dropped`);
      delete body.scope;
      ctx.req.body = body;
      ctx.request.body = body;
    } else {
      return sendJson(ctx, 400, { error: 'invalid_request', error_description: 'registration body must be a JSON object' });
    }
  }
  return next();
}

server.on('request', provider.callback());

const stop = () => { server.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

process.stdout.write(`OIDC issuer ${issuer}\n`);
