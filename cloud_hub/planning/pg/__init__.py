"""Planning in PostgreSQL: demand history and its daily aggregate, facts for rules, stored
plans, suggestions and alerts, and the runs that put them together."""
