"""playbooks/rotate_secrets.yml on the real engine (inventory tests/integration/rotation):
PostgreSQL, Redis and RabbitMQ built from Debian packages, and two stand-in application
services, of which shop-api reads the password of PostgreSQL user shop. The
secrets are ansible.builtin.password lookup files on the controller.

Rotating PostgreSQL's superuser: the server takes the new password (sent as a SCRAM
verifier) and refuses the old one, and no application service restarts. Rotating
RabbitMQ's administrator: the broker takes the new password and refuses the old one,
the converge that follows logs in with it, and the broker does not restart. Rotating the
shop user's password: PostgreSQL takes it, shop-api restarts with it in its secret
file, healthy, and reporter, which does not use it, is left running. No value, old
or new, appears in the output of the run at -vvv. An unknown name, or a failure of
the server to take the new value, changes nothing.

Uses the images the Molecule scenarios build first in CI (tersane/postgres,
tersane/redis, tersane/rabbitmq, tersane/standin); outside CI a machine without them skips."""

import os
import subprocess
import sys
from pathlib import Path

import docker
import psycopg2
import pytest
import redis
import requests

PROJECT = Path(__file__).resolve().parents[2]
INVENTORY = PROJECT / "tests" / "integration" / "rotation" / "hosts.yml"
SECRETS = Path("/var/lib/tersane-test/rottest/secrets")
IMAGES = ("tersane/postgres:15-bookworm", "tersane/redis:7.0-bookworm", "tersane/rabbitmq:3.10-bookworm",
          "tersane/standin:bookworm")


def playbook(name, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY),
               "-e", "ansible_python_interpreter=" + sys.executable, str(PROJECT / "playbooks" / name), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200, check=False)


def secret(name):
    return (SECRETS / name).read_text().strip()


def can_log_in(user, password, database="postgres"):
    try:
        psycopg2.connect(host="127.0.0.1", port=48432, user=user, password=password, dbname=database,
                         connect_timeout=5).close()
        return True
    except psycopg2.OperationalError:
        return False


def rabbitmq_status(user, password):
    """The management API's answer to ``user`` logging in: 200, or 401 for a wrong password."""
    return requests.get("http://127.0.0.1:48673/api/whoami", auth=(user, password), timeout=10).status_code


def started(name):
    return docker.from_env().containers.get("rottest_" + name).attrs["State"]["StartedAt"]


def health(name):
    return docker.from_env().containers.get("rottest_" + name).attrs["State"]["Health"]["Status"]


@pytest.fixture(scope="module")
def platform():
    engine = docker.from_env()
    for image in IMAGES:
        try:
            engine.images.get(image)
        except docker.errors.ImageNotFound:
            if os.environ.get("CI"):
                raise
            pytest.skip("%s is absent: `make up OFFLINE=1` or `make molecule` builds it" % image)
    subprocess.run(["rm", "-rf", str(SECRETS.parent)], check=False)
    try:
        result = playbook("site.yml")
        assert result.returncode == 0, result.stdout[-4000:]
        yield engine
    finally:
        playbook("teardown.yml", "-e", "purge=true")
        subprocess.run(["rm", "-rf", str(SECRETS.parent)], check=False)


def test_the_superuser_takes_the_new_password_and_no_service_restarts(platform):
    old = secret("postgres")
    assert can_log_in("postgres", old)
    before = {name: started(name) for name in ("shop-api", "reporter")}
    result = playbook("rotate_secrets.yml", "-e", "rotate_secret=postgres", "-vvv")
    assert result.returncode == 0, result.stdout[-4000:]
    new = secret("postgres")
    assert new != old and len(new) == 32 and new.isalnum()
    assert oct((SECRETS / "postgres").stat().st_mode & 0o777) == "0o600"
    assert not (SECRETS / "postgres.previous").exists()
    assert can_log_in("postgres", new) and not can_log_in("postgres", old)
    assert {name: started(name) for name in ("shop-api", "reporter")} == before
    assert old not in result.stdout + result.stderr and new not in result.stdout + result.stderr
    # The server's log holds no password either: it was sent as a SCRAM verifier.
    logs = platform.containers.get("rottest_postgres").logs().decode()
    assert new not in logs and old not in logs


def test_a_users_password_reaches_the_service_that_uses_it_and_only_that_one(platform):
    old = secret("shop-db")
    assert can_log_in("shop", old, "shop")
    reporter = started("reporter")
    shop_api = started("shop-api")
    result = playbook("rotate_secrets.yml", "-e", "rotate_secret=shop-db", "-vvv")
    assert result.returncode == 0, result.stdout[-4000:]
    new = secret("shop-db")
    assert new != old and len(new) == 40
    assert can_log_in("shop", new, "shop") and not can_log_in("shop", old, "shop")
    assert started("shop-api") != shop_api and health("shop-api") == "healthy"
    assert started("reporter") == reporter
    in_container = platform.containers.get("rottest_shop-api").exec_run(
        ["cat", "/run/secrets/shop-api/DATABASE_PASSWORD"]).output.decode()
    assert in_container == new
    assert old not in result.stdout + result.stderr and new not in result.stdout + result.stderr


def test_redis_restarts_with_its_new_password(platform):
    old = secret("redis")
    result = playbook("rotate_secrets.yml", "-e", "rotate_secret=redis")
    assert result.returncode == 0, result.stdout[-4000:]
    new = secret("redis")
    assert new != old and health("redis") == "healthy"
    assert redis.Redis(port=48379, password=new).ping()
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=48379, password=old).ping()


def test_the_rabbitmq_administrator_takes_the_new_password_and_the_broker_does_not_restart(platform):
    old = secret("rabbitmq-admin")
    assert rabbitmq_status("admin", old) == 200
    broker = started("rabbitmq")
    result = playbook("rotate_secrets.yml", "-e", "rotate_secret=rabbitmq-admin", "-vvv")
    assert result.returncode == 0, result.stdout[-4000:]
    new = secret("rabbitmq-admin")
    assert new != old and len(new) == 32
    assert rabbitmq_status("admin", new) == 200 and rabbitmq_status("admin", old) == 401
    assert started("rabbitmq") == broker and health("rabbitmq") == "healthy"
    # The converge wrote it where a first start on an empty volume would read it.
    config = platform.containers.get("rottest_rabbitmq").exec_run(
        ["cat", "/run/secrets/rabbitmq/advanced.config"]).output.decode()
    assert '{default_pass, <<"%s"/utf8>>}' % new in config
    assert old not in result.stdout + result.stderr and new not in result.stdout + result.stderr
    logs = platform.containers.get("rottest_rabbitmq").logs().decode()
    assert new not in logs and old not in logs


def test_an_unknown_name_changes_nothing(platform):
    before = {name: secret(name) for name in ("postgres", "shop-db", "redis", "rabbitmq-admin")}
    result = playbook("rotate_secrets.yml", "-e", "rotate_secret=kafka")
    assert result.returncode != 0
    said = " ".join(result.stdout.split())
    known = "postgres, rabbitmq-admin, redis, shop-db"
    assert "rotate_secret: 'kafka' is not in platform_secrets (known: %s)" % known in said  # pragma: allowlist secret
    assert "PLAY [Docker engine and images]" not in result.stdout
    assert {name: secret(name) for name in before} == before


def test_a_server_that_refuses_the_new_value_leaves_the_old_one_in_place(platform):
    """The superuser's rotation aimed at a container that does not exist: the exec fails,
    the current value goes back to its file, and the converge does not run."""
    old = secret("postgres")
    result = playbook("rotate_secrets.yml", "-e", "rotate_secret=postgres",
                      "-e", "secret_rotation_postgres_container=rottest_no-such-container")
    assert result.returncode != 0
    assert "Rotating postgres failed, so its current value was put back" in " ".join(result.stdout.split())
    assert secret("postgres") == old and can_log_in("postgres", old)
    assert "PLAY [Docker engine and images]" not in result.stdout
