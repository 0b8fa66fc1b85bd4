"""The isolated VPC of NewVpc mode: two AZs, no NAT, an S3 gateway endpoint and named interface endpoints."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from genai_sandbox_constructs import nag

DEFAULT_INTERFACE_ENDPOINTS: tuple[ec2.InterfaceVpcEndpointAwsService, ...] = (
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
    ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
    ec2.InterfaceVpcEndpointAwsService.BEDROCK,
    ec2.InterfaceVpcEndpointAwsService.SQS,
    ec2.InterfaceVpcEndpointAwsService.SNS,
    ec2.InterfaceVpcEndpointAwsService.KMS,
    ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
    ec2.InterfaceVpcEndpointAwsService.STS,
    ec2.InterfaceVpcEndpointAwsService.ECR,
    ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
)
"""What runs inside needs these APIs; each costs about $7.3 per AZ per month."""
FLOW_LOG_PREFIX = "vpc-flow-logs/"


class IsolatedVpc(Construct):
    """A VPC with isolated subnets in two AZs that reaches AWS only through VPC endpoints."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        interface_endpoints: Sequence[ec2.InterfaceVpcEndpointAwsService],
        flow_log_bucket: s3.IBucket,
    ) -> None:
        """:param cidr: the VPC's CIDR block, /16 to /24 (required).
        :param interface_endpoints: interface endpoints to create, with private DNS (required).
        :param flow_log_bucket: destination of the VPC flow logs, under ``vpc-flow-logs/`` (required).
        """
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=20)
            ],
            restrict_default_security_group=False,
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
            flow_logs={
                "FlowLogs": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_s3(flow_log_bucket, FLOW_LOG_PREFIX),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        """The VPC."""
        self._build_interface_endpoints(cidr, interface_endpoints)
        nag.acknowledge(
            self.vpc,
            "The default security group cannot be emptied without a custom resource (not portable); nothing in the "
            "sandbox uses it: workloads and endpoints have their own security groups.",
            "NIST.800.53.R5-VPCDefaultSecurityGroupClosed",
            "HIPAA.Security-VPCDefaultSecurityGroupClosed",
        )

    def _build_interface_endpoints(self, cidr: str, services: Sequence[ec2.InterfaceVpcEndpointAwsService]) -> None:
        """One security group (HTTPS from the VPC, nothing out) shared by every interface endpoint."""
        endpoint_group = ec2.SecurityGroup(
            self, "EndpointSecurityGroup", vpc=self.vpc, allow_all_outbound=False, description="VPC endpoints: HTTPS in"
        )
        endpoint_group.add_ingress_rule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), "HTTPS from the VPC")
        for service in services:
            self.vpc.add_interface_endpoint(
                _endpoint_id(service),
                service=service,
                private_dns_enabled=True,
                open=False,
                security_groups=[endpoint_group],
            )


def _endpoint_id(service: ec2.InterfaceVpcEndpointAwsService) -> str:
    """``com.amazonaws.<region>.ecr.dkr`` -> ``EcrDkrEndpoint``."""
    short = service.short_name
    return "".join(part.capitalize() for part in short.replace("-", ".").split(".")) + "Endpoint"
