"""What a member of a real SMUS project can and cannot do with the sandbox, decided by policy evaluation.

Every request is evaluated the way AWS does within one account (``tests/helpers/iam_evaluator.py``) against
everything that decides it: SMUS's own policies and permissions boundary (vendored in ``tests/fixtures/``), the
policies our templates export for SMUS to attach, and the bucket, key and topic policies of the deployed
templates (``tests/helpers/deployed.py`` resolves them for one parameter set). moto and cdk-nag cannot tell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stacks.smus import DOMAIN_ID, ENVIRONMENT_ID, EXECUTION_ROLE_ARN, PROJECT_ID
from tests.conftest import Synthesized
from tests.helpers.deployed import ACCOUNT, REGION, Deployed
from tests.helpers.iam_evaluator import Decision
from tests.helpers.members import DOMAIN, Member, Sandbox, exported_member_policies, identity_only, smus_member
from tests.helpers.policies import service_may
from tests.helpers.s3_public import is_public

PROJECT = "p7x2abcd9"
OTHER_PROJECT = "q4other77"
ENVIRONMENT = "e5sandbox3"
RESERVED = {DOMAIN_ID: DOMAIN, PROJECT_ID: PROJECT, ENVIRONMENT_ID: ENVIRONMENT}
TOOLING_EXPORTS = {
    f"privateSubnets-{PROJECT}-dev": "subnet-0a1b2c3d,subnet-4e5f6a7b",
    f"securityGroup-{PROJECT}-dev": "sg-0a1b2c3d",
}
KMS = {"s3:x-amz-server-side-encryption": "aws:kms"}


@pytest.fixture(scope="module", params=["ProjectNetwork", "NewVpc"])
def sandbox(request: pytest.FixtureRequest, synthesized: Synthesized) -> Sandbox:
    parameters = RESERVED | {"NetworkMode": request.param}
    return Sandbox(Deployed(synthesized.templates["genai-sandbox"], parameters, TOOLING_EXPORTS))


@pytest.fixture(scope="module")
def member(sandbox: Sandbox) -> Member:
    return smus_member(PROJECT, exported_member_policies(sandbox.deployed))


@pytest.fixture(scope="module")
def outsider() -> Member:
    """A member of another project in the same domain and account."""
    return smus_member(OTHER_PROJECT)


def _allowed(*results: Any) -> bool:
    return all(result.allowed for result in results)


# ---- data and key ------------------------------------------------------------------------------------------------


def test_member_uploads_with_default_encryption(sandbox: Sandbox, member: Member) -> None:
    """No encryption header: the bucket's default encryption (the sandbox key) applies."""
    assert _allowed(
        sandbox.s3(member, "s3:PutObject", "data/raw/churn.csv"),
        sandbox.kms_through_s3(member, "kms:GenerateDataKey"),
    )


def test_member_uploads_naming_the_sandbox_key(sandbox: Sandbox, member: Member) -> None:
    header = KMS | {"s3:x-amz-server-side-encryption-aws-kms-key-id": sandbox.key_arn}
    assert sandbox.s3(member, "s3:PutObject", "data/raw/churn.csv", **header).allowed


@pytest.mark.parametrize(
    "key", ["data/raw/churn.csv", "artifacts/models/sagemaker-finetuned/m/model.tar.gz", "configs/a.json"]
)
def test_member_reads_back_and_lists(sandbox: Sandbox, member: Member, key: str) -> None:
    area = key.split("/", 1)[0] + "/"
    assert _allowed(
        sandbox.s3(member, "s3:GetObject", key),
        sandbox.kms_through_s3(member, "kms:Decrypt"),
        sandbox.s3(member, "s3:ListBucket", area),
    )


@pytest.mark.parametrize("key", ["inference/async/input/r1.json", "inference/batch/input/b1/part-0.jsonl"])
def test_member_submits_inference_inputs_but_cannot_read_them_back(sandbox: Sandbox, member: Member, key: str) -> None:
    assert sandbox.s3(member, "s3:PutObject", key).allowed
    assert not sandbox.s3(member, "s3:GetObject", key).allowed


@pytest.mark.parametrize(
    "key",
    ["inference/async/output/r1.out", "inference/batch/output/b1/part-0.jsonl.out", "inference/realtime/capture/x"],
)
def test_member_reads_inference_results_but_cannot_write_them(sandbox: Sandbox, member: Member, key: str) -> None:
    assert _allowed(sandbox.s3(member, "s3:GetObject", key), sandbox.kms_through_s3(member, "kms:Decrypt"))
    assert not sandbox.s3(member, "s3:PutObject", key).allowed


@pytest.mark.parametrize("prefix", ["", "inference/", "inference/async/input/", "secrets/"])
def test_member_lists_only_the_areas_it_reads(sandbox: Sandbox, member: Member, prefix: str) -> None:
    assert not sandbox.s3(member, "s3:ListBucket", prefix).allowed


def test_another_projects_member_cannot_read_or_list_the_data(sandbox: Sandbox, outsider: Member) -> None:
    assert sandbox.s3(outsider, "s3:GetObject", "data/raw/churn.csv").decision is Decision.IMPLICIT_DENY
    assert not sandbox.s3(outsider, "s3:ListBucket", "data/").allowed
    assert not sandbox.kms_through_s3(outsider, "kms:Decrypt").allowed


@pytest.mark.parametrize(
    ("action", "key"),
    [
        ("s3:PutObject", "data/raw/churn.csv"),
        ("s3:DeleteObject", "data/raw/churn.csv"),
        ("s3:PutObject", "inference/async/input/r1.json"),
        ("s3:GetObject", "inference/async/output/r1.out"),
        ("s3:DeleteObjectVersion", "data/raw/churn.csv"),
    ],
)
def test_another_projects_member_cannot_write_delete_or_read_results(
    sandbox: Sandbox, outsider: Member, action: str, key: str
) -> None:
    assert not sandbox.s3(outsider, action, key).allowed


def test_nobody_deletes_an_object_version(sandbox: Sandbox, member: Member) -> None:
    assert not sandbox.s3(member, "s3:DeleteObjectVersion", "data/raw/churn.csv").allowed
    assert sandbox.s3(member, "s3:DeleteObject", "data/raw/churn.csv").allowed  # a delete marker


@pytest.mark.parametrize(
    "header",
    [
        {"s3:x-amz-server-side-encryption": "AES256"},
        KMS | {"s3:x-amz-server-side-encryption-aws-kms-key-id": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/other"},
    ],
)
def test_uploads_with_another_encryption_are_explicitly_denied(
    sandbox: Sandbox, member: Member, header: dict[str, str]
) -> None:
    assert sandbox.s3(member, "s3:PutObject", "data/raw/churn.csv", **header).decision is Decision.EXPLICIT_DENY


def test_requests_without_tls_are_explicitly_denied(sandbox: Sandbox, member: Member) -> None:
    result = sandbox.s3(member, "s3:GetObject", "data/raw/churn.csv", **{"aws:SecureTransport": False})
    assert result.decision is Decision.EXPLICIT_DENY


def test_bucket_policy_is_not_public(sandbox: Sandbox) -> None:
    """S3 Block Public Access would refuse a public policy at deployment; without the fixed account the member
    statements would be public (wildcard principal, wildcard role ARN)."""
    policy = sandbox.bucket_policy()
    assert not is_public(policy)
    without_account = [
        {
            **s,
            "Condition": {
                op: {k: v for k, v in keys.items() if k != "aws:PrincipalAccount"}
                for op, keys in s.get("Condition", {}).items()
            },
        }
        for s in policy["Statement"]
    ]
    assert is_public({"Statement": without_account})


# ---- model building and discovery --------------------------------------------------------------------------------


def test_member_registers_a_model_version_and_reads_it(sandbox: Sandbox, member: Member) -> None:
    group_name = f"genai-sandbox-{PROJECT}-dev"
    group = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/{group_name}"
    version = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{group_name}/3"
    assert _allowed(
        identity_only(member, "sagemaker:CreateModelPackage", group),
        identity_only(member, "sagemaker:CreateModelPackage", version),
        identity_only(member, "sagemaker:AddTags", version),
        identity_only(member, "sagemaker:DescribeModelPackage", version),
        identity_only(member, "sagemaker:DescribeModelPackageGroup", group),
    )


def test_member_passes_the_training_role_to_sagemaker_only(sandbox: Sandbox, member: Member) -> None:
    (role_id,) = [r for r in sandbox.deployed.of_type("AWS::IAM::Role") if r.startswith("TrainingRole")]
    role_arn = sandbox.deployed.attribute(role_id, "Arn")
    assert role_arn == f"arn:aws:iam::{ACCOUNT}:role/datazone-sandbox-training-{ENVIRONMENT}"
    assert identity_only(member, "iam:PassRole", role_arn, **{"iam:PassedToService": "sagemaker.amazonaws.com"}).allowed
    assert not identity_only(
        member, "iam:PassRole", role_arn, **{"iam:PassedToService": "lambda.amazonaws.com"}
    ).allowed


def _repository(sandbox: Sandbox) -> tuple[str, dict[str, str]]:
    (repository_id,) = sandbox.deployed.of_type("AWS::ECR::Repository")
    return sandbox.deployed.attribute(repository_id, "Arn"), sandbox.deployed.tag_context(repository_id)


def test_another_projects_member_cannot_pass_the_training_role(sandbox: Sandbox, outsider: Member) -> None:
    (role_id,) = [r for r in sandbox.deployed.of_type("AWS::IAM::Role") if r.startswith("TrainingRole")]
    role_arn = sandbox.deployed.attribute(role_id, "Arn")
    passed = identity_only(outsider, "iam:PassRole", role_arn, **{"iam:PassedToService": "sagemaker.amazonaws.com"})
    assert not passed.allowed


def test_member_pulls_from_the_repository_but_cannot_push(sandbox: Sandbox, member: Member) -> None:
    repository, tags = _repository(sandbox)
    assert _allowed(
        identity_only(member, "ecr:GetAuthorizationToken", "*"),
        identity_only(member, "ecr:BatchGetImage", repository, **tags),
        identity_only(member, "ecr:GetDownloadUrlForLayer", repository, **tags),
    )
    assert identity_only(member, "ecr:PutImage", repository, **tags).decision is Decision.EXPLICIT_DENY


def test_another_projects_member_cannot_pull_from_the_repository(sandbox: Sandbox, outsider: Member) -> None:
    """SMUS's own policy allows pulls from any repository; the project tag makes the boundary deny it."""
    repository, tags = _repository(sandbox)
    assert identity_only(outsider, "ecr:BatchGetImage", repository, **tags).decision is Decision.EXPLICIT_DENY


def test_member_discovers_the_sandbox_without_listing_exports(
    sandbox: Sandbox, member: Member, outsider: Member
) -> None:
    (parameter_id,) = sandbox.deployed.of_type("AWS::SSM::Parameter")
    name = sandbox.deployed.ref(parameter_id)
    assert name == f"/genai-sandbox/{PROJECT}/dev"
    arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"
    tags = sandbox.deployed.tag_context(parameter_id)
    assert identity_only(member, "ssm:GetParameter", arn, **tags).allowed
    assert identity_only(outsider, "ssm:GetParameter", arn, **tags).decision is Decision.EXPLICIT_DENY
    assert identity_only(member, "cloudformation:ListExports", "*").decision is Decision.EXPLICIT_DENY


def test_iam_domain_execution_role_without_boundary_reads_and_writes(synthesized: Synthesized) -> None:
    """IAM-based domains: the admin's execution role, no SMUS boundary, no project tags."""
    role = f"arn:aws:iam::{ACCOUNT}:role/ProjectExecution"
    deployed = Deployed(synthesized.templates["genai-sandbox"], RESERVED | {EXECUTION_ROLE_ARN: role}, TOOLING_EXPORTS)
    sandbox = Sandbox(deployed)
    through_bucket_policy_only = Member(role, {}, [], None)
    assert _allowed(
        sandbox.s3(through_bucket_policy_only, "s3:PutObject", "data/raw/x.csv"),
        sandbox.s3(through_bucket_policy_only, "s3:GetObject", "data/raw/x.csv"),
        sandbox.kms_through_s3(through_bucket_policy_only, "kms:Decrypt"),
    )
    with_exported_policy = Member(role, {}, exported_member_policies(deployed), None)
    assert sandbox.s3(with_exported_policy, "s3:GetObject", "configs/a.json").allowed


# ---- the pattern blueprints --------------------------------------------------------------------------------------

SAGEMAKER = {
    "ModelSource": "SageMaker",
    "ModelArtifactKey": "artifacts/models/sagemaker-finetuned/m/model.tar.gz",
    "ContainerImageUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/images:v1",
}


def _pattern(
    synthesized: Synthesized, blueprint: str, parameters: dict[str, str], network: str = "ProjectNetwork"
) -> Deployed:
    """A pattern environment deployed after a genai-sandbox environment of ``network`` mode, importing its exports."""
    sandbox = Deployed(synthesized.templates["genai-sandbox"], RESERVED | {"NetworkMode": network}, TOOLING_EXPORTS)
    return Deployed(
        synthesized.templates[blueprint], RESERVED | {ENVIRONMENT_ID: "e9pattern1"} | parameters, sandbox.exports()
    )


def _only(deployed: Deployed, resource_type: str) -> str:
    (logical_id,) = deployed.of_type(resource_type)
    return logical_id


@pytest.mark.parametrize("network", ["ProjectNetwork", "NewVpc"])
@pytest.mark.parametrize("blueprint", ["realtime-inference", "serverless-inference"])
def test_member_invokes_the_endpoint_and_outsiders_cannot(
    synthesized: Synthesized, blueprint: str, network: str
) -> None:
    deployed = _pattern(synthesized, blueprint, SAGEMAKER, network)
    endpoint = _only(deployed, "AWS::SageMaker::Endpoint")
    tags = deployed.tag_context(endpoint)
    member = smus_member(PROJECT, exported_member_policies(deployed))
    arn = deployed.ref(endpoint)
    assert identity_only(member, "sagemaker:InvokeEndpoint", arn, **tags).allowed
    outsider = smus_member(OTHER_PROJECT)
    assert identity_only(outsider, "sagemaker:InvokeEndpoint", arn, **tags).decision is Decision.EXPLICIT_DENY


@pytest.mark.parametrize("network", ["ProjectNetwork", "NewVpc"])
@pytest.mark.parametrize("blueprint", ["realtime-inference", "serverless-inference"])
def test_member_invokes_the_model_through_the_profile(synthesized: Synthesized, blueprint: str, network: str) -> None:
    deployed = _pattern(synthesized, blueprint, {"ModelSource": "Bedrock"}, network)
    profile_id = _only(deployed, "AWS::Bedrock::ApplicationInferenceProfile")
    profile = deployed.attribute(profile_id, "InferenceProfileArn")
    tags = deployed.tag_context(profile_id)
    model = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-lite-v1:0"
    member = smus_member(PROJECT, exported_member_policies(deployed))
    assert _allowed(
        identity_only(member, "bedrock:InvokeModel", profile, **tags),
        identity_only(member, "bedrock:InvokeModel", model, **{"bedrock:InferenceProfileArn": profile}),
    )
    assert not identity_only(member, "bedrock:InvokeModel", model).allowed
    outsider = smus_member(OTHER_PROJECT)
    assert identity_only(outsider, "bedrock:InvokeModel", profile, **tags).decision is Decision.EXPLICIT_DENY


@pytest.mark.parametrize("blueprint", ["realtime-inference", "serverless-inference"])
def test_with_a_guardrail_members_invoke_only_through_it(synthesized: Synthesized, blueprint: str) -> None:
    """The API applies the guardrail on every call; members invoking directly must name it too."""
    guardrail_id = "abcd1234efgh"
    parameters = {"ModelSource": "Bedrock", "GuardrailId": guardrail_id, "GuardrailVersion": "3"}
    deployed = _pattern(synthesized, blueprint, parameters)
    profile_id = _only(deployed, "AWS::Bedrock::ApplicationInferenceProfile")
    profile = deployed.attribute(profile_id, "InferenceProfileArn")
    tags = deployed.tag_context(profile_id)
    guardrail = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/{guardrail_id}"
    member = smus_member(PROJECT, exported_member_policies(deployed))

    def invoke(**context: str) -> bool:
        return identity_only(member, "bedrock:InvokeModel", profile, **tags, **context).allowed

    assert invoke(**{"bedrock:GuardrailIdentifier": f"{guardrail}:3"})
    assert not invoke()
    assert not invoke(**{"bedrock:GuardrailIdentifier": f"{guardrail.replace(guardrail_id, 'zzzz9999zzzz')}:3"})
    assert not invoke(**{"bedrock:GuardrailIdentifier": f"{guardrail}:2"})
    project_tagged = {"aws:ResourceTag/AmazonDataZoneProject": PROJECT}
    assert identity_only(member, "bedrock:ApplyGuardrail", guardrail, **project_tagged).allowed
    # SMUS's boundary allows ApplyGuardrail only on guardrails tagged with the caller's project (README).
    assert not identity_only(member, "bedrock:ApplyGuardrail", guardrail).allowed


@pytest.mark.parametrize("blueprint", ["realtime-inference", "serverless-inference"])
def test_members_cannot_call_the_api_but_application_clients_can(synthesized: Synthesized, blueprint: str) -> None:
    deployed = _pattern(synthesized, blueprint, {"ModelSource": "Bedrock"})
    api = _only(deployed, "AWS::ApiGateway::RestApi")
    invoke = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{deployed.ref(api)}/v1/POST/invoke"
    member = smus_member(PROJECT, exported_member_policies(deployed))
    assert identity_only(member, "execute-api:Invoke", invoke).decision is Decision.EXPLICIT_DENY
    (client_id,) = [p for p in deployed.of_type("AWS::IAM::ManagedPolicy") if p.startswith("ApiClientPolicy")]
    client = Member(f"arn:aws:iam::{ACCOUNT}:role/app", {}, [deployed.properties(client_id)["PolicyDocument"]], None)
    assert identity_only(client, "execute-api:Invoke", invoke).allowed


def test_alarm_topic_lets_cloudwatch_alarms_of_this_account_publish(synthesized: Synthesized) -> None:
    deployed = _pattern(synthesized, "realtime-inference", {"ModelSource": "Bedrock"})
    (policy,) = deployed.of_type("AWS::SNS::TopicPolicy").values()
    topic = policy["Topics"][0]
    alarm = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:api-5xx"

    def publishes(source_account: str, source_arn: str, tls: bool = True) -> bool:
        context = {"aws:SourceAccount": source_account, "aws:SourceArn": source_arn, "aws:SecureTransport": tls}
        statements = policy["PolicyDocument"]["Statement"]
        return service_may(statements, "cloudwatch.amazonaws.com", "sns:Publish", topic, context)

    assert publishes(ACCOUNT, alarm)
    assert not publishes("210987654321", alarm.replace(ACCOUNT, "210987654321"))
    assert not publishes(ACCOUNT, alarm, tls=False)


# ---- the async blueprint ----------------------------------------------------------------------------------------

ASYNC_REQUEST = "inference/async/input/team/req-001.json"
ASYNC_RESULT = "inference/async/output/team/req-001.out"
ASYNC_STATUS = "inference/async/output/team/req-001.status.json"
ASYNC_FAILURE = "inference/async/output/failures/team/req-001.out"


def _async(synthesized: Synthesized, source: str, network: str) -> tuple[Sandbox, Deployed]:
    parameters = RESERVED | {"NetworkMode": network}
    sandbox = Sandbox(Deployed(synthesized.templates["genai-sandbox"], parameters, TOOLING_EXPORTS))
    pattern = Deployed(
        synthesized.templates["async-inference"],
        RESERVED | {ENVIRONMENT_ID: "e9async01"} | (SAGEMAKER if source == "SageMaker" else {"ModelSource": source}),
        sandbox.deployed.exports(),
    )
    return sandbox, pattern


def _role(deployed: Deployed, prefix: str) -> Member:
    """A role of the template with the managed policies attached to it, as the service that assumes it."""
    (role_id,) = [r for r in deployed.of_type("AWS::IAM::Role") if r.startswith(prefix)]
    name = deployed.ref(role_id)
    attached = [
        p["PolicyDocument"] for p in deployed.of_type("AWS::IAM::ManagedPolicy").values() if name in p.get("Roles", [])
    ]
    return Member(f"arn:aws:iam::{ACCOUNT}:role/{name}", {}, attached, None)


@pytest.mark.parametrize("network", ["ProjectNetwork", "NewVpc"])
@pytest.mark.parametrize("source", ["Bedrock", "SageMaker"])
def test_member_submits_an_async_request_and_reads_its_result_and_status(
    synthesized: Synthesized, source: str, network: str
) -> None:
    """The whole member side of async-inference: write the request object, read the result, the status record and
    a failure, and the environment's outputs; whichever model serves the queue."""
    sandbox, pattern = _async(synthesized, source, network)
    member = smus_member(PROJECT, [*exported_member_policies(sandbox.deployed), *exported_member_policies(pattern)])
    assert _allowed(
        sandbox.s3(member, "s3:PutObject", ASYNC_REQUEST),
        sandbox.kms_through_s3(member, "kms:GenerateDataKey"),
        *(sandbox.s3(member, "s3:GetObject", key) for key in (ASYNC_RESULT, ASYNC_STATUS, ASYNC_FAILURE)),
        sandbox.s3(member, "s3:ListBucket", "inference/async/output/team/"),
        sandbox.kms_through_s3(member, "kms:Decrypt"),
        identity_only(
            member,
            "cloudformation:DescribeStacks",
            pattern.value({"Ref": "AWS::StackId"}),  # stack/DataZone-Env-..., tagged by SMUS with the project
            **{"aws:ResourceTag/AmazonDataZoneProject": PROJECT},
        ),
    )
    assert not sandbox.s3(member, "s3:PutObject", ASYNC_STATUS).allowed  # records are the blueprint's to write


@pytest.mark.parametrize("source", ["Bedrock", "SageMaker"])
def test_another_projects_member_cannot_submit_or_read_async_requests(synthesized: Synthesized, source: str) -> None:
    sandbox, _ = _async(synthesized, source, "ProjectNetwork")
    outsider = smus_member(OTHER_PROJECT)
    assert not sandbox.s3(outsider, "s3:PutObject", ASYNC_REQUEST).allowed
    for key in (ASYNC_RESULT, ASYNC_STATUS):
        assert sandbox.s3(outsider, "s3:GetObject", key).decision is Decision.IMPLICIT_DENY


@pytest.mark.parametrize("source", ["Bedrock", "SageMaker"])
def test_async_functions_read_requests_and_write_results_and_records_with_the_sandbox_key(
    synthesized: Synthesized, source: str
) -> None:
    """The invoker and the completion function write with the key named in the header, which the bucket policy
    requires of explicit headers; neither may touch anything else."""
    sandbox, pattern = _async(synthesized, source, "ProjectNetwork")
    header = KMS | {"s3:x-amz-server-side-encryption-aws-kms-key-id": sandbox.key_arn}
    invoker, completion = _role(pattern, "RequestsInvokerRole"), _role(pattern, "RequestsCompletionRole")
    assert _allowed(
        sandbox.s3(invoker, "s3:GetObject", ASYNC_REQUEST),
        sandbox.s3(invoker, "s3:GetObject", ASYNC_STATUS),
        sandbox.s3(invoker, "s3:PutObject", ASYNC_STATUS, **header),
        sandbox.s3(invoker, "s3:PutObject", ASYNC_RESULT, **header),
        sandbox.kms_through_s3(invoker, "kms:GenerateDataKey"),
        sandbox.s3(completion, "s3:GetObject", ASYNC_STATUS),
        sandbox.s3(completion, "s3:PutObject", ASYNC_STATUS, **header),
        sandbox.kms_through_s3(completion, "kms:Decrypt"),
        # a missing record or request answers 403 to GetObject; the handler then lists the key itself
        sandbox.s3(invoker, "s3:ListBucket", ASYNC_STATUS),
        sandbox.s3(invoker, "s3:ListBucket", ASYNC_REQUEST),
        sandbox.s3(completion, "s3:ListBucket", ASYNC_STATUS),
    )
    for role in (invoker, completion):
        assert not sandbox.s3(role, "s3:PutObject", "data/raw/x.csv", **header).allowed
        assert not sandbox.s3(role, "s3:DeleteObject", ASYNC_RESULT).allowed
    assert not sandbox.s3(completion, "s3:GetObject", ASYNC_REQUEST).allowed


def test_the_async_model_reads_requests_and_writes_results(synthesized: Synthesized) -> None:
    """SageMaker reads the input and writes results and failures with the model's execution role."""
    sandbox, pattern = _async(synthesized, "SageMaker", "ProjectNetwork")
    model = _role(pattern, "ModelSageMakerExecutionRole")
    assert _allowed(
        sandbox.s3(model, "s3:GetObject", ASYNC_REQUEST),
        sandbox.s3(model, "s3:PutObject", ASYNC_RESULT),
        sandbox.s3(model, "s3:PutObject", ASYNC_FAILURE),
        sandbox.kms_through_s3(model, "kms:GenerateDataKey"),
    )
    assert not sandbox.s3(model, "s3:PutObject", ASYNC_REQUEST).allowed


# ---- the batch blueprint ----------------------------------------------------------------------------------------

BATCH_FILE = "inference/batch/input/churn-2026-11/part-0001.jsonl"
BATCH_MARKER = "inference/batch/input/churn-2026-11.ready"
BATCH_STATUS = "inference/batch/output/churn-2026-11/status.json"
BATCH_RESULT = "inference/batch/output/churn-2026-11/1a2b3c4d/part-0001.jsonl.out"


def _batch(synthesized: Synthesized, source: str, network: str = "ProjectNetwork") -> tuple[Sandbox, Deployed]:
    parameters = RESERVED | {"NetworkMode": network}
    sandbox = Sandbox(Deployed(synthesized.templates["genai-sandbox"], parameters, TOOLING_EXPORTS))
    pattern = Deployed(
        synthesized.templates["batch-inference"],
        RESERVED | {ENVIRONMENT_ID: "e9batch01"} | (SAGEMAKER if source == "SageMaker" else {"ModelSource": source}),
        sandbox.deployed.exports(),
    )
    return sandbox, pattern


@pytest.mark.parametrize("network", ["ProjectNetwork", "NewVpc"])
@pytest.mark.parametrize("source", ["Bedrock", "SageMaker"])
def test_member_submits_a_batch_and_reads_its_results_and_status(
    synthesized: Synthesized, source: str, network: str
) -> None:
    """The member side of batch-inference: upload the files and the marker, read the status and the results."""
    sandbox, pattern = _batch(synthesized, source, network)
    member = smus_member(PROJECT, [*exported_member_policies(sandbox.deployed), *exported_member_policies(pattern)])
    assert _allowed(
        sandbox.s3(member, "s3:PutObject", BATCH_FILE),
        sandbox.s3(member, "s3:PutObject", BATCH_MARKER),
        sandbox.kms_through_s3(member, "kms:GenerateDataKey"),
        sandbox.s3(member, "s3:GetObject", BATCH_STATUS),
        sandbox.s3(member, "s3:GetObject", BATCH_RESULT),
        sandbox.s3(member, "s3:ListBucket", "inference/batch/output/churn-2026-11/"),
        sandbox.kms_through_s3(member, "kms:Decrypt"),
    )
    assert not sandbox.s3(member, "s3:PutObject", BATCH_STATUS).allowed


def test_members_cannot_start_bedrock_batch_jobs_themselves(synthesized: Synthesized) -> None:
    """SMUS's boundary denies CreateModelInvocationJob: the launcher starts the jobs."""
    _, pattern = _batch(synthesized, "Bedrock")
    member = smus_member(PROJECT, exported_member_policies(pattern))
    job = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/abc123"
    assert identity_only(member, "bedrock:CreateModelInvocationJob", job).decision is Decision.EXPLICIT_DENY


@pytest.mark.parametrize("source", ["Bedrock", "SageMaker"])
def test_another_projects_member_cannot_submit_or_read_batches(synthesized: Synthesized, source: str) -> None:
    sandbox, _ = _batch(synthesized, source)
    outsider = smus_member(OTHER_PROJECT)
    assert not sandbox.s3(outsider, "s3:PutObject", BATCH_MARKER).allowed
    for key in (BATCH_STATUS, BATCH_RESULT):
        assert sandbox.s3(outsider, "s3:GetObject", key).decision is Decision.IMPLICIT_DENY


def test_the_launcher_starts_bedrock_jobs_with_the_service_role_only(synthesized: Synthesized) -> None:
    sandbox, pattern = _batch(synthesized, "Bedrock")
    launcher = _role(pattern, "JobsLauncherRole")
    (service_role_id,) = [r for r in pattern.of_type("AWS::IAM::Role") if r.startswith("BedrockJobRole")]
    service_role = pattern.attribute(service_role_id, "Arn")
    job = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/abc123"
    passed = {"iam:PassedToService": "bedrock.amazonaws.com"}
    assert _allowed(
        identity_only(launcher, "bedrock:CreateModelInvocationJob", job),
        identity_only(  # through a profile Bedrock may also check the foundation model it routes to
            launcher,
            "bedrock:CreateModelInvocationJob",
            "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0",
        ),
        identity_only(launcher, "iam:PassRole", service_role, **passed),
        sandbox.s3(launcher, "s3:GetObject", BATCH_MARKER),
        sandbox.s3(launcher, "s3:ListBucket", "inference/batch/input/"),
    )
    assert not identity_only(
        launcher, "iam:PassRole", service_role, **{"iam:PassedToService": "ec2.amazonaws.com"}
    ).allowed
    header = KMS | {"s3:x-amz-server-side-encryption-aws-kms-key-id": sandbox.key_arn}
    bedrock = _role(pattern, "BedrockJobRole")
    assert _allowed(
        sandbox.s3(bedrock, "s3:GetObject", BATCH_FILE),
        sandbox.s3(bedrock, "s3:ListBucket", "inference/batch/input/churn-2026-11/"),
        sandbox.s3(bedrock, "s3:PutObject", BATCH_RESULT, **header),
        sandbox.kms_through_s3(bedrock, "kms:GenerateDataKey"),
    )
    assert not sandbox.s3(bedrock, "s3:PutObject", "data/raw/x.csv").allowed


def test_transform_jobs_read_the_batch_and_write_results_with_the_model_role(synthesized: Synthesized) -> None:
    sandbox, pattern = _batch(synthesized, "SageMaker")
    launcher, model = _role(pattern, "JobsLauncherRole"), _role(pattern, "ModelSageMakerExecutionRole")
    ours = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:transform-job/e9batch01-churn-2026-11-1a2b3c4d"
    theirs = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:transform-job/e1other-churn-2026-11-1a2b3c4d"
    assert identity_only(launcher, "sagemaker:CreateTransformJob", ours).allowed
    assert not identity_only(launcher, "sagemaker:CreateTransformJob", theirs).allowed
    assert _allowed(
        sandbox.s3(model, "s3:GetObject", BATCH_FILE),
        sandbox.s3(model, "s3:PutObject", BATCH_RESULT),
        sandbox.kms_through_s3(model, "kms:GenerateDataKey"),
    )


README_ROWS = {
    "upload to `data/`": ["test_member_uploads_with_default_encryption", "test_member_uploads_naming_the_sandbox_key"],
    "read back, list, delete": ["test_member_reads_back_and_lists", "test_nobody_deletes_an_object_version"],
    "upload with AES256": ["test_uploads_with_another_encryption_are_explicitly_denied"],
    "delete an object version": ["test_nobody_deletes_an_object_version"],
    "write `inference/async/input/`": ["test_member_submits_inference_inputs_but_cannot_read_them_back"],
    "read `inference/async/output/`": ["test_member_reads_inference_results_but_cannot_write_them"],
    "submit a batch": [
        "test_member_submits_a_batch_and_reads_its_results_and_status",
        "test_another_projects_member_cannot_submit_or_read_batches",
        "test_members_cannot_start_bedrock_batch_jobs_themselves",
    ],
    "submit an async request": [
        "test_member_submits_an_async_request_and_reads_its_result_and_status",
        "test_another_projects_member_cannot_submit_or_read_async_requests",
    ],
    "register a model version": ["test_member_registers_a_model_version_and_reads_it"],
    "pass the training role": [
        "test_member_passes_the_training_role_to_sagemaker_only",
        "test_another_projects_member_cannot_pass_the_training_role",
    ],
    "pull from the sandbox ECR repository": [
        "test_member_pulls_from_the_repository_but_cannot_push",
        "test_another_projects_member_cannot_pull_from_the_repository",
    ],
    "push images": ["test_member_pulls_from_the_repository_but_cannot_push"],
    "read the discovery parameter": ["test_member_discovers_the_sandbox_without_listing_exports"],
    "`cloudformation:ListExports`": ["test_member_discovers_the_sandbox_without_listing_exports"],
    "invoke the pattern's SageMaker endpoint": ["test_member_invokes_the_endpoint_and_outsiders_cannot"],
    "invoke the Bedrock model through": ["test_member_invokes_the_model_through_the_profile"],
    "with `GuardrailId` set": ["test_with_a_guardrail_members_invoke_only_through_it"],
    "call the pattern's API": ["test_members_cannot_call_the_api_but_application_clients_can"],
}
"""Each row of the README's "What a project member can do in SMUS" table -> the tests that decide it."""


def test_every_readme_row_is_decided_by_a_test() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = readme.split("| Workflow | Member of this project | Member of another project |", 1)[1].split("\n\n", 1)[0]
    rows = [line.split("|")[1].strip() for line in table.splitlines()[2:] if line.startswith("|")]
    assert len(rows) == len(README_ROWS), rows
    for row in rows:
        (label,) = [label for label in README_ROWS if row.startswith(label)]
        assert all(name in globals() for name in README_ROWS[label]), label
