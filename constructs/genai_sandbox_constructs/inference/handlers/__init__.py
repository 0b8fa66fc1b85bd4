"""Lambda handlers. Each is one self-contained file, inlined into the template as index.py (boto3 only)."""
