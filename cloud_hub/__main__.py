"""`python -m cloud_hub`: serve, users, gateways, migrate, check, rebuild, epcis, trace, import,
valuation, demo."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from cloud_hub.imports.pg import command as imports_cli
from cloud_hub.settings import HubSettings


def _conn(settings: HubSettings):  # type: ignore[no-untyped-def]
    from cloud_hub.db.database import connect, resolve_url
    return connect(resolve_url(settings.database_url))


def cmd_serve(settings: HubSettings, args: argparse.Namespace) -> int:
    import uvicorn

    from cloud_hub.main import create_app
    from cloud_hub.ops import gc_pauses
    if settings.gc_rescan_s > 0:  # the serving process only: tests build apps in-process
        gc_pauses.install(settings.gc_rescan_s)
    if args.port is not None:
        settings = settings.model_copy(update={"port": args.port})
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level=args.log_level, lifespan="on", ws_per_message_deflate=False)
    return 0


def cmd_users_add(settings: HubSettings, args: argparse.Namespace) -> int:
    from cloud_hub.auth.pg.store import create_user
    warehouses = ["*"] if args.all_warehouses else (args.warehouse or [])
    if not warehouses and "admin" not in args.role:
        raise ValueError("say which warehouses the user may act on: --warehouse WH1 "
                         "(repeat for more) or --all-warehouses")
    with _conn(settings) as conn:
        create_user(conn, args.name, args.password, args.role, warehouses)
    print(f"user {args.name} with roles {', '.join(args.role)} on "
          f"{', '.join(warehouses) or 'every warehouse (admin)'} saved")
    return 0


def cmd_users_revoke(settings: HubSettings, args: argparse.Namespace) -> int:
    from cloud_hub.auth.pg.store import revoke_user, update_user
    with _conn(settings) as conn:
        if args.deactivate and update_user(conn, args.name, active=False) is None:
            raise ValueError(f"no user {args.name!r}")
        revoked = revoke_user(conn, args.name, datetime.now(UTC))
    if revoked is None:
        raise ValueError(f"no user {args.name!r}")
    print(f"user {args.name}: {revoked} token(s) revoked; every older token ends now"
          + ("; the user is inactive" if args.deactivate else ""))
    return 0


def cmd_gateways_revoke(settings: HubSettings, args: argparse.Namespace) -> int:
    from cloud_hub.auth.pg.store import revoke_gateway
    with _conn(settings) as conn:
        revoked = revoke_gateway(conn, args.warehouse, args.gateway, datetime.now(UTC))
    print(f"gateway {args.warehouse}/{args.gateway}: {revoked} token(s) revoked")
    return 0


def cmd_gateways_add(settings: HubSettings, args: argparse.Namespace) -> int:
    from cloud_hub.auth.pg.store import create_gateway_credential
    with _conn(settings) as conn:
        issued = create_gateway_credential(
            conn, args.warehouse, args.gateway, now=datetime.now(UTC),
            ttl=timedelta(days=args.days), secret_key=settings.secret_key)
    print(f"gateway {args.warehouse}/{args.gateway}: token (shown once, valid until "
          f"{issued.expires_at:%Y-%m-%d}):\n{issued.token}")
    return 0


def cmd_migrate(settings: HubSettings, _: argparse.Namespace) -> int:
    from cloud_hub.db.migrate import migrate
    with _conn(settings) as conn:
        done = migrate(conn)
    print(f"applied {len(done)} migration(s)" + "".join(f"\n  {m.version:03d}_{m.name}"
                                                         for m in done))
    return 0


def cmd_check(settings: HubSettings, args: argparse.Namespace) -> int:
    from cloud_hub.ledger.pg.rebuild import check_consistency, rebuild
    with _conn(settings) as conn:
        report = rebuild(conn) if args.rebuild else check_consistency(conn)
    print(f"{'rebuilt; ' if args.rebuild else ''}moves folded: {report.moves_folded}; "
          f"consistent: {report.ok}")
    for key, stored, folded in report.balance_differences[:20]:
        print(f"  balance {key}: stored {stored}, from moves {folded}")
    return 0 if report.ok else 1


def cmd_demo(settings: HubSettings, args: argparse.Namespace) -> int:
    if args.full:  # the whole system is deployment, not the hub's: deploy/ composes it
        print("the whole-system demo is `make demo` (python -m deploy.demo_system)",
              file=sys.stderr)
        return 2
    from cloud_hub.demo.pg.ledger import run_demo
    return run_demo(settings)


def cmd_epcis_export(settings: HubSettings, args: argparse.Namespace) -> int:
    import contextlib

    from cloud_hub.epcis.api.routes import creation_date
    from cloud_hub.epcis.pg.export import export
    from cloud_hub.epcis.query import parse_query
    named = {"GE_eventTime": args.since, "LT_eventTime": args.until, "lot": args.lot,
             "MATCH_epc": args.epc, "MATCH_anyEPC": args.any_epc, "EQ_bizStep": args.biz_step,
             "EQ_bizLocation": args.biz_location, "eventType": args.event_type}
    params = {k: [v] if isinstance(v, str) else v for k, v in named.items() if v}
    query = parse_query(params, args.warehouse)
    with _conn(settings) as conn, contextlib.ExitStack() as files:
        out = sys.stdout.buffer if args.out in (None, "-") else \
            files.enter_context(open(args.out, "wb"))  # closed by the stack
        for piece in export(lambda: contextlib.nullcontext(conn), query,
                            creation_date(datetime.now(UTC))):
            out.write(piece)
        out.flush()
    return 0


def _trace_serial(settings: HubSettings, args: argparse.Namespace) -> int:
    """`trace --serial`: the REST answer's JSON (GET /api/v1/trace?serial=…), always."""
    import json

    from cloud_hub.trace.model import Direction
    from cloud_hub.trace.pg.serial_trace import serial_trace
    with _conn(settings) as conn:
        if args.warehouse is None:
            found = [r[0] for r in conn.execute(
                "SELECT DISTINCT warehouse FROM serial_sightings WHERE serial = %s "
                "ORDER BY 1 LIMIT 10", (args.serial,))]
            if len(found) != 1:
                raise ValueError("name the warehouse (--warehouse): the ledger has it in "
                                 + (", ".join(found) or "none"))
            args.warehouse = found[0]
        body = serial_trace(conn, args.warehouse, args.serial, args.sku,
                            Direction(args.direction))
    if body is None:
        print(f"serial {args.serial} is not in warehouse {args.warehouse}'s ledger",
              file=sys.stderr)
        return 1
    print(json.dumps(body))
    return 0


def cmd_trace(settings: HubSettings, args: argparse.Namespace) -> int:
    import json

    from cloud_hub.trace.model import DEFAULT_STEPS, MAX_STEPS, Direction, Limits
    from cloud_hub.trace.pg.queries import warehouses_of
    from cloud_hub.trace.pg.report import trace_report, unit_key
    from cloud_hub.trace.pg.to_whom import add_customers
    from cloud_hub.trace.shape import report_json
    if sum(v is not None for v in (args.lot, args.unit, args.serial)) != 1:
        raise ValueError("name one of --lot (with an optional --sku), --unit or --serial")
    if args.serial is not None:
        return _trace_serial(settings, args)
    limit = args.limit or DEFAULT_STEPS
    if not 1 <= limit <= MAX_STEPS:
        raise ValueError(f"--limit is 1 to {MAX_STEPS}")
    with _conn(settings) as conn:
        if args.warehouse is None:
            found = warehouses_of(conn, args.lot, unit_key(args.unit) if args.unit else None)
            if len(found) != 1:
                raise ValueError("name the warehouse (--warehouse): the ledger has it in "
                                 + (", ".join(found) or "none"))
            args.warehouse = found[0]
        report = trace_report(conn, args.warehouse, lot=args.lot, sku=args.sku, unit=args.unit,
                              direction=Direction(args.direction), offset=args.offset,
                              limits=Limits(steps=limit))
        if report is None:
            what = f"unit {args.unit}" if args.unit else f"lot {args.lot}"
            print(f"{what} is not in warehouse {args.warehouse}'s ledger", file=sys.stderr)
            return 1
        body = add_customers(conn, report_json(report, limit))
    if args.json:
        print(json.dumps(body))
        return 0
    for step in body["steps"]:
        via = f" on {step['unit']}" if step["via_unit"] else ""
        print(f"{step['occurred_at']}  {step['kind']:<11} {step['sku']}/{step['lot']} "
              f"{step['quantity']}{via}  {step['from_location'] or '-'} -> "
              f"{step['to_location'] or '(left)'}")
    for h in body["now"]["at_locations"]:
        print(f"now  {h['location']}  {h['sku']}/{h['lot']} {h['quantity']} {h['status']}")
    return 0


def cmd_valuation_replay(settings: HubSettings, args: argparse.Namespace) -> int:
    from cloud_hub.valuation.replay import command
    try:
        with open(args.file, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {args.file}: {exc}") from None
    status, out = command(text, args.method, args.base_currency or settings.base_currency,
                          as_json=args.json)
    print(out, file=sys.stdout if status == 0 else sys.stderr)
    return status


def cmd_valuation_check(settings: HubSettings, _: argparse.Namespace) -> int:
    from cloud_hub.valuation.pg.check import check
    with _conn(settings) as conn:
        checked, differences = check(conn)
    for d in differences[:20]:
        print(f"  {d.warehouse}/{d.sku}: entries {d.entries_quantity} for {d.entries_value}, "
              f"open layers {d.layers_quantity} for {d.layers_value}")
    print(f"warehouse/SKU checked: {checked}; valuation equals the open cost layers: "
          f"{not differences}")
    return 0 if not differences else 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cloud_hub", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the hub (REST, WebSocket, MQTT ingest)")
    s.add_argument("--port", type=int)
    s.add_argument("--log-level", default="info")
    s.set_defaults(func=cmd_serve)
    users = sub.add_parser("users", help="manage users").add_subparsers(dest="action",
                                                                        required=True)
    ua = users.add_parser("add", help="create or update a user")
    ua.add_argument("name")
    ua.add_argument("--role", action="append", required=True,
                    choices=["picker", "supervisor", "manager", "finance", "admin"])
    ua.add_argument("--password", required=True)
    ua.add_argument("--warehouse", action="append", metavar="WH",
                    help="a warehouse the user may see and act on (repeat for more)")
    ua.add_argument("--all-warehouses", action="store_true",
                    help="every warehouse, present and future (admins always have all)")
    ua.set_defaults(func=cmd_users_add)
    ur = users.add_parser("revoke", help="end every token of a user now")
    ur.add_argument("name")
    ur.add_argument("--deactivate", action="store_true", help="and make the user inactive")
    ur.set_defaults(func=cmd_users_revoke)
    gws = sub.add_parser("gateways", help="manage gateway credentials").add_subparsers(
        dest="action", required=True)
    ga = gws.add_parser("add", help="register a gateway and print its token")
    ga.add_argument("warehouse")
    ga.add_argument("gateway")
    ga.add_argument("--days", type=int, default=365)
    ga.set_defaults(func=cmd_gateways_add)
    gr = gws.add_parser("revoke", help="end every token of a gateway now")
    gr.add_argument("warehouse")
    gr.add_argument("gateway")
    gr.set_defaults(func=cmd_gateways_revoke)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    c = sub.add_parser("check", help="compare balances with a rebuild from the moves")
    c.add_argument("--rebuild", action="store_true", help="replace balances with the rebuild")
    c.set_defaults(func=cmd_check)
    epcis = sub.add_parser("epcis", help="EPCIS 2.0 export of the ledger").add_subparsers(
        dest="action", required=True)
    ex = epcis.add_parser("export", help="a slice of the moves as an EPCIS 2.0 JSON-LD document")
    ex.add_argument("--warehouse", required=True)
    ex.add_argument("--from", dest="since", help="events at or after (ISO 8601 with zone)")
    ex.add_argument("--to", dest="until", help="events before (ISO 8601 with zone)")
    ex.add_argument("--lot", help="only moves of this lot's quantities")
    ex.add_argument("--epc", action="append", help="MATCH_epc: an EPC URI (repeatable)")
    ex.add_argument("--any-epc", action="append", help="MATCH_anyEPC (repeatable)")
    ex.add_argument("--biz-step", action="append", help="EQ_bizStep, e.g. receiving")
    ex.add_argument("--biz-location", action="append", help="EQ_bizLocation: a location URI")
    ex.add_argument("--event-type", action="append", help="ObjectEvent or AggregationEvent")
    ex.add_argument("--out", help="write to this file (default: standard output)")
    ex.set_defaults(func=cmd_epcis_export)
    t = sub.add_parser("trace", help="a lot's or a unit's way, backward and forward")
    t.add_argument("--warehouse", help="default: the one warehouse whose ledger has it")
    t.add_argument("--lot")
    t.add_argument("--sku", help="narrow the lot to one SKU")
    t.add_argument("--unit", help="a unit key (sscc:..., epc:...) or a bare SSCC")
    t.add_argument("--serial", help="a serialised item (GS1 AI 21); --sku narrows it")
    t.add_argument("--direction", choices=["backward", "forward", "both"], default="both")
    t.add_argument("--offset", type=int, default=0)
    t.add_argument("--limit", type=int, help="steps at most (default 1000, at most 10000)")
    t.add_argument("--json", action="store_true", help="the REST answer's JSON")
    t.set_defaults(func=cmd_trace)
    imports_cli.add_parser(sub)  # import KIND FILE: cloud_hub/imports/pg/command.py
    val = sub.add_parser("valuation", help="inventory valuation").add_subparsers(
        dest="action", required=True)
    vr = val.add_parser("replay", help="value a CSV of dated stock movements "
                                       "(columns: docs/valuation.md)")
    vr.add_argument("file", help="the CSV file (header row; UTF-8, a BOM is fine)")
    vr.add_argument("--method", choices=["fifo", "avco"], required=True)
    vr.add_argument("--base-currency", help="ISO 4217 code (default: HUB_BASE_CURRENCY, CNY)")
    vr.add_argument("--json", action="store_true", help="one JSON object")
    vr.set_defaults(func=cmd_valuation_replay)
    val.add_parser("check", help="the valuation equals the sum of the open cost layers"
                   ).set_defaults(func=cmd_valuation_check)
    d = sub.add_parser("demo", help="embedded database, sample moves, stock printed")
    d.add_argument("--full", action="store_true", help=argparse.SUPPRESS)  # now make demo
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = HubSettings()
    except ValueError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(settings, args))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
