"""An encrypted alarm topic, alarms on any metric that notify it, and dashboards of the signals that matter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from aws_cdk import Aws, CfnCondition, Duration, Fn
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from genai_sandbox_constructs.conditions import expression, make_conditional
from genai_sandbox_constructs.storage.key import KeyLike, as_key

PERIOD = Duration.minutes(5)
"""The period of the metrics the constructs offer for alarms (``metric_*``)."""


class Monitoring(Construct):
    """Under ``enabled``: an SNS topic encrypted with the sandbox key that CloudWatch alarms of this account may
    publish to, and the alarms added with ``add_alarm``. An alarm fires on one evaluation period at or above its
    threshold; missing data is not breaching, so an idle sandbox stays quiet."""

    def __init__(self, scope: Construct, construct_id: str, *, enabled: CfnCondition, encryption_key: KeyLike) -> None:
        """:param enabled: condition under which the topic and alarms exist (required).
        :param encryption_key: key of the topic, a ``kms.IKey`` or ``SandboxKey``; its policy must let CloudWatch use
            it (``SandboxKey`` does) (required).
        """
        super().__init__(scope, construct_id)
        self._enabled = enabled
        self.topic = sns.Topic(self, "AlarmTopic", master_key=as_key(encryption_key), enforce_ssl=True)
        """Alarm notifications; subscribe to it (email, chat) to be told."""
        self._allow_alarms_to_publish()
        self._watching: dict[str, CfnCondition] = {}
        make_conditional(self, enabled)

    def add_alarm(
        self,
        alarm_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        condition: CfnCondition | None = None,
    ) -> cloudwatch.Alarm:
        """Alarm when ``metric`` reaches ``threshold`` (a number token works) and notify the topic.

        :param condition: when the watched resource exists, such as an endpoint of one model source. Default: always.
        """
        alarm = cloudwatch.Alarm(
            self,
            alarm_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"Gen AI sandbox: {description}.",
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        if condition is not None:
            cast(cloudwatch.CfnAlarm, alarm.node.default_child).cfn_options.condition = self._also(condition)
        return alarm

    def add_dashboard(
        self,
        construct_id: str,
        widgets: Sequence[tuple[str, Sequence[cloudwatch.IMetric]]],
        *,
        condition: CfnCondition | None = None,
    ) -> cloudwatch.Dashboard:
        """A dashboard of one graph per ``(title, metrics)``, two to a row; CloudFormation names it.

        :param condition: when the watched resources exist (a dashboard may not reference a resource that does not).
            Default: whenever monitoring is on.
        """
        dashboard = cloudwatch.Dashboard(self, construct_id)
        graphs = [
            cloudwatch.GraphWidget(title=title, left=list(metrics), width=12, height=6) for title, metrics in widgets
        ]
        for start in range(0, len(graphs), 2):
            dashboard.add_widgets(*graphs[start : start + 2])
        if condition is not None:
            cast(cloudwatch.CfnDashboard, dashboard.node.default_child).cfn_options.condition = self._also(condition)
        return dashboard

    def _also(self, condition: CfnCondition) -> CfnCondition:
        """``enabled`` and ``condition``, one CloudFormation condition per watched condition."""
        name = condition.node.id
        if name not in self._watching:
            both = Fn.condition_and(expression(self._enabled), expression(condition))
            self._watching[name] = CfnCondition(self, f"Watches{name}", expression=both)
        return self._watching[name]

    def _allow_alarms_to_publish(self) -> None:
        """A topic policy replaces SNS's default policy, so CloudWatch needs its own statement, narrowed to alarms of
        this account and region (``aws:SourceAccount``, ``aws:SourceArn``: the confused-deputy guard AWS recommends
        for service principals). The key policy lets CloudWatch use the topic's key (``SandboxKey``)."""
        alarms = f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:*"
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": alarms},
                },
            )
        )
