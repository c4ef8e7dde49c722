"""kv-aerospike (under construction)."""
