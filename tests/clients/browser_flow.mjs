#!/usr/bin/env node
// Browser driver for fastmcp's built-in OAuth authorization server: opens an /authorize URL in a
// real headless Chromium (Debian's /usr/bin/chromium driven by the npm package playwright-core;
// no browser is ever downloaded), signs in, answers the consent page, and reports where the
// browser ended up.
//
// usage:
//   node browser_flow.mjs --authorize-url <URL> --mode approve|deny|wrong-password
//        --redirect-prefix <the client's redirect_uri> --screenshots <dir>
//        [--username alice] [--password secret] [--uncheck-scope notes:write]...
//        [--chromium /usr/bin/chromium] [--timeout-ms 30000]
//
// --username defaults to `alice`. --password defaults to `secret`, except in wrong-password mode,
// where it defaults to `not-the-password` (an explicit --password is typed as given in every mode).
// --uncheck-scope may be repeated (approve/deny modes). --chromium defaults to
// $FASTMCP_TEST_CHROMIUM, then /usr/bin/chromium.
//
// Nothing needs to listen at the redirect URI: every request whose URL starts with
// --redirect-prefix (followed by nothing, '?', '#' or '/', unless the prefix itself ends in '/' or
// '?') is answered by the script with a tiny 200 page and recorded: through the DevTools Fetch
// domain, which (unlike Playwright's page.route) also sees the hop of an HTTP redirect, so nothing
// is ever sent to the redirect URI. Requests to hosts other than loopback are aborted (the pages
// must be self-contained) and reported on stderr.
//
// Output (stdout): exactly ONE JSON line,
//   {"result":"redirected","url":"<full redirect URL with query>"}
//   {"result":"error-shown","message":"<text of the page's role=alert element>"}
//   {"result":"failed","reason":"<why>","url":"<the page's URL>"}      (neither of the above happened)
// Exit status: 0 when the outcome expected for the mode happened,
//   approve        -> redirected, with a `code` parameter and no `error`
//   deny           -> redirected, with error=access_denied and no `code`
//   wrong-password -> error-shown on the login page (the form is still there, same path) and the
//                     message contains "Invalid username or password"
//   (in the redirect cases, `state` must equal the authorize URL's `state` when that had one);
// 1 otherwise, with the reason on stderr; 2 on bad arguments.
// Screenshots (full page, PNG) of every page seen go to --screenshots: login.png, consent.png,
// error.png (any page showing role=alert, e.g. the login page after a wrong password),
// unexpected.png (a page that is none of these). Diagnostics go to stderr.
//
// Page contract (what the script relies on):
//   login:   inputs labelled "Username" and "Password" (<label for=...>), a button "Sign in"
//   consent: an <h1> containing "Authorize"; scope checkboxes <input type=checkbox name=scope
//            value=SCOPE>, each with a <label>; buttons "Allow" and "Deny"
//   errors:  an element with role=alert (a failed login re-renders the login page with one)
//
// playwright-core is loaded from $FASTMCP_TEST_NODE_MODULES (set by scripts/test), falling back to
// ./node_modules next to this file.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const started = Date.now();
const USAGE = 'usage: browser_flow.mjs --authorize-url <URL> --mode approve|deny|wrong-password ' +
  '--redirect-prefix <redirect_uri> --screenshots <dir> [--username NAME] [--password PASS] ' +
  '[--uncheck-scope SCOPE]... [--chromium PATH] [--timeout-ms N]';
const MODES = ['approve', 'deny', 'wrong-password'];

function parseArgs(argv) {
  const o = {
    username: 'alice', uncheck: [], timeoutMs: 30000,
    chromium: process.env.FASTMCP_TEST_CHROMIUM || '/usr/bin/chromium',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usageError(`missing value for ${flag}`);
      return argv[++i];
    };
    switch (flag) {
      case '--authorize-url': o.authorizeUrl = val(); break;
      case '--mode': o.mode = val(); break;
      case '--username': o.username = val(); break;
      case '--password': o.password = val(); break;
      case '--uncheck-scope': o.uncheck.push(val()); break;
      case '--redirect-prefix': o.redirectPrefix = val(); break;
      case '--screenshots': o.screenshots = val(); break;
      case '--chromium': o.chromium = val(); break;
      case '--timeout-ms': o.timeoutMs = Number(val()); break;
      case '-h': case '--help': console.error(USAGE); process.exit(0); break;
      default: usageError(`unknown argument ${flag}`);
    }
  }
  for (const [k, f] of [['authorizeUrl', '--authorize-url'], ['mode', '--mode'],
    ['redirectPrefix', '--redirect-prefix'], ['screenshots', '--screenshots']]) {
    if (!o[k]) usageError(`${f} is required`);
  }
  if (!MODES.includes(o.mode)) usageError(`--mode must be one of ${MODES.join(', ')}`);
  for (const [k, f] of [['authorizeUrl', '--authorize-url'], ['redirectPrefix', '--redirect-prefix']]) {
    try { new URL(o[k]); } catch { usageError(`${f} is not a URL: ${o[k]}`); }
  }
  if (!(o.timeoutMs > 0)) usageError('--timeout-ms must be positive');
  if (o.uncheck.length && o.mode === 'wrong-password') usageError('--uncheck-scope needs mode approve or deny');
  if (o.password === undefined) o.password = o.mode === 'wrong-password' ? 'not-the-password' : 'secret';
  return o;
}
function usageError(msg) {
  console.error(`browser_flow.mjs: ${msg}\n${USAGE}`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const diag = (msg) => console.error(`browser_flow: ${msg}`);
const oneLine = (s) => String(s ?? '').replace(/\s+/g, ' ').trim();

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules = process.env.FASTMCP_TEST_NODE_MODULES || path.join(here, 'node_modules');
let chromium;
try {
  const requireFrom = createRequire(path.join(nodeModules, 'fastmcp-resolve-base.js'));
  const mod = await import(pathToFileURL(requireFrom.resolve('playwright-core')).href);
  chromium = mod.chromium ?? mod.default?.chromium; // CommonJS entry point: the API may sit on `default`
  if (!chromium) throw new Error('the module has no `chromium` export');
} catch (e) {
  console.error(`browser_flow.mjs: cannot load playwright-core from ${nodeModules} ` +
    `(run scripts/test, or set FASTMCP_TEST_NODE_MODULES): ${e.message}`);
  process.exit(2);
}
if (!fs.existsSync(opts.chromium)) {
  console.error(`browser_flow.mjs: no Chromium at ${opts.chromium} (run scripts/test, which installs Debian's chromium)`);
  process.exit(2);
}

// ---------------------------------------------------------------- outcome
class FlowError extends Error {}
const fail = (msg) => { throw new FlowError(msg); };

let outcome; // {result, ...} printed once
let exitCode = 1;
function finish(line, ok, reason) {
  outcome = line;
  exitCode = ok ? 0 : 1;
  if (!ok) diag(`FAIL (mode ${opts.mode}): ${reason}`);
}

const isRedirect = (() => {
  const p = opts.redirectPrefix;
  const open = p.endsWith('/') || p.endsWith('?');
  return (url) => url.startsWith(p) && (open || ['', '?', '#', '/'].includes(url.charAt(p.length)));
})();
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const isLoopback = (u) => LOOPBACK.has(u.hostname) || /^127\.\d+\.\d+\.\d+$/.test(u.hostname);

let redirectUrl; // the first request to the redirect URI
const REDIRECT_PAGE = '<!doctype html><title>redirect received</title><p>redirect received by browser_flow.mjs</p>';
const recordRedirect = (url) => { if (redirectUrl === undefined) redirectUrl = url; };

// ---------------------------------------------------------------- browser
fs.mkdirSync(opts.screenshots, { recursive: true });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fastmcp-chromium-'));
let context;
const cleanup = async () => {
  try { await context?.close(); } catch { /* already gone */ }
  fs.rmSync(profile, { recursive: true, force: true });
};
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { cleanup().finally(() => process.exit(1)); });
}
const hardStop = setTimeout(() => {
  diag(`FAIL: hard time limit (${opts.timeoutMs * 3} ms) reached`);
  console.log(JSON.stringify({ result: 'failed', reason: 'hard time limit reached', url: '' }));
  fs.rmSync(profile, { recursive: true, force: true });
  process.exit(1);
}, opts.timeoutMs * 3);
hardStop.unref();

const events = []; // console errors, page errors, failed / aborted requests: shown on failure
const cspWaiters = new Set(); // called with the console text of a blocked form submission (CSP form-action)
let page;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: opts.chromium,
    headless: true,
    chromiumSandbox: false,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: opts.timeoutMs,
    viewport: { width: 1000, height: 800 },
    acceptDownloads: false,
    serviceWorkers: 'block',
  });
  context.setDefaultTimeout(opts.timeoutMs);
  context.setDefaultNavigationTimeout(opts.timeoutMs);
  await context.route(() => true, async (route) => {
    const url = route.request().url();
    if (isRedirect(url)) {
      recordRedirect(url);
      diag(`intercepted ${route.request().method()} ${url}`);
      return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: REDIRECT_PAGE });
    }
    let u;
    try { u = new URL(url); } catch { return route.continue(); }
    if ((u.protocol === 'http:' || u.protocol === 'https:') && !isLoopback(u)) {
      events.push(`aborted non-loopback request ${url}`);
      diag(`aborted non-loopback request ${url} (the pages must not load anything from other hosts)`);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  page = context.pages()[0] ?? await context.newPage();
  // Playwright's route handlers do not see the hops of an HTTP redirect (the 302 from the consent
  // POST to the redirect URI), so those are answered through the DevTools Fetch domain, which does
  // intercept them: nothing is sent to the redirect URI, and the browser lands on the tiny page.
  const cdp = await context.newCDPSession(page);
  cdp.on('Fetch.requestPaused', async (ev) => {
    try {
      if (!isRedirect(ev.request.url)) return await cdp.send('Fetch.continueRequest', { requestId: ev.requestId });
      recordRedirect(ev.request.url);
      diag(`intercepted ${ev.request.method} ${ev.request.url}${ev.redirectedRequestId ? ' (an HTTP redirect)' : ''}`);
      await cdp.send('Fetch.fulfillRequest', {
        requestId: ev.requestId, responseCode: 200,
        responseHeaders: [{ name: 'Content-Type', value: 'text/html; charset=utf-8' }],
        body: Buffer.from(REDIRECT_PAGE).toString('base64'),
      });
    } catch (e) {
      events.push(`Fetch interception of ${ev.request.url} failed: ${oneLine(e.message)}`);
    }
  });
  await cdp.send('Fetch.enable', {
    patterns: [{ urlPattern: opts.redirectPrefix.replace(/[*?\\]/g, '\\$&') + '*', requestStage: 'Request' }],
  });
  // Belt and braces: should a request to the redirect URI bypass both, the request event still sees it.
  page.on('request', (r) => { if (isRedirect(r.url())) recordRedirect(r.url()); });
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    const text = oneLine(m.text());
    events.push(`console ${m.type()}: ${text}`);
    if (/form-action|Sending form data/i.test(text)) for (const f of cspWaiters) f(text);
  });
  page.on('pageerror', (e) => events.push(`page error: ${oneLine(e.message)}`));
  page.on('requestfailed', (r) => events.push(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    if (redirectUrl === undefined && r.request().isNavigationRequest() && r.frame() === page.mainFrame()) {
      diag(`${r.request().method()} ${r.url()} -> ${r.status()}`);
    }
  });

  await runFlow();
} catch (e) {
  const reason = e instanceof FlowError ? e.message : `${e?.constructor?.name ?? 'Error'}: ${oneLine(e?.message ?? e)}`;
  if (redirectUrl !== undefined && !outcome) {
    judgeRedirect(redirectUrl);
  } else if (!outcome) {
    let url = '';
    try { url = page?.url() ?? ''; } catch { /* closed */ }
    finish({ result: 'failed', reason, url }, false, reason);
  }
} finally {
  if (exitCode !== 0 && events.length) diag(`browser events:\n  ${events.join('\n  ')}`);
  await cleanup();
}
console.log(JSON.stringify(outcome));
diag(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(exitCode);

// ---------------------------------------------------------------- the flow
async function shot(name) {
  const file = path.join(opts.screenshots, name);
  try {
    await page.screenshot({ path: file, fullPage: true });
    diag(`screenshot ${file}`);
  } catch (e) {
    diag(`screenshot ${file} failed: ${oneLine(e.message)}`);
  }
}

// Runs `action` (a click) and waits until the main frame has navigated and loaded, or the redirect
// URI was requested.
async function navigate(what, action) {
  const navigated = page.waitForEvent('framenavigated', {
    predicate: (f) => f === page.mainFrame(), timeout: opts.timeoutMs,
  });
  navigated.catch(() => {});
  let onCsp;
  // A blocked form submission (e.g. CSP form-action, which Chromium also applies to the redirect
  // that answers the POST) shows up only as a console error: fail fast on it.
  const blocked = new Promise((resolve) => { onCsp = (text) => setTimeout(() => resolve(text), 250); });
  cspWaiters.add(onCsp);
  try {
    await action();
    const first = await Promise.race([navigated.then(() => null), blocked]);
    if (first !== null && redirectUrl === undefined) {
      fail(`${what} was blocked by the page's Content-Security-Policy (still at ${page.url()}; ` +
        `Chromium applies form-action to the redirect after the POST too, so it must allow the redirect URI): ${first}`);
    }
  } catch (e) {
    if (e instanceof FlowError) throw e;
    if (redirectUrl !== undefined) return;
    fail(`no navigation within ${opts.timeoutMs} ms after ${what} (still at ${page.url()}; ` +
      `a Content-Security-Policy form-action that omits the redirect URI, or a JavaScript error, can cause this)`);
  } finally {
    cspWaiters.delete(onCsp);
  }
  if (redirectUrl !== undefined) return;
  await page.waitForLoadState('load');
}

async function visibleCount(locator) {
  let n = 0;
  for (const el of await locator.all()) if (await el.isVisible()) n++;
  return n;
}

function judgeRedirect(url) {
  const line = { result: 'redirected', url };
  const q = new URL(url).searchParams;
  const wantState = new URL(opts.authorizeUrl).searchParams.get('state');
  const stateProblem = wantState !== null && q.get('state') !== wantState
    ? `state is ${JSON.stringify(q.get('state'))}, expected ${JSON.stringify(wantState)}` : null;
  if (opts.mode === 'approve') {
    if (q.get('error') !== null) return finish(line, false, `redirected with error=${q.get('error')}${q.get('error_description') ? ` (${q.get('error_description')})` : ''} instead of a code`);
    if (!q.get('code')) return finish(line, false, 'redirected without a code parameter');
    if (stateProblem) return finish(line, false, stateProblem);
    return finish(line, true);
  }
  if (opts.mode === 'deny') {
    if (q.get('error') !== 'access_denied') return finish(line, false, `redirected with error=${q.get('error')}, expected access_denied`);
    if (q.get('code') !== null) return finish(line, false, 'a denied request was redirected with a code');
    if (stateProblem) return finish(line, false, stateProblem);
    return finish(line, true);
  }
  return finish(line, false, 'redirected to the client although the password was wrong');
}

async function runFlow() {
  diag(`mode ${opts.mode}; opening ${opts.authorizeUrl}`);
  try {
    await page.goto(opts.authorizeUrl, { waitUntil: 'load' });
  } catch (e) {
    if (redirectUrl === undefined) fail(`could not open the authorize URL: ${oneLine(e.message)}`);
  }
  let loginSubmitted = false;
  let loginPath;
  let consentSeen = false;
  for (let step = 0; step < 8; step++) {
    if (redirectUrl !== undefined) return judgeRedirect(redirectUrl);
    const url = page.url();
    if (!/^https?:/.test(url)) fail(`the browser shows ${url} (a failed navigation)`);

    const alert = page.getByRole('alert');
    const username = page.getByLabel('Username', { exact: true });
    const password = page.getByLabel('Password', { exact: true });
    const allow = page.getByRole('button', { name: 'Allow', exact: true });
    const onLogin = (await visibleCount(password)) > 0;

    if ((await visibleCount(alert)) > 0) {
      await shot('error.png');
      const texts = [];
      for (const el of await alert.all()) if (await el.isVisible()) texts.push(oneLine(await el.innerText()));
      const message = texts.join(' ');
      const line = { result: 'error-shown', message };
      diag(`role=alert on ${url}: ${message}`);
      if (opts.mode !== 'wrong-password') return finish(line, false, `the page shows an error: ${message}`);
      if (!loginSubmitted) return finish(line, false, 'an error was shown before any password was submitted');
      if (!onLogin) return finish(line, false, `the error page is not the login page (no field labelled "Password" at ${url})`);
      if (new URL(url).pathname !== loginPath) return finish(line, false, `the error is shown at ${url}, not on the login page ${loginPath}`);
      if (!/invalid username or password/i.test(message)) return finish(line, false, `the alert does not say "Invalid username or password": ${message}`);
      return finish(line, true);
    }

    if (onLogin) {
      if (loginSubmitted) {
        await shot('unexpected.png');
        fail(`the login page was shown again after signing in, without a role=alert message (${url})`);
      }
      await shot('login.png');
      loginPath = new URL(url).pathname;
      if ((await visibleCount(username)) !== 1) fail(`the login page has no single field labelled "Username" (${url})`);
      await username.fill(opts.username);
      await password.fill(opts.password);
      const signIn = page.getByRole('button', { name: 'Sign in', exact: true });
      if ((await visibleCount(signIn)) !== 1) fail(`the login page has no single "Sign in" button (${url})`);
      diag(`signing in as ${opts.username}`);
      loginSubmitted = true;
      await navigate('clicking "Sign in"', () => signIn.click());
      continue;
    }

    if ((await visibleCount(allow)) > 0) {
      await shot('consent.png');
      if (consentSeen) fail(`the consent page was shown again after answering it (${url})`);
      consentSeen = true;
      if (opts.mode === 'wrong-password') {
        fail(`the wrong password was accepted: the consent page was shown (${url})`);
      }
      const h1 = oneLine(await page.locator('h1').first().innerText().catch(() => ''));
      diag(`consent page ${url}: <h1> ${JSON.stringify(h1)}`);
      if (!/authorize/i.test(h1)) fail(`the consent page's <h1> does not contain "Authorize": ${JSON.stringify(h1)}`);
      const boxes = page.locator('input[type="checkbox"][name="scope"]');
      const scopes = [];
      for (const box of await boxes.all()) {
        const info = await box.evaluate((el) => ({
          value: el.value, checked: el.checked, labels: Array.from(el.labels ?? []).map((l) => l.innerText),
        }));
        if (info.labels.length === 0) fail(`the scope checkbox ${info.value} has no <label>`);
        scopes.push(info);
      }
      diag(`scopes offered: ${scopes.map((s) => `${s.value}${s.checked ? ' [x]' : ' [ ]'} (${oneLine(s.labels.join(' / '))})`).join(', ') || 'none'}`);
      for (const scope of opts.uncheck) {
        const box = page.locator(`input[type="checkbox"][name="scope"][value="${scope.replace(/["\\]/g, '\\$&')}"]`);
        if ((await box.count()) !== 1) fail(`the consent page has no scope checkbox with value ${scope} (offered: ${scopes.map((s) => s.value).join(' ') || 'none'})`);
        await box.uncheck();
        diag(`unchecked ${scope}`);
      }
      const name = opts.mode === 'approve' ? 'Allow' : 'Deny';
      const button = page.getByRole('button', { name, exact: true });
      if ((await visibleCount(button)) !== 1) fail(`the consent page has no single "${name}" button`);
      diag(`clicking ${name}`);
      await navigate(`clicking "${name}"`, () => button.click());
      continue;
    }

    await shot('unexpected.png');
    const body = oneLine(await page.locator('body').innerText().catch(() => '')).slice(0, 300);
    fail(`unrecognised page at ${url} (no login form, no consent buttons, no role=alert): ${body}`);
  }
  fail('too many pages without reaching an outcome');
}
