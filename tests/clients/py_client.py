#!/usr/bin/env python3
"""Cross-SDK check driver: connects to a fastmcp server with the official Python MCP SDK
(PyPI `mcp`, pinned in scripts/test) and runs a list of named checks against it.

usage:
  python py_client.py --transport http|sse --url <url> --scenario hello|everything [--server-name NAME]
  python py_client.py --transport stdio --command <path> [--arg <a>]... --scenario hello|everything

Output (stdout): one line per check, `ok <name>` or `FAIL <name>: <reason>`, then the final line
`N passed, M failed`. Exit status 0 only if M == 0. Diagnostics go to stderr.

Results are compared in their wire (JSON, camelCase) form, so the checks read the same as in
ts_client.mjs and do not depend on the SDK's Python attribute names (snake_case in mcp 2.x,
camelCase in 1.x).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import threading
import traceback
from contextlib import AsyncExitStack
from typing import Any, Awaitable, Callable

try:
    import anyio
    import mcp.types as types
    from mcp import ClientSession
    from mcp.client.sse import sse_client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    try:  # mcp >= 1.2x / 2.x
        from mcp.client.streamable_http import streamable_http_client as _http_client
    except ImportError:  # older 1.x spelling
        from mcp.client.streamable_http import streamablehttp_client as _http_client
    try:  # mcp 2.x
        from mcp.shared.exceptions import MCPError as _McpError
    except ImportError:  # mcp 1.x
        from mcp.shared.exceptions import McpError as _McpError
except ImportError as e:  # pragma: no cover - environment problem
    print(f"py_client.py: cannot import the mcp package ({e}); run scripts/test or use $FASTMCP_TEST_PYTHON",
          file=sys.stderr)
    sys.exit(2)


USAGE = ("usage: py_client.py --transport http|sse|stdio (--url <url> | --command <path> [--arg <a>]...) "
         "--scenario hello|everything [--server-name NAME] [--timeout-ms N]")


def usage_error(msg: str) -> None:
    print(f"py_client.py: {msg}\n{USAGE}", file=sys.stderr)
    sys.exit(2)


def parse_args(argv: list[str]) -> argparse.Namespace:
    # Hand-rolled (not argparse) so that `--arg --some-flag` passes "--some-flag" through verbatim.
    o = argparse.Namespace(transport=None, url=None, command=None, args=[], scenario=None, server_name=None,
                           timeout_ms=20000)
    i = 0
    while i < len(argv):
        flag = argv[i]
        if flag in ("-h", "--help"):
            print(USAGE, file=sys.stderr)
            sys.exit(0)
        if flag not in ("--transport", "--url", "--command", "--arg", "--scenario", "--server-name", "--timeout-ms"):
            usage_error(f"unknown argument {flag}")
        if i + 1 >= len(argv):
            usage_error(f"missing value for {flag}")
        value = argv[i + 1]
        i += 2
        if flag == "--arg":
            o.args.append(value)
        elif flag == "--timeout-ms":
            o.timeout_ms = int(value)
        else:
            setattr(o, flag[2:].replace("-", "_"), value)
    if o.transport not in ("http", "sse", "stdio"):
        usage_error("--transport must be http, sse or stdio")
    if o.scenario not in ("hello", "everything"):
        usage_error("--scenario must be hello or everything")
    if o.transport == "stdio" and not o.command:
        usage_error("--command is required with --transport stdio")
    if o.transport != "stdio" and not o.url:
        usage_error("--url is required with --transport http|sse")
    if o.server_name is None and o.scenario == "hello":
        o.server_name = "hello"
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


def assert_eq(actual: Any, expected: Any, what: str) -> None:
    # JSON equality: 5 == 5.0 is fine, but True != 1 and "5" != 5
    if json.dumps(actual, sort_keys=True) != json.dumps(expected, sort_keys=True):
        fail(f"{what}: expected {show(expected)}, got {show(actual)}")


def wire(obj: Any) -> Any:
    """An SDK object as it would appear on the wire (camelCase JSON)."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(by_alias=True, mode="json", exclude_none=True)
    if isinstance(obj, list):
        return [wire(x) for x in obj]
    return obj


def one_line(s: str) -> str:
    return " ".join(str(s).split())


reported: set[str] = set()  # names of checks that already printed their line
current_check: str | None = None


def report(name: str, reason: str | None) -> None:
    """Prints `ok <name>` (reason None) or `FAIL <name>: <reason>` and counts it."""
    global passed, failed
    reported.add(name)
    if reason is None:
        passed += 1
        print(f"ok {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name}: {one_line(reason)}", flush=True)


def describe(e: BaseException) -> str:
    """`Type: message` of an exception; the leaves of an exception group (anyio task groups raise those)."""
    if isinstance(e, BaseExceptionGroup):
        return "; ".join(describe(x) for x in e.exceptions)
    return f"{type(e).__name__}: {str(e) or repr(e)}"


async def check(name: str, fn: Callable[[], Awaitable[None]]) -> None:
    global current_check
    current_check = name
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
    # A transport failure cancels the running check with a BaseException (anyio cancellation);
    # main() then reports it, naming current_check.
    current_check = None


summary_printed = False


def print_summary() -> None:
    """Prints the final `N passed, M failed` line exactly once."""
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


# ---------------------------------------------------------------- client callbacks
SAMPLING_REPLY = "fastmcp sampling reply 7f3a"
SAMPLING_PROMPT = "fastmcp sampling prompt: say something"
ELICIT_MESSAGE = "fastmcp elicitation: please provide your information"
seen: dict[str, list[dict]] = {"sampling": [], "elicitation": []}
elicited_content: dict[str, Any] = {}


async def sampling_callback(context: Any, params: Any) -> Any:
    seen["sampling"].append(wire(params))
    return types.CreateMessageResult.model_validate({
        "role": "assistant",
        "content": {"type": "text", "text": SAMPLING_REPLY},
        "model": "fastmcp-test-model",
        "stopReason": "endTurn",
    })


def fill_schema(schema: dict) -> dict[str, Any]:
    """Form content that satisfies an elicitation requestedSchema (flat object of primitives)."""
    content: dict[str, Any] = {}
    for key, prop in (schema.get("properties") or {}).items():
        if prop.get("enum"):
            content[key] = prop["enum"][0]
        elif prop.get("oneOf") and "const" in prop["oneOf"][0]:
            content[key] = prop["oneOf"][0]["const"]
        elif prop.get("type") in ("integer", "number"):
            content[key] = prop.get("minimum", 42)
        elif prop.get("type") == "boolean":
            content[key] = True
        elif key == "username":
            content[key] = "fastmcp-user"
        elif key == "email" or prop.get("format") == "email":
            content[key] = "fastmcp@example.com"
        else:
            content[key] = f"fastmcp-{key}"
    return content


async def elicitation_callback(context: Any, params: Any) -> Any:
    global elicited_content
    p = wire(params)
    seen["elicitation"].append(p)
    elicited_content = fill_schema(p.get("requestedSchema") or {})
    return types.ElicitResult.model_validate({"action": "accept", "content": elicited_content})


# ---------------------------------------------------------------- scenarios
async def hello_checks(session: ClientSession) -> None:
    async def tools_list() -> None:
        tools = wire(await session.list_tools())["tools"]
        assert_eq(sorted(t["name"] for t in tools), ["add", "greet"], "tool names")
        by_name = {t["name"]: t for t in tools}
        add = by_name["add"]["inputSchema"]
        assert_eq(add.get("type"), "object", "add.inputSchema.type")
        assert_eq(add.get("properties", {}).get("a", {}).get("type"), "integer", "add.inputSchema.properties.a.type")
        assert_eq(add.get("properties", {}).get("b", {}).get("type"), "integer", "add.inputSchema.properties.b.type")
        assert_eq(sorted(add.get("required", [])), ["a", "b"], "add.inputSchema.required")
        greet = by_name["greet"]["inputSchema"]
        assert_eq(greet.get("type"), "object", "greet.inputSchema.type")
        assert_eq(greet.get("properties", {}).get("name", {}).get("type"), "string",
                  "greet.inputSchema.properties.name.type")
        assert_eq(greet.get("required", []), ["name"], "greet.inputSchema.required")

    async def call_add() -> None:
        r = wire(await session.call_tool("add", {"a": 2, "b": 3}))
        check_that(not r.get("isError"), f"isError is set: {show(r)}")
        assert_eq(r.get("content"), [{"type": "text", "text": "5"}], "add content")
        assert_eq(r.get("structuredContent"), {"result": 5}, "add structuredContent")

    async def call_greet() -> None:
        r = wire(await session.call_tool("greet", {"name": "Ada"}))
        check_that(not r.get("isError"), f"isError is set: {show(r)}")
        assert_eq(r.get("content"), [{"type": "text", "text": "Hello, Ada!"}], "greet content")
        assert_eq(r.get("structuredContent"), {"result": "Hello, Ada!"}, "greet structuredContent")

    async def call_unknown() -> None:
        try:
            r = wire(await session.call_tool("nope", {}))
        except _McpError:
            return  # JSON-RPC error response: accepted
        check_that(r.get("isError") is True, f"expected an error, got a successful result {show(r)}")

    async def ping() -> None:
        r = await session.send_ping()
        check_that(r is not None, "ping returned nothing")

    await check("tools/list", tools_list)
    await check("call add", call_add)
    await check("call greet", call_greet)
    await check("call unknown tool is an error", call_unknown)
    await check("ping", ping)


async def everything_checks(session: ClientSession) -> None:
    async def tools_list() -> None:
        tools = wire(await session.list_tools())["tools"]
        names = [t["name"] for t in tools]
        for n in ["test_simple_text", "test_image_content", "test_tool_with_progress", "test_sampling",
                  "test_elicitation"]:
            check_that(n in names, f"tool {n} missing from {show(names)}")
        for t in tools:
            assert_eq(t.get("inputSchema", {}).get("type"), "object", f"{t['name']}.inputSchema.type")

    async def simple_text() -> None:
        r = wire(await session.call_tool("test_simple_text", {}))
        check_that(not r.get("isError"), f"isError is set: {show(r)}")
        assert_eq(r.get("content"), [{"type": "text", "text": "This is a simple text response for testing."}],
                  "content")

    async def image() -> None:
        r = wire(await session.call_tool("test_image_content", {}))
        check_that(not r.get("isError"), f"isError is set: {show(r)}")
        content = r.get("content") or []
        assert_eq(len(content), 1, "content length")
        img = content[0]
        assert_eq(img.get("type"), "image", "content[0].type")
        assert_eq(img.get("mimeType"), "image/png", "content[0].mimeType")
        data = base64.b64decode(img.get("data") or "", validate=True)
        assert_eq(list(data[:8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature of decoded data")

    async def progress() -> None:
        got: list[tuple[float, float | None, str | None]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            got.append((progress, total, message))

        r = wire(await session.call_tool("test_tool_with_progress", {}, progress_callback=on_progress))
        check_that(not r.get("isError"), f"isError is set: {show(r)}")
        values = [g[0] for g in got]
        check_that(len(got) >= 2, f"expected at least 2 progress notifications, got {len(got)}: {show(values)}")
        check_that(all(b > a for a, b in zip(values, values[1:])), f"progress not increasing: {show(values)}")

    async def sampling() -> None:
        seen["sampling"].clear()
        r = wire(await session.call_tool("test_sampling", {"prompt": SAMPLING_PROMPT}))
        check_that(not r.get("isError"), f"isError is set: {show(r)}")
        assert_eq(len(seen["sampling"]), 1, "sampling/createMessage requests received")
        msgs = seen["sampling"][0].get("messages") or [{}]
        assert_eq(msgs[0].get("content", {}).get("text"), SAMPLING_PROMPT, "sampling request messages[0].content.text")
        text = text_of(r, "test_sampling")
        check_that(SAMPLING_REPLY in text,
                   f"tool result {show(text)} does not contain the sampling reply {show(SAMPLING_REPLY)}")

    async def elicitation() -> None:
        seen["elicitation"].clear()
        r = wire(await session.call_tool("test_elicitation", {"message": ELICIT_MESSAGE}))
        check_that(not r.get("isError"), f"isError is set: {show(r)}")
        assert_eq(len(seen["elicitation"]), 1, "elicitation/create requests received")
        req = seen["elicitation"][0]
        assert_eq(req.get("message"), ELICIT_MESSAGE, "elicitation request message")
        assert_eq((req.get("requestedSchema") or {}).get("type"), "object", "elicitation requestedSchema.type")
        values = [v for v in elicited_content.values() if isinstance(v, str)]
        check_that(values, f"requestedSchema has no string properties: {show(req.get('requestedSchema'))}")
        text = text_of(r, "test_elicitation")
        check_that("accept" in text, f"tool result {show(text)} does not mention the accept action")
        for v in values:
            check_that(v in text, f"tool result {show(text)} does not contain accepted value {show(v)}")

    async def resources_list() -> None:
        uris = [r["uri"] for r in wire(await session.list_resources())["resources"]]
        check_that("test://static-text" in uris, f"test://static-text missing from {show(uris)}")

    async def resources_read() -> None:
        # mcp 1.x takes a pydantic AnyUrl, 2.x a str; both accept a str here
        contents = wire(await session.read_resource("test://static-text"))["contents"]
        assert_eq(len(contents), 1, "contents length")
        assert_eq(contents[0].get("uri"), "test://static-text", "contents[0].uri")
        assert_eq(contents[0].get("mimeType"), "text/plain", "contents[0].mimeType")
        assert_eq(contents[0].get("text"), "This is the content of the static text resource.", "contents[0].text")

    async def prompts_list() -> None:
        prompts = wire(await session.list_prompts())["prompts"]
        names = [p["name"] for p in prompts]
        for n in ["test_simple_prompt", "test_prompt_with_arguments"]:
            check_that(n in names, f"prompt {n} missing from {show(names)}")
        with_args = next(p for p in prompts if p["name"] == "test_prompt_with_arguments")
        assert_eq(sorted(a["name"] for a in with_args.get("arguments", [])), ["arg1", "arg2"],
                  "test_prompt_with_arguments argument names")

    async def prompt_simple() -> None:
        r = wire(await session.get_prompt("test_simple_prompt"))
        assert_eq(r.get("messages"),
                  [{"role": "user", "content": {"type": "text", "text": "This is a simple prompt for testing."}}],
                  "messages")

    async def prompt_args() -> None:
        r = wire(await session.get_prompt("test_prompt_with_arguments",
                                          {"arg1": "fastmcp-alpha", "arg2": "fastmcp-beta"}))
        msgs = r.get("messages") or []
        check_that(msgs, f"no messages: {show(r)}")
        assert_eq(msgs[0].get("role"), "user", "messages[0].role")
        blob = json.dumps(msgs)
        check_that("fastmcp-alpha" in blob, f"arg1 value not in messages {show(msgs)}")
        check_that("fastmcp-beta" in blob, f"arg2 value not in messages {show(msgs)}")

    async def ping() -> None:
        r = await session.send_ping()
        check_that(r is not None, "ping returned nothing")

    await check("tools/list", tools_list)
    await check("call test_simple_text", simple_text)
    await check("call test_image_content", image)
    await check("call test_tool_with_progress", progress)
    await check("call test_sampling", sampling)
    await check("call test_elicitation", elicitation)
    await check("resources/list", resources_list)
    await check("resources/read test://static-text", resources_read)
    await check("prompts/list", prompts_list)
    await check("prompts/get test_simple_prompt", prompt_simple)
    await check("prompts/get test_prompt_with_arguments", prompt_args)
    await check("ping", ping)


SCENARIO_CHECKS = {
    "hello": ["tools/list", "call add", "call greet", "call unknown tool is an error", "ping"],
    "everything": ["tools/list", "call test_simple_text", "call test_image_content", "call test_tool_with_progress",
                   "call test_sampling", "call test_elicitation", "resources/list",
                   "resources/read test://static-text", "prompts/list", "prompts/get test_simple_prompt",
                   "prompts/get test_prompt_with_arguments", "ping"],
}


# ---------------------------------------------------------------- main
async def open_session(stack: AsyncExitStack) -> ClientSession:
    if OPTS.transport == "http":
        streams = await stack.enter_async_context(_http_client(OPTS.url))
    elif OPTS.transport == "sse":
        streams = await stack.enter_async_context(sse_client(OPTS.url))
    else:
        params = StdioServerParameters(command=OPTS.command, args=OPTS.args, env=dict(os.environ))
        streams = await stack.enter_async_context(stdio_client(params, errlog=sys.stderr))
    read, write = streams[0], streams[1]  # 1.x streamable HTTP also yields a get_session_id callback
    kwargs: dict[str, Any] = {"client_info": types.Implementation(name="fastmcp-py-client", version="1.0.0")}
    if OPTS.scenario == "everything":  # declaring the callbacks is what advertises sampling/elicitation
        kwargs.update(sampling_callback=sampling_callback, elicitation_callback=elicitation_callback)
    return await stack.enter_async_context(ClientSession(read, write, **kwargs))


async def main() -> int:
    plan = ["initialize"] + SCENARIO_CHECKS[OPTS.scenario]
    transport_error: BaseException | None = None

    try:
        # The transport and session task groups enclose the checks (anyio requires strict nesting):
        # if the transport dies, they cancel the running check and re-raise the cause when exited.
        async with AsyncExitStack() as stack:
            session = await open_session(stack)
            initialized = False

            async def initialize() -> None:
                nonlocal initialized
                result = wire(await session.initialize())
                initialized = True
                info = result.get("serverInfo") or {}
                check_that(isinstance(info.get("name"), str) and info["name"], f"serverInfo.name missing: {show(info)}")
                check_that(isinstance(info.get("version"), str) and info["version"],
                           f"serverInfo.version missing: {show(info)}")
                if OPTS.server_name is not None:
                    assert_eq(info["name"], OPTS.server_name, "serverInfo.name")
                caps = result.get("capabilities") or {}
                for c in (["tools"] if OPTS.scenario == "hello" else ["tools", "resources", "prompts"]):
                    check_that(isinstance(caps.get(c), dict), f"server capabilities lack {c}: {show(caps)}")

            await check("initialize", initialize)
            if initialized:
                await (hello_checks if OPTS.scenario == "hello" else everything_checks)(session)
            else:
                for name in plan[1:]:
                    skip(name, "initialize failed")

            # The summary is final before closing: a slow or failing shutdown must not change it.
            # A watchdog ends the process if closing the transport hangs.
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
            print(f"py_client.py: error while closing: {describe(transport_error)}", file=sys.stderr)
        else:
            culprit = current_check or next((n for n in plan if n not in reported), None)
            for name in plan:
                if name in reported:
                    continue
                if name == culprit:
                    what = "cannot connect" if name == "initialize" else "transport failed"
                    report(name, f"{what}: {describe(transport_error)}")
                else:
                    skip(name, "transport failed")
            print_summary()
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
