"""The browser the e2e tests and `make screenshots` drive: Debian's Chromium, never
Playwright's download, with the CJK fonts (without them Japanese renders as blank boxes).

`CHROMIUM` overrides the executable's path.
"""

import os
import shutil
import subprocess
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# The print tests read page.pdf() back as text and pictures (tests/e2e/test_print.py).
PDF_TOOLS = ("/usr/bin/pdftotext", "/usr/bin/pdftoppm")
INSTALL = "apt-get install chromium fonts-noto-cjk poppler-utils"
OR_SKIP = (
    '(make test does it when run as root), or skip them with `make test ARGS="--ignore=tests/e2e"`.'
)


def _has_cjk_fonts() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return any(Path("/usr/share/fonts").glob("**/*CJK*"))
    listed = subprocess.run(  # noqa: S603 (fontconfig's own lister, fixed arguments)
        [fc_list, ":lang=ja", "family"], capture_output=True, text=True, check=False
    )
    return bool(listed.stdout.strip())


def missing() -> str | None:
    """One line saying what to install, or None when the browser and its fonts are there."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (
            f"Browser tests need Chromium at {CHROMIUM} (not found): install Debian's with "
            f"`sudo {INSTALL}` {OR_SKIP}"
        )
    for tool in PDF_TOOLS:
        if not os.access(tool, os.X_OK):
            return (
                f"Print tests read the PDFs with poppler-utils ({tool} not found): "
                f"`sudo {INSTALL}` {OR_SKIP}"
            )
    if not _has_cjk_fonts():
        return (
            f"Browser tests need Japanese fonts (none found by fontconfig): `sudo {INSTALL}` "
            f"{OR_SKIP}"
        )
    return None
