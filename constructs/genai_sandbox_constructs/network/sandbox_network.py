"""Where a sandbox's compute runs: the project's network, an existing VPC, or a new isolated VPC.

All three live in one template: ``mode`` is compared in CloudFormation Conditions, the new VPC's resources
exist only in NewVpc mode, and consumers read the resolved subnets and security group through ``Fn::If``.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, CfnCondition, Fn, ICfnConditionExpression
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from genai_sandbox_constructs import nag
from genai_sandbox_constructs.conditions import expression, make_conditional
from genai_sandbox_constructs.grants import PolicyTarget, attach, owner
from genai_sandbox_constructs.network.isolated_vpc import DEFAULT_INTERFACE_ENDPOINTS, IsolatedVpc

PROJECT_NETWORK = "ProjectNetwork"
EXISTING_VPC = "ExistingVpc"
NEW_VPC = "NewVpc"
MODES = (PROJECT_NETWORK, EXISTING_VPC, NEW_VPC)


class SandboxNetwork(Construct):
    """Resolves the subnets, security group and VPC that everything in the sandbox runs in.

    ``subnet_ids_joined`` and ``security_group_id`` are ``Fn::If`` tokens over the three modes. The project values are
    only read in ProjectNetwork mode, the existing ones only in ExistingVpc mode. ``vpc_id`` is defined only where
    ``knows_vpc`` holds: SMUS documents no VPC export of the Tooling environment.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        mode: str,
        project_subnet_ids: str,
        project_security_group_id: str,
        existing_vpc_id: str,
        existing_subnet_ids: str,
        existing_security_group_id: str,
        flow_log_bucket: s3.IBucket,
        vpc_cidr: str = "10.42.0.0/16",
        interface_endpoints: Sequence[ec2.InterfaceVpcEndpointAwsService] = DEFAULT_INTERFACE_ENDPOINTS,
    ) -> None:
        """:param mode: ProjectNetwork, ExistingVpc or NewVpc; a token such as a parameter reference (required).
        :param project_subnet_ids: comma-joined subnets of the project network, e.g. an import (required).
        :param project_security_group_id: security group of the project network (required).
        :param existing_vpc_id: VPC to use in ExistingVpc mode (required; may be empty in other modes).
        :param existing_subnet_ids: comma-joined subnets to use in ExistingVpc mode (required; may be empty).
        :param existing_security_group_id: security group for ExistingVpc mode; empty creates one (required).
        :param flow_log_bucket: bucket that receives the new VPC's flow logs (required).
        :param vpc_cidr: CIDR of the new VPC. Default: 10.42.0.0/16.
        :param interface_endpoints: interface endpoints of the new VPC. Default: ``DEFAULT_INTERFACE_ENDPOINTS``.
        """
        super().__init__(scope, construct_id)
        self._build_mode_conditions(mode, existing_security_group_id)
        self.new_vpc = IsolatedVpc(
            self, "NewVpc", cidr=vpc_cidr, interface_endpoints=interface_endpoints, flow_log_bucket=flow_log_bucket
        )
        """The isolated VPC; every resource in it exists only under ``is_new_vpc``."""
        make_conditional(self.new_vpc, self.is_new_vpc)
        self.knows_vpc = self._condition(
            "KnowsVpc", Fn.condition_or(expression(self.is_new_vpc), expression(self.is_existing_vpc))
        )
        """NewVpc or ExistingVpc: the VPC id is known."""
        self.vpc_id = Fn.condition_if(self.is_new_vpc.logical_id, self.new_vpc.vpc.vpc_id, existing_vpc_id).to_string()
        """The VPC in NewVpc and ExistingVpc modes; use it only under ``knows_vpc``."""
        self._resolve(existing_subnet_ids, existing_security_group_id, project_subnet_ids, project_security_group_id)

    def _build_mode_conditions(self, mode: str, existing_security_group_id: str) -> None:
        self.is_new_vpc = self._condition("IsNewVpc", Fn.condition_equals(mode, NEW_VPC))
        """NewVpc mode."""
        self.is_existing_vpc = self._condition("IsExistingVpc", Fn.condition_equals(mode, EXISTING_VPC))
        """ExistingVpc mode."""
        lacks_existing_group = Fn.condition_equals(existing_security_group_id, "")
        self.creates_security_group = self._condition(
            "CreatesSecurityGroup",
            Fn.condition_or(
                expression(self.is_new_vpc), Fn.condition_and(expression(self.is_existing_vpc), lacks_existing_group)
            ),
        )
        """NewVpc, or ExistingVpc without a given security group."""

    def _resolve(self, existing_subnets: str, existing_group: str, project_subnets: str, project_group: str) -> None:
        group = self._build_security_group()
        self.subnet_ids_joined = self._pick(
            Fn.join(",", [subnet.subnet_id for subnet in self.new_vpc.vpc.isolated_subnets]),
            existing_subnets,
            project_subnets,
        )
        """Comma-joined subnets of the chosen mode."""
        self.security_group_id = Fn.condition_if(
            self.creates_security_group.logical_id,
            group.attr_group_id,
            Fn.condition_if(self.is_existing_vpc.logical_id, existing_group, project_group),
        ).to_string()
        """The security group of the chosen mode (created when NewVpc, or ExistingVpc without one)."""

    def grant_attach(self, grantee: PolicyTarget) -> iam.Grant:
        """Let ``grantee`` (a SageMaker or Lambda role) create and remove its network interfaces in this account."""
        return grant_network_interfaces(self, grantee)

    def _condition(self, name: str, condition: ICfnConditionExpression) -> CfnCondition:
        return CfnCondition(self, name, expression=condition)

    def _pick(self, new: str, existing: str, project: str) -> str:
        return Fn.condition_if(
            self.is_new_vpc.logical_id,
            new,
            Fn.condition_if(self.is_existing_vpc.logical_id, existing, project),
        ).to_string()

    def _build_security_group(self) -> ec2.CfnSecurityGroup:
        group = ec2.CfnSecurityGroup(
            self,
            "SecurityGroup",
            group_description="Gen AI sandbox workloads: HTTPS out, all traffic between members",
            vpc_id=self.vpc_id,
            security_group_egress=[
                ec2.CfnSecurityGroup.EgressProperty(
                    ip_protocol="tcp", from_port=443, to_port=443, cidr_ip="0.0.0.0/0", description="HTTPS to AWS APIs"
                )
            ],
        )
        group.cfn_options.condition = self.creates_security_group
        members_in = ec2.CfnSecurityGroupIngress(
            self,
            "MembersIngress",
            group_id=group.attr_group_id,
            source_security_group_id=group.attr_group_id,
            ip_protocol="-1",
            description="Distributed training and endpoint containers talk to each other",
        )
        members_out = ec2.CfnSecurityGroupEgress(
            self,
            "MembersEgress",
            group_id=group.attr_group_id,
            destination_security_group_id=group.attr_group_id,
            ip_protocol="-1",
            description="Distributed training (NCCL, MPI, EFA) needs all traffic out to the other members",
        )
        for rule in (members_in, members_out):
            rule.cfn_options.condition = self.creates_security_group
        nag.acknowledge(
            members_in,
            "The only ingress comes from members of the same security group (no CIDR, no port exposed outside it); "
            "the rule cannot evaluate a security-group reference.",
            "HIPAA.Security-EC2RestrictedCommonPorts",
            "NIST.800.53.R5-EC2RestrictedCommonPorts",
        )
        return group


def grant_network_interfaces(scope: IConstruct, grantee: PolicyTarget) -> iam.Grant:
    """Let ``grantee`` create and remove network interfaces in this account and region, as VPC-attached SageMaker
    jobs, endpoints and Lambda functions do; ``scope`` is any construct of the stack."""
    scoped = [f"arn:{Aws.PARTITION}:ec2:{Aws.REGION}:{Aws.ACCOUNT_ID}:{kind}/*" for kind in INTERFACE_RESOURCES]
    scoped.append(f"arn:{Aws.PARTITION}:ec2:{Aws.REGION}:*:{SUBNETS_ANY_ACCOUNT}/*")
    grant = attach(
        grantee,
        iam.PolicyStatement(actions=list(DESCRIBE_ACTIONS), resources=["*"]),
        iam.PolicyStatement(actions=list(INTERFACE_ACTIONS), resources=scoped),
    )
    nag.acknowledge(
        owner(grantee),
        "EC2 Describe* calls support no resource-level permissions; network interfaces are created by the service "
        "with generated ids, scoped to this account and region; the subnets may be shared from a network account "
        "through AWS RAM.",
        nag.wildcard_resource_finding(scope, "*"),
        *(nag.wildcard_resource_finding(scope, arn) for arn in scoped),
    )
    return grant


DESCRIBE_ACTIONS = (
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)
INTERFACE_ACTIONS = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:UnassignPrivateIpAddresses",
)
"""With ``DESCRIBE_ACTIONS``, a superset of the EC2 actions of ``AWSLambdaVPCAccessExecutionRole``."""
INTERFACE_RESOURCES = ("network-interface", "security-group")
"""In this account; subnets may also be shared with the account through AWS RAM (see ``SUBNETS_ANY_ACCOUNT``)."""
SUBNETS_ANY_ACCOUNT = "subnet"
