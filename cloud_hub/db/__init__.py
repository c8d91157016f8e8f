"""The hub's PostgreSQL plumbing: connections, pools and the versioned migrations."""
