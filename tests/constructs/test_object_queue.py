"""ObjectQueue: new objects under a prefix -> EventBridge -> encrypted queue with a DLQ -> the worker function."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_kms as kms

from blueprints.synthesis import create_app
from genai_sandbox_constructs import ConfigurationError, Invocation, SandboxFunction, nag
from genai_sandbox_constructs.inference.object_queue import ObjectQueue
from tests.helpers.deployed import Deployed
from tests.helpers.policies import service_may
from tests.helpers.stacks import KEY_ARN, json_of, new_stack


def _front(stack: Stack, tmp_path: Path, invocation: Invocation = Invocation.QUEUE, **options: Any) -> ObjectQueue:
    source = tmp_path / "worker.py"
    source.write_text("def handler(event, context):\n    return {'batchItemFailures': []}\n")
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    worker = SandboxFunction(
        stack,
        "Worker",
        source=source,
        description="Invoke the model for each request object",
        encryption_key=key,
        log_retention_days=30,
        invocation=invocation,
        timeout=Duration.minutes(2),
        subnet_ids=["subnet-0a"],
        security_group_id="sg-0a",
    )
    return ObjectQueue(
        stack,
        "Requests",
        bucket_name="sandbox",
        prefix="inference/async/input/",
        encryption_key=key,
        function=worker,
        **options,
    )


def _of_type(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


def test_new_objects_under_the_prefix_become_messages(tmp_path: Path) -> None:
    stack = new_stack()
    _front(stack, tmp_path)
    template = json_of(stack)
    (rule,) = _of_type(template, "AWS::Events::Rule")
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": ["sandbox"]}, "object": {"key": [{"prefix": "inference/async/input/"}]}},
    }
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"]["Fn::GetAtt"][0].startswith("RequestsQueue")


def test_queues_are_encrypted_and_failed_messages_move_to_the_dead_letter_queue(tmp_path: Path) -> None:
    stack = new_stack()
    _front(stack, tmp_path)
    queues = {
        q["Properties"].get("RedrivePolicy") is None: q["Properties"]
        for q in _of_type(json_of(stack), "AWS::SQS::Queue")
    }
    work, dead = queues[False], queues[True]
    assert work["KmsMasterKeyId"] == dead["KmsMasterKeyId"] == KEY_ARN
    assert work["RedrivePolicy"]["maxReceiveCount"] == 3
    assert work["VisibilityTimeout"] == 720  # six times the function's 2 minutes
    assert dead["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_the_function_reads_the_queue_through_a_mapping_that_reports_each_failure(tmp_path: Path) -> None:
    stack = new_stack()
    _front(stack, tmp_path, batch_size=5)
    template = json_of(stack)
    (mapping,) = _of_type(template, "AWS::Lambda::EventSourceMapping")
    assert mapping["Properties"]["BatchSize"] == 5
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DependsOn"][0].startswith("WorkerPermissions")
    (policy,) = _of_type(template, "AWS::IAM::ManagedPolicy")
    actions = {a for s in policy["Properties"]["PolicyDocument"]["Statement"] for a in s["Action"] if "sqs:" in a}
    assert actions == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    }
    assert not _of_type(template, "AWS::IAM::Policy")  # no inline policy


def test_bad_configuration_is_refused_with_every_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as error:
        _front(new_stack(), tmp_path, invocation=Invocation.SYNCHRONOUS, batch_size=11)
    assert error.value.problems == [
        "function='SYNCHRONOUS': a SandboxFunction built with Invocation.QUEUE",
        "batch_size=11: 1-10",
    ]


def test_the_front_passes_every_nag_pack(tmp_path: Path) -> None:
    app = create_app(outdir=str(tmp_path / "out"))
    _front(Stack(app, "Front"), tmp_path)
    nag.register_packs(app)
    app.synth()  # an unacknowledged finding raises ValidationFailed


def test_the_front_offers_queue_age_and_dead_letter_metrics(tmp_path: Path) -> None:
    stack = new_stack()
    front = _front(stack, tmp_path)
    age, dead = front.metric_oldest_message_age(), front.metric_dead_letters()
    assert (age.metric_name, age.namespace, age.statistic) == ("ApproximateAgeOfOldestMessage", "AWS/SQS", "Maximum")
    assert (dead.metric_name, dead.statistic) == ("ApproximateNumberOfMessagesVisible", "Maximum")
    assert dead.dimensions is not None
    assert stack.resolve(dead.dimensions["QueueName"])["Fn::GetAtt"][0].startswith("RequestsDeadLetters")


def test_only_this_rule_may_send_to_the_queue_and_only_over_tls(tmp_path: Path) -> None:
    """The queue policy as SQS evaluates it for EventBridge deliveries (the documented ``aws:SourceArn`` form)."""
    stack = new_stack()
    _front(stack, tmp_path)
    deployed = Deployed(json_of(stack), {})
    (rule_id,) = deployed.of_type("AWS::Events::Rule")
    (queue_policy,) = [
        p for p in deployed.of_type("AWS::SQS::QueuePolicy").values() if "events.amazonaws.com" in str(p)
    ]
    (queue_arn,) = {s["Resource"] for s in queue_policy["PolicyDocument"]["Statement"]}
    rule_arn = deployed.attribute(rule_id, "Arn")

    def delivers(source_arn: str, tls: bool = True) -> bool:
        context = {"aws:SourceArn": source_arn, "aws:SourceAccount": "123456789012", "aws:SecureTransport": tls}
        statements = queue_policy["PolicyDocument"]["Statement"]
        return service_may(statements, "events.amazonaws.com", "sqs:SendMessage", queue_arn, context)

    assert delivers(rule_arn)
    assert not delivers("arn:aws:events:us-east-1:123456789012:rule/another-rule")
    assert not delivers(rule_arn, tls=False)


def test_a_suffix_narrows_the_events_to_matching_keys(tmp_path: Path) -> None:
    stack = new_stack()
    _front(stack, tmp_path, suffix=".ready")
    (rule,) = _of_type(json_of(stack), "AWS::Events::Rule")
    assert rule["Properties"]["EventPattern"]["detail"]["object"] == {
        "key": [{"wildcard": "inference/async/input/*.ready"}]
    }


@pytest.mark.parametrize("suffix", ["", "*.ready", "a/.ready"])
def test_a_suffix_is_a_plain_ending(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(ConfigurationError, match="suffix="):
        _front(new_stack(), tmp_path, suffix=suffix)
