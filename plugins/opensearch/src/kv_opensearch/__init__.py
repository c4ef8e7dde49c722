"""kv-opensearch (under construction)."""
