"""The whole local system in one object: `LocalRuntime(options).start()` ... `.stop()`.

Order of start: DynamoDB Local's JVM is launched first (it boots in about 3 s while the rest
happens), then the template is synthesized if stale, moto's server starts, the tables, pool,
topics and queues are provisioned, the handlers are imported, one poller per event source mapping
takes its position, the HTTP front binds, the demo is seeded through the API handler, and the
outputs file is written. `stop()` undoes it in reverse and always stops the JVM.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from infra.names import API_HANDLER, OUTPUT_WEBSOCKET_URL, stack_name
from infra.names import ENV_WEBSOCKET_CALLBACK_URL as WEBSOCKET_CALLBACK_URL_ENV
from local import demo
from local.aws_emulator import AwsEmulator
from local.dynamodb_local import DynamoDBLocal
from local.functions import LocalFunction, load_functions
from local.http_front import ApiFront, Routes, TokenVerifier
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
from local.template import PROJECT_ROOT, REGION, Resolver, Template, ensure_template
from local.websocket_front import WebSocketFront, WebSocketRoutes

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


@dataclass
class LocalRuntime:
    options: Options
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    ddb_local: DynamoDBLocal | None = None
    aws: AwsEmulator | None = None
    front: ApiFront | None = None
    ses: LocalSes | None = None
    websocket: WebSocketFront | None = None
    pollers: list[StreamPoller] = field(default_factory=list)
    functions: dict[str, LocalFunction] = field(default_factory=dict)
    dynamodb_endpoint: str = ""
    dynamodb_engine: str = ""
    _lock: StateLock | None = None

    @property
    def state_dir(self) -> Path:
        return self.options.state_dir

    @property
    def outputs_path(self) -> Path:
        return self.state_dir / OUTPUTS_FILE

    def _mark(self, step: str, since: float) -> float:
        now = time.monotonic()
        self.timings[step] = round(now - since, 3)
        return now

    def start(self) -> None:
        started = time.monotonic()
        options = self.options
        self._lock = StateLock(self.state_dir)
        self._lock.acquire()
        # A stale outputs file would tell clients about ports that are gone.
        self.outputs_path.unlink(missing_ok=True)

        engine = self._choose_dynamodb()
        if engine == "local":
            db_path = None if options.in_memory else (self.state_dir / "dynamodb").resolve()
            self.ddb_local = DynamoDBLocal(db_path=db_path)
            self.ddb_local.launch()  # boots while the rest is prepared
        step = self._mark("launch", started)

        template_file = options.template or ensure_template(
            PROJECT_ROOT / "cdk.out", options.stage, synth=options.synth
        )
        template = Template.load(template_file, stack_name(options.stage))
        step = self._mark("template", step)

        self.aws = AwsEmulator(options.aws_port)
        aws_endpoint = self.aws.start()
        step = self._mark("aws_emulator", step)

        if engine == "local":
            assert self.ddb_local is not None and self.ddb_local.port is not None
            ddb_endpoint = f"http://127.0.0.1:{self.ddb_local.port}"
        elif engine == "moto":
            ddb_endpoint = aws_endpoint
        else:
            ddb_endpoint = engine
        self.dynamodb_engine = engine if engine in ("local", "moto") else "external"
        clients = {
            "dynamodb": client("dynamodb", ddb_endpoint),
            "dynamodbstreams": client("dynamodbstreams", ddb_endpoint),
            "cognito-idp": client("cognito-idp", aws_endpoint),
            "sns": client("sns", aws_endpoint),
            "sqs": client("sqs", aws_endpoint),
        }
        resolver = Resolver(template)
        provisioned = Provisioned()
        record_table_names(template, resolver)
        provision_cognito(template, resolver, clients["cognito-idp"], provisioned)
        provision_messaging(template, resolver, clients["sns"], clients["sqs"], provisioned)
        record_functions_and_rest(template, resolver)
        step = self._mark("provision_aws", step)

        # The handlers are imported while DynamoDB Local may still be booting: their environment
        # only needs the tables' names, which are stable.
        base_env = {
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": aws_endpoint,
            "AWS_ENDPOINT_URL_DYNAMODB": ddb_endpoint,
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": ddb_endpoint,
        }
        # Customer e-mail: SES v2 answered on loopback, every message kept in <state-dir>/mail/.
        self.ses = LocalSes(self.state_dir / MAIL_DIR, _ses_identities(template, resolver))
        base_env["AWS_ENDPOINT_URL_SESV2"] = self.ses.start()
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        overrides = {
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
            "POWERTOOLS_METRICS_DISABLED": "true",  # EMF lines would flood the console
            "POWERTOOLS_LOG_LEVEL": options.handler_log_level,
        }
        self.functions = load_functions(template, resolver, base_env, overrides)
        step = self._mark("import_handlers", step)

        if engine == "local":
            assert self.ddb_local is not None
            self.dynamodb_endpoint = self.ddb_local.wait_until_ready()
            if self.dynamodb_endpoint != ddb_endpoint:  # it lost a port race and was relaunched
                for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS"):
                    os.environ[name] = self.dynamodb_endpoint
                clients["dynamodb"] = client("dynamodb", self.dynamodb_endpoint)
                clients["dynamodbstreams"] = client("dynamodbstreams", self.dynamodb_endpoint)
        else:
            self.dynamodb_endpoint = ddb_endpoint
        step = self._mark("dynamodb", step)

        provision_tables(template, resolver, clients["dynamodb"], provisioned)
        step = self._mark("provision_tables", step)

        tables_by_stream = {
            values["StreamArn"]: values["Ref"] for values in provisioned.tables.values() if "StreamArn" in values
        }
        persistent = engine != "moto" and not options.in_memory
        self.pollers = build_pollers(
            template.of_type("AWS::Lambda::EventSourceMapping"),
            resolver=resolver,
            functions=self.functions,
            tables_by_stream=tables_by_stream,
            fresh_tables=set(provisioned.created_tables),
            clients=clients,
            checkpoint_dir=(self.state_dir / "checkpoints") if persistent else None,
            poll_interval_s=options.poll_interval_s,
            max_window_s=options.max_batching_window_s,
        )
        for poller in self.pollers:
            poller.start()
        step = self._mark("pollers", step)

        routes = Routes.from_template(template, resolver, self.functions)
        if routes is None:
            api = next((f for f in self.functions.values() if f.handler_string == API_HANDLER), None)
            if api is None:
                raise RuntimeError("the template has neither a REST API nor the API function")
            routes = Routes.catch_all(api)
        verifier = self._verifier(template, resolver, provisioned, aws_endpoint)
        self.front = ApiFront(routes, verifier=verifier, stage=options.stage, port=options.port)
        self.front.start()
        step = self._mark("http_front", step)
        self._start_websocket(template, resolver)
        step = self._mark("websocket_front", step)

        users: list[demo.DemoUser] = []
        if options.seed and provisioned.user_pools:
            pool_id = next(iter(provisioned.user_pools.values()))
            groups = {
                str(resolver.resolve(r.properties.get("GroupName")))
                for r in template.of_type("AWS::Cognito::UserPoolGroup")
                if r.properties.get("GroupName")
            }
            users = demo.create_users(clients["cognito-idp"], pool_id, groups)
            writes = demo.seed_catalogue(self.front.call)
            log.info("demo: %d users, %d catalogue writes", len(users), writes)
        step = self._mark("demo", step)

        self.outputs = {
            **stack_outputs(template, resolver, self.front.url),
            "AwsEndpointUrl": aws_endpoint,
            "DynamoDbEndpointUrl": self.dynamodb_endpoint,
            "DynamoDbEngine": self.dynamodb_engine,
            "DemoUsers": demo.users_for_outputs(users),
            "MailDirectory": str(self.ses.mail.path.resolve()),
        }
        if self.websocket is not None:
            self.outputs[OUTPUT_WEBSOCKET_URL] = self.websocket.url
        write_atomically(self.outputs_path, {template.stack_name: self.outputs})
        self._mark("outputs", step)
        self.timings["ready"] = round(time.monotonic() - started, 3)

    def _start_websocket(self, template: Template, resolver: Resolver) -> None:
        """The WebSocket API, and its @connections endpoint in the variable the pusher reads (the
        stage's callback URL when deployed)."""
        routes = WebSocketRoutes.from_template(template, resolver, self.functions)
        if routes is None:
            return
        self.websocket = WebSocketFront(routes)
        self.websocket.start()
        os.environ[WEBSOCKET_CALLBACK_URL_ENV] = self.websocket.management_url
        for function in self.functions.values():
            function.environment[WEBSOCKET_CALLBACK_URL_ENV] = self.websocket.management_url

    def _choose_dynamodb(self) -> str:
        choice = self.options.dynamodb
        if choice.startswith(("http://", "https://")):
            return choice
        if choice == "moto":
            return "moto"
        if find_java():
            return "local"
        if choice == "local":
            raise RuntimeError("--dynamodb local needs Java 17+ (`python -m local.java --check` says how)")
        log.warning(
            "no Java 17+ found: using moto's DynamoDB instead (serialized, keeps nothing). For AWS's own "
            "engine install Java 17+ (Debian: apt-get install openjdk-17-jre-headless) and restart."
        )
        return "moto"

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
        if self.ddb_local is not None:
            self.ddb_local.stop(timeout=max(0.5, min(2.0, deadline - time.monotonic() - 0.5)))
            self.ddb_local = None
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
