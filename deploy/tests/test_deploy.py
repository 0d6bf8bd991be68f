"""The deployment files checked against the code, without a Docker engine or a cluster.

docker-compose.yml and the Kubernetes manifests are parsed; every process is present with the
port, probe and settings the code expects; manifests are validated against the Kubernetes
schemas offline; the Dockerfile is linted. With SPORTELLO_DOCKER=1 on a machine with a Docker
engine, a smoke test also brings the compose stack up.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml
from sportello.settings import SERVICE_PORTS, SERVICES, Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy/k8s"
APPS = {ep.name for ep in entry_points(group="sportello.apps")} | set(SERVICES)
PROCESS_PORTS = {**SERVICE_PORTS, "gateway": 8000, "storefront": 8080, "backoffice": 8081,
                 "payments-sandbox": 8090,
                 "sdi-sandbox": 8091}


def known_settings() -> set[str]:
    """Every SPORTELLO_* variable some process reads: the shared Settings and each subclass."""
    import sportello_accounts.settings  # noqa: F401
    import sportello_backoffice.settings  # noqa: F401
    import sportello_gateway.settings  # noqa: F401
    import sportello_storefront.settings  # noqa: F401

    names: set[str] = set()
    todo = [Settings]
    while todo:
        cls = todo.pop()
        names |= {f"SPORTELLO_{name.upper()}" for name in cls.model_fields}
        todo.extend(cls.__subclasses__())
    return names


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def sportello_containers() -> dict[str, dict]:
    return {name: svc for name, svc in compose()["services"].items()
            if svc.get("command", [None])[0] == "sportello" and "serve" in svc["command"]}


def test_compose_runs_every_process_and_the_infrastructure():
    services = compose()["services"]
    served = {svc["command"][2] for svc in sportello_containers().values()}
    assert served == {*SERVICES, "gateway", "storefront", "backoffice", "payments-sandbox",
                      "sdi-sandbox"}
    assert served <= APPS, "every command names a process `sportello serve` knows"
    assert {"postgres", "rabbitmq", "mailpit", "setup"} <= set(services)
    assert "15672:15672" in services["rabbitmq"]["ports"], "RabbitMQ's management UI is published"
    assert "8080:8080" in services["storefront"]["ports"]


def test_compose_sets_what_each_process_reads_and_nothing_unknown():
    known = known_settings()
    for name, svc in sportello_containers().items():
        env = svc["environment"]
        unknown = {k for k in env if k.startswith("SPORTELLO_")} - known
        assert not unknown, f"{name} sets variables no process reads: {unknown}"
        assert env["SPORTELLO_HOST"] == "0.0.0.0", f"{name} must listen beyond loopback"
        process = svc["command"][2]
        if process in SERVICES:
            urls = json.loads(env["SPORTELLO_DATABASE_URLS"])
            assert list(urls) == [process], f"{name} gets its own database only"
            assert urls[process].endswith(f"/sportello_{process}")
            assert env["SPORTELLO_AMQP_URL"].startswith("amqp://")


def test_compose_ports_and_healthchecks_match_the_code():
    for name, svc in sportello_containers().items():
        process = svc["command"][2]
        port = PROCESS_PORTS[process]
        env = svc["environment"]
        url_var = {"payments-sandbox": "SPORTELLO_PAYMENT_SANDBOX_URL",
                   "sdi-sandbox": "SPORTELLO_SDI_SANDBOX_URL"}.get(
            process, f"SPORTELLO_{process.upper()}_URL")
        if process != "storefront":  # the storefront's URL is the public one, for links in emails
            assert urlsplit(env[url_var]).port == port, f"{name}: {url_var} disagrees with the code"
        check = " ".join(svc["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/" in check, f"{name} healthcheck probes the wrong port"
        assert re.search(r"/(healthz|readyz)'", check)
        assert svc["depends_on"], f"{name} starts only after what it needs is healthy"


def test_postgres_init_creates_each_service_database_with_its_own_role():
    sql = (ROOT / "deploy/postgres/init.sql").read_text()
    for service in SERVICES:
        assert f"CREATE ROLE {service} LOGIN" in sql
        assert f"CREATE DATABASE sportello_{service} OWNER {service};" in sql


def test_no_secret_is_committed_only_an_example():
    assert (ROOT / ".env.example").exists()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout
    assert ".env\n" not in tracked
    assert "PRIVATE KEY" not in (ROOT / "docker-compose.yml").read_text()


def k8s_documents(folder: Path) -> list[tuple[Path, dict]]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    docs = []
    for resource in kustomization["resources"]:
        path = folder / resource
        if path.is_dir():
            docs.extend(k8s_documents(path))
            continue
        assert path.exists(), f"kustomization names a missing file {resource}"
        docs.extend((path, d) for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def _check_crd_shape(doc: dict) -> None:
    """The operators' kinds kubernetes-validate has no schema for: the fields they need, typed."""
    kind, spec = doc["kind"], doc["spec"]
    assert set(doc) <= {"apiVersion", "kind", "metadata", "spec"} and doc["metadata"]["name"]
    if kind == "ScaledObject":
        assert doc["apiVersion"] == "keda.sh/v1alpha1"
        assert set(spec) <= {"scaleTargetRef", "minReplicaCount", "maxReplicaCount", "triggers",
                             "pollingInterval", "cooldownPeriod", "advanced"}
        assert isinstance(spec["scaleTargetRef"]["name"], str)
        assert 0 < spec["minReplicaCount"] < spec["maxReplicaCount"]
        for trigger in spec["triggers"]:
            assert trigger["type"] in {"rabbitmq", "cpu"}
            assert all(isinstance(v, str) for v in trigger["metadata"].values()), \
                "KEDA trigger metadata values are strings"
            if trigger["type"] == "rabbitmq":
                assert trigger["metadata"]["mode"] in {"QueueLength", "MessageRate"}
                assert trigger["authenticationRef"]["name"]
            else:
                assert trigger["metricType"] == "Utilization"
    elif kind == "TriggerAuthentication":
        assert doc["apiVersion"] == "keda.sh/v1alpha1"
        assert all({"parameter", "name", "key"} == set(t) for t in spec["secretTargetRef"])
    elif kind == "RabbitmqCluster":
        assert doc["apiVersion"] == "rabbitmq.com/v1beta1"
        assert isinstance(spec["replicas"], int) and isinstance(spec["image"], str)
        assert isinstance(spec["rabbitmq"]["additionalConfig"], str)
        kubernetes_validate.validate(  # its affinity is the core type: check it as such
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
             "spec": {"containers": [{"name": "x", "image": "x",
                                      "resources": spec["resources"]}],
                      "affinity": spec["affinity"]}}, "1.31.0", strict=True)
    elif kind == "Cluster":
        assert doc["apiVersion"] == "postgresql.cnpg.io/v1"
        assert isinstance(spec["instances"], int) and spec["storage"]["size"]
        for role in spec["managed"]["roles"]:
            assert set(role) <= {"name", "ensure", "login", "passwordSecret", "inRoles"}
            assert role["ensure"] in {"present", "absent"} and role["passwordSecret"]["name"]
    elif kind == "Database":
        assert doc["apiVersion"] == "postgresql.cnpg.io/v1"
        assert set(spec) == {"cluster", "name", "owner"} and spec["cluster"]["name"]
    else:
        raise AssertionError(f"{kind}: no schema and no shape check")


CRD_KINDS = {"ScaledObject", "TriggerAuthentication", "RabbitmqCluster", "Cluster", "Database"}


@pytest.mark.parametrize("folder", [K8S / "base", K8S / "overlays/dev", K8S / "overlays/prod"],
                         ids=["base", "dev", "prod"])
def test_manifests_validate_against_the_kubernetes_schemas(folder):
    docs = k8s_documents(folder)
    assert docs
    for _path, doc in docs:
        if doc["kind"] in CRD_KINDS:
            _check_crd_shape(doc)
        else:
            kubernetes_validate.validate(doc, "1.31.0", strict=True)


def _consumers() -> set[str]:
    return {ep.name for ep in entry_points(group="sportello.services") if ep.load().handlers}


def test_each_deployment_spreads_has_a_disruption_budget_and_scales_on_its_load():
    by_kind: dict[str, dict[str, dict]] = {}
    for _, doc in k8s_documents(K8S / "base"):
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    consumers = _consumers()
    assert consumers and consumers <= set(SERVICES)
    for name, deployment in by_kind["Deployment"].items():
        labels = deployment["spec"]["selector"]["matchLabels"]
        spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} == {"kubernetes.io/hostname",
                                                      "topology.kubernetes.io/zone"}
        assert all(c["labelSelector"]["matchLabels"] == labels for c in spread)
        pdb = by_kind["PodDisruptionBudget"][name]["spec"]
        assert pdb["selector"]["matchLabels"] == labels and pdb["maxUnavailable"] == 1
        if name in consumers:
            # KEDA owns the HPA of a ScaledObject: a second HPA on the same Deployment would fight it.
            assert name not in by_kind.get("HorizontalPodAutoscaler", {})
            scaled = by_kind["ScaledObject"][name]["spec"]
            assert scaled["scaleTargetRef"]["name"] == name and scaled["minReplicaCount"] >= 2
            queue = next(t for t in scaled["triggers"] if t["type"] == "rabbitmq")
            assert queue["metadata"]["queueName"] == Settings().queue_name(name)
            assert queue["authenticationRef"]["name"] in by_kind["TriggerAuthentication"]
            assert {t["type"] for t in scaled["triggers"]} == {"rabbitmq", "cpu"}
        else:
            hpa = by_kind["HorizontalPodAutoscaler"][name]["spec"]
            assert hpa["metrics"][0]["resource"]["name"] == "cpu"


def test_prod_runs_a_three_node_rabbitmq_and_one_cloudnativepg_database_per_service():
    docs = [d for _, d in k8s_documents(K8S / "overlays/prod")]
    rabbit = [d for d in docs if d["kind"] == "RabbitmqCluster"]
    assert len(rabbit) == 1 and rabbit[0]["spec"]["replicas"] == 3
    assert "default_queue_type = quorum" in rabbit[0]["spec"]["rabbitmq"]["additionalConfig"]
    (cluster,) = [d for d in docs if d["kind"] == "Cluster"]
    databases = {d["spec"]["name"]: d["spec"] for d in docs if d["kind"] == "Database"}
    assert set(databases) == {f"sportello_{s}" for s in SERVICES}
    for service in SERVICES:
        assert databases[f"sportello_{service}"]["owner"] == service
        assert databases[f"sportello_{service}"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert {r["name"] for r in cluster["spec"]["managed"]["roles"]} == set(SERVICES)
    # The base's ExternalName Services are repointed at the operators' Services.
    patches = yaml.safe_load((K8S / "overlays/prod/kustomization.yaml").read_text())["patches"]
    targets = {p["target"]["name"]: yaml.safe_load(p["patch"])[0]["value"] for p in patches}
    assert targets["rabbitmq"].startswith(rabbit[0]["metadata"]["name"] + ".")
    assert targets["postgres"].startswith(cluster["metadata"]["name"] + "-rw.")


def test_each_process_has_deployment_service_probes_and_autoscaler():
    docs = k8s_documents(K8S / "base")
    by_kind: dict[str, dict[str, dict]] = {}
    for _, doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    config = by_kind["ConfigMap"]["sportello-config"]["data"]
    assert set(config) <= known_settings()
    for name in [*SERVICES, "gateway", "storefront", "backoffice"]:
        deployment = by_kind["Deployment"][name]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["sportello", "serve", name]
        assert container["ports"][0]["containerPort"] == PROCESS_PORTS[name]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        ready = container["readinessProbe"]["httpGet"]["path"]
        assert ready == ("/readyz" if name in SERVICES else "/healthz")
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert by_kind["Service"][name]["spec"]["ports"][0]["port"] == PROCESS_PORTS[name]
        scaler = by_kind["HorizontalPodAutoscaler"].get(name) or by_kind["ScaledObject"][name]
        spec = scaler["spec"]
        assert spec["scaleTargetRef"]["name"] == name
        assert spec.get("maxReplicas", spec.get("maxReplicaCount")) > \
            spec.get("minReplicas", spec.get("minReplicaCount")) >= 2
        if name in SERVICES:
            assert urlsplit(config[f"SPORTELLO_{name.upper()}_URL"]).port == PROCESS_PORTS[name]
        key_secret = deployment["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"]
        assert key_secret == ("sportello-jwt-private" if name == "accounts" else "sportello-jwt-public")
    ingress = by_kind["Ingress"]["sportello"]["spec"]["rules"][0]["http"]["paths"]
    assert {p["path"]: p["backend"]["service"]["name"] for p in ingress} == {
        "/api": "gateway", "/": "storefront"}
    [staff_rule] = by_kind["Ingress"]["sportello-backoffice"]["spec"]["rules"]
    assert staff_rule["http"]["paths"][0]["backend"]["service"]["name"] == "backoffice"
    assert "payments" not in by_kind["Deployment"], "the sandbox provider is never in production"


def test_dockerfile_lints_clean_and_builds_every_workspace_member():
    result = subprocess.run(["hadolint", str(ROOT / "deploy/Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    members = [p.parent.relative_to(ROOT) for p in ROOT.glob("*/**/pyproject.toml")
               if ".venv" not in p.parts and p.parent != ROOT]
    for member in members:
        assert f"COPY {member}/pyproject.toml" in dockerfile, f"Dockerfile misses {member}"
    assert "USER 10001" in dockerfile


if os.environ.get("SPORTELLO_DOCKER") == "1":  # opt-in: needs a Docker engine

    def test_compose_stack_serves_the_shop():
        import httpx

        subprocess.run(["docker", "compose", "up", "-d", "--build", "--wait"], cwd=ROOT, check=True,
                       timeout=1800)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get("http://localhost:8080/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(2)
            assert httpx.get("http://localhost:8000/api/catalog/categories").json()
        finally:
            subprocess.run(["docker", "compose", "down", "-v"], cwd=ROOT, timeout=300)


class _ComposeTags(yaml.SafeLoader):
    """Reads compose's `!reset` / `!override` merge tags as the plain value they carry."""


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_ComposeTags.add_multi_constructor("!", _untagged)


def test_dockerfile_base_and_uv_images_are_arguments_with_the_public_defaults():
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in dockerfile
    assert re.search(r"^ARG UV_IMAGE=ghcr\.io/astral-sh/uv:[0-9.]+$", dockerfile, re.M)
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert stages == ["${UV_IMAGE}", "${PYTHON_IMAGE}", "${PYTHON_IMAGE}"], \
        "build and run stages share the one base; uv comes through a named stage"


def test_host_compose_override_moves_every_process_onto_the_hosts_servers():
    base = compose()["services"]
    override = yaml.load((ROOT / "deploy/compose.host.yml").read_text(), _ComposeTags)["services"]
    processes = {name for name, svc in base.items() if svc.get("image", "").startswith("sportello")}
    assert processes <= set(override), f"not moved to the host: {processes - set(override)}"
    assert override["mailsink"]["command"] == ["sportello", "serve", "mailsink"]
    base_env = base["accounts"]["environment"]
    for name, svc in override.items():
        assert svc["network_mode"] == "host", name
        env = svc["environment"]
        for var in base_env:
            if var.endswith("_URL") or var == "SPORTELLO_SMTP_HOST":
                assert var in env, f"{name} keeps the in-stack {var}"
                assert "127.0.0.1" in env[var], f"{name}: {var} points off the host"


def _trusted(env_value: str) -> list[str]:
    return json.loads(env_value)


def test_the_proxies_in_front_are_trusted_and_nobody_else():
    """Without these the gateway counts every shop visitor as the storefront and the storefront
    every visitor as the ingress: one rate-limit bucket for the whole shop."""
    services = compose()["services"]
    storefront_ip = services["storefront"]["networks"]["default"]["ipv4_address"]
    backoffice_ip = services["backoffice"]["networks"]["default"]["ipv4_address"]
    gateway_ip = services["gateway"]["networks"]["default"]["ipv4_address"]
    assert _trusted(services["gateway"]["environment"]["SPORTELLO_TRUSTED_PROXIES"]) == [
        f"{storefront_ip}/32", f"{backoffice_ip}/32"]
    assert _trusted(services["accounts"]["environment"]["SPORTELLO_TRUSTED_PROXIES"]) == [
        f"{gateway_ip}/32"]
    assert _trusted(services["storefront"]["environment"]["SPORTELLO_TRUSTED_PROXIES"]) == []
    assert _trusted(services["backoffice"]["environment"]["SPORTELLO_TRUSTED_PROXIES"]) == []
    deployments = {d["metadata"]["name"]: d for _, d in k8s_documents(K8S / "base")
                   if d["kind"] == "Deployment"}

    def trusted(name):
        env = deployments[name]["spec"]["template"]["spec"]["containers"][0]["env"]
        return _trusted(next(e["value"] for e in env if e["name"] == "SPORTELLO_TRUSTED_PROXIES"))

    ingress, pods = trusted("storefront"), trusted("accounts")
    assert ingress and set(trusted("gateway")) == {*ingress, *pods}
    for entries in (ingress, pods):
        assert "0.0.0.0/0" not in entries and "::/0" not in entries


def test_compose_replicas_override_gives_the_gateway_every_replica(monkeypatch):
    from sportello_gateway.settings import GatewaySettings

    base = compose()["services"]
    override = yaml.safe_load((ROOT / "deploy/compose.replicas.yml").read_text())["services"]
    env = {**base["gateway"]["environment"], **override["gateway"]["environment"]}
    unknown = {k for k in env if k.startswith("SPORTELLO_")} - known_settings()
    assert not unknown
    for name, value in env.items():
        if name.endswith("_URLS"):
            monkeypatch.setenv(name, value)  # read as the container's environment would be
    settings = GatewaySettings()
    for service, svc in override.items():
        if service == "gateway":
            continue
        assert "ports" not in base[service], f"{service}: a published port cannot be scaled"
        count = svc["deploy"]["replicas"]
        assert settings.service_urls(service) == [
            f"http://sportello-{service}-{i}:{PROCESS_PORTS[service]}" for i in range(1, count + 1)]


def _base_by_kind() -> dict[str, dict[str, dict]]:
    by_kind: dict[str, dict[str, dict]] = {}
    for _, doc in k8s_documents(K8S / "base"):
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    return by_kind


def _pod_env(deployment: dict) -> dict[str, dict]:
    return {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}


# What reads the documents' receipt secret: documents signs the receipts, cart checks them.
DOCUMENTS_SECRET_READERS = {"documents", "cart"}


def test_compose_and_k8s_require_the_documents_secret_where_it_is_read():
    """No default anywhere: an unset secret stops compose (`:?`) and keeps the pods from starting
    (a required Secret key), the way the sandbox's webhook secret does."""
    required = re.compile(r"^\$\{SPORTELLO_DOCUMENTS_SECRET:\?[^}]+\}$")
    services = compose()["services"]
    having = {name for name, svc in sportello_containers().items()
              if "SPORTELLO_DOCUMENTS_SECRET" in svc["environment"]}
    assert having == DOCUMENTS_SECRET_READERS
    for name in having:
        assert required.match(services[name]["environment"]["SPORTELLO_DOCUMENTS_SECRET"]), name
    assert re.search(r"^SPORTELLO_DOCUMENTS_SECRET=$", (ROOT / ".env.example").read_text(), re.M)

    by_kind = _base_by_kind()
    assert "SPORTELLO_DOCUMENTS_SECRET" not in by_kind["ConfigMap"]["sportello-config"]["data"]
    having = {name for name, d in by_kind["Deployment"].items()
              if "SPORTELLO_DOCUMENTS_SECRET" in _pod_env(d)}
    assert having == DOCUMENTS_SECRET_READERS
    refs = {name: _pod_env(by_kind["Deployment"][name])["SPORTELLO_DOCUMENTS_SECRET"]
            for name in having}
    for name, entry in refs.items():
        assert "value" not in entry, f"{name}: the secret is never written in a manifest"
        ref = entry["valueFrom"]["secretKeyRef"]
        assert not ref.get("optional", False), f"{name}: the secret is required"
    assert len({json.dumps(e["valueFrom"], sort_keys=True) for e in refs.values()}) == 1, \
        "cart checks receipts with the very secret documents signs them with"


def test_documents_blobs_in_k8s_are_in_an_object_store_not_on_a_pod_volume():
    by_kind = _base_by_kind()
    config = by_kind["ConfigMap"]["sportello-config"]["data"]
    assert "SPORTELLO_DATA_DIR" not in config
    assert not config.get("SPORTELLO_DOCUMENTS_STORE_URL", "s3://").startswith("file:")
    documents = by_kind["Deployment"]["documents"]
    env = _pod_env(documents)
    assert "SPORTELLO_DATA_DIR" not in env
    store = env["SPORTELLO_DOCUMENTS_STORE_URL"]
    assert "value" not in store, "the store's URL is the operator's (a Secret), never a local path"
    ref = store["valueFrom"].get("secretKeyRef") or store["valueFrom"]["configMapKeyRef"]
    assert not ref.get("optional", False), "unset, documents would fall back to a local directory"
    pod = documents["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    for volume in volumes.values():
        assert set(volume) - {"name"} <= {"secret", "emptyDir"}, \
            f"{volume['name']}: no disk the replicas would each hold a part of"
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    assert {path for path, name in mounts.items() if "emptyDir" in volumes[name]} == {"/tmp"}, \
        "scratch for spooled uploads only"

    # On one machine (compose) the store is a file:// URL on the named volume documents mounts.
    svc = compose()["services"]["documents"]
    url = urlsplit(svc["environment"]["SPORTELLO_DOCUMENTS_STORE_URL"])
    assert url.scheme == "file"
    volume, _, target = next(v for v in svc["volumes"] if v.startswith("documents:")).partition(":")
    assert volume in compose()["volumes"] and url.path.startswith(target.split(":")[0] + "/")


def _nginx_bytes(size: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    return int(size[:-1]) * units[size[-1].lower()] if size[-1].isalpha() else int(size)


def _ingress_limit(by_kind: dict[str, dict[str, dict]], path: str,
                   host: str = "shop.example.it") -> tuple[str, int]:
    """The backend and the body limit ingress-nginx applies to a path of `host` (the back office
    has a host of its own): an Exact path first, then the longest Prefix (whole segments), each
    with its Ingress's proxy-body-size (1m default)."""
    exact, prefixes = {}, {}
    for ingress in by_kind["Ingress"].values():
        size = ingress["metadata"].get("annotations", {}).get(
            "nginx.ingress.kubernetes.io/proxy-body-size", "1m")
        for rule in ingress["spec"]["rules"]:
            if rule.get("host") != host:
                continue
            for p in rule["http"]["paths"]:
                target = (p["backend"]["service"]["name"], _nginx_bytes(size))
                (exact if p["pathType"] == "Exact" else prefixes)[p["path"]] = target
    if path in exact:
        return exact[path]
    matching = [p for p in prefixes if p == "/" or path == p or path.startswith(p.rstrip("/") + "/")]
    return prefixes[max(matching, key=len)]


def test_ingress_lets_uploads_through_and_keeps_every_other_body_small():
    from sportello_gateway.routes import is_upload
    from sportello_gateway.settings import GatewaySettings

    gateway = GatewaySettings()
    by_kind = _base_by_kind()
    an_id = "0b7e3c1a-58a4-4f0e-9a57-3f7d2f0c9e11"
    uploads = ["/api/documents", f"/api/staff/orders/{an_id}/documents",
               f"/api/staff/quotes/{an_id}/documents"]
    for path in uploads:
        assert is_upload("POST", path), path
        backend, limit = _ingress_limit(by_kind, path)
        assert backend == "gateway" and limit >= gateway.max_upload_bytes, path
    # The shop's forms post their files to the storefront, which sends them on to documents.
    from sportello_storefront.uploads import MAX_FORM_FILES, MAX_ONE_FILE

    for path, needed in (("/servizio/traduzione-asseverata", MAX_FORM_FILES + 1_048_576),
                         ("/documenti", MAX_ONE_FILE)):
        backend, limit = _ingress_limit(by_kind, path)
        assert backend == "storefront" and limit >= needed, path
    for path in ["/", "/carrello", "/api/cart/items", "/api/accounts/register",
                 f"/api/documents/{an_id}", f"/api/orders/{an_id}/documents", "/api/documentsx"]:
        assert not is_upload("POST", path), path
        backend, limit = _ingress_limit(by_kind, path)
        assert backend == ("gateway" if path.startswith("/api") else "storefront"), path
        assert gateway.max_body_bytes <= limit <= 1_048_576, f"{path} takes bodies of {limit} B"
