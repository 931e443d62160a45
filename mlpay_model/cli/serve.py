"""`mlpay serve`: the web calculator (a form and a JSON API) on a local HTTP port."""

from __future__ import annotations

import argparse
import socket
import sys
from typing import Any, Final

from mlpay_model.errors import MlpayError

LOG_LEVELS: Final = ("critical", "error", "warning", "info", "debug")


class ServeError(MlpayError):
    """The service cannot start (the address is in use or not this machine's)."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="start the web calculator (a form and a JSON API) on a local port",
        description=(
            "Serve the salary calculator over HTTP: the page at /, POST /api/predict and "
            "/api/whatif (JSON), GET /healthz. Needs the extra 'serve' (FastAPI, uvicorn). "
            "Ctrl-C or SIGTERM stops it."
        ),
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s; 0.0.0.0 for every interface, "
        "with no authentication)",
    )
    parser.add_argument(
        "--port", type=_port, default=8000, help="port (default: %(default)s; 0 picks a free one)"
    )
    parser.add_argument(
        "--model", default="default", help="model name or folder (default: %(default)s)"
    )
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, default="info", help="uvicorn's (default: %(default)s)"
    )
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn  # the extra 'serve': a missing one is named by the CLI

    from mlpay_model.serve import create_app

    app = create_app(args.model)  # an unknown model fails here, in one line
    listener = _listen(args.host, args.port)
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    model = app.state.salary_model
    print(
        f"mlpay serve: http://{shown}:{port}/ (model {model.name} {model.version}); "
        "Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(app, log_level=args.log_level, access_log=args.log_level == "debug")
    uvicorn.Server(config).run(sockets=[listener])
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound here so that a busy port is one clear line, not a log."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise ServeError(f"--host {host!r}: not an address of this machine ({error})") from None
    family, kind, protocol, _name, address = infos[0]
    listener = socket.socket(family, kind, protocol)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
        listener.listen(128)
    except OSError as error:
        listener.close()
        raise ServeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    listener.set_inheritable(True)
    return listener


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: expected 0 to 65535")
    return int(text)
