"""kv-dynamodb (in development)."""
