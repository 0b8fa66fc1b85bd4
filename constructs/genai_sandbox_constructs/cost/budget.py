"""A monthly AWS Budget of one SMUS project, on the project's cost-allocation tag, notifying an encrypted topic."""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from genai_sandbox_constructs.conditions import make_conditional
from genai_sandbox_constructs.storage.key import KeyLike, as_key

PROJECT_TAG = "AmazonDataZoneProject"
"""Every resource of every blueprint carries it with the project id: one cost filter covers the whole project."""
THRESHOLDS = (("ACTUAL", 80), ("FORECASTED", 100))
"""Notify when actual spend reaches 80 % of the limit, and when the forecast reaches 100 %."""


class ProjectBudget(Construct):
    """Under ``enabled``: a monthly cost budget named ``genai-sandbox-<projectId>`` filtered on the user-defined
    cost-allocation tag ``AmazonDataZoneProject=<projectId>`` (activate it in the payer account's Billing console;
    until then the budget sees nothing), notifying ``topic`` (encrypted with ``encryption_key``, whose policy must let
    Budgets use it: ``SandboxKey``'s does).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project_id: str,
        limit_usd: float,
        encryption_key: KeyLike,
        enabled: CfnCondition,
    ) -> None:
        """:param project_id: the SMUS project id, in the name and the tag filter (required).
        :param limit_usd: the monthly limit in US dollars; a number token works (required).
        :param encryption_key: key of the topic (required).
        :param enabled: condition under which the budget and its topic exist (required).
        """
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", master_key=as_key(encryption_key), enforce_ssl=True)
        """Budget notifications; subscribe to it."""
        self._allow_budgets_to_publish()
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"genai-sandbox-{project_id}",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=limit_usd, unit="USD"),
                cost_filters={"TagKeyValue": [f"user:{PROJECT_TAG}${project_id}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[
                        budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=self.topic.topic_arn)
                    ],
                )
                for kind, percent in THRESHOLDS
            ],
        )
        """The budget."""
        make_conditional(self, enabled)

    def _allow_budgets_to_publish(self) -> None:
        """The statement of the Cost Management User Guide, "Creating an Amazon SNS topic for budget notifications":
        ``budgets.amazonaws.com`` may ``SNS:Publish`` with ``aws:SourceAccount`` = this account and ``aws:SourceArn``
        like ``arn:aws:budgets::<account-id>:*`` (the guide: "Amazon SNS topics must be in the same account as the
        Budgets you're configuring")."""
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowBudgetsOfThisAccount",
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                actions=["SNS:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:budgets::{Aws.ACCOUNT_ID}:*"},
                },
            )
        )
