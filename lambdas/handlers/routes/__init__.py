"""One router per domain; each route parses, calls one domain function and returns a view."""
