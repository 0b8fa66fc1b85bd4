"""Expected values written out independently of the code under test, shared by several test modules."""

NEW_VPC_INTERFACE_ENDPOINTS = frozenset(
    {
        "sagemaker.api",
        "sagemaker.runtime",
        "bedrock-runtime",
        "bedrock",
        "sqs",
        "sns",
        "kms",
        "logs",
        "events",
        "sts",
        "ecr.api",
        "ecr.dkr",
    }
)
"""Service suffixes of the interface endpoints NewVpc mode must create (issue: named interface endpoints)."""
