"""Deploy genai-sandbox with moto's CloudFormation: in every network mode, two projects side by side, each next
to a fake Tooling stack that exports what SMUS exports.

moto applies only some properties and skips some types: what it cannot prove, the template assertions prove.
Here we assert what moto does create, and that two projects never collide.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from genai_sandbox_constructs.network.sandbox_network import EXISTING_VPC, MODES, NEW_VPC, PROJECT_NETWORK
from tests.conftest import Synthesized
from tests.helpers.expected import NEW_VPC_INTERFACE_ENDPOINTS
from tests.helpers.moto_deploy import MotoAccount, moto_account, moto_compatible
from tests.helpers.tooling import tooling_template

SKIPPED_BY_MOTO = {"AWS::S3::BucketPolicy", "AWS::SageMaker::ModelPackageGroup"}
"""Types moto 5.2.5 does not create; the template assertions cover them."""
SKIPPED_WITH_A_SECURITY_GROUP = {"AWS::EC2::SecurityGroupEgress"}
"""moto also skips stand-alone egress rules (the members' rule), in the modes that create a security group."""
PROJECTS = ("proj1abcdefgh1", "proj2abcdefgh2")
DATA_BUCKET = "arn:aws:s3:::corporate-data"
DATA_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def sandbox_parameters(project_id: str, environment: str = "dev") -> dict[str, str]:
    return {
        "datazoneEnvironmentDomainId": "dzd_abc123def456gh",
        "datazoneEnvironmentProjectId": project_id,
        "datazoneEnvironmentEnvironmentId": f"env{project_id[-6:]}",
        "datazoneScopeName": "dev",
        "ProjectName": "fraud-detection",
        "Environment": environment,
    }


@dataclass
class Deployment:
    """One network mode: the mocked account, the Tooling outputs and the sandbox outputs per project."""

    mode: str
    account: MotoAccount
    tooling: dict[str, dict[str, str]]
    sandbox: dict[str, dict[str, str]]
    boundary_arn: str


def _network_parameters(mode: str, tooling: dict[str, str], index: int) -> dict[str, str]:
    if mode != EXISTING_VPC:
        return {"NetworkMode": mode}
    given = {"ExistingSecurityGroupId": tooling["SecurityGroup"]} if index == 1 else {}
    return {
        "NetworkMode": mode,
        "ExistingVpcId": tooling["VpcId"],
        "ExistingSubnetIds": tooling["PrivateSubnets"],
        **given,
    }


@pytest.fixture(scope="module", params=MODES)
def deployment(request: pytest.FixtureRequest, synthesized: Synthesized) -> Iterator[Deployment]:
    """The first project: dev, defaults. The second: prod, a permissions boundary and data sources."""
    mode: str = request.param
    body = moto_compatible(synthesized.templates["genai-sandbox"])
    with moto_account() as account:
        boundary = account.client("iam").create_policy(
            PolicyName="SandboxBoundary",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )["Policy"]["Arn"]
        tooling, sandbox = {}, {}
        for index, project_id in enumerate(PROJECTS):
            tooling[project_id] = account.create_stack(f"DataZone-Env-tool{index}", tooling_template(project_id))
            parameters = {
                **sandbox_parameters(project_id, ("dev", "prod")[index]),
                **_network_parameters(mode, tooling[project_id], index),
            }
            if index == 1:
                parameters |= {
                    "PermissionsBoundaryArn": boundary,
                    "DataSourceS3Arns": f"{DATA_BUCKET},{DATA_BUCKET}/curated/*",
                    "DataSourceGlueDatabases": "sales,marketing",
                    "DataSourceKmsKeyArns": DATA_KEY,
                }
            sandbox[project_id] = account.create_stack(f"DataZone-Env-env{project_id[-6:]}", body, parameters)
        yield Deployment(mode, account, tooling, sandbox, boundary)
    creates_group = mode != PROJECT_NETWORK
    assert account.skipped == SKIPPED_BY_MOTO | (SKIPPED_WITH_A_SECURITY_GROUP if creates_group else set())


def test_both_projects_export_their_own_names(deployment: Deployment) -> None:
    exports = deployment.account.exports()
    for project_id in PROJECTS:
        outputs = deployment.sandbox[project_id]
        assert exports[f"genaiSandboxBucketName-{project_id}-dev"] == outputs["BucketName"]
        assert exports[f"genaiSandboxPrefixAsyncInput-{project_id}-dev"] == "inference/async/input/"
        assert exports[f"genaiSandboxSubnetIds-{project_id}-dev"] == outputs["SubnetIds"]
        assert exports[f"genaiSandboxTrainingRoleArn-{project_id}-dev"] == outputs["TrainingRoleArn"]
        assert f"datazone-managed-policy-genai-sandbox-env{project_id[-6:]}" in exports
        assert f"privateSubnets-{project_id}-dev" in exports  # the Tooling stand-in is untouched
    assert len({deployment.sandbox[p]["BucketName"] for p in PROJECTS}) == 2


def test_each_project_gets_its_own_kms_encrypted_bucket(deployment: Deployment) -> None:
    s3 = deployment.account.client("s3")
    for project_id in PROJECTS:
        outputs = deployment.sandbox[project_id]
        rule = s3.get_bucket_encryption(Bucket=outputs["BucketName"])["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": outputs["KeyArn"],
        }
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=outputs["BucketName"])["TagSet"]}
        assert (tags["Blueprint"], tags["Project"]) == ("genai-sandbox", "fraud-detection")
    assert len(s3.list_buckets()["Buckets"]) == 2 * 2 + 2  # sandbox + access logs per project, two Tooling buckets


def test_each_project_gets_its_own_key_and_alias(deployment: Deployment) -> None:
    kms = deployment.account.client("kms")
    keys = {deployment.sandbox[p]["KeyArn"] for p in PROJECTS}
    assert len(keys) == 2
    assert keys <= {key["KeyArn"] for key in kms.list_keys()["Keys"]}
    aliases = {alias["AliasName"] for alias in kms.list_aliases()["Aliases"]}
    assert {f"alias/genai-sandbox-{p}-dev" for p in PROJECTS} <= aliases


def test_user_policy_reaches_only_its_own_project(deployment: Deployment) -> None:
    iam = deployment.account.client("iam")
    for project_id, other in (PROJECTS, PROJECTS[::-1]):
        outputs = deployment.sandbox[project_id]
        policy_arn = outputs["ProjectUserPolicyArn"]
        version = iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"]
        document = json.dumps(
            iam.get_policy_version(PolicyArn=policy_arn, VersionId=version)["PolicyVersion"]["Document"]
        )
        assert f"arn:aws:s3:::{outputs['BucketName']}/data/*" in document
        assert outputs["TrainingRoleArn"] in document  # iam:PassRole
        assert deployment.sandbox[other]["BucketName"] not in document
        assert f"genai-sandbox-{project_id}-dev" in document


def test_training_role_carries_the_boundary_only_when_given(deployment: Deployment) -> None:
    iam = deployment.account.client("iam")
    roles = [iam.get_role(RoleName=deployment.sandbox[p]["TrainingRoleArn"].split("/")[-1])["Role"] for p in PROJECTS]
    assert "PermissionsBoundary" not in roles[0]
    assert roles[1]["PermissionsBoundary"]["PermissionsBoundaryArn"] == deployment.boundary_arn
    trust = json.dumps(roles[0]["AssumeRolePolicyDocument"])
    assert "sagemaker.amazonaws.com" in trust


def test_data_source_policies_exist_only_when_asked_for(deployment: Deployment) -> None:
    iam = deployment.account.client("iam")
    exports = deployment.account.exports()
    first, second = PROJECTS
    assert "S3DataSourcePolicyArn" not in deployment.sandbox[first]
    assert "S3DataSourceKeyPolicyArn" not in deployment.sandbox[first]
    role = deployment.sandbox[second]["TrainingRoleArn"].split("/")[-1]
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
    s3_policy = deployment.sandbox[second]["S3DataSourcePolicyArn"]
    glue_policy = deployment.sandbox[second]["GlueDataSourcePolicyArn"]
    key_policy = deployment.sandbox[second]["S3DataSourceKeyPolicyArn"]
    assert {s3_policy, glue_policy, key_policy} <= attached
    version = iam.get_policy(PolicyArn=glue_policy)["Policy"]["DefaultVersionId"]
    glue = json.dumps(iam.get_policy_version(PolicyArn=glue_policy, VersionId=version)["PolicyVersion"]["Document"])
    assert "database/sales" in glue
    assert "table/marketing/*" in glue
    assert exports[f"datazone-managed-policy-genai-sandbox-s3datasource-env{second[-6:]}"] == s3_policy
    assert exports[f"datazone-managed-policy-genai-sandbox-s3datasourcekey-env{second[-6:]}"] == key_policy


def test_each_project_gets_its_own_immutable_image_repository(deployment: Deployment) -> None:
    """moto drops scan-on-push and KMS settings; template assertions cover them."""
    ecr = deployment.account.client("ecr")
    repositories = ecr.describe_repositories()["repositories"]
    assert len(repositories) == 2
    assert all(r["imageTagMutability"] == "IMMUTABLE" for r in repositories)
    uris = {deployment.sandbox[p]["ImageRepositoryUri"] for p in PROJECTS}
    assert uris == {r["repositoryUri"] for r in repositories}


def test_network_resolves_to_the_chosen_mode(deployment: Deployment) -> None:
    ec2 = deployment.account.client("ec2")
    for index, project_id in enumerate(PROJECTS):
        outputs, tooling = deployment.sandbox[project_id], deployment.tooling[project_id]
        subnets = outputs["SubnetIds"].split(",")
        vpcs = {s["VpcId"] for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]}
        group = ec2.describe_security_groups(GroupIds=[outputs["SecurityGroupId"]])["SecurityGroups"][0]
        if deployment.mode == PROJECT_NETWORK:
            assert (outputs["SubnetIds"], outputs["SecurityGroupId"]) == (
                tooling["PrivateSubnets"],
                tooling["SecurityGroup"],
            )
            assert "VpcId" not in outputs
        elif deployment.mode == EXISTING_VPC:
            assert outputs["SubnetIds"] == tooling["PrivateSubnets"]
            assert outputs["VpcId"] == tooling["VpcId"] == group["VpcId"]
            created = outputs["SecurityGroupId"] != tooling["SecurityGroup"]
            assert created == (index == 0)  # the second project passes the Tooling group
        else:
            assert vpcs == {outputs["VpcId"]}
            assert outputs["VpcId"] != tooling["VpcId"]
            assert group["VpcId"] == outputs["VpcId"]
        assert len(subnets) == 2
        assert len(vpcs) == 1


def test_only_new_vpc_mode_creates_a_vpc(deployment: Deployment) -> None:
    ec2 = deployment.account.client("ec2")
    vpcs = ec2.describe_vpcs()["Vpcs"]
    tooling_and_default = 2 + 1
    expected = tooling_and_default + (2 if deployment.mode == NEW_VPC else 0)
    assert len(vpcs) == expected
    if deployment.mode == NEW_VPC:
        vpc_ids = [deployment.sandbox[p]["VpcId"] for p in PROJECTS]
        endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": vpc_ids[:1]}])["VpcEndpoints"]
        services = {e["ServiceName"].split(".", 3)[-1] for e in endpoints}
        assert services == {"s3", *NEW_VPC_INTERFACE_ENDPOINTS}
        assert not ec2.describe_nat_gateways()["NatGateways"]
        assert not ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": vpc_ids}])[
            "InternetGateways"
        ]


@pytest.mark.parametrize("mode", [EXISTING_VPC, NEW_VPC])
def test_modes_without_the_project_network_deploy_without_tooling_exports(synthesized: Synthesized, mode: str) -> None:
    """The Tooling imports sit in an untaken Fn::If branch: no Tooling stack is needed (moto evaluates lazily)."""
    with moto_account() as account:
        ec2 = account.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24")["Subnet"]["SubnetId"] for i in (0, 1)]
        existing = {"ExistingVpcId": vpc, "ExistingSubnetIds": ",".join(subnets)} if mode == EXISTING_VPC else {}
        lonely = f"lonely{mode.lower()}"  # a project whose Tooling exports exist nowhere
        parameters = {**sandbox_parameters(lonely), "NetworkMode": mode, **existing}
        body = moto_compatible(synthesized.templates["genai-sandbox"])
        outputs = account.create_stack(f"DataZone-Env-{lonely}", body, parameters)
        assert len(outputs["SubnetIds"].split(",")) == 2
        assert f"privateSubnets-{lonely}-dev" not in account.exports()
