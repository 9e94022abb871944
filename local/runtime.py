"""The whole local system in one object: `LocalRuntime(options).start()` ... `.stop()`.

`start()` runs named steps (`start_steps()`), each timed: DynamoDB Local's JVM is launched first
(it boots in about 3 s while the rest happens), the zygote that forks the functions' execution
environments starts importing their libraries, the template is read (synthesized if stale), the
AWS emulator starts and the user pool, topics and queues are provisioned, each function's first
execution environment imports its handler (one that does not import stops the start), the tables
are created when missing, one poller per event source mapping takes its position, the HTTP front
binds, the demo is seeded through the API function, and the outputs file is written. `stop()`
undoes it in reverse and always stops the JVM and every worker process.
"""

from __future__ import annotations

import enum
import fcntl
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from infra.names import ENV_WEBSOCKET_CALLBACK_URL, OUTPUT_WEBSOCKET_URL, stack_name
from local import demo
from local.api_routes import Routes
from local.authorizer import TokenVerifier
from local.aws_emulator import AwsEmulator
from local.cognito.pool import UserPools
from local.dynamodb_local import DynamoDBLocal
from local.functions import (
    LocalFunction,
    close_environments,
    load_functions,
    start_environments,
    stop_environments,
)
from local.http_front import ApiFront
from local.java import find_java
from local.mail import MAIL_DIR, LocalSes
from local.outputs import stack_outputs, write_atomically
from local.pollers import POLL_INTERVAL_S, StreamPoller, build_pollers
from local.provision import (
    DUMMY_CREDENTIALS,
    Provisioned,
    client,
    provision_cognito,
    provision_messaging,
    provision_tables,
    record_functions_and_rest,
    record_table_names,
)
from local.template import PROJECT_ROOT, REGION, Resolver, Template, TemplateError, ensure_template
from local.websocket_front import WebSocketFront, WebSocketRoutes
from local.workers import Zygote, default_concurrency, reap

log = logging.getLogger("local")

OUTPUTS_FILE = "outputs.json"
LOCK_FILE = "runtime.lock"
STOP_BUDGET_S = 4.0  # Ctrl-C / SIGTERM: everything down, the JVM included, within 5 s


class AlreadyRunning(RuntimeError):
    """Another local runtime holds the state directory."""


@dataclass
class Options:
    port: int = 3000
    in_memory: bool = False
    dynamodb: str = "auto"  # auto | local | moto | http(s)://endpoint
    state_dir: Path = Path(".local")
    stage: str = "dev"
    template: Path | None = None  # default: cdk.out/<stack>.template.json, synthesized when stale
    synth: bool = True
    seed: bool = True
    aws_port: int = 0  # moto's server; 0 = a free port
    handler_log_level: str = "WARNING"
    poll_interval_s: float = POLL_INTERVAL_S
    concurrency: int = field(default_factory=default_concurrency)  # execution environments per function
    max_batching_window_s: float | None = None  # cap on the mappings' windows (None: the template's)


def _ses_identities(template: Template, resolver: Resolver) -> list[str]:
    """The sender identities the template declares (SES refuses any other sender)."""
    identities = []
    for resource in template.of_type("AWS::SES::EmailIdentity"):
        name = resolver.resolve_lenient(resource.properties.get("EmailIdentity"), placeholder="")
        if name:
            identities.append(str(name))
    return identities


class StateLock:
    """An exclusive, non-blocking lock on `<state>/runtime.lock` (released when the process dies)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE
        self._handle: TextIO | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AlreadyRunning(
                f"a local runtime is already running (pid {holder}) with state in {self.path.parent}: "
                "stop it first (Ctrl-C), or give this one another --state-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class DynamoDBEngine(enum.Enum):
    """Which DynamoDB the runtime talks to."""

    LOCAL = "local"  # DynamoDB Local, AWS's own engine, as a child JVM
    MOTO = "moto"  # moto's DynamoDB in the AWS emulator (no Java; keeps nothing)
    EXTERNAL = "external"  # an endpoint given with --dynamodb URL


@dataclass
class LocalRuntime:
    """The local system. `start()` runs `start_steps()` in order, timing each; `stop()` undoes them."""

    options: Options
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    ddb_local: DynamoDBLocal | None = None
    aws: AwsEmulator | None = None
    zygote: Zygote | None = None
    front: ApiFront | None = None
    ses: LocalSes | None = None
    websocket: WebSocketFront | None = None
    pollers: list[StreamPoller] = field(default_factory=list)
    functions: dict[str, LocalFunction] = field(default_factory=dict)
    engine: DynamoDBEngine = DynamoDBEngine.LOCAL
    dynamodb_endpoint: str = ""
    aws_endpoint: str = ""
    template: Template | None = None
    resolver: Resolver | None = None
    provisioned: Provisioned = field(default_factory=Provisioned)
    clients: dict[str, Any] = field(default_factory=dict)
    users: list[demo.DemoUser] = field(default_factory=list)
    _lock: StateLock | None = None

    @property
    def state_dir(self) -> Path:
        return self.options.state_dir

    @property
    def outputs_path(self) -> Path:
        return self.state_dir / OUTPUTS_FILE

    @property
    def dynamodb_engine(self) -> str:
        return self.engine.value

    def start_steps(self) -> list[tuple[str, Callable[[], None]]]:
        """The start-up steps in order: (name for the timings, step). A new part of the local
        system adds its step here (and undoes it in `stop`)."""
        return [
            ("lock", self._take_state_lock),
            ("launch", self._launch_dynamodb),  # the JVM boots (about 3 s) while the rest goes on
            ("zygote", self._start_zygote),  # imports the handlers' libraries meanwhile
            ("template", self._load_template),
            ("aws_emulator", self._start_aws_emulator),
            ("provision_aws", self._provision_aws),
            ("ses", self._start_ses),
            ("functions", self._load_functions),
            ("websocket_front", self._start_websocket),  # the pusher's environment names its endpoint
            ("environments", self._start_environments),
            ("dynamodb", self._wait_for_dynamodb),
            ("provision_tables", self._provision_tables),
            ("pollers", self._start_pollers),
            ("http_front", self._start_front),
            ("demo", self._seed_demo),
            ("outputs", self._write_outputs),
        ]

    def start(self) -> None:
        started = time.monotonic()
        for name, step in self.start_steps():
            step_started = time.monotonic()
            step()
            self.timings[name] = round(time.monotonic() - step_started, 3)
        self.timings["ready"] = round(time.monotonic() - started, 3)

    # -- the steps, in order ----------------------------------------------------------------------

    def _take_state_lock(self) -> None:
        self._lock = StateLock(self.state_dir)
        self._lock.acquire()
        # A stale outputs file would tell clients about ports that are gone.
        self.outputs_path.unlink(missing_ok=True)

    def _launch_dynamodb(self) -> None:
        self.engine, endpoint = self._choose_dynamodb()
        if self.engine is DynamoDBEngine.LOCAL:
            db_path = None if self.options.in_memory else (self.state_dir / "dynamodb").resolve()
            self.ddb_local = DynamoDBLocal(db_path=db_path)
            self.ddb_local.launch()
            assert self.ddb_local.port is not None
            endpoint = f"http://127.0.0.1:{self.ddb_local.port}"
        self.dynamodb_endpoint = endpoint  # for moto: set once the emulator runs

    def _start_zygote(self) -> None:
        # Workers must not inherit a developer's AWS profile or session: the local endpoints
        # take the dummy keys only.
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        self.zygote = Zygote()
        self.zygote.start()

    def _load_template(self) -> None:
        options = self.options
        template_file = options.template or ensure_template(
            PROJECT_ROOT / "cdk.out", options.stage, synth=options.synth
        )
        self.template = Template.load(template_file, stack_name(options.stage))
        self.resolver = Resolver(self.template)

    def _start_aws_emulator(self) -> None:
        # The user pool and its signing key live in the state directory (in memory with --in-memory).
        pools = UserPools.for_state(None if self.options.in_memory else self.state_dir, REGION)
        self.aws = AwsEmulator(self.options.aws_port, user_pools=pools)
        self.aws_endpoint = self.aws.start()
        if self.engine is DynamoDBEngine.MOTO:
            self.dynamodb_endpoint = self.aws_endpoint
        self.clients = {
            "cognito-idp": client("cognito-idp", self.aws_endpoint),
            "sns": client("sns", self.aws_endpoint),
            "sqs": client("sqs", self.aws_endpoint),
        }
        self._dynamodb_clients()

    def _dynamodb_clients(self) -> None:
        self.clients["dynamodb"] = client("dynamodb", self.dynamodb_endpoint)
        self.clients["dynamodbstreams"] = client("dynamodbstreams", self.dynamodb_endpoint)

    def _provision_aws(self) -> None:
        template, resolver = self._loaded()
        record_table_names(template, resolver)
        provision_cognito(template, resolver, self.clients["cognito-idp"], self.provisioned)
        provision_messaging(template, resolver, self.clients["sns"], self.clients["sqs"], self.provisioned)
        record_functions_and_rest(template, resolver)

    def _function_environment(self) -> dict[str, str]:
        """What every function's environment adds to the template's: the local endpoints, dummy
        credentials, and Powertools settings for a machine without X-Ray or CloudWatch."""
        environment = {
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_endpoint,
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": self.dynamodb_endpoint,
        }
        if self.ses is not None:
            environment["AWS_ENDPOINT_URL_SESV2"] = self.ses.endpoint
        return environment

    def _start_ses(self) -> None:
        """Customer e-mail: SES v2 answered on loopback, every message kept in <state-dir>/mail/."""
        template, resolver = self._loaded()
        self.ses = LocalSes(self.state_dir / MAIL_DIR, _ses_identities(template, resolver))
        self.ses.start()

    def _load_functions(self) -> None:
        template, resolver = self._loaded()
        overrides = {
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
            "POWERTOOLS_METRICS_DISABLED": "true",  # EMF lines would flood the console
            "POWERTOOLS_LOG_LEVEL": self.options.handler_log_level,
        }
        self.functions = load_functions(template, resolver, overrides)

    def _wait_for_dynamodb(self) -> None:
        if self.ddb_local is None:
            return
        endpoint = self.ddb_local.wait_until_ready()
        if endpoint != self.dynamodb_endpoint:
            # It lost a port race and was relaunched: the environments must use the new port.
            self.dynamodb_endpoint = endpoint
            self._dynamodb_clients()
            stop_environments(self.functions)
            assert self.zygote is not None
            start_environments(self.functions, self.zygote, self._function_environment(), self.options.concurrency)

    def _provision_tables(self) -> None:
        template, resolver = self._loaded()
        provision_tables(template, resolver, self.clients["dynamodb"], self.provisioned)

    def _start_pollers(self) -> None:
        template, resolver = self._loaded()
        tables_by_stream = {
            values["StreamArn"]: values["Ref"] for values in self.provisioned.tables.values() if "StreamArn" in values
        }
        persistent = self.engine is not DynamoDBEngine.MOTO and not self.options.in_memory
        self.pollers = build_pollers(
            template.of_type("AWS::Lambda::EventSourceMapping"),
            resolver=resolver,
            functions=self.functions,
            tables_by_stream=tables_by_stream,
            fresh_tables=set(self.provisioned.created_tables),
            clients=self.clients,
            checkpoint_dir=(self.state_dir / "checkpoints") if persistent else None,
            poll_interval_s=self.options.poll_interval_s,
            max_window_s=self.options.max_batching_window_s,
        )
        for poller in self.pollers:
            poller.start()

    def _start_front(self) -> None:
        template, resolver = self._loaded()
        routes = Routes.from_template(template, resolver, self.functions)
        if routes is None:
            raise TemplateError("the template has no REST API (AWS::ApiGateway::RestApi) to serve")
        verifier = self._verifier(template, resolver, self.provisioned, self.aws_endpoint)
        self.front = ApiFront(routes, verifier=verifier, stage=self.options.stage, port=self.options.port)
        self.front.start()

    def _seed_demo(self) -> None:
        if not self.options.seed or not self.provisioned.user_pools:
            return
        template, resolver = self._loaded()
        assert self.front is not None
        pool_id = next(iter(self.provisioned.user_pools.values()))
        groups = {
            str(resolver.resolve(r.properties.get("GroupName")))
            for r in template.of_type("AWS::Cognito::UserPoolGroup")
            if r.properties.get("GroupName")
        }
        self.users = demo.create_users(self.clients["cognito-idp"], pool_id, groups)
        writes = demo.seed_tenants(self.front.call) + demo.seed_catalogue(self.front.call)
        log.info("demo: %d users, %d registry and catalogue writes", len(self.users), writes)

    def _write_outputs(self) -> None:
        template, resolver = self._loaded()
        assert self.front is not None
        self.outputs = {
            **stack_outputs(template, resolver, self.front.url),
            "AwsEndpointUrl": self.aws_endpoint,
            "DynamoDbEndpointUrl": self.dynamodb_endpoint,
            "DynamoDbEngine": self.dynamodb_engine,
            "DemoUsers": demo.users_for_outputs(self.users),
            "MailDirectory": str(self.ses.mail.path.resolve()) if self.ses is not None else "",
        }
        if self.websocket is not None:
            self.outputs[OUTPUT_WEBSOCKET_URL] = self.websocket.url
        write_atomically(self.outputs_path, {template.stack_name: self.outputs})

    def _loaded(self) -> tuple[Template, Resolver]:
        if self.template is None or self.resolver is None:
            raise RuntimeError("the template is not loaded yet")
        return self.template, self.resolver

    def _start_websocket(self) -> None:
        """The WebSocket API the template declares, if any (before the execution environments
        start: the pusher's environment names its @connections endpoint)."""
        template, resolver = self._loaded()
        routes = WebSocketRoutes.from_template(template, resolver, self.functions)
        if routes is None:
            return
        self.websocket = WebSocketFront(routes)
        self.websocket.start()
        # The pusher's @connections endpoint, which the template names as the deployed stage's
        # callback URL: a function's own variables win over the runtime's, so it is replaced there.
        for function in self.functions.values():
            if ENV_WEBSOCKET_CALLBACK_URL in function.environment:
                function.environment[ENV_WEBSOCKET_CALLBACK_URL] = self.websocket.management_url

    def _start_environments(self) -> None:
        """Each function's first execution environment, while DynamoDB Local may still be booting:
        the environments only need the tables' names and the endpoints, which are known."""
        assert self.zygote is not None
        start_environments(self.functions, self.zygote, self._function_environment(), self.options.concurrency)

    def _choose_dynamodb(self) -> tuple[DynamoDBEngine, str]:
        choice = self.options.dynamodb
        if choice.startswith(("http://", "https://")):
            return DynamoDBEngine.EXTERNAL, choice
        if choice == "moto":
            return DynamoDBEngine.MOTO, ""
        if choice not in ("auto", "local"):
            raise ValueError(f"--dynamodb must be auto, local, moto or an http(s):// URL, not {choice!r}")
        if find_java():
            return DynamoDBEngine.LOCAL, ""
        if choice == "local":
            raise RuntimeError("--dynamodb local needs Java 17+ (`python -m local.java --check` says how)")
        log.warning(
            "no Java 17+ found: using moto's DynamoDB instead (serialized, keeps nothing). For AWS's own "
            "engine install Java 17+ (Debian: apt-get install openjdk-17-jre-headless) and restart."
        )
        return DynamoDBEngine.MOTO, ""

    def _verifier(
        self, template: Template, resolver: Resolver, provisioned: Provisioned, aws_endpoint: str
    ) -> TokenVerifier | None:
        pool_id = None
        for authorizer in template.of_type("AWS::ApiGateway::Authorizer"):
            arns = resolver.resolve_lenient(authorizer.properties.get("ProviderARNs") or [], placeholder="")
            for arn in arns or []:
                pool_id = str(arn).rsplit("/", 1)[-1]
                break
        if pool_id is None and provisioned.user_pools:
            pool_id = next(iter(provisioned.user_pools.values()))
        if pool_id is None:
            return None
        # The pool's app clients: an ID token's audience is the client it was issued to.
        audiences = []
        for resource in template.of_type("AWS::Cognito::UserPoolClient"):
            if resolver.resolve_lenient(resource.properties.get("UserPoolId")) == pool_id:
                audiences.append(str(resolver.ref(resource.logical_id)))
        return TokenVerifier(
            jwks_url=f"{aws_endpoint}/{pool_id}/.well-known/jwks.json",
            issuer=f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}",
            audiences=audiences,
        )

    def stop(self, budget_s: float = STOP_BUDGET_S) -> None:
        """Stop everything, the JVM included, within about `budget_s`; safe at any point of `start`."""
        deadline = time.monotonic() + budget_s
        for poller in self.pollers:
            poller.stop_event.set()
        if self.front is not None:
            try:
                self.front.stop()
            finally:
                self.front = None
        if self.websocket is not None:
            try:
                self.websocket.stop()
            finally:
                self.websocket = None
        for poller in self.pollers:
            # A batch in flight is left to finish within the budget; it is not checkpointed
            # otherwise and is delivered again after a restart (at least once, as Lambda).
            poller.stop(timeout=max(0.1, deadline - time.monotonic() - 1.5))
        self.pollers = []
        # The workers and the zygote exit on EOF while the JVM stops; whatever is left is killed.
        workers = close_environments(self.functions)
        if self.zygote is not None:
            self.zygote.close()
        if self.ddb_local is not None:
            self.ddb_local.stop(timeout=max(0.5, min(2.0, deadline - time.monotonic() - 0.5)))
            self.ddb_local = None
        reap(workers, grace_s=0.3)
        if self.zygote is not None:
            self.zygote.stop(timeout=0.5)
            self.zygote = None
        if self.aws is not None:
            self.aws.stop()
            self.aws = None
        if self.ses is not None:
            self.ses.stop()
            self.ses = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def example(self) -> str:
        """A copy-paste example: a token from the local Cognito, then POST /orders."""
        users = self.outputs.get("DemoUsers") or []
        user = next((u for u in users if u["role"] == "admin"), None)
        if user is None:
            return ""
        login = json.dumps(
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": self.outputs.get("UserPoolClientId"),
                "AuthParameters": {"USERNAME": user["username"], "PASSWORD": user["password"]},
            }
        )
        order = json.dumps(
            {
                "customerId": "CUST-001",
                "items": [{"productCode": "PRD-001", "name": "Wireless Mouse", "quantity": 2, "price": 29.99}],
                "shippingAddress": {
                    "street": "123 Main St",
                    "city": "Tokyo",
                    "postalCode": "100-0001",
                    "country": "JP",
                },
                "paymentMethod": "credit_card",
            }
        )
        return (
            f"TOKEN=$(curl -s {self.outputs['AwsEndpointUrl']}/ "
            "-H 'Content-Type: application/x-amz-json-1.1' "
            "-H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' "
            f"-d '{login}' | python3 -c 'import sys, json; "
            'print(json.load(sys.stdin)["AuthenticationResult"]["IdToken"])\')\n'
            f'curl -s -X POST {self.outputs["ApiUrl"]}orders -H "Authorization: Bearer $TOKEN" '
            f"-H 'Content-Type: application/json' -d '{order}'"
        )
