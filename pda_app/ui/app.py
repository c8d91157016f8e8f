"""PdaApp: the Kivy application — window, screens, feedback beeps and the background replay.

Rule kept here: network replay runs on one worker thread at a time and hands its result to
the UI thread through the Kivy clock; nothing on that thread touches a widget.
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_CLIPBOARD", "sdl2")  # no xsel/xclip probing on handhelds

from kivy.config import Config

Config.set("input", "mouse", "mouse,disable_multitouch")
Config.set("kivy", "exit_on_escape", "0")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.lang import Builder  # noqa: E402

from pda_app.courier import Replayed  # noqa: E402
from pda_app.flows.feedback import Feedback, Tone  # noqa: E402
from pda_app.flows.policy import policy  # noqa: E402
from pda_app.hub import HubClient  # noqa: E402
from pda_app.queue import SqliteQueue  # noqa: E402
from pda_app.session import PdaSession  # noqa: E402
from pda_app.settings import PdaSettings  # noqa: E402
from pda_app.ui import screens  # noqa: E402
from pda_app.ui.sound import Beeper  # noqa: E402
from protocol.tasks import Task  # noqa: E402

KV = Path(__file__).with_name("pda.kv")


class PdaApp(App):
    title = "StockPulse PDA"

    def __init__(self, settings: PdaSettings, session: PdaSession, **kw: object) -> None:
        super().__init__(**kw)
        self.settings, self.session = settings, session
        self.replaying = False
        self.beeper = Beeper(settings.data_dir) if settings.sound else None
        self._history: list[str] = []

    def build(self) -> screens.PdaRoot:
        Window.size = (self.settings.width, self.settings.height)
        Window.clearcolor = (0.07, 0.08, 0.09, 1)
        if KV.name not in {Path(f).name for f in Builder.files}:
            Builder.load_file(str(KV))
        root = screens.PdaRoot()
        for name, cls in screens.SCREENS.items():
            root.add_widget(cls(name=name))
        root.current = "signin"
        Clock.schedule_interval(self._tick, self.settings.retry_s)
        return root

    # --- navigation ----------------------------------------------------------------------
    def show(self, name: str) -> None:
        root = self.root
        if root is None or root.current == name:
            if root is not None:
                root.current_screen.on_enter()
            return
        self._history.append(root.current)
        root.current = name

    def back(self) -> None:
        target = self._history.pop() if self._history else "tasks"
        if self.root is not None:
            self.root.current = target

    def take(self, task_id: str) -> None:
        feedback = self.session.take(task_id)
        self.signal(feedback)
        flow = self.session.flow
        if flow is None:
            self.root.get_screen("tasks").ids.banner.show(feedback)
            return
        self.show(policy(flow.task.kind).screen)

    # --- feedback ------------------------------------------------------------------------
    def signal(self, feedback: Feedback | None) -> None:
        if feedback is not None and self.beeper is not None:
            self.beeper.play(feedback.tone)

    def camera_scan(self) -> str | None:
        from pda_app.camera import CameraScanner  # opencv loads only when the camera is used

        return CameraScanner(self.settings.camera_index).scan_once()

    def sync_badge(self) -> str:
        waiting, conflicts = self.session.waiting(), self.session.conflicts()
        link = "online" if self.session.online else "OFFLINE"
        return f"Sync: {link} · {waiting} waiting" + (f" · {conflicts} PROBLEM" if conflicts
                                                     else "")

    def change_settings(self, **changes: object) -> Feedback:
        self.settings = replace(self.settings, **changes)  # type: ignore[arg-type]
        self.session.settings = self.settings
        if self.settings.hub_url != self.session.client.base_url:
            old = self.session.client
            self.session.client = HubClient(self.settings.hub_url,
                                            timeout=self.settings.timeout_s)
            self.session.courier.client = self.session.client
            old.close()
        self.beeper = Beeper(self.settings.data_dir) if self.settings.sound else None
        return Feedback.ok("settings", "Saved")

    # --- replay --------------------------------------------------------------------------
    def replay_now(self) -> None:
        """Send what waits and re-read the task in hand, on a worker thread."""
        if self.replaying or self.session.user is None:
            return
        self.replaying = True
        flow = self.session.flow
        task_id = flow.task.task_id if flow is not None else None
        threading.Thread(target=self._replay_worker, args=(task_id,), name="pda-replay",
                         daemon=True).start()

    def _replay_worker(self, task_id: str | None) -> None:
        fresh = None
        try:
            done = self.session.replay()
            if task_id is not None and done.online:
                fresh = self.session.fetch_task(task_id)
        except Exception as exc:  # the worker must hand back, whatever broke
            done = Replayed(stopped=f"replay failed: {exc}")
        Clock.schedule_once(lambda _dt: self._replayed(done, fresh), 0)

    def _replayed(self, done: Replayed, fresh: Task | None) -> None:
        self.replaying = False
        feedback = self.session.absorb(done)
        changed = self.session.refreshed(fresh) if fresh is not None else None
        for said in (feedback, changed):
            if said is not None and said.tone is Tone.ERROR:
                self.signal(said)
        if done.sign_in:
            self.root.get_screen("signin").ids.banner.show(
                Feedback.error("sign_in", "Sign in again to send your waiting scans"))
            self.show("signin")
            return
        screen = self.root.current_screen if self.root is not None else None
        if screen is not None:
            screen.refresh()

    def _tick(self, _dt: float) -> None:
        self.replay_now()

    def on_stop(self) -> None:
        self.session.queue.close()
        self.session.client.close()


def make_app(settings: PdaSettings) -> PdaApp:
    client = HubClient(settings.hub_url, timeout=settings.timeout_s)
    session = PdaSession(settings, client, SqliteQueue(settings.queue_path))
    return PdaApp(settings, session)


def run(settings: PdaSettings) -> None:
    make_app(settings).run()
