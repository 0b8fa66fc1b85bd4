"""Access constructs of a Gen AI sandbox."""
