"""The operator tool and API client for a CQRS Shop stack (`python -m client --help`).

Everything it needs to find a stack comes from an outputs file: the local runtime's
`.local/outputs.json` or `cdk deploy --outputs-file outputs.json`. Standard library + boto3 only.
"""
