"""serverless-inference: API Gateway -> Lambda -> a SageMaker serverless endpoint, or Bedrock on demand."""

from __future__ import annotations

from constructs import Construct

from genai_sandbox_constructs.conditions import make_conditional
from genai_sandbox_constructs.inference.serverless_endpoint import ServerlessEndpoint

from .api_front import ALARMS, ApiFront
from .api_outputs import export_api
from .pattern import SERVERLESS, PatternStack
from .serverless_parameters import ServerlessParameters


class ServerlessInferenceStack(PatternStack):
    """The serverless pattern: the API front, and Bedrock or a serverless endpoint (no VPC, no network isolation, no
    data capture, one variant, ECR images only)."""

    def __init__(self, scope: Construct, blueprint_name: str, *, description: str) -> None:
        super().__init__(scope, blueprint_name, description=description, placement=SERVERLESS)
        inputs = ServerlessParameters(self, self.models.sagemaker_chosen)
        self.endpoint = ServerlessEndpoint(
            self,
            "Endpoint",
            model=self.sagemaker_model,
            memory_mb=inputs.memory_mb,
            max_concurrency=inputs.max_concurrency,
            provisioned_concurrency=inputs.provisioned_concurrency,
        )
        make_conditional(self.endpoint, self.source.uses_sagemaker)
        self.front = ApiFront(self, self.endpoint, description=description)
        monitoring = self.build_monitoring(ALARMS)
        self.front.add_alarms(monitoring)
        self.front.add_dashboards(monitoring)
        export_api(self, self.front, self.endpoint)
