"""kv-azure-tables (in development)."""
