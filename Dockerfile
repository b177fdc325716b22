# syntax=docker/dockerfile:1
# One image for the whole mesh: every service and the Envoy gateway. The command picks
# the role (see k8s/base/*.yaml):
#   python -m services.pitch | services.lyrics | services.synth | services.registry
#   python -m services.studio | services.web | gateway
#
#   docker build -t expert-music-ai:dev .
#   docker run --rm -p 8003:8003 expert-music-ai:dev python -m gateway

# ---- build: a virtual environment with every dependency, plus the generated stubs ----
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pyworld ships no wheel for this platform: it is compiled here, and the compiler stays
# in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# pyworld imports pkg_resources, which setuptools 81 removed.
RUN pip install --upgrade pip "setuptools<81" wheel
# The CPU wheel first: the PyPI build of torch pulls gigabytes of CUDA libraries.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
RUN pip install .
# torchcrepe declares torchaudio, whose PyPI build needs CUDA; services/pitch deals
# with its one torchaudio import.
RUN pip install --no-deps torchcrepe==0.0.24

# The `make protos` step: Python stubs and the descriptor set Envoy's transcoder reads.
COPY protos ./protos
RUN mkdir -p gen/python \
    && python -m grpc_tools.protoc -Iprotos -Iprotos/third_party \
        --python_out=gen/python --pyi_out=gen/python --grpc_python_out=gen/python \
        --descriptor_set_out=gen/descriptor.binpb --include_imports --include_source_info \
        $(find protos/expertmusic -name '*.proto') \
    && find gen/python/expertmusic -type d -exec touch {}/__init__.py \;

# ---- runtime ----
FROM python:3.11-slim

# festival + festvox-kallpc16k + festvox-us-slt-hts: the Festival voices "festival" and "slt"
# (a woman); libsndfile1: soundfile; tini: PID 1 that forwards SIGTERM (graceful shutdown)
# and reaps Festival's children.
RUN apt-get update \
    && apt-get install -y --no-install-recommends festival festvox-kallpc16k festvox-us-slt-hts \
       libsndfile1 tini \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent app

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --from=build /app/gen ./gen
COPY services ./services
COPY gateway ./gateway
# The web studio's files, served by `python -m services.web` at /studio.
COPY web ./web

# The root filesystem is read-only in Kubernetes: byte code is compiled now, and every
# cache a library may write goes under /tmp (an emptyDir there). DATA_DIR is a volume.
RUN python -m compileall -q /app/services /app/gateway /app/gen \
    && mkdir -p /data && chown app:app /data

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app/gen/python \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SERVICE_BIND_HOST=0.0.0.0 \
    LOG_FORMAT=json \
    DATA_DIR=/data \
    NUMBA_CACHE_DIR=/tmp/numba \
    MPLCONFIGDIR=/tmp/matplotlib \
    HF_HOME=/tmp/huggingface \
    XDG_CACHE_HOME=/tmp/cache

USER 10001:10001
# gRPC ports 50051-50056, metrics 51051-51056, Envoy 8003 and its metrics 9003.
EXPOSE 50051 50052 50053 50054 50055 50056 51051 51052 51053 51054 51055 51056 8003 9003

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["python", "-m", "gateway"]
