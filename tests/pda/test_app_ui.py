"""The real Kivy PDA app under Xvfb, typed at like a keyboard-wedge scanner, against a real hub.

Sign in, take a pick task, scan location / GS1 label / quantity, confirm, short-pick the second
line; the widgets and the hub's ledger (GET /api/v1/stock) must agree. Every screen is saved
as a screenshot (test-artifacts/pda/) and checked not blank; PDA_UPDATE_DOCS=1 also copies the
main ones to docs/pda/ for the README.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import numpy as np
import pytest
import zxingcpp

from pda_app.camera import decode_frame
from pda_app.courier import Courier
from pda_app.hub import HubClient
from pda_app.queue import SqliteQueue
from pda_app.session import PdaSession
from pda_app.settings import PdaSettings
from protocol import ItemLine, Source, StockMoved, encode_batch
from protocol.events import UnitRef
from protocol.tasks import Task, TaskKind, TaskState, TaskStep
from tests.conftest import _create_database, _drop_database, _url_for
from tests.hub_fixtures import Hub, running_hub
from tests.pda.hub_seed import (
    PICKER,
    add_pick_task,
    add_task,
    seed_site,
    set_task_state,
    stock,
)
from tests.pda.tasks_factory import COUNT, GTIN, PUTAWAY, RECEIVE

if TYPE_CHECKING:
    from tests.pda.kivy_driver import Driver

pytestmark = [pytest.mark.integration, pytest.mark.ui]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "pda"
GS = "\x1d"


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[tuple[Hub, str]]:
    name = _create_database()
    db = _url_for(name)
    try:
        with running_hub(db, mqtt_enabled=False) as h:
            seed_site(h.base_url, h.token, db)
            yield h, db
    finally:
        _drop_database(name)


def _other_tasks(db: str) -> None:
    """A blind count, a receipt and a putaway, to show their screens."""
    now = datetime.now(UTC)

    def one(task_id: str, kind: TaskKind, **step: object) -> None:
        add_task(db, Task(task_id=task_id, kind=kind, state=TaskState.OPEN, warehouse="WH1",
                          created_at=now, reference=task_id, steps=(TaskStep.model_validate(
                              {"step_id": f"{task_id}-1", "sequence": 1, **step}),)))

    one("CNT-1", TaskKind.COUNT, instructions=COUNT, location="A-02-01", sku="SKU-1",
        gtin=GTIN, description="Blue widget", blind=True)
    one("RCV-1", TaskKind.RECEIVE, instructions=RECEIVE, location="DOCK-1", sku="SKU-1",
        gtin=GTIN, description="Blue widget", expected_quantity=40, remaining_quantity=40)
    one("PUT-1", TaskKind.PUTAWAY, instructions=PUTAWAY, location="DOCK-1",
        to_location="A-02-01", sku="SKU-1", unit=UnitRef(sscc="106141411234567897"),
        expected_quantity=40, remaining_quantity=40)


@pytest.fixture(scope="module")
def driver(hub: tuple[Hub, str], tmp_path_factory: pytest.TempPathFactory,
           artifacts_dir: Path) -> Iterator[Driver]:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")  # Mesa EGL, no X needed
    # Kivy opens its window on import: import it here, not while the suite is collected.
    from pda_app.ui.app import PdaApp
    from tests.pda.kivy_driver import Driver

    h, _ = hub
    data = tmp_path_factory.mktemp("pda-data")
    settings = PdaSettings(hub_url=h.base_url, warehouse="WH1", device_id="pda-ui",
                           data_dir=data, sound=False, retry_s=3600)
    session = PdaSession(settings, HubClient(h.base_url), SqliteQueue(settings.queue_path))
    d = Driver(PdaApp(settings, session), artifacts_dir / "pda")
    d.start()
    try:
        yield d
    finally:
        d.stop()


def _shot(d: Driver, name: str) -> None:
    from tests.pda.kivy_driver import not_blank

    path = d.screenshot(name)
    assert not_blank(path) > 10
    if os.environ.get("PDA_UPDATE_DOCS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS / path.name)


def test_pick_with_a_scanner_against_the_real_hub(driver: Driver, hub: tuple[Hub, str]) -> None:
    h, db = hub
    d, app = driver, driver.app
    add_pick_task(db, "UI-1", [("A-01-02", 5), ("A-02-01", 3)])
    signin = app.root.get_screen("signin")
    assert signin.ids.user.focus, "the name field must hold the focus for a badge scan"
    _shot(d, "01-sign-in")
    d.scan(PICKER[0])
    assert signin.ids.password.focus
    d.scan(PICKER[1])
    assert app.root.current == "tasks"
    tasks = app.root.get_screen("tasks")
    names = [b.text for b in tasks.ids.tasks.children]
    assert any("ORDER-UI-1" in n and "2 line(s)" in n for n in names), names
    _shot(d, "02-task-list")

    button = next(b for b in tasks.ids.tasks.children if "ORDER-UI-1" in b.text)
    button.dispatch("on_release")
    d.frames(3)
    assert app.root.current == "picking"
    pick = app.root.current_screen
    assert pick.ids.headline.text == "Go to A-01-02 and scan it"
    assert pick.ids.title.text == "Pick 1/2 · ORDER-UI-1"
    d.until(lambda: pick.ids.scan.focus, what="focus in the scan field")

    d.scan("A-09-09")
    assert pick.ids.banner.tone == "error" and "Wrong location" in pick.ids.banner.text
    _shot(d, "03-pick-wrong-location")
    d.scan("A-01-02")
    assert pick.ids.banner.tone == "ok" and pick.ids.headline.text == "Scan item SKU-1"
    d.scan(f"]C101{GTIN}10L1{GS}305")  # GTIN + lot + quantity in one GS1-128 label
    assert pick.ids.headline.text == "Press CONFIRM", pick.ids.banner.text
    assert "lot L1" in pick.ids.banner.text and "5 EA" in pick.ids.banner.text
    _shot(d, "04-pick-confirm")
    d.press(pick.ids.actions, "CONFIRM")
    d.synced()
    assert pick.ids.banner.text == "picked 5 EA" and pick.ids.banner.tone == "ok"
    assert pick.ids.headline.text == "Go to A-02-01 and scan it"
    assert stock(h.base_url, h.token, "STAGE-1") == 5

    d.scan("A-02-01")
    d.scan(GTIN)
    d.scan("2")
    assert pick.ids.headline.text == "Short pick? Press SHORT PICK or key again"
    assert pick.ids.banner.tone == "warn"
    _shot(d, "05-pick-short")
    d.press(pick.ids.actions, "SHORT PICK")
    d.scan("")  # Enter on an empty field confirms, as the trigger button on a handheld
    d.synced()
    assert pick.ids.headline.text == "Task done: take it to STAGE-1"
    assert "short by 1" in pick.ids.banner.text, pick.ids.banner.text
    assert pick.ids.status.text == "Sync: online · 0 waiting"
    _shot(d, "06-pick-done")

    ledger = {loc: stock(h.base_url, h.token, loc) for loc in ("A-01-02", "A-02-01", "STAGE-1")}
    assert ledger == {"A-01-02": Decimal(15), "A-02-01": Decimal(8), "STAGE-1": Decimal(7)}


def test_look_up_sync_settings_and_the_other_task_screens(driver: Driver,
                                                           hub: tuple[Hub, str]) -> None:
    h, db = hub
    d, app = driver, driver.app
    if app.session.user is None:
        pytest.skip("needs the signed-in app of the pick test")
    app.session.leave_task()
    look = d.show("lookup")
    d.until(lambda: look.ids.scan.focus, what="focus in the look-up field")
    # The CAM button with a rendered frame standing in for the camera: a QR location label.
    frame = np.full((300, 300, 3), 160, np.uint8)
    qr = np.asarray(zxingcpp.create_barcode("A-01-02", zxingcpp.BarcodeFormat.QRCode)
                    .to_image(scale=6, add_quiet_zones=True))
    frame[20:20 + qr.shape[0], 20:20 + qr.shape[1]] = qr[..., None]
    app.camera_scan = lambda: next(iter(decode_frame(frame)), None)  # type: ignore[method-assign]
    look.ids.cam.dispatch("on_release")
    d.frames(3)
    assert look.ids.what.text == "A-01-02"
    lines = [w.text for w in look.ids.lines.children]
    assert any("SKU-1 lot L1: 15" in line for line in lines), lines
    _shot(d, "07-look-up")

    sync = d.show("sync")
    assert "0 waiting" in sync.ids.banner.text
    _shot(d, "08-sync")
    assert d.show("settings").ids.hub.text == h.base_url
    _shot(d, "09-settings")

    # The office cancels the task in hand: the next sync tells the picker to stop.
    add_pick_task(db, "UI-2", [("A-01-02", 1)])
    app.take("UI-2")
    d.frames(3)
    d.scan("A-01-02")
    set_task_state(db, "UI-2", TaskState.CANCELLED)
    app.replay_now()
    d.until(lambda: not app.replaying, what="the sync after the cancel")
    d.frames(3)
    stopped = app.root.current_screen
    assert stopped.ids.headline.text == "Stop: this task is not yours any more"
    assert stopped.ids.banner.tone == "error" and "cancelled" in stopped.ids.banner.text
    _shot(d, "11-task-cancelled")
    d.press(stopped.ids.actions, "TASK LIST")
    assert app.root.current == "tasks"

    _other_tasks(db)
    for task_id, screen, headline in [("CNT-1", "count", "Go to A-02-01 and scan it"),
                                      ("RCV-1", "receiving", "Scan pallet"),
                                      ("PUT-1", "putaway", "Scan pallet 106141411234567897")]:
        app.take(task_id)
        d.frames(3)
        assert app.root.current == screen
        assert app.root.current_screen.ids.headline.text == headline
        if screen == "count":
            d.scan("A-02-01")
            d.scan(GTIN)
            shown = app.root.current_screen.ids.headline.text
            assert shown == "Count, then key the quantity"
            facts = [w.text for w in app.root.current_screen.ids.facts.children]
            assert "Blind count" in facts and not any(f.startswith("Quantity") for f in facts)
        _shot(d, f"10-{screen}")
        app.session.leave_task()
    assert isinstance(app.session.courier, Courier)


def test_held_stock_refuses_the_pick_and_look_up_shows_the_lots_trace(
        driver: Driver, hub: tuple[Hub, str]) -> None:
    """Issue 21: stock put on hold after the pick list was made (a quality hold, a recall)
    is refused at the item scan with what to do; the look-up of its lot says where it is, how
    much, on hold or not, and where it came from."""
    h, db = hub
    d, app = driver, driver.app
    if app.session.user is None:
        pytest.skip("needs the signed-in app of the pick test")
    app.session.leave_task()
    on_shelf = int(stock(h.base_url, h.token, "A-02-01"))
    hold = StockMoved(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), warehouse="WH1",
                      source=Source(kind="system", device_id="qa"), reason="adjust",
                      item=ItemLine(sku="SKU-1", lot="L1", quantity=Decimal(on_shelf)),
                      from_location="A-02-01", to_location="A-02-01", to_status="quarantine",
                      user="qa-lead")
    r = httpx.post(f"{h.base_url}/api/v1/moves", content=encode_batch([hold]),
                   headers={"Authorization": f"Bearer {h.token}"}, timeout=30)
    assert r.status_code == 200 and r.json()["applied"] == 1, r.text
    add_pick_task(db, "UI-HELD", [("A-02-01", 2)])  # as if planned before the hold
    app.take("UI-HELD")
    d.frames(3)
    pick = app.root.current_screen
    d.scan("A-02-01")
    d.scan(f"]C101{GTIN}10L1{GS}302")
    assert pick.ids.banner.tone == "error", pick.ids.banner.text
    assert pick.ids.banner.text.startswith(f"Lot L1 at A-02-01 is on hold ({on_shelf} "
                                           "quarantine): do not pick it")
    assert pick.ids.headline.text == "Scan item SKU-1", "back to the item, the bin stays"
    _shot(d, "12-pick-held-refused")
    assert stock(h.base_url, h.token, "STAGE-1") == Decimal(7), "nothing was picked"
    app.session.leave_task()

    look = d.show("lookup")
    d.scan("L1")
    lines = [w.text for w in reversed(look.ids.lines.children)]
    assert lines[0].startswith("Lot L1 (SKU-1): ") and "on hand in 3 location(s)" in lines[0]
    assert f"ON HOLD: {on_shelf} - do not pick" in lines
    assert f"  A-02-01: {on_shelf} (quarantine)" in lines, lines
    _shot(d, "13-look-up-lot-trace")
