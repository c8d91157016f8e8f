"""Planning from the ledger: forecasts, inventory policy, replenishment, ABC/XYZ, dead stock,
KPIs and rules. The modules without I/O (all but `actions`, `store`, `history`, `api`) are the
pure core: numpy arrays and frozen dataclasses in, decisions out."""
