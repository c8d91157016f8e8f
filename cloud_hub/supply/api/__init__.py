"""Supply's routes: suppliers and their terms, planning parameters, purchase orders, transfer
orders."""
