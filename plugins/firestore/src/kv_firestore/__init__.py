"""kv-firestore (in development)."""
