# syntax=docker/dockerfile:1
# One image per service, each a target of this file, each with only its own dependencies
# (its extra in pyproject.toml) and only its own code (its package and services/common):
#
#   docker build --target pitch -t expert-music-ai-pitch:0.1.0 .
#   docker compose build          # every image compose.yaml runs
#
# Targets: pitch, pitch-crepe (pitch with the CREPE engines, i.e. torch), lyrics, synth,
# registry, trainer, generation, studio, web, gateway. What each weighs, how fast it starts
# and how much memory it holds is measured in the README ("Images").

# ---- build: the stubs, and one virtual environment per service ----
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pyworld (synth) ships no wheel for this platform: it is compiled here, and the compiler
# stays in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

# pyworld imports pkg_resources, which setuptools 81 removed.
RUN pip install --upgrade pip "setuptools<81" wheel "grpcio-tools==1.85.*"

WORKDIR /src
# The `make protos` step: Python stubs and the descriptor set Envoy's transcoder reads.
COPY protos ./protos
RUN mkdir -p gen/python \
    && python -m grpc_tools.protoc -Iprotos -Iprotos/third_party \
        --python_out=gen/python --pyi_out=gen/python --grpc_python_out=gen/python \
        --descriptor_set_out=gen/descriptor.binpb --include_imports --include_source_info \
        $(find protos/expertmusic -name '*.proto') \
    && find gen/python/expertmusic -type d -exec touch {}/__init__.py \;

COPY pyproject.toml README.md ./
COPY scripts/install-service-env.sh ./scripts/
COPY services ./services
COPY gateway ./gateway

FROM build AS env-pitch
RUN scripts/install-service-env.sh /opt/venv pitch /src
FROM build AS env-pitch-crepe
RUN scripts/install-service-env.sh /opt/venv pitch,crepe /src
FROM build AS env-lyrics
RUN scripts/install-service-env.sh /opt/venv lyrics /src
FROM build AS env-synth
RUN scripts/install-service-env.sh /opt/venv synth /src
FROM build AS env-registry
RUN scripts/install-service-env.sh /opt/venv registry /src
FROM build AS env-trainer
RUN scripts/install-service-env.sh /opt/venv trainer /src
FROM build AS env-generation
RUN scripts/install-service-env.sh /opt/venv generation /src
FROM build AS env-studio
RUN scripts/install-service-env.sh /opt/venv studio /src
FROM build AS env-web
RUN scripts/install-service-env.sh /opt/venv web /src
FROM build AS env-gateway
RUN scripts/install-service-env.sh /opt/venv gateway /src

# ---- runtime: what every image shares ----
FROM python:3.11-slim AS runtime

# libsndfile1: soundfile; tini: PID 1 that forwards SIGTERM (graceful shutdown) and reaps
# children (festival's text2wave in synth).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsndfile1 tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent app \
    && mkdir -p /data && chown app:app /data

WORKDIR /app
COPY --from=build /src/gen ./gen
COPY services/__init__.py ./services/__init__.py
COPY services/common ./services/common

# The root filesystem is read-only in Kubernetes: byte code is compiled in each image
# below, and every cache a library may write goes under /tmp (an emptyDir there).
# DATA_DIR is a volume.
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

ENTRYPOINT ["/usr/bin/tini", "--"]

# ---- the images: each its environment, its package, its command ----

FROM runtime AS pitch
COPY --from=env-pitch /opt/venv /opt/venv
COPY services/pitch ./services/pitch
RUN python -m compileall -q /app
USER 10001:10001
EXPOSE 50051 51051
CMD ["python", "-m", "services.pitch"]

FROM runtime AS pitch-crepe
COPY --from=env-pitch-crepe /opt/venv /opt/venv
COPY services/pitch ./services/pitch
RUN python -m compileall -q /app
USER 10001:10001
EXPOSE 50051 51051
CMD ["python", "-m", "services.pitch"]

FROM runtime AS lyrics
COPY --from=env-lyrics /opt/venv /opt/venv
COPY services/lyrics ./services/lyrics
RUN python -m compileall -q /app
USER 10001:10001
EXPOSE 50052 51052
CMD ["python", "-m", "services.lyrics"]

FROM runtime AS synth
# festival + festvox-kallpc16k + festvox-us-slt-hts: the Festival voices "festival" and
# "slt" (a woman), sung through text2wave.
RUN apt-get update \
    && apt-get install -y --no-install-recommends festival festvox-kallpc16k festvox-us-slt-hts \
    && rm -rf /var/lib/apt/lists/*
COPY --from=env-synth /opt/venv /opt/venv
COPY services/synth ./services/synth
RUN python -m compileall -q /app
USER 10001:10001
EXPOSE 50053 51053
CMD ["python", "-m", "services.synth"]

FROM runtime AS registry
COPY --from=env-registry /opt/venv /opt/venv
COPY services/registry ./services/registry
RUN python -m compileall -q /app
USER 10001:10001
EXPOSE 50054 51054
CMD ["python", "-m", "services.registry"]

FROM runtime AS trainer
COPY --from=env-trainer /opt/venv /opt/venv
COPY services/trainer ./services/trainer
RUN python -m compileall -q /app
USER 10001:10001
CMD ["python", "-m", "services.trainer"]

FROM runtime AS generation
COPY --from=env-generation /opt/venv /opt/venv
COPY services/generation ./services/generation
RUN python -m compileall -q /app
USER 10001:10001
EXPOSE 50057 51057
CMD ["python", "-m", "services.generation"]

FROM runtime AS studio
COPY --from=env-studio /opt/venv /opt/venv
COPY services/studio ./services/studio
RUN python -m compileall -q /app
USER 10001:10001
EXPOSE 50055 51055
CMD ["python", "-m", "services.studio"]

FROM runtime AS web
COPY --from=env-web /opt/venv /opt/venv
COPY services/web ./services/web
# The web studio's files, served at /studio.
COPY web ./web
RUN python -m compileall -q /app
USER 10001:10001
EXPOSE 50056 51056
CMD ["python", "-m", "services.web"]

FROM runtime AS gateway
COPY --from=env-gateway /opt/venv /opt/venv
COPY gateway ./gateway
RUN python -m compileall -q /app
USER 10001:10001
# Envoy: REST and gRPC on 8003, its metrics on 9003.
EXPOSE 8003 9003
CMD ["python", "-m", "gateway"]
