"""The processes that run handlers: one zygote, and one worker per execution environment.

Lambda runs each concurrent invocation of a function in its own execution environment, and
Powertools keeps per-process state (the REST resolver's current event, the idempotency config),
so the honest local model is a process per environment. Starting each from scratch would import
boto3, Powertools and pydantic again (about 0.2 s and 40 MB apiece), so one **zygote** imports
those libraries once and forks a worker on request: the libraries' pages are shared copy-on-write
between all workers.

The runtime talks to the zygote over a SOCK_SEQPACKET socket: each request is one JSON message
(the function's handler string, environment and asset directory) carrying one file descriptor,
the worker's end of a fresh socket pair. The forked worker sets its function's environment,
imports the handler (answering `("ready", pid)` or `("import_error", text)`), then serves
invocations over that socket with `multiprocessing.connection` framing: it receives
`(event, context_fields)` and answers `("ok", result)` or `("error", type, message)`.
The zygote exits when the runtime closes its socket; a worker exits when its socket closes.

This module is the zygote's `__main__` (`python -m local.worker_process FD`): it imports nothing
heavy at module level, so that the parent can import `LambdaContext` from it cheaply.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import signal
import socket
import sys
import time
import traceback
import uuid
import warnings
from multiprocessing.connection import Connection
from typing import Any

# What every handler of this project imports: loaded once in the zygote, shared by every worker.
# A library a handler imports that is missing here is imported again by every worker, in its own
# pages (the X-Ray SDK that Powertools' Tracer loads even when tracing is off is about 16 MB).
PRELOAD = (
    "boto3",
    "botocore.client",
    "pydantic",
    "aws_lambda_powertools",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.logging.correlation_paths",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "aws_xray_sdk.core",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.typing",
)
# The services the handlers make boto3 clients for. The first client of a service parses its
# model and endpoint rules (about 12 MB for DynamoDB); boto3's default session keeps them, so a
# throw-away client made here leaves them in the zygote, shared, and a worker's own client
# (made after its environment is set: endpoints, region, keys) reuses them.
PRELOAD_SERVICES = ("dynamodb", "sns", "sesv2", "apigatewaymanagementapi")
MAX_REQUEST_BYTES = 1 << 20  # one spawn request: a handler string and an environment


class LambdaContext:
    """The context object Lambda passes to a handler (the attributes Powertools reads)."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.function_name = str(fields["function_name"])
        self.function_version = "$LATEST"
        self.invoked_function_arn = str(fields["arn"])
        self.memory_limit_in_mb = int(fields["memory_mb"])
        self.aws_request_id = str(fields.get("request_id") or uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + float(fields["timeout_s"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            continue  # a library this checkout lacks is simply imported by no handler
    try:
        import boto3
    except ImportError:
        return
    for service in PRELOAD_SERVICES:
        # Explicit region and keys: nothing of the zygote's environment is resolved or cached.
        boto3.client(service, region_name="us-east-1", aws_access_key_id="preload", aws_secret_access_key="preload")
    # Python's collector writes to every object it visits: objects frozen here are never visited
    # again, so a worker's collections leave the shared pages shared (copy-on-write stays cheap).
    gc.collect()
    gc.freeze()


def _import_handler(handler_string: str) -> Any:
    module_name, _, attribute = handler_string.rpartition(".")
    if not module_name:
        raise ImportError(f"handler {handler_string!r} is not of the form module.function")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ImportError(f"module {module_name} has no attribute {attribute!r}") from None


def serve_worker(channel: Connection, request: dict[str, Any]) -> None:
    """A worker's life: set the environment, import the handler, serve invocations until EOF."""
    os.environ.update(request["environment"])
    # Powertools warns on every flush when a function records no metric; metrics are off locally.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    asset = str(request["asset"])
    if asset not in sys.path:
        sys.path.insert(0, asset)
    try:
        handler = _import_handler(str(request["handler"]))
    except BaseException as error:  # noqa: BLE001 - any failure to import is reported, then exit
        channel.send(("import_error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
        return
    channel.send(("ready", os.getpid()))
    while True:  # until the runtime closes the channel
        try:
            event, fields = channel.recv()
        except (EOFError, OSError):
            return
        try:
            result = handler(event, LambdaContext(fields))
            channel.send(("ok", result))
        except Exception as error:
            # Lambda writes the traceback to the function's log and answers the caller with the
            # error's type and message.
            traceback.print_exc()
            sys.stderr.flush()
            channel.send(("error", type(error).__name__, str(error)))


def serve_zygote(control: socket.socket) -> None:
    """Fork one worker per request until the runtime closes `control`."""
    _preload()
    # Workers are the zygote's children: let the kernel reap them, no zombies.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the runtime, which stops us
    while True:  # until the runtime closes its socket
        try:
            message, fds, _, _ = socket.recv_fds(control, MAX_REQUEST_BYTES, 1)
        except OSError:
            return
        if not message:
            return  # the runtime is gone
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                serve_worker(Connection(fds[0]), json.loads(message))
            except BaseException:  # noqa: BLE001 - a worker never returns into the zygote's loop
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.close(fds[0])


def main(argv: list[str]) -> int:
    control = socket.socket(fileno=int(argv[1]))
    serve_zygote(control)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
