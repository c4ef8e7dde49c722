"""kv-nats (under construction)."""
