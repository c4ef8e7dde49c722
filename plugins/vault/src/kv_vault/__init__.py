"""kv-vault (under construction)."""
