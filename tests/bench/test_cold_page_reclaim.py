"""The benchmark says whether the machine pages out idle memory (bench.run.cold_page_reclaim)."""

from pathlib import Path

from bench.run import cold_page_reclaim


def kdamond(root: Path, *, state: str = "on", action: str = "pageout", age: int = 12) -> None:
    context = root / "0" / "contexts" / "0"
    (context / "monitoring_attrs" / "intervals").mkdir(parents=True)
    (context / "monitoring_attrs" / "intervals" / "aggr_us").write_text("5000000\n")
    scheme = context / "schemes" / "0"
    (scheme / "access_pattern" / "age").mkdir(parents=True)
    (scheme / "action").write_text(f"{action}\n")
    (scheme / "access_pattern" / "age" / "min").write_text(f"{age}\n")
    (root / "0" / "state").write_text(f"{state}\n")


def test_a_pageout_scheme_is_named_with_its_idle_time(tmp_path):
    kdamond(tmp_path)
    assert cold_page_reclaim(tmp_path) == "DAMON pageout of memory idle for 60 s"


def test_no_scheme_an_idle_kdamond_or_another_action_is_none(tmp_path):
    assert cold_page_reclaim(tmp_path / "missing") is None
    kdamond(tmp_path / "off", state="off")
    assert cold_page_reclaim(tmp_path / "off") is None
    kdamond(tmp_path / "stat", action="stat")
    assert cold_page_reclaim(tmp_path / "stat") is None
