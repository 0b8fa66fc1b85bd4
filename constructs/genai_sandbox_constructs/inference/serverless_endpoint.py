"""A SageMaker serverless endpoint for a ``SageMakerModel``, and the model settings it cannot take."""

from __future__ import annotations

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from genai_sandbox_constructs import nag
from genai_sandbox_constructs.errors import Problems
from genai_sandbox_constructs.inference.endpoints import EndpointBase, check_range, literal
from genai_sandbox_constructs.model_source.sagemaker_model import SageMakerModel


class ServerlessEndpoint(EndpointBase):
    """A serverless endpoint: memory and maximum concurrency, optional provisioned concurrency. No VPC, no network
    isolation, no data capture, one variant, and no ``KmsKeyId`` (it encrypts instance volumes, which serverless
    endpoints do not have; SageMaker's serverless feature exclusions)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model: SageMakerModel,
        memory_mb: float,
        max_concurrency: float,
        provisioned_concurrency: float | None = None,
    ) -> None:
        """:param model: the SageMaker model; it must run outside a VPC and without network isolation (required).
        :param memory_mb: 1024-6144 in steps of 1024 (required).
        :param max_concurrency: 1-200 (required).
        :param provisioned_concurrency: 1 to ``max_concurrency``; a number token of ``Fn.condition_if`` with
            ``AWS::NoValue`` makes it optional. Default: none.
        """
        check_serverless_model(subnet_ids=model.subnet_ids, network_isolation=model.network_isolation)
        _check(memory_mb, max_concurrency, provisioned_concurrency)
        super().__init__(scope, construct_id)
        self.config = self._single_variant(
            model,
            {
                "serverless_config": sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                    memory_size_in_mb=memory_mb,
                    max_concurrency=max_concurrency,
                    provisioned_concurrency=provisioned_concurrency,
                ),
            },
        )
        """The endpoint configuration; CloudFormation names it, so that a change replaces it."""
        nag.acknowledge(
            self.config,
            "KmsKeyId encrypts the storage volumes of endpoint instances; serverless endpoints have none and "
            "SageMaker manages their storage encryption.",
            "AwsSolutions-SM2",
            "NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured",
            "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured",
        )
        self.endpoint = self._endpoint(self.config)
        """The endpoint."""


def check_serverless_model(*, subnet_ids: object, network_isolation: object) -> None:
    """Raise a ``ConfigurationError`` naming every setting a serverless endpoint does not support.

    :param subnet_ids: the model's subnets; must be None (no VPC).
    :param network_isolation: the model's isolation; must be False.
    """
    problems = Problems("Serverless endpoint")
    if subnet_ids is not None:
        problems.add("subnet_ids", subnet_ids, "must be None: serverless endpoints cannot run in a VPC")
    if network_isolation is not False:
        problems.add("network_isolation", network_isolation, "must be False: serverless endpoints cannot be isolated")
    problems.raise_if_any()


MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)
"""Serverless endpoint memory in MB (SageMaker: 1024-6144 in steps of 1024)."""
MAX_CONCURRENCY = 200


def _check(memory_mb: float, max_concurrency: float, provisioned: float | None) -> None:
    """Literal values only, as SageMaker's ServerlessConfig takes them; parameters are checked by the template."""
    problems = Problems("ServerlessEndpoint")
    if literal(memory_mb) and memory_mb not in MEMORY_SIZES:
        problems.add("memory_mb", memory_mb, f"one of {', '.join(map(str, MEMORY_SIZES))}")
    check_range(problems, "max_concurrency", max_concurrency, 1, MAX_CONCURRENCY)
    if provisioned is not None:
        check_range(
            problems, "provisioned_concurrency", provisioned, 1, max_concurrency if literal(max_concurrency) else None
        )
    problems.raise_if_any()
