"""Thin Lambda entry points: the REST API, the command-stream projector, the data-sync dispatcher."""
