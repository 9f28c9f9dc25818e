"""The Kubernetes manifests in deploy/kubernetes: valid against the Kubernetes schemas, and
wired the way swarmdeck's master and workers need.

No cluster is available here, so this checks the manifests, not a running deployment:

- every document of every YAML file validates against the pinned Kubernetes version's
  strict JSON schemas (kubernetes-validate; unknown fields are errors), and a broken
  manifest is shown to fail the same validation;
- the kustomizations list every manifest, and (where kubectl is installed) the base and
  both region overlays render with kustomize and validate too;
- the master's and workers' commands use swarmdeck's flags, the workers point at the
  master Service, both take the token from the Secret, and every container is hardened.
"""

from __future__ import annotations

import ast
import copy
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
BASE = DEPLOY / "base"
OVERLAYS = DEPLOY / "overlays"

# The Kubernetes version whose schemas the manifests are checked against. The
# kubernetes-validate range in pyproject.toml ships this version's schemas.
K8S_VERSION = "1.31.0"

NAMESPACE = "swarmdeck"
MASTER_PORT = 5557
PLAN_PATH = "/plan/locustfile.py"
TOKEN_ENV = "SWARMDECK_TOKEN"
REGION_LABEL = "swarmdeck.io/region"

Doc = dict[str, Any]


# --------------------------------------------------------------------------- loading


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


def load_docs(path: Path) -> list[Doc]:
    with path.open(encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def is_kustomization(doc: Doc) -> bool:
    return doc.get("kind") == "Kustomization"


def resource_docs() -> list[tuple[Path, Doc]]:
    return [(p, d) for p in yaml_files() for d in load_docs(p) if not is_kustomization(d)]


def doc_id(path: Path, doc: Doc) -> str:
    return f"{path.relative_to(DEPLOY)}:{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


RESOURCES = resource_docs()


def find(docs: list[Doc], kind: str, name: str | None = None) -> Doc:
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def base_docs() -> list[Doc]:
    return [d for p, d in RESOURCES if p.parent == BASE]


def strict_validate(doc: Doc) -> str:
    return kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


# ------------------------------------------------------------------ reading pod specs


def pod_template(workload: Doc) -> Doc:
    return workload["spec"]["template"]


def only_container(workload: Doc) -> Doc:
    containers = pod_template(workload)["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env_of(container: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in container.get("env", [])}


def env_value(workload: Doc, name: str) -> str:
    """An env var's value as the kubelet would set it (literal or a label via fieldRef)."""
    entry = env_of(only_container(workload))[name]
    if "value" in entry:
        return str(entry["value"])
    field = entry["valueFrom"]["fieldRef"]["fieldPath"]
    match = re.fullmatch(r"metadata\.labels\['([^']+)'\]", field)
    assert match, f"{name}: unsupported fieldRef {field}"
    return str(pod_template(workload)["metadata"]["labels"][match.group(1)])


def expand(arg: str, workload: Doc) -> str:
    """Kubernetes' $(VAR) expansion of command arguments from the container's env."""
    defined = env_of(only_container(workload))

    def sub(m: re.Match[str]) -> str:
        if m.group(0).startswith("$$"):
            return m.group(0)[1:]
        name = m.group(1)
        assert name in defined, f"$({name}) in the args, but {name} is not in the env"
        return env_value(workload, name)

    return re.sub(r"\$?\$\(([A-Za-z_][A-Za-z0-9_]*)\)", sub, arg)


def command_line(workload: Doc) -> list[str]:
    c = only_container(workload)
    return [expand(a, workload) for a in [*c.get("command", []), *c.get("args", [])]]


def flags(argv: list[str]) -> dict[str, str]:
    """``--flag VALUE`` pairs of a command line (every flag used here takes a value)."""
    out: dict[str, str] = {}
    for i, token in enumerate(argv):
        if token.startswith("-"):
            assert i + 1 < len(argv) and not argv[i + 1].startswith("-"), f"{token} lacks a value"
            assert token not in out, f"{token} given twice"
            out[token] = argv[i + 1]
    return out


def seconds(duration: str) -> int:
    """A plain duration as swarmdeck takes it: 90, 30s, 10m, 1h30m."""
    if duration.isdigit():
        return int(duration)
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts and duration, f"not a duration: {duration!r}"
    h, m, s = (int(x or 0) for x in parts.groups())
    return h * 3600 + m * 60 + s


def pod_specs(docs: list[Doc]) -> Iterator[tuple[str, Doc]]:
    for d in docs:
        if d["kind"] in {"Job", "Deployment", "StatefulSet", "DaemonSet"}:
            yield f"{d['kind']}/{d['metadata']['name']}", pod_template(d)["spec"]


# ------------------------------------------------------------- schema validation


def test_every_file_holds_documents_with_kind_and_name() -> None:
    files = yaml_files()
    assert len(files) >= 10
    for path in files:
        docs = load_docs(path)
        assert docs, f"{path} has no YAML document"
        for d in docs:
            assert {"apiVersion", "kind"} <= d.keys(), f"{path}: apiVersion and kind needed"
            if not is_kustomization(d):
                assert d["metadata"]["name"], path
                assert d["metadata"].get("namespace", NAMESPACE) == NAMESPACE or \
                    d["kind"] == "Namespace", f"{doc_id(path, d)} outside {NAMESPACE}"


@pytest.mark.parametrize(("path", "doc"), RESOURCES, ids=[doc_id(p, d) for p, d in RESOURCES])
def test_document_validates_against_kubernetes_schema(path: Path, doc: Doc) -> None:
    assert strict_validate(doc) == "1.31"


def test_validator_rejects_an_unknown_field() -> None:
    worker = copy.deepcopy(find(base_docs(), "Deployment", "swarmdeck-worker"))
    only_container(worker)["resource"] = {"limits": {"cpu": "1"}}  # typo for "resources"
    with pytest.raises(kubernetes_validate.ValidationError) as caught:
        strict_validate(worker)
    assert "resource" in caught.value.message
    # It is the strict schema that catches it: the lenient one lets the typo through.
    assert kubernetes_validate.validate(worker, K8S_VERSION, strict=False) == "1.31"


def test_validator_rejects_a_wrong_type() -> None:
    job = copy.deepcopy(find(base_docs(), "Job", "swarmdeck-master"))
    job["spec"]["backoffLimit"] = "none"
    with pytest.raises(kubernetes_validate.ValidationError):
        strict_validate(job)


# ---------------------------------------------------------------- kustomizations


def kustomizations() -> list[Path]:
    return sorted(p for p in yaml_files() if any(is_kustomization(d) for d in load_docs(p)))


def test_kustomizations_list_every_manifest() -> None:
    listed: set[Path] = set()
    for k in kustomizations():
        assert k.name == "kustomization.yaml", k
        (doc,) = load_docs(k)
        for entry in doc.get("resources", []):
            target = (k.parent / entry).resolve()
            assert target.exists(), f"{k} lists {entry}, which does not exist"
            if target.is_dir():
                assert (target / "kustomization.yaml").exists(), f"{k}: {entry} has no kustomization"
            listed.add(target)
        manifests = {p.resolve() for p in k.parent.glob("*.yaml") if p != k}
        missing = sorted(p.name for p in manifests - listed)
        assert not missing, f"{k} does not list {missing}"
    unlisted = sorted(str(p.relative_to(DEPLOY)) for p, _ in RESOURCES if p.resolve() not in listed)
    assert not unlisted, f"no kustomization lists {unlisted}"


def test_base_has_one_resource_per_file_and_the_expected_set() -> None:
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in base_docs())
    assert kinds == sorted([
        ("Namespace", "swarmdeck"),
        ("ConfigMap", "swarmdeck-plan"),
        ("Secret", "swarmdeck-token"),
        ("Job", "swarmdeck-master"),
        ("Service", "swarmdeck-master"),
        ("PodDisruptionBudget", "swarmdeck-master"),
        ("Deployment", "swarmdeck-worker"),
        ("PodDisruptionBudget", "swarmdeck-worker"),
    ])
    for path in BASE.glob("*.yaml"):
        assert len(load_docs(path)) == 1, f"{path}: one resource per file"


KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl not installed: kustomize rendering not checked"
)


def render(directory: Path) -> list[Doc]:
    assert KUBECTL is not None
    out = subprocess.run([KUBECTL, "kustomize", str(directory)], capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 0, f"kubectl kustomize {directory} failed:\n{out.stderr}"
    return [d for d in yaml.safe_load_all(out.stdout) if d is not None]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Doc]]:
    return {name: render(path) for name, path in [
        ("top", DEPLOY), ("base", BASE),
        ("us-east", OVERLAYS / "us-east"), ("eu-west", OVERLAYS / "eu-west"),
    ]}


@needs_kubectl
def test_kustomize_renders_and_the_output_validates(rendered: dict[str, list[Doc]]) -> None:
    assert rendered["top"] == rendered["base"]
    for name in ("base", "us-east", "eu-west"):
        for doc in rendered[name]:
            assert strict_validate(doc) == "1.31", f"{name}: {doc['kind']}"


@needs_kubectl
def test_overlays_make_two_regions_that_meet_at_one_master(
        rendered: dict[str, list[Doc]]) -> None:
    us, eu = rendered["us-east"], rendered["eu-west"]
    # eu-west: workers only, reporting as eu-west, dialling the master's external address.
    assert not [d for d in eu if d["kind"] in {"Job", "Service"}]
    assert not [d for d in eu if d["metadata"]["name"] == "swarmdeck-master"]
    eu_worker = find(eu, "Deployment", "swarmdeck-worker")
    eu_flags = flags(command_line(eu_worker)[2:])
    assert eu_flags["--region"] == "eu-west"
    host, port = eu_flags["--master"].rsplit(":", 1)
    assert host != "swarmdeck-master" and "." in host and int(port) == MASTER_PORT
    # us-east: the master, reachable from outside, waiting for both regions' workers.
    assert find(us, "Service", "swarmdeck-master")["spec"]["type"] == "LoadBalancer"
    us_worker = find(us, "Deployment", "swarmdeck-worker")
    assert flags(command_line(us_worker)[2:])["--region"] == "us-east"
    master_flags = flags(command_line(find(us, "Job", "swarmdeck-master"))[2:])
    assert int(master_flags["--expect-workers"]) == \
        us_worker["spec"]["replicas"] + eu_worker["spec"]["replicas"]
    # Both clusters need the same token Secret and plan, and run the same image.
    for docs in (us, eu):
        find(docs, "Secret", "swarmdeck-token")
        find(docs, "ConfigMap", "swarmdeck-plan")
    assert only_container(eu_worker)["image"] == only_container(us_worker)["image"]


# --------------------------------------------------------------- how it is wired


@pytest.fixture
def base() -> list[Doc]:
    return base_docs()


def test_master_runs_swarmdeck_run_with_the_distributed_flags(base: list[Doc]) -> None:
    master = find(base, "Job", "swarmdeck-master")
    argv = command_line(master)
    assert argv[:2] == ["swarmdeck", "run"]
    f = flags(argv[2:])
    assert f["-f"] == PLAN_PATH
    assert re.fullmatch(r"https?://[^/\s]+", f["--host"]), f["--host"]
    assert int(f["-u"]) >= 1 and float(f["-r"]) > 0
    assert re.fullmatch(r"\d+[smh]?", f["-t"]), f["-t"]
    assert f["--master-bind"] == f"0.0.0.0:{MASTER_PORT}"
    worker = find(base, "Deployment", "swarmdeck-worker")
    assert int(f["--expect-workers"]) == worker["spec"]["replicas"] == 2
    # The JSON summary and the default SQLite store land on a writable volume.
    mounts = {m["mountPath"] for m in only_container(master)["volumeMounts"]
              if not m.get("readOnly")}
    assert str(Path(f["--json"]).parent) in mounts
    assert only_container(master)["workingDir"] in mounts
    # The Job's deadline leaves room for the wait for workers, the run and its stop.
    wait = env_value(master, "SWARMDECK_EXPECT_WORKERS_TIMEOUT")
    assert master["spec"]["activeDeadlineSeconds"] > seconds(wait) + seconds(f["-t"]) + 60
    # A run is never retried, and the pod is not restarted in place.
    assert master["spec"]["backoffLimit"] == 0
    assert pod_template(master)["spec"]["restartPolicy"] == "Never"
    ports = only_container(master)["ports"]
    assert [(p["containerPort"], p["protocol"]) for p in ports] == [(MASTER_PORT, "TCP")]


def test_master_service_selects_the_master_on_its_port(base: list[Doc]) -> None:
    service = find(base, "Service", "swarmdeck-master")
    master = find(base, "Job", "swarmdeck-master")
    assert service["spec"]["type"] == "ClusterIP"
    labels = pod_template(master)["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    worker_labels = pod_template(find(base, "Deployment", "swarmdeck-worker"))["metadata"]["labels"]
    assert not service["spec"]["selector"].items() <= worker_labels.items()
    (port,) = service["spec"]["ports"]
    assert port["port"] == MASTER_PORT
    named = {p["name"]: p["containerPort"] for p in only_container(master)["ports"]}
    assert named.get(port["targetPort"], port["targetPort"]) == MASTER_PORT


def test_workers_join_the_master_service(base: list[Doc]) -> None:
    worker = find(base, "Deployment", "swarmdeck-worker")
    service = find(base, "Service", "swarmdeck-master")
    argv = command_line(worker)
    assert argv[:2] == ["swarmdeck", "worker"]
    f = flags(argv[2:])
    assert f["-f"] == PLAN_PATH
    # The Service's DNS name (same namespace) and port.
    assert worker["metadata"]["namespace"] == service["metadata"]["namespace"]
    assert f["--master"] == f"{service['metadata']['name']}:{service['spec']['ports'][0]['port']}"
    # The region comes from the pod's label, so an overlay changes it in one place.
    labels = pod_template(worker)["metadata"]["labels"]
    assert f["--region"] == labels[REGION_LABEL] == "us-east"
    assert worker["spec"]["replicas"] == 2
    assert worker["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_master_and_workers_take_the_token_from_the_secret(base: list[Doc]) -> None:
    secret = find(base, "Secret", "swarmdeck-token")
    (key,) = secret["stringData"]
    assert "REPLACE-ME" in secret["stringData"][key], "the committed token must be a placeholder"
    for workload in (find(base, "Job", "swarmdeck-master"), find(base, "Deployment", "swarmdeck-worker")):
        entry = env_of(only_container(workload))[TOKEN_ENV]
        ref = entry["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"]) == (secret["metadata"]["name"], key)
        assert not ref.get("optional", False)
        argv = command_line(workload)
        assert not {"--token", "--token-file"} & set(argv)
        assert secret["stringData"][key] not in " ".join(argv)


def test_master_and_workers_load_the_plan_configmap(base: list[Doc]) -> None:
    plan = find(base, "ConfigMap", "swarmdeck-plan")
    source = plan["data"]["locustfile.py"]
    tree = ast.parse(source, filename="locustfile.py")
    assert any(isinstance(node, ast.ClassDef) for node in tree.body)
    for workload in (find(base, "Job", "swarmdeck-master"), find(base, "Deployment", "swarmdeck-worker")):
        spec = pod_template(workload)["spec"]
        volumes = {v["name"]: v for v in spec["volumes"]}
        (mount,) = [m for m in only_container(workload)["volumeMounts"] if m["mountPath"] == "/plan"]
        assert mount.get("readOnly") is True
        assert volumes[mount["name"]]["configMap"]["name"] == plan["metadata"]["name"]


def test_every_container_is_limited_and_runs_as_non_root(base: list[Doc]) -> None:
    specs = list(pod_specs(base))
    assert len(specs) == 2
    images = set()
    for where, spec in specs:
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["runAsUser"] > 0, where
        assert spec.get("automountServiceAccountToken") is False, where
        # Service links would add SWARMDECK_MASTER_* variables, swarmdeck's settings prefix.
        assert spec.get("enableServiceLinks") is False, where
        writable = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for c in [*spec.get("initContainers", []), *spec["containers"]]:
            name = f"{where} container {c['name']}"
            limits, requests = c["resources"]["limits"], c["resources"]["requests"]
            assert {"cpu", "memory"} <= limits.keys(), name
            assert {"cpu", "memory"} <= requests.keys(), name
            sc = c["securityContext"]
            assert sc["runAsNonRoot"] is True, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            tmp = [m for m in c["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert tmp and tmp[0]["name"] in writable, f"{name}: /tmp must be an emptyDir"
            images.add(c["image"])
    # A worker refuses a master of another version: one image for both.
    assert len(images) == 1
    # The image built from deploy/docker runs as the same numeric user.
    dockerfile = (ROOT / "deploy" / "docker" / "Dockerfile").read_text(encoding="utf-8")
    users = {spec["securityContext"]["runAsUser"] for _, spec in specs}
    assert re.search(rf"^USER {users.pop()}(:\d+)?$", dockerfile, re.MULTILINE)
