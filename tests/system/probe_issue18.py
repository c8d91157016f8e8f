"""The outside probe of issue 18: every finding replayed over the wire against a hub and a
broker started with production settings, each case reported `held` or `broken` with evidence.

    python -m tests.system.probe_issue18 [--json] [--only CASE ...] [--keep DIR] [--hub-root DIR]

It starts its own Mosquitto (deploy/mosquitto/mosquitto.conf with generated dynamic-security
users) on free ports, a scratch database on TEST_PG_ADMIN_URL and `python -m cloud_hub serve`
with HUB_ENVIRONMENT=production, then acts as the holder of one gateway's credentials and as
a careless integrator. Exit status: 0 when every case held, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.system import probe_cases_access as access
from tests.system import probe_cases_data as data
from tests.system import probe_cases_ingest as ingest
from tests.system.probe_kit import Evidence, Probe, probe_site


@dataclass(frozen=True)
class Case:
    name: str
    finding: str  # issue 18's words for what it probes
    run: Callable[[Probe, Evidence], None]


# In this order: the login case may lock out only its own users; the alert case needs the
# expiry alerts the FEFO case raises; the size case reads every dead letter made before it.
CASES: tuple[Case, ...] = (
    Case("c1-poison-health", "critical 1: poison heartbeat/status stops ingest",
         ingest.poison_health),
    Case("c1-healthz-backlog", "critical 1: /healthz answers ok while ingest stalls",
         ingest.backlog_in_healthz),
    Case("c2-deep-extra-field", "critical 2: an extra field nested 255-999 levels",
         ingest.deep_extra_field),
    Case("c3-shared-group-client-id", "critical 3: $share/hub subscription, hub client id",
         ingest.shared_group_and_client_id),
    Case("h4-device-token-work", "high 4: device token on work endpoints",
         access.device_token_on_work),
    Case("h5-token-revocation", "high 5: tokens survive deactivation, demotion, password",
         access.tokens_outlive_changes),
    Case("h6-warehouse-scope", "high 6: users not scoped to warehouses", access.users_scoped),
    Case("h7-location-loops", "high 7: CSV parent cycle; unbounded recursive query",
         data.location_loops),
    Case("h8-token-in-access-log", "high 8: bearer tokens in the access log / WS URL",
         access.token_in_access_log),
    Case("h9-far-future-move", "high 9: a move dated 9999-12-31 freezes a pallet",
         ingest.far_future_move),
    Case("m-login-limits", "medium: no login rate limit or lockout; user enumeration",
         access.login_limits),
    Case("m-broker-size-limit", "medium: no message_size_limit; 172 MB dead-letter list",
         ingest.message_size_limit),
    Case("m-security-headers", "medium: no security headers", access.security_headers),
    Case("m-docs-metrics", "medium: /docs, /openapi.json, /metrics public",
         access.docs_and_metrics),
    Case("m-no-500s", "medium: 500s on %00, long /web/ paths, lone surrogates in rules",
         data.no_500s),
    Case("m-weak-secret-key", "medium: HUB_SECRET_KEY of 32 × 'a' accepted",
         access.weak_secret_key),
    Case("m-unregistered-gateway", "medium: moves of an unregistered gateway accepted",
         ingest.unregistered_gateway),
    Case("m-unknown-skus", "medium: unknown SKUs accepted silently", data.unknown_skus),
    Case("m-csv-careless-rows", "medium: unknown warehouse / duplicate code in a CSV",
         data.csv_careless_rows),
    Case("m-big-batch-one-bad", "medium: 10,000-event batch with one bad event",
         ingest.big_batch_one_bad),
    Case("s1-closed-receipt", "stock 1: a closed receipt's task books again",
         data.closed_receipt),
    Case("s2-fefo-expiry", "stock 2: FEFO and expiry alerts blind to half the lots",
         data.fefo_and_expiry_alerts),
    Case("m-picker-acks-alert", "medium: a picker can acknowledge planning alerts",
         access.picker_acknowledges_alert),
    Case("s3-rule-facts", "stock 3: rules on unsupplied facts; schedule_recount unread",
         data.rule_facts),
)


@dataclass
class Outcome:
    case: str
    finding: str
    verdict: str  # "held" or "broken"
    seconds: float
    evidence: list[str]


def run_case(probe: Probe, case: Case) -> Outcome:
    ev, started = Evidence(), time.monotonic()
    try:
        case.run(probe, ev)
    except Exception as exc:  # a case that cannot finish has not shown that the fix holds
        ev.check(False, f"probe error {type(exc).__name__}: {exc}")
        ev.note(traceback.format_exc(limit=3)[-600:])
    finally:
        probe.close()
    return Outcome(case.name, case.finding, "broken" if ev.failed else "held",
                   round(time.monotonic() - started, 2), ev.lines)


def run_probe(workdir: Path, db_url: str, only: Sequence[str] = (),
              hub_root: Path | None = None) -> list[Outcome]:
    chosen = [c for c in CASES if not only or c.name in only]
    with probe_site(workdir, db_url, hub_root) as probe:
        return [run_case(probe, case) for case in chosen]


def report(outcomes: Sequence[Outcome]) -> str:
    lines = []
    for o in outcomes:
        lines.append(f"{o.verdict.upper():6} {o.case:28} {o.seconds:6.1f} s  {o.finding}")
        if o.verdict != "held":
            lines += [f"         {e}" for e in o.evidence]
    held = sum(o.verdict == "held" for o in outcomes)
    lines.append(f"{held} of {len(outcomes)} cases held")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from tests.conftest import scratch_database
    parser = argparse.ArgumentParser(prog="python -m tests.system.probe_issue18",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    parser.add_argument("--only", nargs="+", default=(), choices=[c.name for c in CASES])
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it (hub log, broker)")
    parser.add_argument("--hub-root", type=Path, help="run the hub from this checkout (e.g. "
                        "`git archive` of a commit before the fixes) instead of this one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="probe18-") as tmp, scratch_database() as url:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        outcomes = run_probe(workdir, url, args.only, args.hub_root)
    print(json.dumps([asdict(o) for o in outcomes], indent=2) if args.json else report(outcomes))
    return 0 if all(o.verdict == "held" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
