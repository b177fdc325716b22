"""The studio page's own logic (note edits, undo, the streamed WAV reader, error messages),
specified in ``tests/web/js/*.test.js`` and run with Node's test runner.

The modules are the files the browser loads (``web/js``), imported as they are: no build.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
JS_TESTS = Path(__file__).resolve().parent / "js"


def test_the_page_modules_pass_their_specifications() -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "Node.js is missing: `make install` installs Debian's nodejs"
    specs = sorted(str(path) for path in JS_TESTS.glob("*.test.js"))
    assert specs
    result = subprocess.run(
        [node, "--test", *specs], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
