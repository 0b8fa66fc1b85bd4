"""Stacks for fine-grained construct tests, built with cdk.json's context like every other App."""

from __future__ import annotations

from typing import Any

from aws_cdk import BootstraplessSynthesizer, Stack
from aws_cdk.assertions import Template

from blueprints.synthesis import create_app


def new_stack() -> Stack:
    """An empty stack in an App that carries cdk.json's feature flags."""
    return Stack(create_app(), "Test", synthesizer=BootstraplessSynthesizer())


def template_of(stack: Stack) -> Template:
    """The synthesized template of ``stack``."""
    return Template.from_stack(stack)


def json_of(stack: Stack) -> dict[str, Any]:
    """The synthesized template of ``stack`` as a plain dict."""
    return dict(Template.from_stack(stack).to_json())
