"""The imports' routes: POST /api/v1/imports/{kind}, the record, the templates."""
