#!/usr/bin/env node
// Cross-SDK check driver: connects to a fastmcp server with the official TypeScript MCP SDK
// (@modelcontextprotocol/sdk) and runs a list of named checks against it.
//
// usage:
//   node ts_client.mjs --transport http|sse --url <url> --scenario hello|everything [--server-name NAME]
//   node ts_client.mjs --transport stdio --command <path> [--arg <a>]... --scenario hello|everything
//
// Output (stdout): one line per check, `ok <name>` or `FAIL <name>: <reason>`, then the final line
// `N passed, M failed`. Exit status 0 only if M == 0. Diagnostics go to stderr.
//
// The SDK is loaded from $FASTMCP_TEST_NODE_MODULES (set by scripts/test), falling back to
// ./node_modules next to this file.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE =
  'usage: ts_client.mjs --transport http|sse|stdio (--url <url> | --command <path> [--arg <a>]...) ' +
  '--scenario hello|everything [--server-name NAME] [--timeout-ms N]';

function parseArgs(argv) {
  const o = { args: [], timeoutMs: 20000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usageError(`missing value for ${flag}`);
      return argv[++i];
    };
    switch (flag) {
      case '--transport': o.transport = val(); break;
      case '--url': o.url = val(); break;
      case '--command': o.command = val(); break;
      case '--arg': o.args.push(val()); break;
      case '--scenario': o.scenario = val(); break;
      case '--server-name': o.serverName = val(); break;
      case '--timeout-ms': o.timeoutMs = Number(val()); break;
      case '-h': case '--help': console.error(USAGE); process.exit(0); break;
      default: usageError(`unknown argument ${flag}`);
    }
  }
  if (!['http', 'sse', 'stdio'].includes(o.transport)) usageError('--transport must be http, sse or stdio');
  if (!['hello', 'everything'].includes(o.scenario)) usageError('--scenario must be hello or everything');
  if (o.transport === 'stdio' ? !o.command : !o.url) usageError(o.transport === 'stdio' ? '--command is required' : '--url is required');
  if (o.serverName === undefined && o.scenario === 'hello') o.serverName = 'hello';
  return o;
}
function usageError(msg) {
  console.error(`ts_client.mjs: ${msg}\n${USAGE}`);
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
    ...requireSdk('@modelcontextprotocol/sdk/client/sse.js'),
    ...requireSdk('@modelcontextprotocol/sdk/client/stdio.js'),
    ...requireSdk('@modelcontextprotocol/sdk/types.js'),
  };
} catch (e) {
  console.error(`ts_client.mjs: cannot load @modelcontextprotocol/sdk from ${nodeModules} ` +
    `(run scripts/test, or set FASTMCP_TEST_NODE_MODULES): ${e.message}`);
  process.exit(2);
}
const {
  Client, StreamableHTTPClientTransport, SSEClientTransport, StdioClientTransport,
  CallToolResultSchema, CreateMessageRequestSchema, ElicitRequestSchema,
} = sdk;

// ---------------------------------------------------------------- check harness
let passed = 0;
let failed = 0;

class CheckError extends Error {}
function fail(msg) { throw new CheckError(msg); }
function assert(cond, msg) { if (!cond) fail(msg); }
const show = (v) => { const s = JSON.stringify(v); return s === undefined ? String(v) : s.length > 300 ? s.slice(0, 300) + '…' : s; };
function assertEq(actual, expected, what) {
  if (!deepEqual(actual, expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}
function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
}
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new CheckError(`timed out after ${ms} ms (${what})`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}
const oneLine = (s) => String(s).replace(/\s+/g, ' ').trim();

async function check(name, fn) {
  try {
    await withTimeout(Promise.resolve().then(fn), opts.timeoutMs, name);
    passed++;
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    const reason = e instanceof CheckError ? e.message : `${e?.constructor?.name ?? 'Error'}: ${e?.message ?? e}`;
    console.log(`FAIL ${name}: ${oneLine(reason)}`);
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

// ---------------------------------------------------------------- client + transport
const SAMPLING_REPLY = 'fastmcp sampling reply 7f3a';
const SAMPLING_PROMPT = 'fastmcp sampling prompt: say something';
const ELICIT_MESSAGE = 'fastmcp elicitation: please provide your information';
const seen = { sampling: [], elicitation: [] };
let elicitedContent = null;

function makeClient() {
  const capabilities = opts.scenario === 'everything' ? { sampling: {}, elicitation: {} } : {};
  const client = new Client({ name: 'fastmcp-ts-client', version: '1.0.0' }, { capabilities });
  if (opts.scenario === 'everything') {
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      seen.sampling.push(request.params);
      return {
        role: 'assistant',
        content: { type: 'text', text: SAMPLING_REPLY },
        model: 'fastmcp-test-model',
        stopReason: 'endTurn',
      };
    });
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      seen.elicitation.push(request.params);
      elicitedContent = fillSchema(request.params.requestedSchema);
      return { action: 'accept', content: elicitedContent };
    });
  }
  return client;
}

// Builds form content that satisfies an elicitation requestedSchema (flat object of primitives).
function fillSchema(schema) {
  const content = {};
  for (const [key, prop] of Object.entries(schema?.properties ?? {})) {
    if (Array.isArray(prop.enum) && prop.enum.length) content[key] = prop.enum[0];
    else if (Array.isArray(prop.oneOf) && prop.oneOf[0]?.const !== undefined) content[key] = prop.oneOf[0].const;
    else if (prop.type === 'integer' || prop.type === 'number') content[key] = prop.minimum ?? 42;
    else if (prop.type === 'boolean') content[key] = true;
    else if (key === 'username') content[key] = 'fastmcp-user';
    else if (key === 'email' || prop.format === 'email') content[key] = 'fastmcp@example.com';
    else content[key] = `fastmcp-${key}`;
  }
  return content;
}

function makeTransport() {
  switch (opts.transport) {
    case 'http': return new StreamableHTTPClientTransport(new URL(opts.url));
    case 'sse': return new SSEClientTransport(new URL(opts.url));
    case 'stdio': return new StdioClientTransport({
      command: opts.command,
      args: opts.args,
      env: { ...process.env },
      stderr: 'inherit',
    });
  }
}

// ---------------------------------------------------------------- scenarios
async function helloChecks(client) {
  await check('tools/list', async () => {
    const { tools } = await client.listTools();
    assertEq(tools.map((t) => t.name).sort(), ['add', 'greet'], 'tool names');
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    const add = byName.add.inputSchema;
    assertEq(add.type, 'object', 'add.inputSchema.type');
    assertEq(add.properties?.a?.type, 'integer', 'add.inputSchema.properties.a.type');
    assertEq(add.properties?.b?.type, 'integer', 'add.inputSchema.properties.b.type');
    assertEq([...(add.required ?? [])].sort(), ['a', 'b'], 'add.inputSchema.required');
    const greet = byName.greet.inputSchema;
    assertEq(greet.type, 'object', 'greet.inputSchema.type');
    assertEq(greet.properties?.name?.type, 'string', 'greet.inputSchema.properties.name.type');
    assertEq([...(greet.required ?? [])], ['name'], 'greet.inputSchema.required');
  });
  await check('call add', async () => {
    const r = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    assert(!r.isError, `isError is set: ${show(r)}`);
    assertEq(r.content, [{ type: 'text', text: '5' }], 'add content');
    assertEq(r.structuredContent, { result: 5 }, 'add structuredContent');
  });
  await check('call greet', async () => {
    const r = await client.callTool({ name: 'greet', arguments: { name: 'Ada' } });
    assert(!r.isError, `isError is set: ${show(r)}`);
    assertEq(r.content, [{ type: 'text', text: 'Hello, Ada!' }], 'greet content');
    assertEq(r.structuredContent, { result: 'Hello, Ada!' }, 'greet structuredContent');
  });
  await check('call unknown tool is an error', async () => {
    let r;
    try {
      r = await client.callTool({ name: 'nope', arguments: {} });
    } catch (e) {
      assert(e instanceof sdk.McpError, `expected a JSON-RPC error, got ${e?.constructor?.name}: ${e?.message}`);
      return; // JSON-RPC error response: accepted
    }
    assert(r.isError === true, `expected an error, got a successful result ${show(r)}`);
  });
  await check('ping', async () => {
    const r = await client.ping();
    assert(r && typeof r === 'object', `ping returned ${show(r)}`);
  });
}

async function everythingChecks(client) {
  await check('tools/list', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const n of ['test_simple_text', 'test_image_content', 'test_tool_with_progress', 'test_sampling', 'test_elicitation']) {
      assert(names.includes(n), `tool ${n} missing from ${show(names)}`);
    }
    for (const t of tools) assertEq(t.inputSchema?.type, 'object', `${t.name}.inputSchema.type`);
  });
  await check('call test_simple_text', async () => {
    const r = await client.callTool({ name: 'test_simple_text', arguments: {} });
    assert(!r.isError, `isError is set: ${show(r)}`);
    assertEq(r.content, [{ type: 'text', text: 'This is a simple text response for testing.' }], 'content');
  });
  await check('call test_image_content', async () => {
    const r = await client.callTool({ name: 'test_image_content', arguments: {} });
    assert(!r.isError, `isError is set: ${show(r)}`);
    assertEq(r.content?.length, 1, 'content length');
    const img = r.content[0];
    assertEq(img.type, 'image', 'content[0].type');
    assertEq(img.mimeType, 'image/png', 'content[0].mimeType');
    const bytes = Buffer.from(img.data ?? '', 'base64');
    assertEq([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature of decoded data');
  });
  await check('call test_tool_with_progress', async () => {
    const progress = [];
    const r = await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p),
    });
    assert(!r.isError, `isError is set: ${show(r)}`);
    assert(progress.length >= 2, `expected at least 2 progress notifications, got ${progress.length}: ${show(progress)}`);
    for (let i = 1; i < progress.length; i++) {
      assert(progress[i].progress > progress[i - 1].progress, `progress not increasing: ${show(progress.map((p) => p.progress))}`);
    }
  });
  await check('call test_sampling', async () => {
    seen.sampling.length = 0;
    const r = await client.callTool({ name: 'test_sampling', arguments: { prompt: SAMPLING_PROMPT } });
    assert(!r.isError, `isError is set: ${show(r)}`);
    assertEq(seen.sampling.length, 1, 'sampling/createMessage requests received');
    const msg = seen.sampling[0].messages?.[0];
    assertEq(msg?.content?.text, SAMPLING_PROMPT, 'sampling request messages[0].content.text');
    const text = textOf(r, 'test_sampling');
    assert(text.includes(SAMPLING_REPLY), `tool result ${show(text)} does not contain the sampling reply ${show(SAMPLING_REPLY)}`);
  });
  await check('call test_elicitation', async () => {
    seen.elicitation.length = 0;
    const r = await client.callTool({ name: 'test_elicitation', arguments: { message: ELICIT_MESSAGE } });
    assert(!r.isError, `isError is set: ${show(r)}`);
    assertEq(seen.elicitation.length, 1, 'elicitation/create requests received');
    assertEq(seen.elicitation[0].message, ELICIT_MESSAGE, 'elicitation request message');
    assertEq(seen.elicitation[0].requestedSchema?.type, 'object', 'elicitation requestedSchema.type');
    const values = Object.values(elicitedContent ?? {}).filter((v) => typeof v === 'string');
    assert(values.length > 0, `requestedSchema has no string properties: ${show(seen.elicitation[0].requestedSchema)}`);
    const text = textOf(r, 'test_elicitation');
    assert(text.includes('accept'), `tool result ${show(text)} does not mention the accept action`);
    for (const v of values) assert(text.includes(v), `tool result ${show(text)} does not contain accepted value ${show(v)}`);
  });
  await check('resources/list', async () => {
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    assert(uris.includes('test://static-text'), `test://static-text missing from ${show(uris)}`);
  });
  await check('resources/read test://static-text', async () => {
    const r = await client.readResource({ uri: 'test://static-text' });
    assertEq(r.contents?.length, 1, 'contents length');
    assertEq(r.contents[0].uri, 'test://static-text', 'contents[0].uri');
    assertEq(r.contents[0].mimeType, 'text/plain', 'contents[0].mimeType');
    assertEq(r.contents[0].text, 'This is the content of the static text resource.', 'contents[0].text');
  });
  await check('prompts/list', async () => {
    const { prompts } = await client.listPrompts();
    const names = prompts.map((p) => p.name);
    for (const n of ['test_simple_prompt', 'test_prompt_with_arguments']) assert(names.includes(n), `prompt ${n} missing from ${show(names)}`);
    const withArgs = prompts.find((p) => p.name === 'test_prompt_with_arguments');
    assertEq((withArgs.arguments ?? []).map((a) => a.name).sort(), ['arg1', 'arg2'], 'test_prompt_with_arguments argument names');
  });
  await check('prompts/get test_simple_prompt', async () => {
    const r = await client.getPrompt({ name: 'test_simple_prompt' });
    assertEq(r.messages, [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }], 'messages');
  });
  await check('prompts/get test_prompt_with_arguments', async () => {
    const r = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'fastmcp-alpha', arg2: 'fastmcp-beta' } });
    assert(Array.isArray(r.messages) && r.messages.length > 0, `no messages: ${show(r)}`);
    assertEq(r.messages[0].role, 'user', 'messages[0].role');
    const all = JSON.stringify(r.messages);
    assert(all.includes('fastmcp-alpha'), `arg1 value not in messages ${show(r.messages)}`);
    assert(all.includes('fastmcp-beta'), `arg2 value not in messages ${show(r.messages)}`);
  });
  await check('ping', async () => {
    const r = await client.ping();
    assert(r && typeof r === 'object', `ping returned ${show(r)}`);
  });
}

const SCENARIO_CHECKS = {
  hello: ['tools/list', 'call add', 'call greet', 'call unknown tool is an error', 'ping'],
  everything: ['tools/list', 'call test_simple_text', 'call test_image_content', 'call test_tool_with_progress',
    'call test_sampling', 'call test_elicitation', 'resources/list', 'resources/read test://static-text',
    'prompts/list', 'prompts/get test_simple_prompt', 'prompts/get test_prompt_with_arguments', 'ping'],
};

// ---------------------------------------------------------------- main
async function main() {
  const client = makeClient();
  client.onerror = (e) => console.error(`ts_client.mjs: client error: ${e?.message ?? e}`);
  let connected = false;
  await check('initialize', async () => {
    await client.connect(makeTransport());
    connected = true;
    const info = client.getServerVersion();
    assert(info && typeof info.name === 'string' && info.name.length > 0, `serverInfo.name missing: ${show(info)}`);
    assert(typeof info.version === 'string' && info.version.length > 0, `serverInfo.version missing: ${show(info)}`);
    if (opts.serverName !== undefined) assertEq(info.name, opts.serverName, 'serverInfo.name');
    const caps = client.getServerCapabilities() ?? {};
    const wanted = opts.scenario === 'hello' ? ['tools'] : ['tools', 'resources', 'prompts'];
    for (const c of wanted) assert(caps[c] && typeof caps[c] === 'object', `server capabilities lack ${c}: ${show(caps)}`);
  });
  if (connected) {
    await (opts.scenario === 'hello' ? helloChecks : everythingChecks)(client);
  } else {
    for (const name of SCENARIO_CHECKS[opts.scenario]) skip(name, 'initialize failed');
  }
  try {
    await withTimeout(client.close(), 5000, 'close');
  } catch (e) {
    console.error(`ts_client.mjs: close: ${e?.message ?? e}`);
  }
  finish(failed === 0 ? 0 : 1);
}

// Flush stdout before exiting (a dangling stdio child or socket must not keep us alive).
function finish(code) {
  process.stdout.write(`${passed} passed, ${failed} failed\n`, () => process.exit(code));
}

main().catch((e) => {
  console.error(`ts_client.mjs: unexpected error: ${e?.stack ?? e}`);
  failed++;
  finish(1);
});
