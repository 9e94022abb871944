"""Live staff screens: WebSocket connections per tenant and the messages pushed to them."""
