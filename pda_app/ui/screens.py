"""The PDA's screens: thin Kivy views over PdaSession and the flows (layout in pda.kv).

Rule kept here: a screen shows what the session answers and forwards what the picker does;
the scan field keeps the keyboard focus so a keyboard-wedge scanner always lands in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import ColorProperty, StringProperty
from kivy.uix.label import Label
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager
from kivy.uix.textinput import TextInput

from pda_app.flows.feedback import Feedback, Tone
from pda_app.flows.policy import policy
from pda_app.flows.scan import GS_SHOWN
from pda_app.flows.view import view
from protocol.labels import GS

if TYPE_CHECKING:
    from pda_app.ui.app import PdaApp

PAINT = {Tone.OK: (0.11, 0.53, 0.25, 1), Tone.ERROR: (0.78, 0.16, 0.16, 1),
         Tone.WARN: (0.98, 0.66, 0.15, 1), Tone.INFO: (0.22, 0.28, 0.31, 1)}
INK = {Tone.WARN: (0, 0, 0, 1)}
ACTION_LABELS = {"confirm": "CONFIRM", "short": "SHORT PICK", "skip": "SKIP",
                 "tasks": "TASK LIST"}


def pda() -> PdaApp:
    return cast("PdaApp", App.get_running_app())


class ScanInput(TextInput):
    """Where scans land: Enter validates and the field keeps the focus."""

    def insert_text(self, substring: str, from_undo: bool = False) -> Any:
        # Keep GS (0x1D, FNC1 in GS1-128) as a visible ␝ — Kivy splits its lines on GS —
        # and drop other control keys; the session turns ␝ back into GS.
        shown = substring.replace(GS, GS_SHOWN)
        kept = "".join(c for c in shown if c.isprintable())
        return super().insert_text(kept, from_undo=from_undo)

    def take_focus(self, *_: object) -> None:
        self.focus = True


class FeedbackBanner(Label):
    paint = ColorProperty(PAINT[Tone.INFO])
    ink = ColorProperty((1, 1, 1, 1))
    tone = StringProperty(Tone.INFO.value)  # what tests and screen readers can check

    def show(self, feedback: Feedback | None) -> None:
        if feedback is None:
            return
        self.paint = PAINT[feedback.tone]
        self.ink = INK.get(feedback.tone, (1, 1, 1, 1))
        self.text = feedback.message
        self.tone = feedback.tone.value


class PdaRoot(ScreenManager):
    """No slide animation: the next prompt must be there before the next scan arrives."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(transition=NoTransition(), **kw)


class PdaScreen(Screen):
    def on_enter(self, *_: object) -> None:
        self.refresh()
        field = self.ids.get("scan")
        if field is not None:
            Clock.schedule_once(field.take_focus, 0)

    def refresh(self) -> None:
        """Redraw from the session."""

    def on_scan(self, text: str) -> None:
        """A scan (or keyed entry + Enter) landed in this screen's field."""

    def camera(self) -> None:
        """The optional camera path: one decoded symbol goes where a scan would."""
        text = pda().camera_scan()
        if text is None:
            feedback = Feedback.error("camera", "No camera, or nothing readable: use the "
                                      "scanner trigger")
            self.ids.banner.show(feedback)
            pda().signal(feedback)
            return
        self.on_scan(text)


class SignInScreen(PdaScreen):
    def refresh(self) -> None:
        self.ids.hub.text = f"Hub {pda().settings.hub_url} · {pda().settings.device_id}"
        Clock.schedule_once(self.ids.user.take_focus, 0)

    def next_field(self) -> None:
        self.ids.password.focus = True

    def sign_in(self) -> None:
        feedback = pda().session.sign_in(self.ids.user.text, self.ids.password.text)
        self.ids.banner.show(feedback)
        pda().signal(feedback)
        if feedback.tone is Tone.OK:
            self.ids.password.text = ""
            pda().show("tasks")
            pda().replay_now()


class TaskListScreen(PdaScreen):
    def refresh(self) -> None:
        session = pda().session
        tasks, feedback = session.task_list()
        self.ids.title.text = f"Take a task · {session.user or ''}"
        box = self.ids.tasks
        box.clear_widgets()
        for task in tasks[:12]:
            rule = policy(task.kind)
            mine = task.assigned_to == session.user
            first = task.current_step
            where = f" · {first.location}" if first and first.location else ""
            button = Factory.BigButton(
                text=f"{rule.title} · {task.reference or task.task_id} · "
                     f"{len(task.steps)} line(s){where}",
                background_color=PAINT[Tone.OK] if mine else PAINT[Tone.INFO],
                font_size="20sp")
            button.task_id = task.task_id
            button.bind(on_release=lambda b: pda().take(b.task_id))
            box.add_widget(button)
        self.ids.banner.show(feedback if tasks or feedback.tone is Tone.ERROR
                             else Feedback.info("tasks", "Nothing to do right now"))
        waiting, problems = pda().session.waiting(), pda().session.conflicts()
        self.ids.sync.text = f"Sync {waiting}" + (" !" if problems else "")


class StepScreen(PdaScreen):
    """Receiving, putaway, picking and counting share this view of a task flow."""

    def on_scan(self, text: str) -> None:
        session = pda().session
        field = self.ids.scan
        field.text = ""
        if not text.strip() and session.flow is not None and "confirm" in view(
                session.flow).actions:
            self.press("confirm")
            return
        feedback = session.scan(text)
        pda().signal(feedback)
        self.refresh()
        Clock.schedule_once(field.take_focus, 0)

    def press(self, action: str) -> None:
        app = pda()
        if action == "confirm":
            app.signal(app.session.confirm())
            app.replay_now()
        elif action == "short":
            app.signal(app.session.short())
        elif action == "skip":
            app.signal(app.session.skip())
            app.replay_now()
        elif action == "tasks":
            app.session.leave_task()
            app.show("tasks")
            return
        self.refresh()
        Clock.schedule_once(self.ids.scan.take_focus, 0)

    def refresh(self) -> None:
        flow = pda().session.flow
        if flow is None:
            return
        shown = view(flow)
        self.ids.title.text = shown.title
        self.ids.headline.text = shown.headline
        self.ids.banner.show(shown.feedback)
        facts = self.ids.facts
        facts.clear_widgets()
        for line in shown.lines:
            facts.add_widget(Factory.Fact(text=line))
        actions = self.ids.actions
        actions.clear_widgets()
        for action in shown.actions:
            tone = {"confirm": Tone.OK, "short": Tone.WARN}.get(action, Tone.INFO)
            button = Factory.BigButton(text=ACTION_LABELS[action], background_color=PAINT[tone],
                                       color=INK.get(tone, (1, 1, 1, 1)))
            button.action = action
            button.bind(on_release=lambda b: self.press(b.action))
            actions.add_widget(button)
        self.ids.status.text = pda().sync_badge()


class ReceivingScreen(StepScreen):
    pass


class PutawayScreen(StepScreen):
    pass


class PickingScreen(StepScreen):
    pass


class CountScreen(StepScreen):
    pass


class LookupScreen(PdaScreen):
    def on_scan(self, text: str) -> None:
        self.ids.scan.text = ""
        found = pda().session.look_up(text)
        self.ids.what.text = found.title
        self.ids.banner.show(found.feedback)
        pda().signal(found.feedback)
        lines = self.ids.lines
        lines.clear_widgets()
        for line in found.lines:
            lines.add_widget(Factory.Fact(text=line))
        Clock.schedule_once(self.ids.scan.take_focus, 0)


class SyncScreen(PdaScreen):
    def refresh(self) -> None:
        status = pda().session.sync_status()
        tone = Tone.ERROR if status.conflicts else (Tone.WARN if status.waiting else Tone.OK)
        self.ids.banner.show(Feedback(tone, "sync", status.headline))
        lines = self.ids.lines
        lines.clear_widgets()
        for text in status.conflicts:
            lines.add_widget(Factory.Fact(text=f"PROBLEM {text}", color=PAINT[Tone.WARN]))
        for text in status.waiting:
            lines.add_widget(Factory.Fact(text=f"WAITING {text}"))
        if not status.conflicts and not status.waiting:
            lines.add_widget(Factory.Fact(text="Everything is sent."))
        self.ids.seen.disabled = not status.conflicts

    def acknowledge(self) -> None:
        pda().session.acknowledge_all()
        self.refresh()


class SettingsScreen(PdaScreen):
    def refresh(self) -> None:
        s = pda().settings
        self.ids.hub.text, self.ids.warehouse.text = s.hub_url, s.warehouse
        self.ids.device.text, self.ids.sound.active = s.device_id, s.sound

    def save(self) -> None:
        feedback = pda().change_settings(hub_url=self.ids.hub.text.strip(),
                                         warehouse=self.ids.warehouse.text.strip(),
                                         device_id=self.ids.device.text.strip(),
                                         sound=bool(self.ids.sound.active))
        self.ids.banner.show(feedback)


SCREENS: dict[str, type[PdaScreen]] = {
    "signin": SignInScreen, "tasks": TaskListScreen, "receiving": ReceivingScreen,
    "putaway": PutawayScreen, "picking": PickingScreen, "count": CountScreen,
    "lookup": LookupScreen, "sync": SyncScreen, "settings": SettingsScreen,
}
