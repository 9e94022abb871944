"""CDK code for the one stack. Never imports `lambdas/`: names shared with it live in `names`."""
