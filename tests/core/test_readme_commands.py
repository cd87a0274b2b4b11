"""scripts/check_readme_commands.py (run by .ci/run) finds the README's commands."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "check_readme_commands", ROOT / "scripts" / "check_readme_commands.py"
)
assert spec is not None and spec.loader is not None
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)


def test_commands_are_taken_from_code_blocks_only_without_comments() -> None:
    text = """Run `make inline` (not a block).

```sh
make run    # serve
uv run python manage.py kpi_report \\
    --fy 2021 --json
python manage.py check
createdb other   # not ours
DATABASE_URL=x make bench
```

   ```sh
   .venv/bin/python manage.py db_worker --no-reload   # indented block
   ```
"""
    assert check.readme_commands(text) == [
        "make run",
        "uv run python manage.py kpi_report --fy 2021 --json",
        "python manage.py check",
        ".venv/bin/python manage.py db_worker --no-reload",
    ]


def test_the_readme_starts_with_make_run() -> None:
    commands = check.readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert commands[0] == "make run"
    assert "uv run python manage.py kpi_report --fy 2021 --as-of 2021-12-31 --json" in commands
    assert not [c for c in commands if c.startswith("python ")]  # no bare python on a fresh clone
