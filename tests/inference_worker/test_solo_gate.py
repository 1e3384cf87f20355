"""The gate that lets a suspect generation run alone, on real threads."""

from __future__ import annotations

import threading
import time

from inference_worker.solo_gate import GateState, SoloGate


def enter_in_thread(gate: SoloGate, *, alone: bool, timeout: float = 10.0) -> threading.Event:
    admitted = threading.Event()

    def run() -> None:
        if gate.enter(alone=alone, timeout=timeout):
            admitted.set()

    threading.Thread(target=run, daemon=True).start()
    return admitted


def wait_for_state(gate: SoloGate, expected: GateState, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while gate.state() != expected:
        assert time.monotonic() < deadline, gate.state()
        time.sleep(0.01)


def test_ordinary_generations_share_the_engine():
    gate = SoloGate()
    assert gate.enter(alone=False, timeout=0)
    assert gate.enter(alone=False, timeout=0)
    assert gate.state() == GateState(sharing=2, alone=False, waiting_alone=0)
    gate.leave(alone=False)
    gate.leave(alone=False)
    assert gate.state() == GateState(0, False, 0)


def test_a_suspect_waits_for_the_batch_in_flight_to_drain():
    gate = SoloGate()
    gate.enter(alone=False)
    gate.enter(alone=False)
    suspect = enter_in_thread(gate, alone=True)
    wait_for_state(gate, GateState(2, False, 1))
    gate.leave(alone=False)
    assert not suspect.wait(0.2)
    gate.leave(alone=False)
    assert suspect.wait(5)
    assert gate.state() == GateState(0, True, 0)


def test_new_generations_queue_behind_a_waiting_suspect_so_it_is_not_starved():
    gate = SoloGate()
    gate.enter(alone=False)
    suspect = enter_in_thread(gate, alone=True)
    wait_for_state(gate, GateState(1, False, 1))
    assert not gate.enter(alone=False, timeout=0.2)
    latecomer = enter_in_thread(gate, alone=False)
    gate.leave(alone=False)
    assert suspect.wait(5)
    assert not latecomer.wait(0.2)  # the suspect runs with no other
    gate.leave(alone=True)
    assert latecomer.wait(5)
    assert gate.state() == GateState(1, False, 0)


def test_one_suspect_at_a_time():
    gate = SoloGate()
    assert gate.enter(alone=True, timeout=0)
    assert not gate.enter(alone=True, timeout=0.1)
    second = enter_in_thread(gate, alone=True)
    wait_for_state(gate, GateState(0, True, 1))
    gate.leave(alone=True)
    assert second.wait(5)


def test_a_suspect_that_stops_waiting_lets_the_others_in_again():
    gate = SoloGate()
    gate.enter(alone=False)
    latecomer = threading.Event()
    suspect_gave_up = threading.Event()

    def suspect() -> None:
        if not gate.enter(alone=True, timeout=0.3):
            suspect_gave_up.set()

    threading.Thread(target=suspect, daemon=True).start()
    wait_for_state(gate, GateState(1, False, 1))
    threading.Thread(
        target=lambda: gate.enter(alone=False, timeout=10) and latecomer.set(), daemon=True
    ).start()
    assert suspect_gave_up.wait(5)
    assert latecomer.wait(5)
    assert gate.state() == GateState(2, False, 0)
