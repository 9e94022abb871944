"""`make run` / `python -m local`: the whole system on this machine (docs/local.md)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import warnings
from pathlib import Path
from types import FrameType

from infra.names import DEFAULT_STAGE
from local import malloc_arenas
from local.runtime import AlreadyRunning, LocalRuntime, Options
from local.workers import default_concurrency

log = logging.getLogger("local")


def say(text: str) -> None:
    """`text` and its newline in ONE write: the pollers' and functions' log lines come from other
    threads, and `print` writes the newline apart, so a log line could land between the two
    (`ready09:34:13 data_sync ...`, which no reader would take for the `ready` line)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def parse_args(argv: list[str] | None = None) -> tuple[Options, bool]:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "3000")), help="HTTP API port (env PORT; 3000)"
    )
    parser.add_argument("--in-memory", action="store_true", help="keep nothing: DynamoDB Local in memory")
    parser.add_argument(
        "--dynamodb",
        default="auto",
        help="auto (DynamoDB Local when Java 17+ is found, else moto), local, moto, or an http://host:port endpoint",
    )
    parser.add_argument("--state-dir", type=Path, default=Path(".local"), help="where state lives (.local)")
    parser.add_argument("--stage", default=DEFAULT_STAGE, help=f"stack stage ({DEFAULT_STAGE})")
    parser.add_argument(
        "--template", type=Path, help="a synthesized template (default: cdk.out, synthesized when stale)"
    )
    parser.add_argument("--no-synth", action="store_true", help="never synthesize; use the template as it is")
    parser.add_argument("--no-demo", action="store_true", help="do not create the demo users and catalogue")
    parser.add_argument("--aws-port", type=int, default=0, help="port of the local Cognito/SNS/SQS (free port)")
    parser.add_argument(
        "--handler-log-level", default="WARNING", help="POWERTOOLS_LOG_LEVEL for the handlers (WARNING)"
    )
    parser.add_argument(
        "--max-batching-window",
        type=float,
        metavar="SECONDS",
        help="cap every event source's batching window (default: the template's, as deployed)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=default_concurrency(),
        metavar="N",
        help="execution environments (worker processes) per function, started on demand "
        f"(default from the CPU count: {default_concurrency()})",
    )
    parser.add_argument("--verbose", action="store_true", help="debug logs of the runtime itself")
    args = parser.parse_args(argv)
    return Options(
        port=args.port,
        in_memory=args.in_memory,
        dynamodb=args.dynamodb,
        state_dir=args.state_dir,
        stage=args.stage,
        template=args.template,
        synth=not args.no_synth,
        seed=not args.no_demo,
        aws_port=args.aws_port,
        handler_log_level=args.handler_log_level.upper(),
        max_batching_window_s=args.max_batching_window,
        concurrency=args.concurrency,
    ), args.verbose


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    malloc_arenas.limit()  # before any thread starts; the JVM and the zygote inherit it
    options, verbose = parse_args(argv)
    # Powertools warns on every flush when a function records no metric; metrics are off locally.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    logging.basicConfig(format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stdout)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    # SIGTERM stops the runtime exactly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    runtime = LocalRuntime(options)
    code = 0
    try:
        runtime.start()
        engine = runtime.dynamodb_engine
        persisted = "in memory" if options.in_memory or engine == "moto" else f"in {options.state_dir}/"
        log.info(
            "DynamoDB (%s, %s) %s | AWS (Cognito, SNS, SQS) %s | outputs %s",
            engine,
            persisted,
            runtime.dynamodb_endpoint,
            runtime.outputs.get("AwsEndpointUrl"),
            runtime.outputs_path,
        )
        log.debug("start-up steps (s): %s", runtime.timings)
        log.info(
            "ready in %.1f s: API %s (up to %d execution environments per function)",
            runtime.timings["ready"],
            runtime.outputs.get("ApiUrl"),
            options.concurrency,
        )
        example = runtime.example()
        if example:
            say("Try it:\n" + example)
        say("ready")
        stop = threading.Event()
        while not stop.wait(3600):  # woken by KeyboardInterrupt (Ctrl-C or SIGTERM)
            pass
    except KeyboardInterrupt:
        pass
    except AlreadyRunning as error:
        print(error, file=sys.stderr)
        return 1
    except Exception as error:
        log.error("failed: %s: %s", type(error).__name__, error, exc_info=verbose)
        code = 1
    finally:
        # A second Ctrl-C must not cut the cleanup short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        log.info("stopping")
        runtime.stop()
        log.info("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
