"""Comments: validation, spam defence, rendering and routes."""
