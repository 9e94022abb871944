#!/usr/bin/env python3
"""CDK entry point: one App, one stack. `-c stage=prod` selects the stage (default `dev`)."""

from __future__ import annotations

import aws_cdk as cdk

from infra.names import DEFAULT_STAGE, stack_name

app = cdk.App()
stage = app.node.try_get_context("stage") or DEFAULT_STAGE
cdk.Stack(app, stack_name(stage))
app.synth()
