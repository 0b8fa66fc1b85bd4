"""Model building constructs of a Gen AI sandbox."""
