"""/tenants (the registry, operators only) and /tenant (the caller's own tenant)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from cqrs.keys import CODE_PATTERN, MAX_CODE_LENGTH
from handlers.access import caller
from handlers.json_body import json_response
from handlers.observability import logger
from handlers.routes.listing import HistoryLimit, PageCursor, PageLimit, history_body
from handlers.schemas import ERRORS, HistoryPage, OwnTenantOut, TenantOut, TenantPage, json_content
from shop.tenant_models import CreateTenantRequest, OwnSettingsIn, UpdateTenantRequest
from shop.wiring import shop

router = Router()
TenantCode = Annotated[str, Path(min_length=1, max_length=MAX_CODE_LENGTH, pattern=CODE_PATTERN)]


@router.post(
    "/tenants",
    summary="Register a tenant",
    tags=["tenants"],
    responses={201: json_content(TenantOut, "The registry record"), **ERRORS},
)
def create_tenant(body: Annotated[CreateTenantRequest, Body()]) -> Response[str]:
    logger.append_keys(registry_tenant=body.code)
    return json_response(201, shop().tenants.create(body, caller(router)).to_dict())


@router.get(
    "/tenants",
    summary="List tenants",
    tags=["tenants"],
    responses={200: json_content(TenantPage, "One page of registry records"), **ERRORS},
)
def list_tenants(
    limit: PageLimit = 20,
    cursor: PageCursor = None,
) -> Response[str]:
    page = shop().tenants.list_tenants(limit=limit, cursor=cursor)
    return json_response(200, {"items": [item.to_dict() for item in page.items], "nextCursor": page.next_cursor})


@router.get(
    "/tenants/<code>",
    summary="Get a tenant's registry record",
    tags=["tenants"],
    responses={200: json_content(TenantOut, "The registry record"), **ERRORS},
)
def get_tenant(code: TenantCode) -> Response[str]:
    logger.append_keys(registry_tenant=code)
    return json_response(200, shop().tenants.get(code).to_dict())


@router.patch(
    "/tenants/<code>",
    summary="Rename, suspend, resume a tenant or change its settings",
    tags=["tenants"],
    responses={200: json_content(TenantOut, "The record at its new version"), **ERRORS},
)
def update_tenant(code: TenantCode, body: Annotated[UpdateTenantRequest, Body()]) -> Response[str]:
    logger.append_keys(registry_tenant=code)
    return json_response(200, shop().tenants.update(code, body, caller(router)).to_dict())


@router.get(
    "/tenants/<code>/history",
    summary="A tenant's registry record, version by version, newest first",
    tags=["tenants"],
    responses={200: json_content(HistoryPage, "One page of versions"), **ERRORS},
)
def tenant_history(
    code: TenantCode,
    limit: HistoryLimit = 20,
    cursor: PageCursor = None,
) -> Response[str]:
    logger.append_keys(registry_tenant=code)
    return json_response(200, history_body(shop().tenants.history(code, limit=limit, cursor=cursor)))


@router.get(
    "/tenant",
    summary="Your tenant and its effective settings",
    tags=["tenants"],
    responses={200: json_content(OwnTenantOut, "Your tenant"), **ERRORS},
)
def own_tenant() -> Response[str]:
    return json_response(200, shop().tenants.own(caller(router)))


@router.patch(
    "/tenant/settings",
    summary="Change your tenant's own settings (tax rate, order numbers, low-stock threshold)",
    tags=["tenants"],
    responses={200: json_content(TenantOut, "The registry record at its new version"), **ERRORS},
)
def update_own_settings(body: Annotated[OwnSettingsIn, Body()]) -> Response[str]:
    return json_response(200, shop().tenants.update_own_settings(body, caller(router)).to_dict())
