"""kv-s3 (in development)."""
