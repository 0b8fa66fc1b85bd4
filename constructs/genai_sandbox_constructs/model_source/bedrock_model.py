"""A Bedrock model named in any accepted form, invoked through an application inference profile when on demand."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, CfnCondition, CfnTag, Fn, ICfnConditionExpression
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from constructs import Construct

from genai_sandbox_constructs import nag
from genai_sandbox_constructs.conditions import expression
from genai_sandbox_constructs.grants import PolicyTarget, add_conditional_statement, attach
from genai_sandbox_constructs.model_source.bedrock_forms import GEOGRAPHIES
from genai_sandbox_constructs.roles import conditional_policy

INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
"""Converse and ConverseStream are authorized by these two actions."""
ON_DEMAND_ARN_TYPES = ("foundation-model", "inference-profile")
APPLICATION_PROFILE = "application-inference-profile"
FOUNDATION_MODELS = f"arn:{Aws.PARTITION}:bedrock:*::foundation-model/*"


class BedrockModel(Construct):
    """Works out in CloudFormation which form ``model_id`` has, and grants invoking exactly that model.

    On-demand models (foundation model id or ARN, system inference profile) are wrapped in an application inference
    profile named after ``profile_name``, so that Bedrock spend carries the environment's tags; provisioned, custom,
    imported models and application inference profiles are invoked as given.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_id: str,
        enabled: CfnCondition,
        profile_name: str,
        tags: Mapping[str, str],
        guardrail_id: str = "",
        guardrail_version: str = "DRAFT",
        cost_profile: CfnCondition | None = None,
    ) -> None:
        """:param model_id: the model in any form of ``BedrockForm``; a token or a literal (required).
        :param enabled: condition under which Bedrock is used at all (required).
        :param profile_name: name of the application inference profile; carry the environment id (required).
        :param tags: tags for the application inference profile (cost allocation) (required).
        :param guardrail_id: guardrail applied on every call; empty for none. Default: none.
        :param guardrail_version: version of the guardrail, a number or ``DRAFT``. Default: DRAFT.
        :param cost_profile: condition under which on-demand models go through the application inference profile;
            otherwise they are invoked directly. Default: none (always through the profile).
        """
        super().__init__(scope, construct_id)
        self._model_id = model_id
        self._build_form_conditions(model_id, enabled, cost_profile)
        self.model_arn = self._model_arn()
        """The given model as an ARN (foundation model, inference profile, or as given)."""
        self.profile = self._build_profile(profile_name, tags)
        """The application inference profile; exists only under ``wraps``."""
        self.invoke_target = Fn.condition_if(
            self.wraps.logical_id, self.profile.attr_inference_profile_arn, self.model_arn
        ).to_string()
        """What callers pass as ``modelId``: the application inference profile, or the model's ARN."""
        self.has_guardrail = self._condition(
            "HasGuardrail",
            Fn.condition_and(expression(enabled), Fn.condition_not(Fn.condition_equals(guardrail_id, ""))),
        )
        """Bedrock is used and a guardrail is given."""
        self.has_no_guardrail = self._condition(
            "HasNoGuardrail", Fn.condition_and(expression(enabled), Fn.condition_equals(guardrail_id, ""))
        )
        """Bedrock is used without a guardrail."""
        self._guardrail_arn = f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}:{Aws.ACCOUNT_ID}:guardrail/{guardrail_id}"
        self._guardrail_identifiers = [self._guardrail_arn, f"{self._guardrail_arn}:{guardrail_version}"]
        """What ``bedrock:GuardrailIdentifier`` holds for this guardrail: its ARN, optionally with the version."""

    def _build_form_conditions(self, model_id: str, enabled: CfnCondition, cost_profile: CfnCondition | None) -> None:
        """Tell the forms apart in CloudFormation: ARN or id, system profile, on demand, wrapped in our profile."""
        self.is_arn = self._condition("IsArn", Fn.condition_equals(Fn.select(0, Fn.split(":", model_id)), "arn"))
        arn_type = Fn.select(0, Fn.split("/", Fn.select(5, Fn.split(":", Fn.join("", [model_id, ":::::"])))))
        self.is_profile_id = self._condition(
            "IsSystemProfileId",
            Fn.condition_and(
                Fn.condition_not(expression(self.is_arn)),
                Fn.condition_or(*(Fn.condition_equals(Fn.select(0, Fn.split(".", model_id)), g) for g in GEOGRAPHIES)),
            ),
        )
        self.is_system_profile = self._condition(
            "IsSystemProfile",
            Fn.condition_or(expression(self.is_profile_id), Fn.condition_equals(arn_type, "inference-profile")),
        )
        self.is_on_demand = self._condition(
            "IsOnDemand",
            Fn.condition_and(
                expression(enabled),
                Fn.condition_or(
                    Fn.condition_not(expression(self.is_arn)),
                    *(Fn.condition_equals(arn_type, kind) for kind in ON_DEMAND_ARN_TYPES),
                ),
            ),
        )
        """Bedrock is used with an on-demand model (foundation model or system profile, by id or ARN)."""
        self._build_invocation_conditions(enabled, cost_profile, arn_type)

    def _build_invocation_conditions(
        self, enabled: CfnCondition, cost_profile: CfnCondition | None, arn_type: str
    ) -> None:
        """How calls travel: through our profile, and through any inference profile at all."""
        on_demand = expression(self.is_on_demand)
        self.wraps = self._condition(
            "WrapsInProfile",
            on_demand if cost_profile is None else Fn.condition_and(on_demand, expression(cost_profile)),
        )
        """The on-demand model is invoked through the environment's application inference profile."""
        self.wraps_system_profile = self._condition(
            "WrapsSystemProfile", Fn.condition_and(expression(self.wraps), expression(self.is_system_profile))
        )
        """Our profile copies a system profile, which callers must also be allowed to use."""
        self.routes_through_profile = self._condition(
            "RoutesThroughProfile",
            Fn.condition_and(
                expression(enabled),
                Fn.condition_or(
                    expression(self.wraps),
                    expression(self.is_system_profile),
                    Fn.condition_equals(arn_type, APPLICATION_PROFILE),
                ),
            ),
        )
        """Calls go through an inference profile (ours, a system one or the given one), which routes to foundation
        models."""

    def grant_invoke(self, grantee: PolicyTarget, *, role: iam.IRole) -> iam.Grant:
        """Let ``grantee`` invoke the model. Routing through a profile and the guardrail need statements that exist
        only for the forms that use them: they go to conditional policies of their own, attached to ``role`` (the
        role that holds ``grantee``, or is it)."""
        system_profile = Fn.condition_if(self.wraps_system_profile.logical_id, self.model_arn, Aws.NO_VALUE).to_string()
        invoke = attach(
            grantee, iam.PolicyStatement(actions=list(INVOKE_ACTIONS), resources=[self.invoke_target, system_profile])
        )
        guardrail = conditional_policy(
            self,
            "GuardrailPolicy",
            condition=self.has_guardrail,
            roles=[role],
            description="Apply the sandbox guardrail",
        )
        applies = attach(
            guardrail, iam.PolicyStatement(actions=["bedrock:ApplyGuardrail"], resources=[self._guardrail_arn])
        )
        return invoke.combine(self._allow_profile_routing(role)).combine(applies)

    def grant_invoke_where(self, policy: iam.ManagedPolicy) -> None:
        """Add to ``policy``, where Bedrock is used, invoking the model the way the pattern does: the invoke target,
        foundation models only through the invoked profile (``bedrock:InferenceProfileArn``), and with a guardrail
        only when the call carries it (``bedrock:GuardrailIdentifier``, Bedrock User Guide "Enforce the use of
        specific guardrails in model inference requests"), so that people cannot skip the guardrail the API applies.

        For SMUS members: their boundary allows application inference profiles tagged ``AmazonDataZoneProject``,
        foundation models only with ``bedrock:InferenceProfileArn`` set, and ``bedrock:ApplyGuardrail`` only on
        guardrails tagged with their project."""
        system_profile = Fn.condition_if(self.wraps_system_profile.logical_id, self.model_arn, Aws.NO_VALUE).to_string()
        targets = [self.invoke_target, system_profile]
        add_conditional_statement(
            policy, self.has_no_guardrail, iam.PolicyStatement(actions=list(INVOKE_ACTIONS), resources=targets)
        )
        add_conditional_statement(
            policy,
            self.has_guardrail,
            iam.PolicyStatement(
                actions=list(INVOKE_ACTIONS),
                resources=targets,
                conditions={"StringEquals": {"bedrock:GuardrailIdentifier": self._guardrail_identifiers}},
            ),
        )
        # SMUS's own policy already allows invoking any application inference profile tagged with the project: only
        # an explicit deny makes the guardrail binding (a missing key matches StringNotEquals).
        add_conditional_statement(
            policy,
            self.has_guardrail,
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=list(INVOKE_ACTIONS),
                resources=targets,
                conditions={"StringNotEquals": {"bedrock:GuardrailIdentifier": self._guardrail_identifiers}},
            ),
        )
        add_conditional_statement(
            policy,
            self.has_guardrail,
            iam.PolicyStatement(actions=["bedrock:ApplyGuardrail"], resources=[self._guardrail_arn]),
        )
        add_conditional_statement(policy, self.routes_through_profile, self._routing_statement())

    def _routing_statement(self) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            actions=list(INVOKE_ACTIONS),
            resources=[FOUNDATION_MODELS],
            conditions={"StringEquals": {"bedrock:InferenceProfileArn": self.invoke_target}},
        )

    def _allow_profile_routing(self, role: iam.IRole) -> iam.Grant:
        routing = conditional_policy(
            self,
            "ProfileRoutingPolicy",
            condition=self.routes_through_profile,
            roles=[role],
            description="Let the invoked inference profile reach its foundation models",
        )
        grant = attach(routing, self._routing_statement())
        nag.acknowledge(
            routing,
            "Foundation models are reachable only through the invoked inference profile (condition "
            "bedrock:InferenceProfileArn); a profile routes to its models in several regions.",
            nag.wildcard_resource_finding(self, FOUNDATION_MODELS),
        )
        return grant

    def _condition(self, name: str, condition: ICfnConditionExpression) -> CfnCondition:
        return CfnCondition(self, name, expression=condition)

    def _model_arn(self) -> str:
        prefix = f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}"
        return Fn.condition_if(
            self.is_arn.logical_id,
            self._model_id,
            Fn.condition_if(
                self.is_profile_id.logical_id,
                f"{prefix}:{Aws.ACCOUNT_ID}:inference-profile/{self._model_id}",
                f"{prefix}::foundation-model/{self._model_id}",
            ),
        ).to_string()

    def _build_profile(self, name: str, tags: Mapping[str, str]) -> bedrock.CfnApplicationInferenceProfile:
        profile = bedrock.CfnApplicationInferenceProfile(
            self,
            "ApplicationInferenceProfile",
            inference_profile_name=name,
            description="Carries the sandbox environment tags on Bedrock spend",
            model_source=bedrock.CfnApplicationInferenceProfile.InferenceProfileModelSourceProperty(
                copy_from=self.model_arn
            ),
            tags=[CfnTag(key=key, value=value) for key, value in tags.items()],
        )
        profile.cfn_options.condition = self.wraps
        return profile
