"""kv-elasticsearch (under construction)."""
