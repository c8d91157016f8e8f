"""The catalog's routes: locations (JSON and CSV import) and SKUs."""
