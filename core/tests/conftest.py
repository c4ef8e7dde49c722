"""Shared fixtures of kv-core's tests."""
