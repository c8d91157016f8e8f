"""Planning: demand forecasts, replenishment, ABC/XYZ, dead stock, KPIs and the managers' rules.
The rules here (pure); reading the ledger and storing plans in pg/; alerts and webhooks, and
the rules runner that sends them, in notify/; routes in api/."""
