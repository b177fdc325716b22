"""A service's BLAS runs on the threads its settings allow, in libraries loaded before and
after the limit (numpy's OpenBLAS at import, scipy's own on first use)."""

from __future__ import annotations

import json
import subprocess
import sys

from services.common.settings import Settings

_REPORT = """
import json, sys
import numpy
from services.common.server import limit_blas_threads
limit_blas_threads(int(sys.argv[1]))
import scipy.linalg  # its OpenBLAS loads after the limit
import threadpoolctl
print(json.dumps([pool["num_threads"] for pool in threadpoolctl.threadpool_info()
                  if pool["user_api"] == "blas"]))
"""


def blas_threads_after_limit(threads: int) -> list[int]:
    # A process of its own: the limit is process-wide and would outlive this test.
    reply = subprocess.run(
        [sys.executable, "-c", _REPORT, str(threads)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return list(json.loads(reply.stdout))


def test_every_blas_library_of_a_service_runs_on_one_thread_by_default() -> None:
    assert Settings(_env_file=None).blas_threads == 1
    threads = blas_threads_after_limit(1)
    assert len(threads) >= 2  # numpy's and scipy's
    assert threads == [1] * len(threads)


def test_blas_threads_zero_leaves_the_librarys_own_choice() -> None:
    assert all(count >= 1 for count in blas_threads_after_limit(0))
