"""The seed's `OrderDataSyncHandler`, made safe for at-least-once streams.

Registered for `ORDER#` changes of the data table:

- new order -> reserve its stock (all lines or none); on a shortage, the alert
  `inventory_reservation_failed`; then the order confirmation (not for an order already cancelled);
- status -> cancelled: release what it reserved (nothing if it reserved nothing); cancellation notice;
- status -> shipped: deduct its lines from stock; shipping notification;
- status -> delivered: delivery confirmation.

An order with a `customerEmail` also gets one e-mail per customer-facing event (placed, confirmed,
shipped, delivered, cancelled) through `shop.customer_mail.CustomerMail`, after the SNS messages.
The API lets an order be processed or shipped only once its stock is reserved
(`shop.status.validate_transition`); the data-sync holds the same rule when it settles: a
shipment whose stock it could not deduct (the order never held a reservation, and the stock is
short) is recorded as `inventoryStatus: failed` with its reason, raises the
`inventory_reservation_failed` alert, and sends no shipping or delivery notice, never as if fine.

Every decision is taken on the order as it is NOW in the data table (`StockService.settle`), not on
the stream image, and every effect is exactly-once: stock changes are marked on the order in the
same transaction, notifications are de-duplicated by their id. Changes that do not move the
status (such as the inventoryStatus this handler records) do nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from cqrs.items import Item
from cqrs.sync import DataChange
from shop.mail_message import MailEvent
from shop.notifications import NotificationService
from shop.status import InventoryStatus, OrderStatus
from shop.stock import Settlement, StockService

logger = Logger(child=True)

if TYPE_CHECKING:
    from shop.customer_mail import CustomerMail

_MAILED_STATUSES = {
    OrderStatus.CONFIRMED: MailEvent.CONFIRMED,
    OrderStatus.SHIPPED: MailEvent.SHIPPED,
    OrderStatus.DELIVERED: MailEvent.DELIVERED,
    OrderStatus.CANCELLED: MailEvent.CANCELLED,
}


class OrderDataSyncHandler:
    def __init__(
        self, stock: StockService, notifications: NotificationService, mail: CustomerMail | None = None
    ) -> None:
        self._stock = stock
        self._notifications = notifications
        self._mail = mail

    def handle_sync(self, change: DataChange) -> None:
        new = change.new
        if new is None:  # removed: nothing to react to
            return
        if change.old is None:
            self._placed(change.tenant_code, new.code)
            return
        before = change.old.attributes.get("status")
        after = new.attributes.get("status")
        if before != after:
            self._status_changed(change.tenant_code, new.code, OrderStatus(str(after)), new)

    def _placed(self, tenant_code: str, order_code: str) -> None:
        order = self._settle(tenant_code, order_code)
        if order is None:
            return
        self._alert_if_failed(order)
        if order.attributes.get("status") != OrderStatus.CANCELLED:
            self._notifications.order_confirmation(order)
        self._email(MailEvent.PLACED, order)

    def _status_changed(self, tenant_code: str, order_code: str, status: OrderStatus, image: Item) -> None:
        if status == OrderStatus.CONFIRMED:  # nothing to settle: the stream's image says it all
            self._email(MailEvent.CONFIRMED, image)
        if status not in (OrderStatus.CANCELLED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            return
        order = self._settle(tenant_code, order_code)
        if order is None:
            return
        self._alert_if_failed(order)
        if status == OrderStatus.CANCELLED:
            self._notifications.cancellation_notice(order)
        elif order.attributes.get("inventoryStatus") != InventoryStatus.DEDUCTED:
            # Goods without stock behind them: the alert above tells operators; the customer is
            # not told the order shipped.
            logger.error(
                "order shipped without deducted stock; no notice sent",
                extra={
                    "tenant": tenant_code,
                    "order": order_code,
                    "inventoryStatus": order.attributes.get("inventoryStatus"),
                },
            )
        elif status == OrderStatus.SHIPPED:
            self._notifications.shipping_notification(order)
        else:
            self._notifications.delivery_confirmation(order)
        self._email(_MAILED_STATUSES[status], order)

    def _email(self, event: MailEvent, order: Item) -> None:
        if self._mail is not None:
            self._mail.send(event, order)

    def _settle(self, tenant_code: str, order_code: str) -> Item | None:
        settlement = self._stock.settle(tenant_code, order_code)
        _log(tenant_code, order_code, settlement)
        return settlement.order

    def _alert_if_failed(self, order: Item) -> None:
        if order.attributes.get("inventoryStatus") != InventoryStatus.FAILED:
            return
        failure = order.attributes.get("inventoryFailure") or {}
        self._notifications.inventory_reservation_failed(order, str(failure.get("reason") or "reservation failed"))


def _log(tenant_code: str, order_code: str, settlement: Settlement) -> None:
    keys = {"tenant": tenant_code, "order": order_code, "attempts": settlement.attempts}
    if settlement.order is None:
        logger.warning("order not found; nothing to settle", extra=keys)
        return
    keys["inventoryStatus"] = str(settlement.inventory_status)
    if settlement.step is None:
        logger.debug("stock already settled", extra=keys)
        return
    keys["step"] = str(settlement.step)
    if settlement.shortages:
        logger.warning(
            "stock reservation failed",
            extra={**keys, "shortages": [s.to_dict() for s in settlement.shortages]},
        )
    elif settlement.clamped:
        logger.error(
            "stock counts clamped at 0: fewer units were reserved than this order holds",
            extra={**keys, "products": list(settlement.clamped)},
        )
    else:
        logger.info("stock settled", extra=keys)
