"""The local user pools' Cognito operations, keeping the template's rules (records: `local.cognito.model`).

moto's Cognito accepts `SignUp` on a pool that allows only admin-created users, any confirmation
code, and a user's rewrite of attributes the app client may not write or that are immutable, and
signs every token with a key shipped inside its package. This pool keeps what the template says:

- `AdminCreateUserConfig.AllowAdminCreateUserOnly`: `SignUp` is refused (NotAuthorizedException);
  on a pool that allows it, `ConfirmSignUp` takes only the code this pool issued (it is logged);
- the app client's `WriteAttributes`: `UpdateUserAttributes` (a user changing their own
  attributes) may write only those (NotAuthorizedException otherwise);
- the schema's `Mutable: false`: no one changes an immutable attribute after creation, an admin
  included (InvalidParameterException);
- the password policy, `ExplicitAuthFlows`, disabled users, `AdminUserGlobalSignOut` (refresh
  tokens and access tokens issued before it stop working), and the client's `ReadAttributes`
  (what an ID token carries).

ID and access tokens are RS256 JWTs signed with the state directory's `SigningKey`. Pool and
client ids are derived from their names, so a restart on the same state finds the same pool (and
tokens from before it verify while the key is the same). Everything is kept in
`<state>/cognito/pools.json` (passwords as scrypt hashes), rewritten atomically after each change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import string
import threading
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jwt

from local.cognito.model import (
    STANDARD_ATTRIBUTES,
    AppClient,
    CognitoError,
    Pool,
    User,
    attributes_of,
    hash_password,
    id_from,
    password_matches,
    token_validity,
)
from local.cognito.signing_key import SigningKey

log = logging.getLogger("local")

SESSION_TTL_S = 180  # Cognito's challenge sessions last 3 minutes
LIST_USERS_MAX = 60
MAX_SESSIONS_PER_USER = 50


class UserPools:
    """Every local pool and the Cognito operations on them (one call at a time: the AWS emulator
    serializes its requests, and a lock guards direct callers too)."""

    def __init__(self, key: SigningKey, region: str, path: Path | None = None) -> None:
        self.key = key
        self.region = region
        self.path = path
        self.pools: dict[str, Pool] = {}
        self._sessions: dict[str, tuple[str, str, float]] = {}  # session -> (pool, username, expiry)
        self._lock = threading.RLock()
        if path is not None and path.exists():
            self._load(path)

    @classmethod
    def for_state(cls, state_dir: Path | None, region: str) -> UserPools:
        """Pools and key kept in `<state_dir>/cognito/` (None: in memory only)."""
        folder = state_dir / "cognito" if state_dir is not None else None
        key = SigningKey.load_or_create(folder / "signing-key.pem" if folder is not None else None)
        return cls(key, region, folder / "pools.json" if folder is not None else None)

    def issuer(self, pool_id: str) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{pool_id}"

    # -- persistence --------------------------------------------------------------------------------

    def _load(self, path: Path) -> None:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("ignoring unreadable user pools %s: %s", path, error)
            return
        for raw in document.get("pools", []):
            clients = {c["client_id"]: AppClient(**c) for c in raw.pop("clients", [])}
            users = {u["username"]: User(**u) for u in raw.pop("users", [])}
            self.pools[raw["pool_id"]] = Pool(**raw, clients=clients, users=users)

    def _save(self) -> None:
        if self.path is None:
            return
        document = {
            "pools": [
                {
                    **{k: v for k, v in asdict(pool).items() if k not in ("clients", "users")},
                    "clients": [asdict(c) for c in pool.clients.values()],
                    "users": [asdict(u) for u in pool.users.values()],
                }
                for pool in self.pools.values()
            ]
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        os.replace(temporary, self.path)

    # -- dispatch -----------------------------------------------------------------------------------

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Run one Cognito operation (`AdminCreateUser`, ...) and return its answer."""
        method = getattr(self, f"op_{operation}", None)
        if method is None:
            raise CognitoError("InvalidParameterException", f"{operation} is not supported by the local user pool")
        with self._lock:
            answer: dict[str, Any] = method(request)
            return answer

    def pool(self, pool_id: Any) -> Pool:
        if not isinstance(pool_id, str) or pool_id not in self.pools:
            raise CognitoError("ResourceNotFoundException", f"User pool {pool_id} does not exist.")
        return self.pools[pool_id]

    def _pool_of_client(self, client_id: Any) -> tuple[Pool, AppClient]:
        for pool in self.pools.values():
            if client_id in pool.clients:
                return pool, pool.clients[client_id]
        raise CognitoError("ResourceNotFoundException", f"User pool client {client_id} does not exist.")

    # -- provisioning (idempotent: the same name gives the same pool, client and group) -------------

    def op_CreateUserPool(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802 - Cognito's name
        name = str(request["PoolName"])
        pool_id = f"{self.region}_{id_from(name, 9, string.ascii_letters + string.digits)}"
        schema = request.get("Schema") or []
        existing = self.pools.get(pool_id)
        pool = Pool(
            pool_id=pool_id,
            name=name,
            admin_create_only=bool((request.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly")),
            immutable=["sub"]
            + [
                (name if name in STANDARD_ATTRIBUTES else f"custom:{name}")
                for name in (str(a["Name"]) for a in schema if str(a.get("Mutable", True)).lower() == "false")
            ],
            custom_attributes=[f"custom:{a['Name']}" for a in schema if str(a["Name"]) not in STANDARD_ATTRIBUTES],
            username_is_email="email" in (request.get("UsernameAttributes") or []),
            password_policy=dict((request.get("Policies") or {}).get("PasswordPolicy") or {}),
            clients=existing.clients if existing else {},
            groups=existing.groups if existing else {},
            users=existing.users if existing else {},
        )
        self.pools[pool_id] = pool
        self._save()
        return {"UserPool": {"Id": pool_id, "Name": name, "Arn": pool.arn}}

    def op_CreateUserPoolClient(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool = self.pool(request.get("UserPoolId"))
        name = str(request["ClientName"])
        client_id = id_from(f"{pool.pool_id}/{name}", 26, string.ascii_lowercase + string.digits)
        pool.clients[client_id] = AppClient(
            client_id=client_id,
            name=name,
            explicit_auth_flows=list(request.get("ExplicitAuthFlows") or []),
            read_attributes=request.get("ReadAttributes"),
            write_attributes=request.get("WriteAttributes"),
            validity_s=token_validity(request),
        )
        self._save()
        return {"UserPoolClient": {"UserPoolId": pool.pool_id, "ClientName": name, "ClientId": client_id}}

    def op_CreateGroup(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool = self.pool(request.get("UserPoolId"))
        name = str(request["GroupName"])
        if name in pool.groups:
            raise CognitoError("GroupExistsException", "A group with the name already exists.")
        pool.groups[name] = {"GroupName": name, "UserPoolId": pool.pool_id, "Description": request.get("Description")}
        self._save()
        return {"Group": pool.groups[name]}

    # -- administration -----------------------------------------------------------------------------

    def op_AdminCreateUser(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool = self.pool(request.get("UserPoolId"))
        name = str(request["Username"])
        attributes = attributes_of(request.get("UserAttributes"))
        pool.check_known(list(attributes))
        if pool.find(name) is not None or (
            pool.username_is_email and attributes.get("email") and pool.find(attributes["email"])
        ):
            raise CognitoError("UsernameExistsException", "User account already exists")
        if pool.username_is_email:
            if "@" not in name:
                raise CognitoError("InvalidParameterException", "Username should be an email.")
            attributes.setdefault("email", name)
        sub = str(uuid.uuid4())
        username = sub if pool.username_is_email else name
        attributes["sub"] = sub
        temporary = request.get("TemporaryPassword")
        if temporary is None:
            temporary = secrets.token_urlsafe(9) + "aA1!"
        pool.check_password(str(temporary))
        user = User(username, attributes, "FORCE_CHANGE_PASSWORD", password_hash=hash_password(str(temporary)))
        pool.users[username] = user
        if request.get("MessageAction") != "SUPPRESS":
            log.info("user pool: temporary password for %s: %s", attributes.get("email", name), temporary)
        self._save()
        return {"User": user.describe()}

    def op_AdminSetUserPassword(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool = self.pool(request.get("UserPoolId"))
        user = pool.user(str(request["Username"]))
        password = str(request["Password"])
        pool.check_password(password)
        user.password_hash = hash_password(password)
        user.status = "CONFIRMED" if request.get("Permanent") else "FORCE_CHANGE_PASSWORD"
        user.modified = time.time()
        self._save()
        return {}

    def op_AdminAddUserToGroup(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool = self.pool(request.get("UserPoolId"))
        user = pool.user(str(request["Username"]))
        group = str(request["GroupName"])
        if group not in pool.groups:
            raise CognitoError("ResourceNotFoundException", "Group not found.")
        if group not in user.groups:
            user.groups.append(group)
            self._save()
        return {}

    def op_AdminGetUser(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        user = self.pool(request.get("UserPoolId")).user(str(request["Username"]))
        return user.describe("UserAttributes")

    def op_AdminDeleteUser(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool = self.pool(request.get("UserPoolId"))
        user = pool.user(str(request["Username"]))
        del pool.users[user.username]
        self._save()
        return {}

    def op_AdminDisableUser(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self._set_enabled(request, False)

    def op_AdminEnableUser(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self._set_enabled(request, True)

    def _set_enabled(self, request: dict[str, Any], enabled: bool) -> dict[str, Any]:
        user = self.pool(request.get("UserPoolId")).user(str(request["Username"]))
        user.enabled = enabled
        user.modified = time.time()
        self._save()
        return {}

    def op_AdminUserGlobalSignOut(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        user = self.pool(request.get("UserPoolId")).user(str(request["Username"]))
        user.sessions.clear()
        self._save()
        return {}

    def op_AdminUpdateUserAttributes(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool = self.pool(request.get("UserPoolId"))
        user = pool.user(str(request["Username"]))
        attributes = attributes_of(request.get("UserAttributes"))
        pool.check_known(list(attributes))
        pool.check_mutable(list(attributes))  # an admin may not change an immutable attribute either
        user.attributes.update(attributes)
        user.modified = time.time()
        self._save()
        return {}

    def op_ListUsers(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool = self.pool(request.get("UserPoolId"))
        if request.get("Filter"):
            raise CognitoError("InvalidParameterException", "ListUsers Filter is not supported by the local pool")
        limit = int(request.get("Limit") or LIST_USERS_MAX)
        if not 1 <= limit <= LIST_USERS_MAX:
            raise CognitoError("InvalidParameterException", f"Limit must be between 1 and {LIST_USERS_MAX}")
        start = int(request.get("PaginationToken") or 0)
        users = sorted(pool.users.values(), key=lambda u: u.created)
        page = users[start : start + limit]
        answer: dict[str, Any] = {"Users": [user.describe() for user in page]}
        if start + limit < len(users):
            answer["PaginationToken"] = str(start + limit)
        return answer

    # -- sign-up (refused where only admins create users) -------------------------------------------

    def op_SignUp(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool, _ = self._pool_of_client(request.get("ClientId"))
        if pool.admin_create_only:
            raise CognitoError("NotAuthorizedException", "SignUp is not permitted for this user pool")
        created = self.op_AdminCreateUser(
            {
                "UserPoolId": pool.pool_id,
                "Username": request["Username"],
                "UserAttributes": request.get("UserAttributes"),
                "TemporaryPassword": request["Password"],
                "MessageAction": "SUPPRESS",
            }
        )
        user = pool.user(created["User"]["Username"])
        user.status = "UNCONFIRMED"
        user.confirmation_code = f"{secrets.randbelow(10**6):06d}"
        log.info("user pool: confirmation code for %s: %s", request["Username"], user.confirmation_code)
        self._save()
        return {"UserConfirmed": False, "UserSub": user.attributes["sub"]}

    def op_ConfirmSignUp(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool, _ = self._pool_of_client(request.get("ClientId"))
        user = pool.user(str(request["Username"]))
        code = user.confirmation_code
        if user.status != "UNCONFIRMED" or code is None:
            raise CognitoError("NotAuthorizedException", f"User cannot be confirmed. Current status is {user.status}")
        if not hmac.compare_digest(str(request.get("ConfirmationCode", "")), code):
            raise CognitoError("CodeMismatchException", "Invalid verification code provided, please try again.")
        user.status, user.confirmation_code = "CONFIRMED", None
        self._save()
        return {}

    # -- sign-in and tokens -------------------------------------------------------------------------

    def op_InitiateAuth(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool, client = self._pool_of_client(request.get("ClientId"))
        flow = str(request.get("AuthFlow"))
        parameters = request.get("AuthParameters") or {}
        if flow == "USER_PASSWORD_AUTH":
            if not client.allows("ALLOW_USER_PASSWORD_AUTH"):
                raise CognitoError("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
            user = pool.find(str(parameters.get("USERNAME", "")))
            if user is None or not password_matches(str(parameters.get("PASSWORD", "")), user.password_hash):
                raise CognitoError("NotAuthorizedException", "Incorrect username or password.")
            self._check_can_sign_in(user)
            if user.status == "FORCE_CHANGE_PASSWORD":
                session = secrets.token_urlsafe(32)
                self._sessions[session] = (pool.pool_id, user.username, time.time() + SESSION_TTL_S)
                return {
                    "ChallengeName": "NEW_PASSWORD_REQUIRED",
                    "Session": session,
                    "ChallengeParameters": {
                        "USER_ID_FOR_SRP": user.username,
                        "requiredAttributes": "[]",
                        "userAttributes": json.dumps({k: v for k, v in user.attributes.items() if k != "sub"}),
                    },
                }
            return {"ChallengeParameters": {}, "AuthenticationResult": self._tokens(pool, client, user)}
        if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            if not client.allows("ALLOW_REFRESH_TOKEN_AUTH"):
                raise CognitoError("InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")
            digest = hashlib.sha256(str(parameters.get("REFRESH_TOKEN", "")).encode()).hexdigest()
            for user in pool.users.values():
                for origin, (client_id, refresh_digest) in user.sessions.items():
                    if client_id == client.client_id and hmac.compare_digest(refresh_digest, digest):
                        self._check_can_sign_in(user)
                        tokens = self._tokens(pool, client, user, origin=origin)
                        return {"ChallengeParameters": {}, "AuthenticationResult": tokens}
            raise CognitoError("NotAuthorizedException", "Invalid Refresh Token")
        raise CognitoError("InvalidParameterException", f"AuthFlow {flow} is not supported by the local user pool")

    def op_RespondToAuthChallenge(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool, client = self._pool_of_client(request.get("ClientId"))
        if request.get("ChallengeName") != "NEW_PASSWORD_REQUIRED":
            raise CognitoError("InvalidParameterException", "only NEW_PASSWORD_REQUIRED is supported locally")
        session = self._sessions.pop(str(request.get("Session", "")), None)
        if session is None or session[0] != pool.pool_id or session[2] < time.time():
            raise CognitoError("NotAuthorizedException", "Invalid session for the user, session is expired.")
        user = pool.user(session[1])
        password = str((request.get("ChallengeResponses") or {}).get("NEW_PASSWORD", ""))
        pool.check_password(password)
        user.password_hash = hash_password(password)
        user.status = "CONFIRMED"
        user.modified = time.time()
        return {"ChallengeParameters": {}, "AuthenticationResult": self._tokens(pool, client, user)}

    def op_GetUser(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool, _, user = self._from_access_token(request.get("AccessToken"))
        return {"Username": user.username, "UserAttributes": user.describe("UserAttributes")["UserAttributes"]}

    def op_UpdateUserAttributes(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        pool, client, user = self._from_access_token(request.get("AccessToken"))
        attributes = attributes_of(request.get("UserAttributes"))
        pool.check_known(list(attributes))
        if client.write_attributes is not None:
            for name in attributes:
                if name not in client.write_attributes:
                    raise CognitoError(
                        "NotAuthorizedException", f"A client attempted to write unauthorized attribute {name}"
                    )
        pool.check_mutable(list(attributes))
        user.attributes.update(attributes)
        user.modified = time.time()
        self._save()
        return {"CodeDeliveryDetailsList": []}

    def _check_can_sign_in(self, user: User) -> None:
        if not user.enabled:
            raise CognitoError("NotAuthorizedException", "User is disabled.")
        if user.status == "UNCONFIRMED":
            raise CognitoError("UserNotConfirmedException", "User is not confirmed.")

    def _from_access_token(self, token: Any) -> tuple[Pool, AppClient, User]:
        try:
            claims = self.key.verify(str(token or ""), options={"verify_aud": False})
        except jwt.PyJWTError:
            raise CognitoError("NotAuthorizedException", "Invalid Access Token") from None
        pool_id = str(claims.get("iss", "")).rsplit("/", 1)[-1]
        if claims.get("token_use") != "access" or pool_id not in self.pools:
            raise CognitoError("NotAuthorizedException", "Invalid Access Token")
        pool = self.pools[pool_id]
        user = pool.find(str(claims.get("username", "")))
        if user is None or str(claims.get("origin_jti")) not in user.sessions or not user.enabled:
            raise CognitoError("NotAuthorizedException", "Access Token has been revoked")
        return pool, pool.client(str(claims.get("client_id"))), user

    def _tokens(self, pool: Pool, client: AppClient, user: User, origin: str | None = None) -> dict[str, Any]:
        """ID and access tokens; with no `origin` (a sign-in, not a refresh) a new session and its
        refresh token too."""
        now = int(time.time())
        event_id = str(uuid.uuid4())
        new_session = origin is None
        origin = origin or str(uuid.uuid4())
        readable = client.read_attributes
        id_claims: dict[str, Any] = {
            name: (value == "true" if name.endswith("_verified") else value)
            for name, value in user.attributes.items()
            if readable is None or name in readable or name == "sub"
        }
        if user.groups:
            id_claims["cognito:groups"] = list(user.groups)
        id_claims.update(
            {
                "iss": self.issuer(pool.pool_id),
                "cognito:username": user.username,
                "origin_jti": origin,
                "aud": client.client_id,
                "event_id": event_id,
                "token_use": "id",
                "auth_time": now,
                "exp": now + client.validity_s["IdToken"],
                "iat": now,
                "jti": str(uuid.uuid4()),
            }
        )
        access_claims: dict[str, Any] = {
            "sub": user.attributes["sub"],
            "iss": self.issuer(pool.pool_id),
            "client_id": client.client_id,
            "origin_jti": origin,
            "event_id": event_id,
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": now,
            "exp": now + client.validity_s["AccessToken"],
            "iat": now,
            "jti": str(uuid.uuid4()),
            "username": user.username,
        }
        if user.groups:
            access_claims["cognito:groups"] = list(user.groups)
        result: dict[str, Any] = {
            "IdToken": self.key.sign(id_claims),
            "AccessToken": self.key.sign(access_claims),
            "ExpiresIn": client.validity_s["IdToken"],
            "TokenType": "Bearer",
        }
        if new_session:
            token = secrets.token_urlsafe(48)
            user.sessions[origin] = [client.client_id, hashlib.sha256(token.encode()).hexdigest()]
            for stale in list(user.sessions)[:-MAX_SESSIONS_PER_USER]:
                del user.sessions[stale]  # the oldest go first
            result["RefreshToken"] = token
            self._save()
        return result
