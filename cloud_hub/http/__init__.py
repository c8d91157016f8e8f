"""HTTP plumbing shared by every route (no warehouse rules): problem+json errors, response
hardening, access-log redaction, and the typed dependencies through which routes get the
services cloud_hub.main built."""
