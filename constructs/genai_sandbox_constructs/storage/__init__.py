"""Storage constructs of a Gen AI sandbox."""
