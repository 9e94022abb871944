#!/usr/bin/env python3
"""CDK entry point: one App, one stack. `-c stage=prod` selects the stage (default `dev`)."""

from __future__ import annotations

import aws_cdk as cdk

from infra.stack import build

app = cdk.App()
build(app)
app.synth()
