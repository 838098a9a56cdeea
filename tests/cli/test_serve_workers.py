"""``pitchlab serve --workers N``: N processes serve one port under a supervisor that passes a
stop signal on, and starts again a server process that died."""

from __future__ import annotations

import contextlib
import signal
import time

import httpx
import psutil

from tests.cli.test_served_address import serve

DEADLINE_SECONDS = 60


def serving_children(process) -> set[int]:
    """The supervisor's children that listen on the server's port."""
    listening = set()
    for child in psutil.Process(process.pid).children():
        with contextlib.suppress(psutil.NoSuchProcess):  # one may be dying as we look
            if any(c.status == psutil.CONN_LISTEN for c in child.net_connections()):
                listening.add(child.pid)
    return listening


def two_serving(process, without: int | None = None):
    children = serving_children(process)
    return children if len(children) == 2 and without not in children else None


def wait_until(check, what: str):
    # Polls a condition with a deadline (process starts are not events this test can await).
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError(f"not within {DEADLINE_SECONDS} s: {what}")


def test_two_processes_serve_one_port_a_dead_one_is_replaced_and_ctrl_c_stops_both(env, tmp_path):
    process, port = serve(env, tmp_path, "--workers", "2")
    base = f"http://127.0.0.1:{port}"
    try:
        children = wait_until(lambda: two_serving(process), "two server processes listening")
        with httpx.Client(base_url=base) as http:
            assert all(http.get("/healthz").status_code == 200 for _ in range(20))

        killed = min(children)
        psutil.Process(killed).send_signal(signal.SIGKILL)  # as the OOM killer would
        replaced = wait_until(lambda: two_serving(process, without=killed),
                              "the killed server process replaced")
        assert len(replaced & children) == 1  # the other one served on untouched
        assert httpx.get(f"{base}/readyz").status_code == 200
    finally:
        # Ctrl-C: reaches the supervisor alone (the children have their own process group),
        # which passes one SIGTERM to each and exits once both have drained.
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=DEADLINE_SECONDS)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert all(not psutil.pid_exists(pid) for pid in replaced | {killed})



def test_server_processes_that_keep_dying_young_stop_the_server(env, tmp_path):
    process, _ = serve(env, tmp_path, "--workers", "2")
    killed: set[int] = set()
    try:
        while process.poll() is None and len(killed) < 10:
            children = wait_until(lambda: serving_children(process) - killed or process.poll()
                                  is not None, "a server process to kill")
            if process.poll() is not None:
                break
            victim = min(children - killed)
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(victim).send_signal(signal.SIGKILL)
            killed.add(victim)
        _, err = process.communicate(timeout=DEADLINE_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, err  # a crash loop ends the server, it does not go on
    # the fifth young death in a row was the last one (the test may also have killed the other
    # process while the supervisor was stopping it)
    assert len(killed) in (5, 6)


def test_a_killed_supervisor_takes_its_server_processes_with_it(env, tmp_path):
    process, _ = serve(env, tmp_path, "--workers", "2")
    children = wait_until(lambda: two_serving(process), "two server processes listening")
    process.kill()  # SIGKILL: the supervisor cannot pass anything on
    process.communicate(timeout=DEADLINE_SECONDS)
    wait_until(lambda: not any(psutil.pid_exists(pid) and psutil.Process(pid).status()
                               != psutil.STATUS_ZOMBIE for pid in children),
               "the orphaned server processes gone (the kernel's parent-death signal)")
