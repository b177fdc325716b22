"""The Kubernetes manifests render, pass the real 1.33 schemas, and agree with the code.

Each overlay under ``k8s/overlays/`` is rendered offline with ``kustomize build`` (or
``kubectl kustomize``, the same kustomize built into kubectl; it never talks to a
cluster). Every rendered document is validated strictly with ``kubernetes-validate``,
then checked against what the services actually do: the ports come from
``services.common.settings`` read with the rendered ConfigMap as its environment, just
as a pod reads it.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import kubernetes_validate
import pytest
import yaml

from services.common.settings import SERVICE_PORTS, Settings
from tests.k8s.network_policy import Address, Pod, allowed

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
OVERLAYS = ("local", "production")
KUBERNETES_VERSION = "1.33.0"
GATEWAY = "gateway"
#: The container that serves a service's gRPC port (a pod may carry others beside it).
SERVER = "server"
#: `python -m services.trainer`: a Deployment (and container) of this name, serving no port.
TRAINER = "trainer"
TRAINER_ARGS = ["python", "-m", "services.trainer"]
#: The services that open the registry's catalogue (SQLite file or PostgreSQL) and the
#: artifact store, and those that only read the artifact store.
CATALOGUE_USERS = ("registry", TRAINER)
ARTIFACT_READERS = ("generation",)
IMAGE_NAME = "expert-music-ai"
CONFIG_MAP = "expert-music-config"
SECRET = "expert-music-secrets"
#: What a value in a committed or rendered Secret must never look like.
REAL_LOOKING_KEY = re.compile(
    r"sk-ant-[\w-]{16,}"  # Anthropic
    r"|sk-[\w-]{20,}"  # OpenAI
    r"|r8_\w{20,}"  # Replicate
    r"|A(KI|SI)A[0-9A-Z]{16}"  # AWS access key id
    r"|[A-Za-z0-9+/]{40}"  # AWS secret key and other long random strings
)

Doc = dict[str, Any]


# ---- rendering ----


def _kustomize_command() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


@pytest.fixture(scope="module")
def k8s_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """k8s/ copied aside, with the local overlay's git-ignored secrets.env made from its
    example: a developer's real keys are never read, and the build needs the file."""
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("secrets.env"))
    for example in copy.glob("overlays/*/secrets.example.env"):
        shutil.copy(example, example.with_name("secrets.env"))
    return copy


def _render(overlay_dir: Path, home: Path) -> list[Doc]:
    command = _kustomize_command()
    if command is None:
        pytest.skip("neither kustomize nor kubectl is on PATH (see k8s/README.md)")
    # No kubeconfig and no server: `kustomize` only reads files, and kubectl must not
    # fall back to localhost:8080 if it ever tried to reach a cluster.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "KUBECONFIG": os.devnull}
    result = subprocess.run(
        [*command, str(overlay_dir)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def render(k8s_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], list[Doc]]:
    """overlay name -> its rendered documents (each overlay rendered once)."""
    home = tmp_path_factory.mktemp("home")
    rendered: dict[str, list[Doc]] = {}

    def render_overlay(overlay: str) -> list[Doc]:
        if overlay not in rendered:
            rendered[overlay] = _render(k8s_copy / "overlays" / overlay, home)
        return rendered[overlay]

    return render_overlay


@pytest.fixture(params=OVERLAYS)
def docs(request: pytest.FixtureRequest, render: Callable[[str], list[Doc]]) -> list[Doc]:
    return render(request.param)


def _of_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def _pod_spec(deployment: Doc) -> Doc:
    spec: Doc = deployment["spec"]["template"]["spec"]
    return spec


def _containers(docs: list[Doc]) -> Iterator[tuple[str, Doc]]:
    for name, deployment in _of_kind(docs, "Deployment").items():
        for container in _pod_spec(deployment)["containers"]:
            yield name, container


def _container(deployment: Doc, name: str) -> Doc:
    """The pod's one container called ``name``."""
    (container,) = (c for c in _pod_spec(deployment)["containers"] if c["name"] == name)
    return container


def _training_workers(docs: list[Doc]) -> list[tuple[str, Doc]]:
    """(Deployment, container) for every container that runs a training worker."""
    return [(name, c) for name, c in _containers(docs) if c["args"] == TRAINER_ARGS]


def _required_secret_env(container: Doc) -> set[str]:
    """The variables a container takes from a Secret key it cannot start without."""
    return {
        env["name"]
        for env in container.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
        and not env["valueFrom"]["secretKeyRef"].get("optional", False)
    }


def _config(docs: list[Doc]) -> dict[str, str]:
    (config_map,) = (
        doc
        for doc in docs
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith(CONFIG_MAP)
    )
    data: dict[str, str] = config_map["data"]
    return data


def _settings_in_pod(docs: list[Doc]) -> Settings:
    """The settings a pod computes from the rendered ConfigMap (and nothing else)."""
    with mock.patch.dict(os.environ, _config(docs), clear=True):
        return Settings(_env_file=None)  # type: ignore[call-arg]


def _port(container: Doc, name: str) -> int:
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    return int(ports[name])


# ---- schemas ----


def test_every_rendered_document_passes_the_kubernetes_schema_strictly(docs: list[Doc]) -> None:
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_strict_validation_rejects_a_misspelt_field() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "pitch"},
        "spec": {"selector": {"app": "pitch"}, "ports": [{"port": 50051, "tragetPort": 1}]},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(service, KUBERNETES_VERSION, strict=True)


def test_base_files_are_valid_kubernetes_on_their_own() -> None:
    """Needs no kustomize: each base file is plain Kubernetes YAML."""
    files = sorted(K8S.glob("base/*.yaml"))
    assert {path.stem for path in files} >= {*SERVICE_PORTS, GATEWAY}
    for path in files:
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


# ---- the mesh as the code sees it ----


def test_there_is_one_deployment_and_service_per_service_and_the_gateway(docs: list[Doc]) -> None:
    expected = {*SERVICE_PORTS, GATEWAY}
    # Plus the trainer, which listens on nothing.
    assert set(_of_kind(docs, "Deployment")) == expected | {TRAINER}
    services = _of_kind(docs, "Service")
    assert set(services) >= expected
    assert TRAINER not in services, "a training worker listens on nothing"


def test_every_service_listens_probes_and_exports_metrics_on_its_settings_ports(
    docs: list[Doc],
) -> None:
    settings = _settings_in_pod(docs)
    deployments = _of_kind(docs, "Deployment")
    services = _of_kind(docs, "Service")
    for name in SERVICE_PORTS:
        pod = deployments[name]["spec"]["template"]
        container = _container(deployments[name], SERVER)
        grpc_port = settings.port_of(name)
        assert container["args"] == ["python", "-m", f"services.{name}"]
        assert _port(container, "grpc") == grpc_port
        assert _port(container, "metrics") == settings.metrics_port_of(name)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == grpc_port, (name, probe)
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(settings.metrics_port_of(name))
        assert annotations["prometheus.io/path"] == "/metrics"
        (service_port,) = services[name]["spec"]["ports"]
        assert service_port["port"] == grpc_port
        assert service_port["targetPort"] == "grpc"


def test_the_gateway_serves_and_is_probed_on_the_public_port_never_the_admin_one(
    docs: list[Doc],
) -> None:
    settings = _settings_in_pod(docs)
    deployment = _of_kind(docs, "Deployment")[GATEWAY]
    (container,) = _pod_spec(deployment)["containers"]
    assert container["args"] == ["python", "-m", "gateway"]
    assert _port(container, "http") == settings.gateway_port
    for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container[probe_name]
        if "httpGet" in probe:
            assert probe["httpGet"] == {"path": "/health", "port": settings.gateway_port}
        else:
            assert probe["tcpSocket"]["port"] == settings.gateway_port, probe_name
    (service_port,) = _of_kind(docs, "Service")[GATEWAY]["spec"]["ports"]
    assert service_port["port"] == settings.gateway_port


def test_the_gateway_routes_to_and_checks_every_deployed_service(docs: list[Doc]) -> None:
    deployed = set(_of_kind(docs, "Deployment")) - {GATEWAY, TRAINER}
    assert set(_settings_in_pod(docs).mesh_services) == deployed


def test_every_address_in_the_config_map_names_a_service_and_its_port(docs: list[Doc]) -> None:
    services = _of_kind(docs, "Service")
    addresses = {key: value for key, value in _config(docs).items() if key.endswith("_ADDRESS")}
    assert {key.removesuffix("_ADDRESS").lower() for key in addresses} == set(SERVICE_PORTS)
    for key, address in addresses.items():
        host, port = address.rsplit(":", 1)
        assert host in services, key
        assert int(port) in {p["port"] for p in services[host]["spec"]["ports"]}, key
        assert int(port) == SERVICE_PORTS[key.removesuffix("_ADDRESS").lower()], key


def test_every_service_selects_the_pods_of_its_deployment(docs: list[Doc]) -> None:
    pod_labels = {
        name: deployment["spec"]["template"]["metadata"]["labels"]
        for name, deployment in _of_kind(docs, "Deployment").items()
    }
    for name, service in _of_kind(docs, "Service").items():
        selector = service["spec"]["selector"].items()
        assert any(selector <= labels.items() for labels in pod_labels.values()), name


def test_pods_read_the_shared_config_and_the_optional_secret(docs: list[Doc]) -> None:
    config_map_names = set(_of_kind(docs, "ConfigMap"))
    for name, container in _containers(docs):
        config_refs = [ref["configMapRef"] for ref in container["envFrom"] if "configMapRef" in ref]
        secret_refs = [ref["secretRef"] for ref in container["envFrom"] if "secretRef" in ref]
        assert [ref["name"] in config_map_names for ref in config_refs] == [True], name
        assert len(secret_refs) == 1, name
        assert secret_refs[0]["name"].startswith(SECRET), name
        assert secret_refs[0]["optional"] is True, name


def test_every_container_runs_its_own_services_image_at_a_pinned_tag(docs: list[Doc]) -> None:
    for name, container in _containers(docs):
        repository, _, tag = container["image"].rpartition(":")
        assert repository.rsplit("/", 1)[-1] == f"{IMAGE_NAME}-{name}", name
        assert tag and "/" not in tag, f"{name}: pin a tag"


# ---- running well on a shared cluster ----


def _quantity(value: str | int) -> float:
    """A Kubernetes CPU or memory quantity as a number (cores or bytes)."""
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}
    match = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi|)", str(value))
    assert match, value
    return float(match[1]) * units[match[2]]


def test_every_container_requests_and_caps_cpu_and_memory(docs: list[Doc]) -> None:
    for name, container in _containers(docs):
        resources = container["resources"]
        for resource in ("cpu", "memory"):
            request = _quantity(resources["requests"][resource])
            limit = _quantity(resources["limits"][resource])
            assert 0 < request <= limit, (name, resource)


def test_pitch_has_room_for_crepe_full(docs: list[Doc]) -> None:
    (container,) = _pod_spec(_of_kind(docs, "Deployment")["pitch"])["containers"]
    assert _quantity(container["resources"]["limits"]["memory"]) >= 3.5 * 2**30


def test_every_pod_runs_as_non_root_with_no_capabilities_and_a_read_only_root(
    docs: list[Doc],
) -> None:
    for name, deployment in _of_kind(docs, "Deployment").items():
        pod = _pod_spec(deployment)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        assert pod["automountServiceAccountToken"] is False, name
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert context["readOnlyRootFilesystem"] is True, name
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], name
            for volume_name in mounts.values():
                assert volume_name in volumes, (name, volume_name)


def test_services_that_write_data_mount_a_volume_at_data_dir(docs: list[Doc]) -> None:
    data_dir = _config(docs)["DATA_DIR"]
    for name, container in _containers(docs):
        if name != GATEWAY:
            assert data_dir in {mount["mountPath"] for mount in container["volumeMounts"]}, name


def test_pods_drain_before_the_services_grace_period_runs_out(docs: list[Doc]) -> None:
    grace_period_s = _settings_in_pod(docs).grace_period_s
    for name, deployment in _of_kind(docs, "Deployment").items():
        pod = _pod_spec(deployment)
        serving = [container for container in pod["containers"] if container.get("ports")]
        assert serving or name == TRAINER, name
        for container in serving:
            pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
            assert pre_stop[0] == "sleep", name
            drain_s = float(pre_stop[1])
            assert pod["terminationGracePeriodSeconds"] > drain_s + grace_period_s, name


def test_training_workers_have_time_to_hand_their_job_back(docs: list[Doc]) -> None:
    """On SIGTERM a worker stops at its next step and returns its job to the queue; killed
    first, the job sits claimed until its lease runs out."""
    lease_s = _settings_in_pod(docs).registry_lease_s
    deployments = _of_kind(docs, "Deployment")
    workers = _training_workers(docs)
    assert workers, "nothing would run the queued training jobs"
    for name, container in workers:
        assert (name, container["name"]) == (TRAINER, TRAINER)
        assert "ports" not in container, name
        assert _pod_spec(deployments[name])["terminationGracePeriodSeconds"] >= lease_s, name


def test_every_deployment_spreads_over_nodes_and_has_a_disruption_budget(
    docs: list[Doc],
) -> None:
    budgets = _of_kind(docs, "PodDisruptionBudget")
    for name, deployment in _of_kind(docs, "Deployment").items():
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        spread = _pod_spec(deployment)["topologySpreadConstraints"]
        assert "kubernetes.io/hostname" in {rule["topologyKey"] for rule in spread}, name
        for rule in spread:
            assert rule["labelSelector"]["matchLabels"].items() <= pod_labels.items(), name
        budget = budgets[name]["spec"]
        assert budget["selector"]["matchLabels"].items() <= pod_labels.items(), name
        # maxUnavailable: a one-replica service must never block a node drain.
        assert budget["maxUnavailable"] == 1, name


def test_autoscalers_target_existing_deployments_that_leave_the_count_to_them(
    docs: list[Doc],
) -> None:
    deployments = _of_kind(docs, "Deployment")
    for name, hpa in _of_kind(docs, "HorizontalPodAutoscaler").items():
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["apiVersion"], target["kind"]) == ("apps/v1", "Deployment"), name
        assert target["name"] in deployments, name
        # A fixed count would be reset on every `kubectl apply`, fighting the HPA.
        assert "replicas" not in deployments[target["name"]]["spec"], name
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], name
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu", name
        # CPU utilisation is a share of the requests: without them the HPA does nothing.
        for container in _pod_spec(deployments[target["name"]])["containers"]:
            assert container["resources"]["requests"]["cpu"], (name, container["name"])


def _data_claim(deployment: Doc, data_dir: str) -> str | None:
    """The PersistentVolumeClaim mounted at DATA_DIR by the pod's containers, if any."""
    pod = _pod_spec(deployment)
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    (volume_name,) = {
        mount["name"]
        for container in pod["containers"]
        for mount in container["volumeMounts"]
        if mount["mountPath"] == data_dir
    }
    claim = volumes[volume_name].get("persistentVolumeClaim")
    return None if claim is None else str(claim["claimName"])


def _placed_with_registry(deployment: Doc) -> bool:
    terms = (
        _pod_spec(deployment)
        .get("affinity", {})
        .get("podAffinity", {})
        .get("requiredDuringSchedulingIgnoredDuringExecution", [])
    )
    return any(
        term["topologyKey"] == "kubernetes.io/hostname"
        and term["labelSelector"]["matchLabels"] == {"app": "registry"}
        for term in terms
    )


def test_the_catalogue_is_one_sqlite_file_on_one_node_or_shared_storage(docs: list[Doc]) -> None:
    """The registry and the trainer open one catalogue and one artifact store, which
    generation reads: files on the registry's volume, on the registry's node (SQLite
    takes one node; a ReadWriteOnce volume mounts on one node), or PostgreSQL + S3."""
    deployments = _of_kind(docs, "Deployment")
    registry = deployments["registry"]
    data_dir = _config(docs)["DATA_DIR"]
    shares_files = _data_claim(registry, data_dir) is not None
    if not shares_files:
        for name in CATALOGUE_USERS:
            container = _pod_spec(deployments[name])["containers"][0]
            assert {"DATABASE_URL", "S3_BUCKET"} <= _required_secret_env(container), name
        for name in ARTIFACT_READERS:
            container = _pod_spec(deployments[name])["containers"][0]
            assert "S3_BUCKET" in _required_secret_env(container), name
        return
    # One writer on one SQLite file: the old pod must be gone before the new starts,
    # and the file must outlive both.
    assert registry["spec"]["strategy"]["type"] == "Recreate"
    assert registry["spec"].get("replicas", 1) == 1
    claim = _data_claim(registry, data_dir)
    assert claim in _of_kind(docs, "PersistentVolumeClaim")
    for name in (*CATALOGUE_USERS, *ARTIFACT_READERS):
        if name == "registry":
            continue
        assert _data_claim(deployments[name], data_dir) == claim, name
        assert _placed_with_registry(deployments[name]), name


def test_every_volume_of_a_pod_is_mounted(docs: list[Doc]) -> None:
    """A patch that removes a container removes its volumes too."""
    for name, deployment in _of_kind(docs, "Deployment").items():
        pod = _pod_spec(deployment)
        mounted = {m["name"] for c in pod["containers"] for m in c.get("volumeMounts", [])}
        assert {volume["name"] for volume in pod["volumes"]} == mounted, name


def test_no_secret_holds_a_real_looking_key(docs: list[Doc]) -> None:
    for secret in _of_kind(docs, "Secret").values():
        values = [base64.b64decode(v).decode() for v in secret.get("data", {}).values()]
        values += list(secret.get("stringData", {}).values())
        for value in values:
            assert not REAL_LOOKING_KEY.search(value), secret["metadata"]["name"]


# ---- the trainer ----


def test_the_trainer_runs_on_its_own_sized_for_training(docs: list[Doc]) -> None:
    deployments = _of_kind(docs, "Deployment")
    (container,) = _pod_spec(deployments[TRAINER])["containers"]
    assert container["args"] == TRAINER_ARGS
    assert [name for name, _ in _training_workers(docs)] == [TRAINER]
    # Nothing routes to it: no Service selects its pods.
    pod_labels = deployments[TRAINER]["spec"]["template"]["metadata"]["labels"].items()
    for name, service in _of_kind(docs, "Service").items():
        assert not service["spec"]["selector"].items() <= pod_labels, name
    # Its own scratch for the datasets it copies, sized for torch training.
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in _pod_spec(deployments[TRAINER])["volumes"]}
    assert _quantity(volumes[mounts["/tmp"]]["emptyDir"]["sizeLimit"]) >= 2 * 2**30
    assert _quantity(container["resources"]["limits"]["cpu"]) >= 2
    assert _quantity(container["resources"]["limits"]["memory"]) >= 2 * 2**30


def test_production_runs_several_trainers_anywhere(render: Callable[[str], list[Doc]]) -> None:
    deployments = _of_kind(render("production"), "Deployment")
    assert deployments[TRAINER]["spec"]["replicas"] >= 2
    assert not _placed_with_registry(deployments[TRAINER])
    assert not _placed_with_registry(deployments["generation"])


# ---- the overlays ----


def test_local_overlay_is_one_replica_each_with_keys_from_a_git_ignored_file(
    render: Callable[[str], list[Doc]],
) -> None:
    docs = render("local")
    assert not _of_kind(docs, "HorizontalPodAutoscaler")
    for name, deployment in _of_kind(docs, "Deployment").items():
        assert deployment["spec"]["replicas"] == 1, name
    # The image is built here and loaded into the cluster, never pulled.
    for name, container in _containers(docs):
        assert container["imagePullPolicy"] == "IfNotPresent", (name, container["name"])
    assert any(name.startswith(SECRET) for name in _of_kind(docs, "Secret"))
    kustomization = yaml.safe_load((K8S / "overlays/local/kustomization.yaml").read_text())
    (generator,) = kustomization["secretGenerator"]
    assert generator["envs"] == ["secrets.env"]
    if (REPO / ".git").exists():
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", "k8s/overlays/local/secrets.env"], cwd=REPO
        )
        assert ignored.returncode == 0, "k8s/overlays/local/secrets.env must be git-ignored"


def test_production_overlay_scales_out_and_has_a_public_door(
    render: Callable[[str], list[Doc]],
) -> None:
    docs = render("production")
    deployments = _of_kind(docs, "Deployment")
    autoscaled = {
        hpa["spec"]["scaleTargetRef"]["name"]: hpa
        for hpa in _of_kind(docs, "HorizontalPodAutoscaler").values()
    }
    assert set(autoscaled) == {"pitch", "synth", "studio", "generation", GATEWAY}
    for name in deployments:
        least = autoscaled[name]["spec"]["minReplicas"] if name in autoscaled else None
        assert (least or deployments[name]["spec"]["replicas"]) >= 2, name
    assert not _of_kind(docs, "PersistentVolumeClaim"), "production shares no disk"
    gateway_port = _settings_in_pod(docs).gateway_port
    public = [
        service
        for service in _of_kind(docs, "Service").values()
        if service["spec"].get("type") == "LoadBalancer"
        and service["spec"]["selector"] == {"app": GATEWAY}
    ]
    ingress_backends = [
        path["backend"]["service"]
        for ingress in _of_kind(docs, "Ingress").values()
        for rule in ingress["spec"].get("rules", [])
        for path in rule["http"]["paths"]
    ]
    assert public or any(backend["name"] == GATEWAY for backend in ingress_backends)
    for service in public:
        (port,) = service["spec"]["ports"]
        (container,) = _pod_spec(deployments[GATEWAY])["containers"]
        assert _port(container, port["targetPort"]) == gateway_port


def test_committed_example_env_files_hold_no_real_keys() -> None:
    examples = list(K8S.glob("**/*.example.env"))
    assert examples
    for path in examples:
        for line in path.read_text().splitlines():
            if line and not line.startswith("#"):
                _key, _, value = line.partition("=")
                assert not REAL_LOOKING_KEY.search(value), (path, line)


# ---- network policies: who may talk to whom ----

#: (caller, callee, callee's port name): every call the architecture makes between pods.
ARCHITECTURE_CALLS = {
    *((GATEWAY, service, "grpc") for service in SERVICE_PORTS),
    *(("studio", stage, "grpc") for stage in ("pitch", "lyrics", "synth")),
    ("generation", "registry", "grpc"),
}
#: Who calls Claude or OpenAI (lyrics) or Replicate (synth, trainer, generation).
EXTERNAL_API_CALLERS = {"lyrics", "synth", TRAINER, "generation"}
#: Who keeps files in S3 in production (takes, datasets, checkpoints, models).
OBJECT_STORAGE_USERS = {"studio", "registry", TRAINER, "generation"}
POSTGRESQL_USERS = {"registry", TRAINER}
INTERNET_ADDRESS = Address("203.0.113.7")
PROMETHEUS = Pod(
    "prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, {"web": 9090}
)
KUBE_DNS = Pod("coredns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": 53})


def _namespace(docs: list[Doc]) -> str:
    (deployment, *_) = _of_kind(docs, "Deployment").values()
    return str(deployment["metadata"].get("namespace", "default"))


def _pods(docs: list[Doc]) -> dict[str, Pod]:
    """Deployment name -> one of its pods (labels, and every container's named ports)."""
    return {
        name: Pod(
            name,
            _namespace(docs),
            deployment["spec"]["template"]["metadata"]["labels"],
            {
                port["name"]: port["containerPort"]
                for container in _pod_spec(deployment)["containers"]
                for port in container.get("ports", [])
            },
        )
        for name, deployment in _of_kind(docs, "Deployment").items()
    }


def _policies(docs: list[Doc]) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == "NetworkPolicy"]


def test_each_pod_admits_exactly_the_callers_the_architecture_has(docs: list[Doc]) -> None:
    pods, policies = _pods(docs), _policies(docs)
    for caller, caller_pod in pods.items():
        for callee, callee_pod in pods.items():
            for port_name, port in callee_pod.ports.items():
                expected = (caller, callee, port_name) in ARCHITECTURE_CALLS
                assert allowed(policies, caller_pod, callee_pod, port) == expected, (
                    caller,
                    callee,
                    port_name,
                )


def test_from_outside_only_the_gateway_port_is_reachable(docs: list[Doc]) -> None:
    pods, policies = _pods(docs), _policies(docs)
    stranger = Pod("stranger", "other-team", {"app": "anything"})
    for name, pod in pods.items():
        for port_name, port in pod.ports.items():
            expected = (name, port_name) == (GATEWAY, "http")
            assert allowed(policies, INTERNET_ADDRESS, pod, port) == expected, (name, port_name)
            assert allowed(policies, stranger, pod, port) == expected, (name, port_name)


def test_prometheus_scrapes_every_metrics_port_and_nothing_else(docs: list[Doc]) -> None:
    pods, policies = _pods(docs), _policies(docs)
    scraped = {name for name, pod in pods.items() if "metrics" in pod.ports}
    assert scraped == {*SERVICE_PORTS, GATEWAY}
    for name, pod in pods.items():
        for port_name, port in pod.ports.items():
            public = (name, port_name) == (GATEWAY, "http")
            expected = port_name == "metrics" or public
            assert allowed(policies, PROMETHEUS, pod, port) == expected, (name, port_name)


def test_only_the_services_that_call_external_apis_reach_the_internet(
    request: pytest.FixtureRequest, docs: list[Doc]
) -> None:
    pods, policies = _pods(docs), _policies(docs)
    https_callers = EXTERNAL_API_CALLERS | (
        OBJECT_STORAGE_USERS if request.node.callspec.params["docs"] == "production" else set()
    )
    for name, pod in pods.items():
        assert allowed(policies, pod, INTERNET_ADDRESS, 443) == (name in https_callers), name
        assert not allowed(policies, pod, INTERNET_ADDRESS, 80), name
        assert allowed(policies, pod, KUBE_DNS, 53, "UDP"), name


def test_only_the_registry_and_its_workers_reach_postgresql(docs: list[Doc]) -> None:
    pods, policies = _pods(docs), _policies(docs)
    in_cluster = Pod("postgres", "databases", {"app": "postgresql"}, {"postgres": 5432})
    managed = Address("10.20.30.40")
    for name, pod in pods.items():
        for database in (in_cluster, managed):
            assert allowed(policies, pod, database, 5432) == (name in POSTGRESQL_USERS), name


def test_the_policy_check_itself_tells_allowed_from_denied() -> None:
    """The evaluator against hand-made cases, so that the tests above can fail."""
    web = Pod("web", "shop", {"app": "web"}, {"http": 80})
    db = Pod("db", "shop", {"app": "db"}, {"sql": 5432})
    deny_all: Doc = {
        "metadata": {"name": "deny", "namespace": "shop"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    web_to_db: list[Doc] = [
        {
            "metadata": {"name": "db-in", "namespace": "shop"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "db"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
            },
        },
        {
            "metadata": {"name": "web-out", "namespace": "shop"},
            "spec": {
                "podSelector": {
                    "matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]
                },
                "policyTypes": ["Egress"],
                "egress": [{"ports": [{"port": "sql"}]}],
            },
        },
    ]
    assert allowed([], web, db, 5432)
    assert not allowed([deny_all], web, db, 5432)
    assert allowed([deny_all, *web_to_db], web, db, 5432)
    assert not allowed([deny_all, *web_to_db], db, web, 80)
    assert not allowed([deny_all, *web_to_db], web, db, 5433)
    assert not allowed([deny_all, *web_to_db], web, Address("8.8.8.8"), 5432)


def test_production_gateways_require_client_keys_from_a_secret(
    render: Callable[[str], list[Doc]],
) -> None:
    docs = render("production")
    deployment = _of_kind(docs, "Deployment")[GATEWAY]
    (container,) = _pod_spec(deployment)["containers"]
    env = {item["name"]: item.get("value") for item in container.get("env", [])}
    with mock.patch.dict(os.environ, _config(docs) | env, clear=True):
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.gateway_require_api_keys
    key_file = Path(settings.gateway_api_keys_file)
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    mount = mounts[str(key_file.parent)]
    assert mount["readOnly"] is True
    volumes = {volume["name"]: volume for volume in _pod_spec(deployment)["volumes"]}
    secret = volumes[mount["name"]]["secret"]
    assert not secret.get("optional", False), "a gateway without its keys must not start"
    # Local clusters stay open like `make up`, and say so at start.
    local = _of_kind(render("local"), "Deployment")[GATEWAY]
    assert not _settings_in_pod(render("local")).gateway_api_keys_file
    assert "env" not in _pod_spec(local)["containers"][0]


# ---- requests from the measured images ----


def _measured_rss_mib() -> dict[str, float]:
    """image -> the largest RSS the README's "Images" table measured for it, in MiB."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Images (one per service)", 1)[1].split("\n## ", 1)[0]
    # The section's first table (its prose may grow around it).
    table = next(block for block in section.split("\n\n") if block.lstrip().startswith("|"))
    measured = {}
    for row in table.splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        # The idle RSS and the RSS after one request ("—" where none was measured).
        values = [float(v) for cell in cells[4:6] for v in re.findall(r"^([0-9.]+) MiB", cell)]
        assert values, row
        measured[cells[0]] = max(values)
    return measured


def test_every_memory_request_covers_the_measured_working_set(docs: list[Doc]) -> None:
    measured = _measured_rss_mib()
    assert set(measured) >= set(_of_kind(docs, "Deployment"))
    for name, container in _containers(docs):
        request_mib = _quantity(container["resources"]["requests"]["memory"]) / 2**20
        assert request_mib >= measured[name], (name, request_mib, measured[name])
