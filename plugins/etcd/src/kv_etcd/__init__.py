"""kv-etcd (under construction)."""
