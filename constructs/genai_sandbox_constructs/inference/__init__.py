"""Inference constructs of a Gen AI sandbox."""
