"""Which package, and which layer of it, may import which (ARCHITECTURE.md, "Top-level layout"):
one table, read from the source by tests/layering.py, instead of a purity test per package.

A row names modules (`where`) and what of ours they may import (`allow`) or what they must never
import (`forbid`); a `transitive` row also binds everything of ours their import loads.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.layering import (
    PACKAGES,
    Known,
    Project,
    Rule,
    Violation,
    check,
    cycles,
    matches,
    top_level,
    unneeded,
)

ROOT = Path(__file__).resolve().parent.parent

# What a pure core never imports: I/O libraries, and the threads and sockets they would need.
IO = ("psycopg.**", "psycopg_pool.**", "paho.**", "sllurp.**", "serial.**", "cv2.**",
      "kivy.**", "fastapi.**", "starlette.**", "uvicorn.**", "httpx.**", "zxingcpp.**",
      "amqtt.**", "pgserver.**", "sqlite3.**", "socket.**", "threading.**", "asyncio.**")

PACKAGE_RULES = (
    # -- top-level packages -------------------------------------------------------------------
    Rule("protocol imports nothing of ours", ("protocol.**",), allow=("protocol.**",)),
    Rule("edge imports protocol only", ("edge.**",), allow=("edge.**", "protocol.**")),
    Rule("cloud_hub imports protocol only", ("cloud_hub.**",),
         allow=("cloud_hub.**", "protocol.**")),
    Rule("pda_app imports protocol only (never cloud_hub)", ("pda_app.**",),
         allow=("pda_app.**", "protocol.**")),
    Rule("firmware_bridge imports protocol only", ("firmware_bridge.**",),
         allow=("firmware_bridge.**", "protocol.**")),
    Rule("deploy, bench and tests may import anything", ("deploy.**", "bench.**", "tests.**")),
    # -- pure cores: no I/O library in them or in anything of ours they load --------------------
    Rule("protocol is pure", ("protocol.**",), forbid=IO, transitive=True),
    Rule("the edge core is pure",
         ("edge", "edge.reads", "edge.epc", "edge.gs1", "edge.settings", "edge.hub_gate",
          "edge.portal.**", "edge.camera", "edge.camera.tracker", "edge.scanner",
          "edge.scanner.lines", "edge.scanner.station", "edge.rfid", "edge.rfid.config",
          "edge.rfid.screen", "edge.rfid.clock", "edge.rfid.antennas", "edge.rfid.rf",
          "edge.rfid.warn"),
         forbid=IO, transitive=True),
    Rule("the PDA's task flows are pure", ("pda_app.flows.**",), forbid=IO, transitive=True),
    Rule("firmware_bridge's codecs and models are pure",
         ("firmware_bridge.frames.**", "firmware_bridge.llrp.**", "firmware_bridge.camera",
          "firmware_bridge.camera.scene", "firmware_bridge.scenario.**",
          "firmware_bridge.llrp_emulator", "firmware_bridge.llrp_emulator.reader"),
         forbid=IO, transitive=True),
    # -- the hub: its rows are built from HUB, below --------------------------------------------
)

# -- the hub (docs/hub-layout.md) -----------------------------------------------------------------
# A feature package's own modules are its core: pure rules. Around the core, sub-packages named
# after what they speak: pg/ (PostgreSQL), mqtt/ (the broker), notify/ (planning's alerts and
# webhooks), api/ (HTTP routes). Within a feature a core imports no adapter, an adapter no api;
# between features a feature uses only those listed after it here, never one above it — every
# arrow points down the table, so none closes a circle.
HUB: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # feature: (its adapters, it uses)
    "imports": (("pg", "api"), ("ledger", "catalog", "auth")),
    "valuation": (("pg", "api"), ("exports", "work", "ledger", "catalog", "auth")),
    "trace": (("pg", "api"), ("work", "ledger", "catalog", "auth")),
    "demo": (("pg",), ("ledger", "catalog", "auth")),
    "epcis": (("pg", "api"), ("ledger", "catalog", "auth")),
    "web": (("pg", "api"), ("work", "ledger", "catalog", "auth")),  # work: the lot master
    "mrp": ((), ()),  # the pure core only so far (docs/mrp.md): adapters and uses come later
    "supply": (("pg", "api"), ("planning", "work", "ledger", "catalog", "auth")),
    "planning": (("pg", "notify", "api"),
                 ("webhooks", "work", "devices", "ledger", "catalog", "auth")),  # devices: zones
    "work": (("pg", "api"), ("webhooks", "ledger", "catalog", "auth")),
    "ingest": (("pg", "mqtt", "api"), ("devices", "ledger", "live", "catalog", "auth")),
    "devices": (("pg", "api"), ("catalog", "auth")),
    "webhooks": (("pg", "notify", "api"), ("ledger", "auth")),
    "exports": (("pg", "api"), ("planning", "work", "ledger", "auth")),
    "ledger": (("pg", "api"), ("live", "catalog", "auth")),
    "live": (("api",), ("auth",)),
    "catalog": (("pg", "api"), ("auth",)),
    "auth": (("pg", "api"), ()),
}
# Hub-wide plumbing that knows no feature: PostgreSQL connections and the migrations, FastAPI
# plumbing (errors, hardening, typed service dependencies), the MQTT client factory, metrics
# and /healthz, the settings.
PLUMBING = ("cloud_hub.db.**", "cloud_hub.storage.migrations", "cloud_hub.http.**",
            "cloud_hub.broker.**", "cloud_hub.ops.**", "cloud_hub.settings.**")
ENTRY_POINTS = ("cloud_hub", "cloud_hub.main", "cloud_hub.__main__")
HTTP_SERVER = ("fastapi.**", "starlette.**", "uvicorn.**")
# The ledger's write path: only the ledger itself imports it. Everything else — MQTT ingest,
# POST /moves, task confirmations, the demo — applies through the one entry point,
# cloud_hub/ledger/pg/apply.py (ApplyService, and its Posting inside a caller's transaction).
LEDGER_WRITE_PATH = ("cloud_hub.ledger.pg.store", "cloud_hub.ledger.pg.pipeline",
                     "cloud_hub.ledger.pg.plan", "cloud_hub.ledger.pg.cache")
# ... and the functions in it that write the ledger, which nothing outside the ledger calls.
LEDGER_WRITERS = frozenset({"apply_batch", "write_plan", "write_history", "write_state",
                            "decide_batch", "LedgerPipeline"})


def _core(*features: str) -> tuple[str, ...]:
    """A feature's core: the package and its own modules (its sub-packages' __init__ too, which
    only say what the sub-package holds)."""
    return tuple(p for f in features for p in (f"cloud_hub.{f}", f"cloud_hub.{f}.*"))


def _adapters(feature: str, *names: str) -> tuple[str, ...]:
    return tuple(f"cloud_hub.{feature}.{n}.**" for n in names if n in HUB[feature][0])


def hub_rules() -> tuple[Rule, ...]:
    rules = []
    for feature, (adapters, uses) in HUB.items():
        both = (feature, *uses)
        cores = ("protocol.**", *_core(*both))
        pg = (*cores, *(p for f in both for p in _adapters(f, "pg")),
              "cloud_hub.db.**", "cloud_hub.ops", "cloud_hub.ops.metrics",
              "cloud_hub.settings.**")
        rules.append(Rule(f"the {feature} core is pure and imports cores only", _core(feature),
                          allow=cores, forbid=IO, transitive=True))
        if "pg" in adapters:
            rules.append(Rule(f"{feature}/pg imports cores and pg of its own and lower features",
                              _adapters(feature, "pg"), allow=pg,
                              forbid=(*HTTP_SERVER, "paho.**", "httpx.**")))
        if outward := _adapters(feature, "mqtt", "notify"):
            rules.append(Rule(f"{feature}'s broker and webhook adapters import no api", outward,
                              allow=(*pg, *outward, "cloud_hub.broker.**"),
                              forbid=HTTP_SERVER))
        if "api" in adapters:
            others = (p for f in uses for p in _adapters(f, "api"))
            rules.append(Rule(f"{feature}/api imports its own feature and lower features",
                              _adapters(feature, "api"),
                              allow=(*pg, *_adapters(feature, "mqtt", "notify", "api"), *others,
                                     "cloud_hub.http.**", "cloud_hub.ops.**")))
    features = tuple(p for f in HUB for p in (f"cloud_hub.{f}", f"cloud_hub.{f}.**"))
    return (
        *rules,
        Rule("the hub's plumbing imports no feature", PLUMBING,
             allow=("protocol.**", *PLUMBING)),
        Rule("nothing but the entry points imports cloud_hub.main", (*features, *PLUMBING),
             forbid=("cloud_hub.main", "cloud_hub.__main__")),
        Rule("the entry points wire everything", ENTRY_POINTS, allow=("cloud_hub.**",)),
        Rule("only the ledger applies moves: the rest goes through ledger/pg/apply.py",
             (*outside_ledger(), *PLUMBING, *ENTRY_POINTS, "deploy.**"),
             forbid=LEDGER_WRITE_PATH),
    )


def outside_ledger() -> tuple[str, ...]:
    return tuple(p for f in HUB if f != "ledger" for p in (f"cloud_hub.{f}", f"cloud_hub.{f}.**"))


RULES: tuple[Rule, ...] = (*PACKAGE_RULES, *hub_rules())

KNOWN: tuple[Known, ...] = ()


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.from_directory(ROOT)


def test_every_import_keeps_the_table(project: Project) -> None:
    broken = check(project, RULES, KNOWN)
    assert not broken, "\n".join(map(str, broken))


def product_or_tools(name: str) -> str:
    """The top-level package, with bench and tests as one: both are tools that may import
    anything (benches start hubs with the test fixtures, tests check the benches' figure code),
    so a bench <-> tests import is no circle of the product's."""
    top = top_level(name)
    return "bench+tests" if top in ("bench", "tests") else top


def test_no_circle_between_top_level_packages(project: Project) -> None:
    assert cycles(project, product_or_tools, KNOWN) == []


def sub_package(name: str) -> str | None:
    """`edge.portal.track` -> `edge.portal`, `cloud_hub.work.pg.tasks` -> `cloud_hub.work`: the
    hub's features and its plumbing (db, http, ops, settings, ...) form no circle either."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] in ("protocol", "edge", "pda_app",
                                               "firmware_bridge", "cloud_hub") else None


def hub_layer(name: str) -> str | None:
    """`cloud_hub.work.pg.tasks` -> `cloud_hub.work.pg`, `cloud_hub.work.putaway` ->
    `cloud_hub.work` (its core)."""
    parts = name.split(".")
    if parts[0] != "cloud_hub" or len(parts) < 2 or parts[1] not in HUB:
        return None
    return ".".join(parts[:3]) if len(parts) > 2 and parts[2] in HUB[parts[1]][0] \
        else ".".join(parts[:2])


def test_no_circle_between_sub_packages(project: Project) -> None:
    assert cycles(project, sub_package, KNOWN) == []


def test_no_circle_between_the_hubs_layers(project: Project) -> None:
    assert cycles(project, hub_layer, KNOWN) == []


def test_every_top_level_folder_with_python_is_read() -> None:
    skip = {"node_modules", "build", "test-artifacts"}
    found = {d.name for d in ROOT.iterdir() if d.is_dir() and not d.name.startswith(".")
             and d.name not in skip and next(d.rglob("*.py"), None) is not None}
    assert found == set(PACKAGES)


def test_every_module_is_under_a_row(project: Project) -> None:
    rows = [p for rule in RULES for p in rule.where]
    assert [m for m in sorted(project.modules) if not matches(m, rows)] == []


def test_every_row_and_known_exception_still_matches(project: Project) -> None:
    """A row naming no module, or an exception the code no longer needs, is a stale line."""
    names = sorted(project.modules)
    assert [p for rule in RULES for p in rule.where if not matches_any(names, p)] == []
    assert unneeded(project, RULES, KNOWN) == []


def matches_any(names: list[str], pattern: str) -> bool:
    return any(matches(n, [pattern]) for n in names)


def test_pure_rows_load_no_io_library_at_run_time(project: Project) -> None:
    """What the source cannot show: a library of theirs that loads one. Each pure module is
    imported in turn in a fresh interpreter; the first to bring in a library is named."""
    pure = [m for m in sorted(project.modules) for rule in RULES
            if rule.transitive and matches(m, rule.where)]
    libs = sorted({p.removesuffix(".**") for p in IO} - {"socket", "threading", "asyncio"})
    code = ("import importlib, json, sys\nblame = {}\n"
            f"for m in {pure!r}:\n"
            "    importlib.import_module(m)\n"
            f"    for lib in {libs!r}:\n"
            "        if lib in sys.modules: blame.setdefault(lib, m)\n"
            "print(json.dumps(blame))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True, cwd=ROOT)
    assert json.loads(done.stdout) == {}


def ledger_writes(tree: ast.AST) -> list[tuple[int, str]]:
    """Where `tree` calls one of the ledger's write functions, by name or as an attribute."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else \
                node.func.attr if isinstance(node.func, ast.Attribute) else None
            if name in LEDGER_WRITERS:
                found.append((node.lineno, name))
    return found


def test_nothing_outside_the_ledger_calls_its_write_functions() -> None:
    """One apply entry point: besides the import rule above, no call to apply_batch & co. —
    however the function was reached — in the product outside cloud_hub/ledger/."""
    calls = []
    for path in sorted([*(ROOT / "cloud_hub").rglob("*.py"), *(ROOT / "deploy").rglob("*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("cloud_hub/ledger/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), relative)
        calls += [f"{relative}:{line} calls {name}" for line, name in ledger_writes(tree)]
    assert calls == []


def test_a_call_to_a_ledger_write_function_is_found_however_it_is_reached() -> None:
    source = ("from cloud_hub.ledger.pg import store\n\ndef f(conn, svc):\n"
              "    store.apply_batch(conn, [])\n    svc._pipeline.submit([])\n"
              "    apply_batch(conn, [])\n")
    assert ledger_writes(ast.parse(source)) == [(4, "apply_batch"), (6, "apply_batch")]


# -- the checker can fail: each kind of row, fed a module that breaks it ------------------------

def broken(sources: dict[str, str]) -> list[str]:
    return [f"{v.path}:{v.line} {v.target} [{v.rule}]" + (f" via {v.via}" if v.via else "")
            for v in check(Project.from_sources(sources), RULES, KNOWN)]


def test_a_package_importing_beyond_its_row_is_named_with_file_and_line() -> None:
    assert broken({"edge.__init__": "", "cloud_hub.__init__": "", "cloud_hub.x": "",
                   "edge.spy": "import json\n\nimport cloud_hub.x\n"}) == [
        "edge/spy.py:3 cloud_hub.x [edge imports protocol only]"]


@pytest.mark.parametrize("line", [
    "from cloud_hub import x",  # a module by from-import
    "from cloud_hub.x import thing",  # a name in it
    "def later():\n    import cloud_hub.x",  # inside a function
    "import typing\nif typing.TYPE_CHECKING:\n    from cloud_hub.x import T",  # for types only
    "import importlib\nimportlib.import_module('cloud_hub.x')",  # by name
])
def test_every_form_of_import_is_seen(line: str) -> None:
    found = broken({"cloud_hub.__init__": "", "cloud_hub.x": "", "pda_app.__init__": "",
                    "pda_app.screen": line})
    assert len(found) == 1
    assert found[0].startswith("pda_app/screen.py:")
    assert "cloud_hub" in found[0] and "[pda_app imports protocol only" in found[0]


def test_a_relative_import_is_read_from_where_it_stands() -> None:
    assert broken({"edge.__init__": "", "edge.portal.__init__": "", "edge.outbox": "import sqlite3",
                   "edge.portal.track": "from .. import reads\nfrom ..outbox import Outbox\n",
                   "edge.reads": ""}) == [
        "edge/outbox.py:1 sqlite3 [the edge core is pure] via ('edge.outbox',)"]


def test_a_pure_core_importing_an_io_library_is_named() -> None:
    assert broken({"edge.__init__": "", "edge.epc": "def f():\n    import cv2\n"}) == [
        "edge/epc.py:2 cv2 [the edge core is pure]"]


def test_a_pure_core_loading_io_through_a_module_of_ours_shows_the_chain() -> None:
    found = broken({"firmware_bridge.__init__": "",
                    "firmware_bridge.frames.__init__": "from . import codec\n",
                    "firmware_bridge.frames.codec": "from firmware_bridge import wires\n",
                    "firmware_bridge.wires": "import serial\n\ndef f():\n    import paho\n"})
    # both pure modules reach wires at load time; its lazy paho is not loaded, so not blamed
    assert found == [
        "firmware_bridge/wires.py:1 serial [firmware_bridge's codecs and models are pure]"
        " via ('firmware_bridge.frames.codec', 'firmware_bridge.wires')",
        "firmware_bridge/wires.py:1 serial [firmware_bridge's codecs and models are pure]"
        " via ('firmware_bridge.wires',)",
    ]


DEMO_EXCEPTION = Known("cloud_hub.demo", "deploy.**", "a deployment script, imported")


def test_a_known_exception_covers_only_its_own_module() -> None:
    demo = "def full():\n    from deploy.demo_system import run\n"
    sources = {"cloud_hub.__init__": "", "deploy.__init__": "", "deploy.demo_system": ""}
    assert check(Project.from_sources({**sources, "cloud_hub.demo": demo}), PACKAGE_RULES,
                 [DEMO_EXCEPTION]) == []
    assert [str(v) for v in check(Project.from_sources({**sources, "cloud_hub.other": demo}),
                                  PACKAGE_RULES, [DEMO_EXCEPTION])] == [
        "cloud_hub/other.py:2: cloud_hub.other imports deploy.demo_system — breaks "
        "'cloud_hub imports protocol only'"]


def test_a_known_exception_that_is_fixed_asks_to_be_deleted() -> None:
    fixed = Project.from_sources({"cloud_hub.__init__": "", "cloud_hub.demo": "import json\n",
                                  "deploy.__init__": "", "deploy.demo_system": ""})
    assert unneeded(fixed, PACKAGE_RULES, [DEMO_EXCEPTION]) == [DEMO_EXCEPTION]


HUB_SOURCES = {name: "" for name in (
    "cloud_hub.__init__", "cloud_hub.main", "cloud_hub.db.__init__", "cloud_hub.work.__init__",
    "cloud_hub.work.model", "cloud_hub.work.pg.__init__", "cloud_hub.work.pg.tasks",
    "cloud_hub.work.api.__init__", "cloud_hub.work.api.tasks", "cloud_hub.planning.__init__",
    "cloud_hub.planning.rules", "cloud_hub.ledger.__init__", "cloud_hub.ledger.pg.__init__",
    "cloud_hub.ledger.pg.store", "cloud_hub.ledger.pg.apply")}


@pytest.mark.parametrize(("source", "line", "rule"), [
    ("cloud_hub.work.model", "import psycopg", "the work core is pure and imports cores only"),
    ("cloud_hub.work.model", "from cloud_hub.work.pg import tasks",
     "the work core is pure and imports cores only"),
    ("cloud_hub.work.pg.tasks", "from cloud_hub.work.api import tasks",
     "work/pg imports cores and pg of its own and lower features"),
    ("cloud_hub.work.pg.tasks", "from cloud_hub.planning import rules",  # planning is above
     "work/pg imports cores and pg of its own and lower features"),
    ("cloud_hub.work.api.tasks", "from cloud_hub.main import ROUTERS",
     "nothing but the entry points imports cloud_hub.main"),
    ("cloud_hub.db.__init__", "from cloud_hub.work import model",
     "the hub's plumbing imports no feature"),
    ("cloud_hub.work.pg.tasks", "from cloud_hub.ledger.pg.store import apply_batch",
     "only the ledger applies moves: the rest goes through ledger/pg/apply.py"),
    ("cloud_hub.work.pg.tasks", "from cloud_hub.ledger.pg import store",
     "only the ledger applies moves: the rest goes through ledger/pg/apply.py"),
])
def test_each_kind_of_hub_row_names_a_module_that_breaks_it(source: str, line: str,
                                                            rule: str) -> None:
    found = check(Project.from_sources({**HUB_SOURCES, source: line}), RULES)
    assert rule in {v.rule for v in found}
    assert {v.path for v in found} == {source.replace(".", "/") + ".py"}


def test_a_circle_between_packages_is_named_with_one_import_per_step() -> None:
    project = Project.from_sources({"bench.__init__": "import tests.a\n", "tests.__init__": "",
                                    "tests.a": "from bench import run\n", "bench.run": ""})
    assert cycles(project, top_level) == [["bench -> tests (bench/__init__.py:1)",
                                           "tests -> bench (tests/a.py:1)"]]


def test_a_violation_reads_as_file_line_module_and_rule() -> None:
    v = Violation("edge.a", "edge/b.py", 7, "cv2", "the edge core is pure", ("edge.b",))
    assert str(v) == "edge/b.py:7: edge.a -> edge.b imports cv2 — breaks 'the edge core is pure'"
