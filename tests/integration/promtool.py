"""promtool in the built Prometheus image, on a directory of rule files: the
helpers the rule and dashboard tests share."""

import subprocess

import docker
import pytest

IMAGE = "tersane/prometheus:2.42-bookworm"


def scratch_dir(tmp_path_factory, name):
    """A directory promtool (user nobody in its container) can read; skips without the image."""
    try:
        docker.from_env().images.get(IMAGE)
    except docker.errors.ImageNotFound:
        pytest.skip("%s is absent: the molecule monitoring scenario builds it" % IMAGE)
    where = tmp_path_factory.mktemp(name)
    where.chmod(0o755)
    return where


def promtool(where, *args):
    """Run ``promtool ARGS`` with ``where`` as its working directory, read-only and offline."""
    return subprocess.run(["docker", "run", "--rm", "--network=none", "--user=65534:65534",
                           "-v", "%s:/rules:ro" % where, "-w", "/rules", "--entrypoint=promtool", IMAGE, *args],
                          capture_output=True, text=True, timeout=120, check=False)
