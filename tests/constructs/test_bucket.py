"""SandboxBucket: protection, encryption, logging, events, lifecycle and prefix-scoped grants."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from genai_sandbox_constructs import ConfigurationError, LifecycleDays, SandboxBucket, layout
from tests.helpers.stacks import new_stack, template_of


def _bucket_with(grant: str, prefix: str) -> Template:
    stack = new_stack()
    bucket = SandboxBucket(stack, "Storage", encryption_key=kms.Key(stack, "Key"))
    policy = iam.ManagedPolicy(stack, "Policy")
    getattr(bucket, grant)(policy, prefix)
    return template_of(stack)


@pytest.fixture(scope="module")
def template() -> Template:
    stack = new_stack()
    SandboxBucket(stack, "Storage", encryption_key=kms.Key(stack, "Key"))
    return template_of(stack)


def _sandbox_bucket(template: Template) -> dict[str, Any]:
    buckets = template.find_resources("AWS::S3::Bucket", {"Properties": {"BucketEncryption": Match.object_like({})}})
    (sandbox,) = [b for b in buckets.values() if "LoggingConfiguration" in b["Properties"]]
    return dict(sandbox)


def test_sandbox_bucket_uses_the_customer_managed_key_with_a_bucket_key(template: Template) -> None:
    encryption = _sandbox_bucket(template)["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    key_id = encryption[0]["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    assert key_id["Fn::GetAtt"][0].startswith("Key")
    assert key_id["Fn::GetAtt"][1] == "Arn"
    assert encryption[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert encryption[0]["BucketKeyEnabled"] is True


def test_both_buckets_are_versioned_private_owner_enforced_and_retained(template: Template) -> None:
    buckets = template.find_resources("AWS::S3::Bucket")
    assert len(buckets) == 2
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert bucket["DeletionPolicy"] == "Retain"
        assert bucket["UpdateReplacePolicy"] == "Retain"
        assert "BucketName" not in props


def test_both_bucket_policies_deny_plain_http_and_old_tls(template: Template) -> None:
    policies = template.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 2
    for policy in policies.values():
        denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "s3:*"]
        conditions = [s["Condition"] for s in denies]
        assert conditions == [{"Bool": {"aws:SecureTransport": "false"}}, {"NumericLessThan": {"s3:TlsVersion": 1.2}}]
        assert all(s["Principal"] == {"AWS": "*"} and s["Effect"] == "Deny" for s in denies)


def test_sandbox_bucket_refuses_uploads_not_encrypted_with_its_key(template: Template) -> None:
    statements = [
        s
        for policy in template.find_resources("AWS::S3::BucketPolicy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid", "").startswith("DenyUploads")
    ]
    assert [(s["Sid"], s["Effect"], s["Action"]) for s in statements] == [
        ("DenyUploadsWithAnotherEncryption", "Deny", "s3:PutObject"),
        ("DenyUploadsWithAnotherKey", "Deny", "s3:PutObject"),
    ]
    # Deny only when the header is present and wrong: an ...IfExists operator would refuse header-less uploads.
    header = "s3:x-amz-server-side-encryption"
    assert statements[0]["Condition"] == {"Null": {header: "false"}, "StringNotEquals": {header: "aws:kms"}}
    key_header = f"{header}-aws-kms-key-id"
    assert statements[1]["Condition"]["Null"] == {key_header: "false"}
    assert statements[1]["Condition"]["StringNotEquals"][key_header]["Fn::GetAtt"][0].startswith("Key")


def test_access_logs_go_to_the_sse_s3_log_bucket_under_a_prefix(template: Template) -> None:
    sandbox = _sandbox_bucket(template)
    logging = sandbox["Properties"]["LoggingConfiguration"]
    assert logging["LogFilePrefix"] == "sandbox-bucket/"
    log_bucket_id = logging["DestinationBucketName"]["Ref"]
    log_bucket = template.to_json()["Resources"][log_bucket_id]
    assert log_bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]


def test_log_bucket_policy_lets_only_s3_logging_for_the_sandbox_bucket_write(template: Template) -> None:
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:PutObject",
                                "Effect": "Allow",
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                                "Condition": {
                                    "ArnLike": {"aws:SourceArn": Match.any_value()},
                                    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                                },
                            }
                        )
                    ]
                )
            }
        },
    )


def test_object_events_go_to_eventbridge_without_a_custom_resource(template: Template) -> None:
    sandbox = _sandbox_bucket(template)
    assert sandbox["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    resource_types = {r["Type"] for r in template.to_json()["Resources"].values()}
    assert not any(t.startswith("Custom::") or t == "AWS::Lambda::Function" for t in resource_types)


def test_lifecycle_rules_follow_the_layout(template: Template) -> None:
    """The construct's defaults (a bucket built without LifecycleDays), written out as literals."""
    rules = {r["Id"]: r for r in _sandbox_bucket(template)["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["AbortIncompleteUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert rules["ExpireNoncurrentVersions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rules["RemoveExpiredDeleteMarkers"]["ExpiredObjectDeleteMarker"] is True
    assert rules["ExpireCheckpoints"]["Prefix"] == "artifacts/checkpoints/"
    assert rules["ExpireCheckpoints"]["ExpirationInDays"] == 30
    for prefix in layout.INFERENCE_IO:
        tiering = rules[f"Tier{prefix.name}"]
        assert tiering["Prefix"] == prefix.key
        assert tiering["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]
        assert tiering["ExpirationInDays"] == 90
    assert not any(prefix.startswith(("data/", "artifacts/models/")) for prefix in _prefixes_that_expire(rules))


def _prefixes_that_expire(rules: dict[str, Any]) -> list[str]:
    return [r.get("Prefix", "") for r in rules.values() if "ExpirationInDays" in r]


def test_access_logs_expire_after_the_configured_days() -> None:
    stack = new_stack()
    SandboxBucket(
        stack, "Storage", encryption_key=kms.Key(stack, "Key"), lifecycle=LifecycleDays(access_log_expiration_days=400)
    )
    template_of(stack).has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": Match.array_with([{"Id": "ExpireAccessLogs", "ExpirationInDays": 400, "Status": "Enabled"}])
            }
        },
    )


def _statements(template: Template) -> list[dict[str, Any]]:
    (policy,) = template.find_resources("AWS::IAM::ManagedPolicy").values()
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_grant_read_lists_and_reads_only_under_the_prefix() -> None:
    template = _bucket_with("grant_read", "data/raw/")
    statements = _statements(template)
    objects = next(
        s for s in statements if s["Action"] == ["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion"]
    )
    assert objects["Resource"]["Fn::Join"][1][0]["Fn::GetAtt"][0].startswith("StorageBucket")
    assert objects["Resource"]["Fn::Join"][1][1] == "/data/raw/*"
    listing = next(s for s in statements if s["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["data/raw/*"]}}
    key = next(s for s in statements if "kms:Decrypt" in s["Action"])
    assert key["Action"] == "kms:Decrypt"
    assert key["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]]
    }


def test_grant_write_puts_without_reading_or_listing() -> None:
    statements = _statements(_bucket_with("grant_write", "inference/async/input/"))
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:AbortMultipartUpload",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }


def test_grant_read_write_deletes_but_never_deletes_versions() -> None:
    statements = _statements(_bucket_with("grant_read_write", "configs/"))
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert "s3:DeleteObject" in actions
    assert not {"s3:DeleteObjectVersion", "s3:*", "s3:PutBucketPolicy", "s3:PutLifecycleConfiguration"} & actions


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("logs/", "must lie inside one of the layout areas data/, artifacts/, configs/, inference/"),
        ("data", "must end with '/'"),
        ("data/*/", "without '*'"),
        ("data//raw/", "empty path segments"),
    ],
)
def test_grants_outside_the_layout_are_refused(prefix: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        _bucket_with("grant_read", prefix)
    assert f"prefix={prefix!r}" in str(error.value)
    assert message in str(error.value)


def test_object_created_pattern_filters_by_bucket_and_prefix() -> None:
    stack = new_stack()
    bucket = SandboxBucket(stack, "Storage", encryption_key=kms.Key(stack, "Key"))
    events.Rule(stack, "OnInput", event_pattern=bucket.object_created_pattern(layout.ASYNC_INPUT.key))
    template_of(stack).has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {
                    "bucket": {"name": [{"Ref": Match.string_like_regexp("^StorageBucket")}]},
                    "object": {"key": [{"prefix": "inference/async/input/"}]},
                },
            }
        },
    )


def test_object_created_pattern_refuses_prefixes_outside_the_layout() -> None:
    stack = new_stack()
    bucket = SandboxBucket(stack, "Storage", encryption_key=kms.Key(stack, "Key"))
    with pytest.raises(ConfigurationError, match="prefix='uploads/'"):
        bucket.object_created_pattern("uploads/")
