"""The local runtime: the synthesized stack on one machine, no AWS account, no Docker. Never deployed."""
