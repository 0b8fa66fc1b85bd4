"""A sandbox's resource names as one SSM parameter: how notebooks find them without ``cloudformation:ListExports``.

SMUS's permissions boundary denies ``cloudformation:ListExports`` to project members (it is not in the boundary's
``NotDeniedOperations`` list) and allows ``ssm:GetParameter``.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from genai_sandbox_constructs.grants import PolicyTarget, attach

VALUE_LIMIT = 4096
"""Characters a standard-tier parameter value may hold."""


class SandboxDiscovery(Construct):
    """A String parameter whose value is ``values`` as a JSON object (tokens and ``Fn::If`` values resolve at deploy
    time); readers parse it with ``json.loads``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, name: str, values: Mapping[str, object], description: str
    ) -> None:
        """:param name: parameter name starting with ``/``; carry the project id in it (required).
        :param values: what readers need, such as bucket name and key ARN; strings, lists and dicts (required).
        :param description: what the parameter holds (required).
        """
        super().__init__(scope, construct_id)
        self.parameter = ssm.CfnParameter(
            self,
            "Parameter",
            name=name,
            type="String",
            tier="Standard",
            value=Stack.of(self).to_json_string(dict(values)),
            description=description,
        )
        """The parameter."""
        self.parameter_name = name
        """Name of the parameter."""
        self.parameter_arn = f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter{name}"
        """ARN of the parameter (the name's leading ``/`` separates it from ``parameter``)."""

    def grant_read(self, grantee: PolicyTarget) -> iam.Grant:
        """Let ``grantee`` read the parameter."""
        return attach(grantee, iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[self.parameter_arn]))
