"""kv-search (under construction)."""
