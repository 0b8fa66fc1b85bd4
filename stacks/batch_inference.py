"""batch-inference: batches of objects in S3 -> SageMaker transform jobs or Bedrock batch inference jobs, started by
a ready-marker or a schedule and tracked by the services' job-state events."""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Fn, Token
from aws_cdk import aws_iam as iam
from constructs import Construct

from genai_sandbox_constructs import nag
from genai_sandbox_constructs.conditions import make_conditional
from genai_sandbox_constructs.grants import attach
from genai_sandbox_constructs.inference.batch_jobs import BatchJobs
from genai_sandbox_constructs.inference.bedrock_batch_role import BedrockBatchRole
from genai_sandbox_constructs.inference.endpoints import has_nvme_storage
from genai_sandbox_constructs.layout import BATCH_INPUT, BATCH_OUTPUT
from genai_sandbox_constructs.model_source import BATCH_FORMS, BATCH_FORMS_NOTE
from genai_sandbox_constructs.roles import conditional_policy
from genai_sandbox_constructs.storage.key import grant_key_use

from . import smus
from .api_outputs import export_member_policy
from .batch_parameters import BatchParameters
from .pattern import ON_INSTANCES, PatternStack

ALARMS = "failed jobs, batches that could not start, job states that could not be recorded, launcher errors"
"""The alarms this blueprint adds, for the MonitoringEnabled description."""


class BatchInferenceStack(PatternStack):
    """The batch pattern: ready-markers and a schedule start SageMaker transform jobs on the pattern's model (only
    with ModelSource SageMaker) or Bedrock batch inference jobs (only with ModelSource Bedrock)."""

    def __init__(self, scope: Construct, blueprint_name: str, *, description: str) -> None:
        super().__init__(
            scope,
            blueprint_name,
            description=description,
            placement=ON_INSTANCES,
            forms=BATCH_FORMS,
            forms_note=BATCH_FORMS_NOTE,
        )
        inputs = BatchParameters(self, self.models.sagemaker_chosen)
        self.bedrock_role = BedrockBatchRole(self, "BedrockJobRole", bucket=self.imports.bucket)
        make_conditional(self.bedrock_role, self.source.uses_bedrock)
        self.source.grant_invoke_bedrock(self.bedrock_role.policy, role=self.bedrock_role.role)
        self.jobs = BatchJobs(
            self,
            "Jobs",
            bucket=self.imports.bucket,
            bucket_name=self.imports.bucket_name,
            encryption_key=self.key,
            log_retention_days=self.settings.number("LogRetentionDays"),
            environment_id=Fn.ref(smus.ENVIRONMENT_ID),
            job_environment=self._job_environment(inputs),
            schedule_expression=inputs.schedule,
            schedules=inputs.schedules,
            subnet_ids=self.imports.subnet_ids,
            security_group_id=self.imports.security_group_id,
            notification_email=inputs.notification_email,
            emails=inputs.emails,
        )
        self._grant_transform_jobs()
        self._grant_bedrock_jobs()
        self._add_alarms()
        self._add_outputs()

    def _job_environment(self, inputs: BatchParameters) -> dict[str, str]:
        uses_sagemaker, uses_bedrock = self.source.uses_sagemaker.logical_id, self.source.uses_bedrock.logical_id
        has_nvme = has_nvme_storage(self, inputs.instance_type)
        return {
            "MODEL_SOURCE": self.models.source,
            "MODEL_ID": self.bedrock_model.invoke_target,
            "MODEL_NAME": Fn.condition_if(uses_sagemaker, self.sagemaker_model.model.attr_model_name, "").to_string(),
            "INVOCATION_TYPE": inputs.invocation_type,
            "BEDROCK_ROLE_ARN": Fn.condition_if(uses_bedrock, self.bedrock_role.role.role_arn, "").to_string(),
            "TIMEOUT_HOURS": Token.as_string(inputs.timeout_hours),
            "MIN_RECORDS": Token.as_string(inputs.minimum_records),
            "INSTANCE_TYPE": inputs.instance_type,
            "INSTANCE_COUNT": Token.as_string(inputs.instance_count),
            "CONTENT_TYPE": inputs.content_type,
            "SPLIT_TYPE": inputs.split_type,
            "ASSEMBLE_WITH": inputs.assemble_with,
            "ACCEPT": inputs.accept,
            "BATCH_STRATEGY": inputs.batch_strategy,
            "MAX_PAYLOAD_MB": Token.as_string(inputs.max_payload_mb),
            "MAX_CONCURRENT_TRANSFORMS": Token.as_string(inputs.max_concurrent_transforms),
            "VOLUME_KEY_ARN": Fn.condition_if(has_nvme.logical_id, "", self.imports.key_arn).to_string(),
        }

    def _grant_transform_jobs(self) -> None:
        """The launcher starts transform jobs named after this environment; the model's role (which transform jobs
        run with) reads the batch inputs and writes the outputs."""
        launcher = conditional_policy(
            self,
            "TransformAccess",
            condition=self.source.uses_sagemaker,
            roles=[self.jobs.launcher.role],
            description="Start transform jobs of this environment",
        )
        jobs = (
            f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}:transform-job/{Fn.ref(smus.ENVIRONMENT_ID)}-*"
        )
        attach(
            launcher,
            iam.PolicyStatement(actions=["sagemaker:CreateTransformJob", "sagemaker:AddTags"], resources=[jobs]),
        )
        nag.acknowledge(
            launcher,
            "Transform jobs are named <environmentId>-<batch>-<run> at run time: the wildcard covers exactly this "
            "environment's jobs.",
            nag.wildcard_resource_finding(launcher, jobs),
        )
        self.imports.bucket.grant_read(self.sagemaker_model.policy, BATCH_INPUT.key)
        self.imports.bucket.grant_write(self.sagemaker_model.policy, BATCH_OUTPUT.key)
        # The job's output and volumes use the sandbox key: SageMaker creates grants with the caller's permissions
        # (the launcher) and encrypts with the execution role's (the model's).
        grant_key_use(launcher, self.imports.key_arn, services=("sagemaker",))
        grant_key_use(self.sagemaker_model.policy, self.imports.key_arn, services=("s3", "sagemaker"))

    def _grant_bedrock_jobs(self) -> None:
        """The launcher starts Bedrock batch jobs with the service role; the tracker reads their outcome."""
        jobs = f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}:{Aws.ACCOUNT_ID}:model-invocation-job/*"
        launcher = conditional_policy(
            self,
            "BedrockBatchAccess",
            condition=self.source.uses_bedrock,
            roles=[self.jobs.launcher.role, self.jobs.tracker.role],
            description="Start and read Bedrock batch inference jobs",
        )
        foundation_models = f"arn:{Aws.PARTITION}:bedrock:*::foundation-model/*"
        attach(
            launcher,
            iam.PolicyStatement(
                actions=["bedrock:CreateModelInvocationJob", "bedrock:GetModelInvocationJob", "bedrock:TagResource"],
                resources=[jobs, self.bedrock_model.invoke_target],
            ),
            # Through an inference profile, Bedrock may also check the foundation models it routes to (as it does
            # for InvokeModel); creating a job runs nothing: the service role decides what the job may invoke.
            iam.PolicyStatement(actions=["bedrock:CreateModelInvocationJob"], resources=[foundation_models]),
        )
        self.bedrock_role.grant_pass(launcher)
        nag.acknowledge(
            launcher,
            "Bedrock names batch inference jobs with a random id (model-invocation-job/<id>) when they are created, "
            "so no narrower ARN exists beforehand; the jobs' names start with this environment's id. Foundation "
            "models are named for job creation through a profile, which routes to models of several Regions; the "
            "job's service role limits what it may invoke.",
            nag.wildcard_resource_finding(launcher, jobs),
            nag.wildcard_resource_finding(launcher, foundation_models),
        )

    def _add_alarms(self) -> None:
        monitoring = self.build_monitoring(ALARMS)
        environment_id = Fn.ref(smus.ENVIRONMENT_ID)
        jobs = self.jobs
        for alarm_id, metric, what in (
            ("JobsFailed", jobs.metric_jobs_failed(environment_id), "a batch job failed, stopped or expired"),
            ("MarkerDeadLetters", jobs.markers.metric_dead_letters(), "a batch could not be started"),
            ("TrackingDeadLetters", jobs.metric_failed_tracking(), "a job state could not be recorded"),
            ("LauncherErrors", jobs.launcher.function.metric_errors(), "the launcher failed"),
        ):
            monitoring.add_alarm(alarm_id, metric, threshold=1, description=what)
        monitoring.add_dashboard(
            "JobsDashboard",
            [
                (
                    "Jobs succeeded and failed",
                    [jobs.metric_jobs_succeeded(environment_id), jobs.metric_jobs_failed(environment_id)],
                ),
                (
                    "Dead letters: batches, job states",
                    [jobs.markers.metric_dead_letters(), jobs.metric_failed_tracking()],
                ),
                (
                    "Launcher and tracker errors",
                    [jobs.launcher.function.metric_errors(), jobs.tracker.function.metric_errors()],
                ),
                ("Oldest batch waiting for the launcher (s)", [jobs.markers.metric_oldest_message_age()]),
            ],
        )

    def _add_outputs(self) -> None:
        bucket = self.imports.bucket_name
        for output_id, value, description in (
            (
                "BatchInputUri",
                f"s3://{bucket}/{BATCH_INPUT.key}",
                "Upload a batch under <batch-id>/ here, then write <batch-id>.ready next to that folder.",
            ),
            (
                "BatchOutputUri",
                f"s3://{bucket}/{BATCH_OUTPUT.key}",
                "Results land under <batch-id>/<run>/ and the status record at <batch-id>/status.json.",
            ),
            (
                "JobService",
                self.models.source,
                "Bedrock (batch inference jobs on JSONL records) or SageMaker (transform jobs).",
            ),
            ("TopicArn", self.jobs.topic.topic_arn, "Announces finished jobs (admins may subscribe)."),
            (
                "MarkerDeadLetterQueueUrl",
                self.jobs.markers.dead_letters.queue_url,
                "Batches that could not be started after 3 tries (their status records say why).",
            ),
        ):
            CfnOutput(self, output_id, value=value, description=description)
        CfnOutput(
            self,
            "ModelInvokeTarget",
            value=self.bedrock_model.invoke_target,
            description="Bedrock modelId the batch jobs run (ModelSource Bedrock only).",
            condition=self.source.uses_bedrock,
        )
        CfnOutput(
            self,
            "ModelName",
            value=self.sagemaker_model.model.attr_model_name,
            description="SageMaker model the transform jobs run (ModelSource SageMaker only).",
            condition=self.source.uses_sagemaker,
        )
        members = export_member_policy(
            self,
            f"Try the {self.blueprint_name} model",
            allows="read these outputs and, with Bedrock, try prompts on the model the batch jobs run (batches and "
            "results go through the sandbox bucket)",
        )
        self.bedrock_model.grant_invoke_where(members)
