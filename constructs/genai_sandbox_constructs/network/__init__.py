"""Network constructs of a Gen AI sandbox."""
