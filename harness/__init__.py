"""What the tests and the benchmarks drive the system with, so neither depends on the other.

- `events`: API Gateway REST proxy events and a Lambda context, for invoking handlers in-process;
- `tables`: the stack's tables on any DynamoDB endpoint (moto, DynamoDB Local);
- `streams`: read DynamoDB stream records and feed them to the stream Lambdas, as Lambda would;
- `seed`: the reference example's order body, a small catalogue, stocking and ordering helpers;
- `runtime_process`: `python -m local` as a subprocess, and a small HTTP client for it.

Never deployed; imports the Lambda code (`lambdas/` on the path) and the local runtime.
"""
