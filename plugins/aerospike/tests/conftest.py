"""The kv-aerospike tests that need no server (no Aerospike server runs on this
machine: the conformance suite is in ``service_tests/`` and runs in the
GitHub workflow against a real server)."""
