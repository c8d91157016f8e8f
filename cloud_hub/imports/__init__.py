"""Onboarding imports: SKUs, units of measure, locations, opening stock and customers from XLSX
and CSV files, checked row by row, written all or nothing (docs/imports.md)."""
