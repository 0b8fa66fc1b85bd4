"""ProjectBudget: a monthly cost budget on the project's tag, notifying an encrypted topic Budgets of this account
may publish to (decided by evaluating the topic policy, not by reading it)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnCondition, Fn
from aws_cdk import aws_kms as kms

from genai_sandbox_constructs.cost.budget import ProjectBudget
from tests.helpers.deployed import Deployed
from tests.helpers.policies import service_may
from tests.helpers.stacks import KEY_ARN, json_of, new_stack


def _template() -> dict[str, Any]:
    stack = new_stack()
    enabled = CfnCondition(stack, "Enabled", expression=Fn.condition_equals("a", "a"))
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    ProjectBudget(stack, "Budget", project_id="p7x2abcd9", limit_usd=250, encryption_key=key, enabled=enabled)
    return json_of(stack)


def test_the_budget_filters_on_the_projects_tag_and_notifies_the_topic() -> None:
    template = _template()
    (budget,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Budgets::Budget"]
    data = budget["Properties"]["Budget"]
    assert (data["BudgetName"], data["BudgetType"], data["TimeUnit"]) == ("genai-sandbox-p7x2abcd9", "COST", "MONTHLY")
    assert data["BudgetLimit"] == {"Amount": 250, "Unit": "USD"}
    assert data["CostFilters"] == {"TagKeyValue": ["user:AmazonDataZoneProject$p7x2abcd9"]}
    notifications = budget["Properties"]["NotificationsWithSubscribers"]
    kinds = [(n["Notification"]["NotificationType"], n["Notification"]["Threshold"]) for n in notifications]
    assert kinds == [("ACTUAL", 80), ("FORECASTED", 100)]
    assert all(n["Subscribers"][0]["SubscriptionType"] == "SNS" for n in notifications)
    assert all(r.get("Condition") == "Enabled" for r in template["Resources"].values())
    (topic,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Topic"]
    assert topic["Properties"]["KmsMasterKeyId"] == KEY_ARN


def test_only_budgets_of_this_account_may_publish_and_only_over_tls() -> None:
    deployed = Deployed(_template(), {})
    (policy,) = deployed.of_type("AWS::SNS::TopicPolicy").values()
    topic = policy["Topics"][0]
    statements = policy["PolicyDocument"]["Statement"]

    def publishes(account: str, source_arn: str, tls: bool = True) -> bool:
        context = {"aws:SourceAccount": account, "aws:SourceArn": source_arn, "aws:SecureTransport": tls}
        return service_may(statements, "budgets.amazonaws.com", "sns:Publish", topic, context)

    ours = "arn:aws:budgets::123456789012:budget/genai-sandbox-p7x2abcd9"
    assert publishes("123456789012", ours)
    assert not publishes("210987654321", ours.replace("123456789012", "210987654321"))
    assert not publishes("123456789012", ours, tls=False)
