"""Monitoring owns the alarm topic and turns any metric into an alarm that notifies it."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnCondition, Fn
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms

from genai_sandbox_constructs.inference.monitoring import PERIOD, Monitoring
from tests.helpers.stacks import KEY_ARN, json_of, new_stack


def _monitoring_template(watch_condition: bool) -> dict[str, Any]:
    stack = new_stack()
    enabled = CfnCondition(stack, "Enabled", expression=Fn.condition_equals(Aws.REGION, "us-east-1"))
    exists = CfnCondition(stack, "Exists", expression=Fn.condition_equals(Aws.ACCOUNT_ID, "111122223333"))
    monitoring = Monitoring(
        stack, "Monitoring", enabled=enabled, encryption_key=kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    )
    metric = cloudwatch.Metric(namespace="Team", metric_name="Failures", statistic="Sum", period=PERIOD)
    monitoring.add_alarm(
        "Failures", metric, threshold=3, description="failures", condition=exists if watch_condition else None
    )
    return json_of(stack)


def _only(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (resource,) = [r for r in template["Resources"].values() if r["Type"] == resource_type]
    found: dict[str, Any] = resource
    return found


def test_an_alarm_notifies_the_topic_after_one_period_and_ignores_missing_data() -> None:
    template = _monitoring_template(watch_condition=False)
    alarm = _only(template, "AWS::CloudWatch::Alarm")
    properties = alarm["Properties"]
    assert (properties["MetricName"], properties["Namespace"], properties["Statistic"]) == ("Failures", "Team", "Sum")
    assert (properties["Threshold"], properties["EvaluationPeriods"], properties["Period"]) == (3, 1, 300)
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties["AlarmDescription"] == "Gen AI sandbox: failures."
    assert properties["AlarmActions"] == [{"Ref": next(k for k in template["Resources"] if "AlarmTopic" in k)}]
    assert alarm["Condition"] == "Enabled"  # everything under Monitoring exists only when enabled
    assert _only(template, "AWS::SNS::Topic")["Condition"] == "Enabled"


def test_an_alarm_on_a_conditional_resource_needs_both_conditions() -> None:
    template = _monitoring_template(watch_condition=True)
    alarm = _only(template, "AWS::CloudWatch::Alarm")
    assert template["Conditions"][alarm["Condition"]] == {
        "Fn::And": [{"Condition": "Enabled"}, {"Condition": "Exists"}]
    }


def test_the_topic_takes_alarms_of_this_account_over_tls_only() -> None:
    statements = _only(_monitoring_template(False), "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"][
        "Statement"
    ]
    tls, cloudwatch_publish = statements
    assert tls["Effect"] == "Deny"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert cloudwatch_publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch_publish["Action"] == "sns:Publish"
    assert cloudwatch_publish["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert cloudwatch_publish["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1][-1] == ":alarm:*"
