"""A real tray: Xvfb, the ``trayer`` tray host, and the window on the xcb platform.

The window runs in a subprocess (this test process renders offscreen, and a Qt process has
one platform) over a store whose rule fires as soon as the window evaluates it. The
subprocess prints what a user would see — the tray, the balloon message, the alert opened
by clicking it — one JSON line each, and the test reads them. It is skipped only when no X
server can be started, and then says why.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gui.test_alerts_panel import seed

ROOT = Path(__file__).resolve().parents[2]

WINDOW = textwrap.dedent(
    """
    import json, sys, threading
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    def say(what, **data):
        print(json.dumps({"what": what, **data}), flush=True)

    def wait(signal=None, ms=20_000, until=None):
        loop, timer = QEventLoop(), QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        if signal is not None:
            signal.connect(loop.quit)
        if until is not None:
            poll = QTimer()
            poll.timeout.connect(lambda: until() and loop.quit())
            poll.start(50)
        timer.start(ms)
        loop.exec()

    app = QApplication(["lookout"])
    wait(ms=10_000, until=QSystemTrayIcon.isSystemTrayAvailable)
    say("tray", available=QSystemTrayIcon.isSystemTrayAvailable(), platform=app.platformName())

    from console.gui.main_window import MainWindow

    window = MainWindow(db_path=sys.argv[1], collector_url=None, alert_interval_s=0.5)
    window.show()
    say("window", tray=window.tray is not None)
    shown = []
    window.tray.messageShown.connect(lambda title, text: shown.append((title, text)))
    wait(until=lambda: bool(shown))
    say("message", title=shown[0][0] if shown else None, text=shown[0][1] if shown else None,
        event=window.tray._last_event, firing_icon=window.tray.firing)
    wait(ms=10_000, until=lambda: any(w.metaObject().className() == "QBalloonTip" and w.isVisible()
                                      for w in app.topLevelWidgets()))
    balloon = next((w for w in app.topLevelWidgets()
                    if w.metaObject().className() == "QBalloonTip" and w.isVisible()), None)
    say("balloon", visible=balloon is not None)

    window.close()  # with a tray, closing hides
    app.processEvents()
    say("closed", hidden=window.isHidden(), running=not window._stopped)

    panel = window.alerts
    window.show_panel("overview")
    if balloon is not None:
        QTest.mouseClick(balloon, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, balloon.rect().center())
    else:
        window.tray.icon.messageClicked.emit()
    wait(panel.detailShown)
    answer = panel.detail.answer
    say("opened", visible=window.isVisible(), panel=window.stack.currentWidget() is panel,
        event=answer.event.id if answer and answer.event else None, title=panel.detail.title.text())

    window.hide()
    window.tray.show_action.trigger()
    app.processEvents()
    shown_again = window.isVisible()
    window.tray.pause_action.trigger()
    say("menu", shown=shown_again, paused=window.tray.paused, text=window.tray.pause_action.text(),
        told=window.tray.notify(answer.event))
    window.tray.pause_action.trigger()
    say("resumed", paused=window.tray.paused, text=window.tray.pause_action.text())

    window.tray.quit_action.trigger()
    app.processEvents()
    say("quit", stopped=window._stopped,
        threads=[t.name for t in threading.enumerate() if t.name.startswith("lookout.")])
    """
)


def _read_display(fd: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> str | None:
    deadline, text = time.monotonic() + timeout, b""
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            chunk = os.read(fd, 64)
            text += chunk
            if not chunk or text.endswith(b"\n"):
                break
    return text.decode().strip() or None


@pytest.fixture
def x_display(tmp_path: Path) -> Iterator[str]:
    """A fresh Xvfb display with trayer holding the system tray; DISPLAY's value."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("no X server can be started: Xvfb is not installed (Debian: apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    log = (tmp_path / "xvfb.log").open("wb")
    server = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              pass_fds=(write_fd,), stdout=log, stderr=subprocess.STDOUT)
    os.close(write_fd)
    try:
        number = _read_display(read_fd, server)
        if number is None:
            server.kill()
            server.wait(5)
            log.close()
            pytest.skip(f"no X server can be started: Xvfb said {(tmp_path / 'xvfb.log').read_text()[-500:]!r}")
        display = f":{number}"
        trayer = shutil.which("trayer")
        assert trayer is not None, "trayer is not installed: tests/run.sh installs it (Debian package trayer)"
        host = subprocess.Popen([trayer, "--edge", "top", "--align", "right", "--widthtype", "request",
                                 "--height", "24"], env={**os.environ, "DISPLAY": display},
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            yield display
        finally:
            host.terminate()
            host.wait(5)
    finally:
        os.close(read_fd)
        server.terminate()
        server.wait(5)
        log.close()


def test_a_firing_rule_shows_the_balloon_and_clicking_it_opens_the_alert(tmp_path, x_display):
    path = seed(tmp_path / "s.db", evaluate=False).path
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(ROOT)}
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run([sys.executable, "-c", WINDOW, str(path)], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    lines = [json.loads(text) for text in done.stdout.splitlines() if text.startswith("{")]
    said = {line["what"]: line for line in lines}
    assert done.returncode == 0, done.stderr[-3000:]
    assert said["tray"]["available"] is True and said["tray"]["platform"] == "xcb"
    assert said["window"]["tray"] is True
    message = said["message"]
    assert message["title"] == "Warning: Checkout errors"
    assert message["text"].endswith("errors in 5 min") and message["firing_icon"] is True
    assert said["balloon"]["visible"] is True, "Qt's balloon message did not appear"
    assert said["closed"] == {"what": "closed", "hidden": True, "running": True}
    opened = said["opened"]
    assert opened["visible"] and opened["panel"]
    assert opened["event"] == message["event"]
    assert opened["title"] == "Checkout errors — FIRING now (warning)"
    menu = said["menu"]
    assert menu["shown"] is True and menu["paused"] is True and menu["told"] is False
    assert menu["text"].startswith("Notifications paused until ") and menu["text"].endswith(" — resume")
    assert said["resumed"] == {"what": "resumed", "paused": False, "text": "Pause notifications for 1 hour"}
    assert said["quit"] == {"what": "quit", "stopped": True, "threads": []}
