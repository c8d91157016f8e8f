"""`python -m cloud_hub demo` (`make demo-ledger`): the hub's ledger on the embedded database,
the demo site's sample moves applied, stock printed.

Rule kept here: the demo applies through the hub's one entry point (ApplyService); its moves have
fixed event ids, so running it twice shows the exactly-once ledger at work. The whole system
(broker, hub, emulators, edge, a picker) is a deployment script: deploy/demo_system.py.
"""

from __future__ import annotations

from cloud_hub.demo.site import WAREHOUSE, demo_locations, demo_skus, sample_moves
from cloud_hub.settings import HubSettings


def run_demo(settings: HubSettings) -> int:
    from cloud_hub.catalog.pg.store import upsert_locations, upsert_skus
    from cloud_hub.db.database import connect, open_pool, resolve_url
    from cloud_hub.ledger.pg.apply import ApplyService
    from cloud_hub.ledger.pg.rebuild import check_consistency

    where = "HUB_DATABASE_URL" if settings.database_url else "embedded PostgreSQL"
    print(f"StockPulse demo — ledger on {where}")
    url = resolve_url(settings.database_url, None)
    with connect(url) as conn:
        with conn.transaction():
            upsert_locations(conn, demo_locations())
            upsert_skus(conn, demo_skus())
        with open_pool(url, 1, 2) as pool:
            ledger = ApplyService(pool)
            try:
                result = ledger.apply(sample_moves(), applied_by="demo")
            finally:
                ledger.close()
        print(f"applied {result.applied}, late {result.late}, rejected {result.rejected}, "
              f"already applied before {len(result.duplicates)}")
        for outcome in result.outcomes:
            if outcome.code:
                print(f"  rejected {outcome.event_id}: {outcome.reason}")
        print("\nStock on hand:")
        print(f"  {'location':<14}{'sku':<14}{'lot':<10}{'status':<12}{'qty':>8}")
        for loc, sku, lot, status, qty in conn.execute(
                "SELECT location, sku, lot, status, quantity FROM balances "
                "WHERE warehouse = %s ORDER BY location, sku", (WAREHOUSE,)):
            print(f"  {loc:<14}{sku:<14}{lot or '-':<10}{status:<12}{qty:>8}")
        print("\nPallets:")
        for key, loc, since in conn.execute(
                "SELECT unit_key, location, since FROM units ORDER BY unit_key"):
            print(f"  {key:<26} at {loc:<14} since {since:%Y-%m-%d %H:%M}")
        report = check_consistency(conn)
        print(f"\nrebuild from {report.moves_folded} moves equals the balances: {report.ok}")
    return 0 if report.ok else 1
