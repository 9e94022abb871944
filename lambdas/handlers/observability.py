"""The one Logger, Tracer and Metrics of every function (service name from POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
# A default namespace keeps importing and local runs free of required settings.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CqrsShop"))
