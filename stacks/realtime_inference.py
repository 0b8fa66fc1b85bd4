"""realtime-inference: API Gateway -> Lambda -> a SageMaker real-time endpoint with autoscaling, or Bedrock."""

from __future__ import annotations

from aws_cdk import Fn
from constructs import Construct

from genai_sandbox_constructs.conditions import make_conditional
from genai_sandbox_constructs.inference.endpoints import RealtimeEndpoint

from . import smus
from .api_front import ALARMS, ApiFront
from .api_outputs import export_api
from .pattern import ON_INSTANCES, PatternStack
from .realtime_parameters import RealtimeParameters


class RealtimeInferenceStack(PatternStack):
    """The real-time pattern: the API front, and Bedrock or a real-time endpoint (only with ModelSource SageMaker)."""

    SETTINGS_COLUMNS = (*PatternStack.SETTINGS_COLUMNS, "RealtimeMinInstances")

    def __init__(self, scope: Construct, blueprint_name: str, *, description: str) -> None:
        super().__init__(scope, blueprint_name, description=description, placement=ON_INSTANCES)
        self.endpoint = self._build_endpoint(RealtimeParameters(self, self.settings, self.models.sagemaker_chosen))
        make_conditional(self.endpoint, self.source.uses_sagemaker)
        self.front = ApiFront(self, self.endpoint, description=description)
        monitoring = self.build_monitoring(ALARMS)
        self.front.add_alarms(monitoring)
        self.front.add_dashboards(monitoring)
        export_api(self, self.front, self.endpoint)

    def _build_endpoint(self, inputs: RealtimeParameters) -> RealtimeEndpoint:
        endpoint = RealtimeEndpoint(
            self,
            "Endpoint",
            name_prefix=Fn.ref(smus.ENVIRONMENT_ID),
            model=self.sagemaker_model,
            instance_type=inputs.instance_type,
            encryption_key=self.key,
            bucket_name=self.imports.bucket_name,
            capture_enabled=inputs.capture_enabled,
            capture_percent=inputs.capture_percent,
            min_instances=inputs.min_instances,
            max_instances=inputs.max_instances,
            target_invocations=inputs.target_invocations,
        )
        self.sagemaker_model.grant_capture(self.imports.bucket)
        return endpoint
