#!/usr/bin/python3
"""Checks what deploy/ holds, since neither a cluster nor Docker runs where it is developed.

deploy/k8s/serve.yaml: parses as YAML (every document); the Deployment's container has
liveness and readiness probes on the server's routes and a port it declares, the server's
flags for them (--host 0.0.0.0, the port, --drain-seconds) and a grace period longer than the
drain, a Prometheus scrape annotation on the port and path of /metrics, and memory requests;
the Service selects the Deployment's pods on a port the container names. deploy/Dockerfile:
Debian 12 in both stages, builds bert2bilstm-serve without libtorch, installs only packages
that scripts/setup.sh installs (plus their runtime libraries), and selects the OpenMP OpenBLAS
as setup does. Prints one line per problem and exits 1 if there is any.

    /usr/bin/python3 tests/docs/check_deploy.py [REPO_ROOT]
"""
import re
import sys
from pathlib import Path

import yaml

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


docs = list(yaml.safe_load_all((root / "deploy/k8s/serve.yaml").read_text()))
kinds = {d["kind"]: d for d in docs if d}
check(set(kinds) == {"Deployment", "Service"}, f"serve.yaml: kinds {sorted(kinds)}")
deployment, service = kinds.get("Deployment", {}), kinds.get("Service", {})
template = deployment.get("spec", {}).get("template", {})
pod = template.get("spec", {})
containers = pod.get("containers", [])
check(len(containers) == 1, "serve.yaml: one container expected")
container = containers[0] if containers else {}
args = container.get("args", [])


def flag(name):
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
port = flag("--port")
check(port is not None and int(port) in ports.values(), f"serve.yaml: --port {port} not a containerPort {ports}")
check(flag("--host") == "0.0.0.0", "serve.yaml: --host 0.0.0.0 (the default 127.0.0.1 is unreachable from a probe)")
check(flag("--model") is not None, "serve.yaml: no --model")
for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
    get = container.get(probe, {}).get("httpGet", {})
    check(get.get("path") == path, f"serve.yaml: {probe} path {get.get('path')}, expected {path}")
    check(get.get("port") in ports or get.get("port") in ports.values(),
          f"serve.yaml: {probe} port {get.get('port')} is not the container's")
drain = float(flag("--drain-seconds") or 0)
grace = pod.get("terminationGracePeriodSeconds", 30)
check(drain > 0, "serve.yaml: --drain-seconds should be set for a Service to take the pod out")
check(grace >= drain + 5, f"serve.yaml: terminationGracePeriodSeconds {grace} leaves no room after a {drain} s drain")
annotations = template.get("metadata", {}).get("annotations", {})
check(annotations.get("prometheus.io/scrape") == "true", "serve.yaml: no prometheus.io/scrape annotation")
check(str(annotations.get("prometheus.io/port")) == str(port), "serve.yaml: prometheus.io/port is not the server's")
check(annotations.get("prometheus.io/path", "/metrics") == "/metrics", "serve.yaml: prometheus.io/path")
requests = container.get("resources", {}).get("requests", {})
check("memory" in requests and "cpu" in requests, "serve.yaml: resources.requests needs cpu and memory")
labels = template.get("metadata", {}).get("labels", {})
selector = service.get("spec", {}).get("selector", {})
check(selector and all(labels.get(k) == v for k, v in selector.items()),
      f"serve.yaml: the Service selector {selector} does not select the pods {labels}")
check(deployment.get("spec", {}).get("selector", {}).get("matchLabels") == labels,
      "serve.yaml: the Deployment's selector is not its pods' labels")
for p in service.get("spec", {}).get("ports", []):
    check(p.get("targetPort") in ports or p.get("targetPort") in ports.values(),
          f"serve.yaml: Service targetPort {p.get('targetPort')} is not the container's")

dockerfile = (root / "deploy/Dockerfile").read_text()
froms = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
check(froms and all(f == "debian:12" for f in froms) and len(froms) >= 2,
      f"Dockerfile: stages {froms}, expected Debian 12, multi-stage")
check("-DB2B_WITH_TORCH=OFF" in dockerfile and "--target bert2bilstm-serve" in dockerfile,
      "Dockerfile: should build bert2bilstm-serve without libtorch")
check("openblas-openmp/libblas.so.3" in dockerfile, "Dockerfile: the OpenMP OpenBLAS is not selected")
setup = (root / "scripts/setup.sh").read_text()
runtime = {"libblas3", "libutf8proc2", "libgomp1"}  # the runtime halves of setup's -dev packages
for block in re.findall(r"apt-get install[^&]*", dockerfile):
    for package in re.findall(r"(?<![-\w])([a-z0-9][a-z0-9.+-]*[a-z0-9])(?![-\w])", block):
        if package in ("apt", "get", "install", "y", "no", "install-recommends"):
            continue
        check(package in runtime or re.search(rf"(?<![\w-]){re.escape(package)}(?![\w-])", setup),
              f"Dockerfile: {package} is not a package scripts/setup.sh installs")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
