"""Test helpers: stacks for construct tests and a CloudFormation parameter evaluator."""
