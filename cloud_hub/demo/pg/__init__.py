"""The demo's PostgreSQL side: the site seeded, the sample moves applied, stock printed."""
