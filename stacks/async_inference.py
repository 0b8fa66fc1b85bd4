"""async-inference: request objects in S3 -> a SageMaker asynchronous endpoint that scales to zero, or Bedrock through
the same queue -> results and status records in S3, notifications and events."""

from __future__ import annotations

from aws_cdk import Fn
from constructs import Construct

from genai_sandbox_constructs.conditions import make_conditional
from genai_sandbox_constructs.inference.async_endpoint import AsyncEndpoint

from . import smus
from .api_outputs import export_member_policy, output_model_targets
from .async_front import ALARMS, AsyncFront
from .async_parameters import AsyncParameters
from .pattern import ON_INSTANCES, PatternStack


class AsyncInferenceStack(PatternStack):
    """The async pattern: the object front, and Bedrock or an asynchronous endpoint (only with ModelSource
    SageMaker)."""

    def __init__(self, scope: Construct, blueprint_name: str, *, description: str) -> None:
        super().__init__(scope, blueprint_name, description=description, placement=ON_INSTANCES)
        inputs = AsyncParameters(self, self.models.sagemaker_chosen)
        self.front = AsyncFront(self, inputs)
        self.endpoint = self._build_endpoint(inputs)
        make_conditional(self.endpoint, self.source.uses_sagemaker)
        self.front.connect(self.endpoint)
        monitoring = self.build_monitoring(ALARMS)
        self.front.add_alarms(monitoring)
        self.front.add_dashboards(monitoring, self.endpoint)
        self.front.add_outputs()
        members = export_member_policy(
            self,
            f"Try the {blueprint_name} model",
            allows="read these outputs and, with Bedrock, try prompts on the model that serves the queue (requests "
            "and results go through the sandbox bucket)",
        )
        self.bedrock_model.grant_invoke_where(members)
        output_model_targets(self, self.endpoint, caller="that serves the requests")

    def _build_endpoint(self, inputs: AsyncParameters) -> AsyncEndpoint:
        requests = self.front.requests
        return AsyncEndpoint(
            self,
            "Endpoint",
            name_prefix=Fn.ref(smus.ENVIRONMENT_ID),
            model=self.sagemaker_model,
            instance_type=inputs.instance_type,
            encryption_key=self.key,
            bucket=self.imports.bucket,
            bucket_name=self.imports.bucket_name,
            success_topic=requests.success_topic,
            error_topic=requests.error_topic,
            max_concurrent_invocations=inputs.max_concurrent_invocations,
            min_instances=inputs.min_instances,
            max_instances=inputs.max_instances,
            target_backlog_per_instance=inputs.target_backlog,
        )
