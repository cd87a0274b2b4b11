"""Workers rest between batches while people wait for the CPU (exports.priority.pace)."""

import pytest
from django.db import transaction

from exports import priority


class Machine:
    """A clock and a pressure file the test moves by hand; sleeping moves the clock."""

    def __init__(self) -> None:
        self.now = 100.0
        self.stall_us = 5_000_000
        self.slept: list[float] = []
        self.has_pressure = True

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def read_stall(self) -> int | None:
        return self.stall_us if self.has_pressure else None

    def work(self, seconds: float, waited_percent: float) -> None:
        self.now += seconds
        self.stall_us += int(seconds * 1_000_000 * waited_percent / 100)


def pacer(machine: Machine, ratio: float = 1.0) -> priority.Pacer:
    return priority.Pacer(
        ratio=ratio, pressure=10.0, slice_seconds=0.25,
        clock=machine.clock, sleep=machine.sleep, read_stall=machine.read_stall,
    )  # fmt: skip


def test_rests_as_long_as_it_worked_while_others_wait():
    machine = Machine()
    p = pacer(machine)
    machine.work(0.5, waited_percent=40)
    p.tick()
    assert machine.slept == [pytest.approx(0.5)]
    # The rest itself is not counted as work: the next slice starts after it.
    machine.work(0.3, waited_percent=40)
    p.tick()
    assert machine.slept == [pytest.approx(0.5), pytest.approx(0.3)]
    assert p.rests == 2
    assert p.rested_seconds == pytest.approx(0.8)


def test_the_ratio_scales_the_rest():
    machine = Machine()
    p = pacer(machine, ratio=2.0)
    machine.work(0.5, waited_percent=40)
    p.tick()
    assert machine.slept == [pytest.approx(1.0)]


def test_never_rests_on_an_idle_machine_or_before_the_slice_ends():
    machine = Machine()
    p = pacer(machine)
    machine.work(0.5, waited_percent=5)  # below WORKER_YIELD_PRESSURE's 10 %
    p.tick()
    machine.work(0.1, waited_percent=90)  # busy, but the slice (0.25 s) is not over
    p.tick()
    assert machine.slept == []
    machine.work(0.2, waited_percent=90)  # now it is: 0.3 s, waited 90 % of it
    p.tick()
    assert machine.slept == [pytest.approx(0.3)]


@pytest.mark.django_db
def test_never_rests_inside_a_transaction():
    machine = Machine()
    p = pacer(machine)
    with transaction.atomic():
        machine.work(1.0, waited_percent=80)
        p.tick()
    assert machine.slept == []
    # The time in the transaction does not count afterwards either.
    machine.work(0.1, waited_percent=80)
    p.tick()
    assert machine.slept == []


def test_without_pressure_information_it_never_rests():
    machine = Machine()
    p = pacer(machine)
    machine.has_pressure = False
    machine.work(1.0, waited_percent=80)
    p.tick()
    assert machine.slept == []


def test_reads_the_kernel_pressure_file(tmp_path):
    path = tmp_path / "cpu"
    path.write_text(
        "some avg10=1.50 avg60=0.80 avg300=0.10 total=123456789\n"
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=42\n"
    )
    assert priority.cpu_stall_microseconds(path) == 123456789
    assert priority.cpu_stall_microseconds(tmp_path / "missing") is None
    path.write_text("full avg10=0.00 avg60=0.00 avg300=0.00 total=42\n")
    assert priority.cpu_stall_microseconds(path) is None


def test_pace_does_nothing_outside_a_worker_and_follows_the_settings(settings, monkeypatch):
    priority.stop_pacing()
    priority.pace()  # no pacer: nothing happens, nothing fails
    settings.WORKER_YIELD_RATIO = 0
    assert priority.start_pacing() is None
    settings.WORKER_YIELD_RATIO = 1.5
    settings.WORKER_YIELD_PRESSURE = 20.0
    monkeypatch.setattr(priority, "cpu_stall_microseconds", lambda path=None: None)
    assert priority.start_pacing() is None  # no pressure file: no pacing
    monkeypatch.setattr(priority, "cpu_stall_microseconds", lambda path=None: 0)
    try:
        started = priority.start_pacing()
        assert started is not None
        assert (started.ratio, started.pressure) == (1.5, 20.0)
        calls: list[None] = []
        monkeypatch.setattr(started, "tick", lambda: calls.append(None))
        priority.pace()
        assert calls == [None]
    finally:
        priority.stop_pacing()


@pytest.mark.django_db
def test_the_ledger_parse_paces_itself_once_a_row(monkeypatch, counselor):
    import io

    from exports.ledger import ledger_parse
    from tests.exports.test_ledger_import import GOOD

    calls: list[None] = []
    monkeypatch.setattr(priority, "pace", lambda: calls.append(None))
    parsed = ledger_parse(stream=io.BytesIO(GOOD), user=counselor)
    assert parsed.ok
    assert len(calls) == len(parsed.rows) == 3


@pytest.mark.django_db
def test_a_background_export_paces_itself_at_each_progress_batch(
    monkeypatch, admin_user, settings, tmp_path
):
    from core import excel
    from exports import jobs
    from exports.services import export_job_run
    from tests.exports.test_faults import export_job
    from tests.factories import ConsultationFactory

    settings.PRIVATE_ROOT = tmp_path
    for _ in range(5):
        ConsultationFactory()
    write_table = excel.write_table
    monkeypatch.setattr(
        "exports.files.write_table", lambda *a, **k: write_table(*a, **{**k, "every": 2})
    )
    calls: list[None] = []
    monkeypatch.setattr(priority, "pace", lambda: calls.append(None))
    job = export_job(admin_user)
    jobs.job_run(str(job.pk), export_job_run)
    job.refresh_from_db()
    assert job.status == "done"
    # Rows 2 and 4, then the end: one rest point per progress write.
    assert job.done_rows == 5
    assert len(calls) == 3
