"""kv-mongodb (under construction)."""
