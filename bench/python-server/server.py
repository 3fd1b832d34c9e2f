"""Comparison server for fastmcp (Rust) load benchmarks, built on Python FastMCP.

One tool, ``add(a, b)``, served over Streamable HTTP at ``http://127.0.0.1:PORT/mcp`` in
stateless JSON mode (no session; every POST is self-contained and answered with
``application/json``). With ``--auth jwt`` the server uses FastMCP's own ``JWTVerifier``
(keys from a JWKS URL, chosen by ``kid``; ``exp``, ``aud``, ``iss`` and the algorithm checked).

    python server.py --port 8000
    python server.py --port 8000 --auth jwt --jwks-uri URL --issuer ISS --audience AUD --alg RS256
"""

import argparse

from fastmcp import FastMCP
from fastmcp.server.auth.providers.jwt import JWTVerifier


def build(args: argparse.Namespace) -> FastMCP:
    auth = None
    if args.auth == "jwt":
        missing = [
            flag
            for flag, value in (
                ("--jwks-uri", args.jwks_uri),
                ("--issuer", args.issuer),
                ("--audience", args.audience),
            )
            if not value
        ]
        if missing:
            raise SystemExit(f"--auth jwt needs {', '.join(missing)}")
        auth = JWTVerifier(
            jwks_uri=args.jwks_uri,
            issuer=args.issuer,
            audience=args.audience,
            algorithm=args.alg,
        )

    mcp = FastMCP("add", auth=auth)

    @mcp.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    return mcp


def main() -> None:
    parser = argparse.ArgumentParser(description="FastMCP (Python) `add` server, stateless JSON HTTP")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--auth", choices=["none", "jwt"], default="none")
    parser.add_argument("--jwks-uri")
    parser.add_argument("--issuer")
    parser.add_argument("--audience")
    parser.add_argument("--alg", choices=["RS256", "ES256"], default="RS256")
    parser.add_argument(
        "--log-level",
        default="warning",
        help="uvicorn/FastMCP log level (default: warning, i.e. no per-request access log)",
    )
    args = parser.parse_args()

    build(args).run(
        transport="http",
        host="127.0.0.1",
        port=args.port,
        path="/mcp",
        stateless_http=True,
        json_response=True,
        show_banner=False,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
