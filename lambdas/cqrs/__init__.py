"""The reusable CQRS core: commands, data, history, sequences, tenancy and data-sync dispatch.

It knows nothing about shops: the e-commerce domain (`shop`) builds on it, never the reverse.
"""
