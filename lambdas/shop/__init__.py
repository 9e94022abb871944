"""The e-commerce domain of the reference example: orders, products, inventory, notifications.

Builds on `cqrs`; knows nothing about HTTP or Lambda events.
"""
