"""Run every shell command in README.md's code blocks that starts with `make`, `uv` or
`python manage.py` (`.venv/bin/python manage.py` too), in a fresh clone, as a newcomer would
paste them: `make run` first, then the others in the order the README shows them.

Long-running commands (`make run`, `db_worker`) are started, must still be running (and
`make run` must answer on its port) after a while, and are stopped. `make test` is run with
`--collect-only` (CI runs the suite itself). The clone is of HEAD: commit before running.
Run: `.venv/bin/python scripts/check_readme_commands.py` (in .ci/run).
"""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 600  # seconds per command (the first `make run` installs, migrates and seeds)
SERVERS = ("make run", "manage.py db_worker", "manage.py run_worker")  # started, kept, stopped
ADAPTED = {"make test": 'make test ARGS="--collect-only -q -p no:cacheprovider"'}


def readme_commands(text: str) -> list[str]:
    """The checked commands of the README's fenced code blocks, comments dropped."""
    commands = []
    for block in re.findall(r"^ *```[a-z]*\n(.*?)^ *```", text, flags=re.DOTALL | re.MULTILINE):
        for line in block.replace("\\\n", " ").splitlines():
            first = line.split()[:1]
            if first not in (["make"], ["uv"], ["python"], [".venv/bin/python"]):
                continue  # other programs, other languages (ini, SQL): not checked, not parsed
            words = shlex.split(line, comments=True)
            if not words:
                continue
            python = words[0] in ("python", ".venv/bin/python") and words[1:2] == ["manage.py"]
            if words[0] in ("make", "uv") or python:
                commands.append(shlex.join(words))
    return commands


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (localhost)
            return bool(response.status == 200)
    except OSError:
        return False


def run_server(command: str, clone: Path, env: dict[str, str], url: str | None) -> str | None:
    """Start a long-running command; None when it came up (and answered) and kept running."""
    process = subprocess.Popen(  # noqa: S602 (the README's own command line)
        command, shell=True, cwd=clone, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + TIMEOUT
        settle = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                return f"stopped with status {process.returncode}:\n{output[-3000:]}"
            if time.monotonic() > settle and (url is None or answers(url)):
                return None
            time.sleep(1)
        return f"did not come up within {TIMEOUT} s"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def run(command: str, clone: Path, env: dict[str, str]) -> str | None:
    try:
        result = subprocess.run(  # noqa: S602 (the README's own command line)
            command, shell=True, cwd=clone, env=env, capture_output=True, text=True,
            timeout=TIMEOUT, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"did not finish within {TIMEOUT} s"
    if result.returncode != 0:
        return f"exit status {result.returncode}:\n{(result.stdout + result.stderr)[-3000:]}"
    return None


def main() -> int:
    commands = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    if "make run" not in commands:
        print("README.md shows no `make run` in a code block")
        return 1
    commands.remove("make run")
    port = free_port()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="readme-commands-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)  # noqa: S603, S607
        # A newcomer's shell: none of this machine's settings, the README's PATH advice for a
        # bootstrapped uv, and a free port for the development server.
        env = {
            k: v
            for k, v in os.environ.items()
            if k in ("HOME", "LANG", "LC_ALL", "TERM", "USER", "UV_CACHE_DIR", "TMPDIR")
        }
        env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
        if shutil.which("uv", path=env["PATH"]) is None:
            env["PATH"] = f"{clone / '.venv-uv' / 'bin'}:{env['PATH']}"
        env |= {"PORT": str(port), "UV_PYTHON_DOWNLOADS": "never"}
        for command in ["make run", *commands]:
            started = time.monotonic()
            actual = ADAPTED.get(command, command)
            if any(server in command for server in SERVERS):
                url = f"http://127.0.0.1:{port}/healthz" if command.startswith("make run") else None
                problem = run_server(actual, clone, env, url)
            else:
                problem = run(actual, clone, env)
            took = f"{time.monotonic() - started:5.1f} s"
            print(f"{'ok  ' if problem is None else 'FAIL'} {took}  {actual}", flush=True)
            if problem is not None:
                failures += 1
                print("     " + problem.replace("\n", "\n     "))
    print(f"{len(commands) + 1 - failures} of {len(commands) + 1} README commands work")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
