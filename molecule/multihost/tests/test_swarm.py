"""The catalog's Swarm service on the swarm of two nodes (apps manages it, monitoring
works for it): replicas on both, its secret as a Docker secret, redis on the data node,
a failed update rolled back by Swarm, deploys of a new version (one that runs, one that
never does) through playbooks/deploy.yml, rolling and canary, a killed worker's replica
moved, and the worker promoted to manager and demoted again as the inventory says."""

import json
import re
import threading
import time

import yaml

from conftest import SCENARIO
from scenario import wait_until

PLATFORM = "mhtest"
SERVICE = "%s_api" % PLATFORM
NETWORK = "%s_swarm" % PLATFORM


def running_tasks(manager):
    """(node, state) of the service's tasks that Swarm wants running."""
    lines = manager.run("docker", "service", "ps", SERVICE, "--filter", "desired-state=running",
                        "--format", "{{.Node}} {{.CurrentState}}").decode().splitlines()
    return [tuple(line.split()[:2]) for line in lines if line.strip()]


def service_spec(manager):
    return json.loads(manager.run("docker", "service", "inspect", SERVICE))[0]


def test_the_apps_node_manages_the_swarm_and_the_monitoring_node_works_in_it(nodes):
    lines = nodes["apps"].run("docker", "node", "ls", "--format",
                              "{{.Hostname}} {{.Status}} {{.ManagerStatus}}").decode().splitlines()
    assert sorted(line.split() for line in lines) == [["mh-apps", "Ready", "Leader"], ["mh-monitoring", "Ready"]]
    labels = json.loads(nodes["apps"].run("docker", "node", "inspect", "mh-monitoring", "--format",
                                          "{{json .Spec.Labels}}"))
    assert labels["org.tersane.group.swarm_workers"] == "true" and "org.tersane.group.swarm_managers" not in labels


def test_the_service_runs_one_healthy_replica_on_each_node(nodes):
    tasks = running_tasks(nodes["apps"])
    assert sorted(tasks) == [("mh-apps", "Running"), ("mh-monitoring", "Running")]
    spec = service_spec(nodes["apps"])["Spec"]
    assert spec["Mode"]["Replicated"]["Replicas"] == 2
    update = spec["UpdateConfig"]
    assert (update["FailureAction"], update["Parallelism"], update["Order"]) == ("rollback", 1, "start-first")
    assert spec["TaskTemplate"]["ContainerSpec"]["Healthcheck"]["Test"][0] == "CMD-SHELL"


def test_its_secret_is_a_docker_secret_file_readable_by_its_user_only(nodes, platform_vars):
    apps = nodes["apps"]
    container = apps.run("docker", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=%s" % SERVICE)
    container = container.decode().split()[0]
    listing = apps.run("docker", "exec", container, "stat", "-c", "%a %u", "/run/secrets/api/API_TOKEN").decode()
    assert listing.split() == ["400", "10001"]
    token = [entry for entry in platform_vars["platform_services"] if entry["name"] == "api"][0]["secrets"]["API_TOKEN"]
    assert apps.run("docker", "exec", container, "cat", "/run/secrets/api/API_TOKEN").decode() == token
    # the service's definition names the secret; its value is nowhere in it
    spec = json.dumps(service_spec(apps))
    assert token not in spec and "API_TOKEN_FILE=/run/secrets/api/API_TOKEN" in spec
    # and the container reaches redis on the data node by its alias
    assert apps.run("docker", "exec", container, "getent", "hosts", "redis").decode().split()[0] == \
        nodes["data"].address


def test_each_replica_reaches_a_catalog_container_of_another_node_on_its_published_port(nodes):
    for name in ("apps", "monitoring"):
        node = nodes[name]
        container = node.run("docker", "ps", "-q", "--filter",
                             "label=com.docker.swarm.service.name=%s" % SERVICE).decode().split()[0]
        assert node.run("docker", "exec", container, "getent", "hosts", "ledger").decode().split()[0] == \
            nodes["monitoring"].address, name
        code = "import urllib.request; print(urllib.request.urlopen('http://ledger:8081/health', timeout=5).status)"
        assert node.python(code, container=container).strip() == "200", name


TARGETS = """
import json, urllib.request
targets = json.load(urllib.request.urlopen("http://127.0.0.1:9090/api/v1/targets", timeout=5))
print(json.dumps([[t["labels"].get("job"), t["labels"].get("service"), t["labels"].get("host"), t["health"],
                   t["scrapeUrl"], t["labels"].get("instance"), t["labels"].get("track")]
                  for t in targets["data"]["activeTargets"]]))
"""


def replica_addresses(nodes):
    """Each running replica's address on the swarm's network, from the nodes' engines."""
    addresses = set()
    for role in ("apps", "monitoring"):
        node = nodes[role]
        for container in node.run("docker", "ps", "-q", "--filter",
                                  "label=com.docker.swarm.service.name=%s" % SERVICE).decode().split():
            addresses.add(node.run("docker", "inspect", container, "--format",
                                   "{{(index .NetworkSettings.Networks \"%s\").IPAddress}}" % NETWORK).decode().strip())
    return addresses


def test_prometheus_scrapes_each_replica_found_through_swarm_dns_and_probes_the_service(nodes):
    def api_up():
        targets = json.loads(nodes["monitoring"].python(TARGETS))
        replicas = [target for target in targets if target[0] == "api"]
        probes = [target for target in targets if target[0] == "probes" and target[1] == "api"]
        if len(replicas) == 2 and probes and all(target[3] == "up" for target in replicas + probes):
            return replicas, probes
        return None

    replicas, probes = wait_until(api_up, 90, "both replicas scraped and the service probed, all up")
    # one target per replica, at the replica's own address on the swarm's network
    assert {target[4] for target in replicas} == {"http://%s:8080/metrics" % address
                                                  for address in replica_addresses(nodes)}
    assert {(target[1], target[2]) for target in replicas} == {("api", "swarm")}
    # the probe asks for the service by its name, which Swarm resolves to a running replica
    assert probes[0][5] == "http://%s:8080/health" % SERVICE


def test_a_failed_update_is_rolled_back_by_swarm_and_the_run_says_so(nodes, playbook, tmp_path):
    with open(SCENARIO / "inventory" / "group_vars" / "all" / "platform.yml") as handle:
        catalog = yaml.safe_load(handle)["platform_services"]
    for entry in catalog:
        if entry["name"] == "api":
            depends = entry["env"]["STANDIN_DEPENDS"]
            # never healthy: what it depends on does not exist
            entry["env"] = dict(entry["env"], STANDIN_DEPENDS=depends + ",nowhere.invalid:1")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"platform_services": catalog}))

    run = playbook("site.yml", "--tags", "services", "--limit", "mh-apps", "-e", "@%s" % broken)
    assert run.returncode != 0, run.stdout[-3000:]
    assert "The update of api failed" in run.stdout and "rolled it back to its previous version" in run.stdout, \
        run.stdout[-3000:]
    spec = service_spec(nodes["apps"])
    assert spec["UpdateStatus"]["State"] == "rollback_completed"
    assert "STANDIN_DEPENDS=%s" % depends in spec["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    wait_until(lambda: sorted(running_tasks(nodes["apps"])) == [("mh-apps", "Running"), ("mh-monitoring", "Running")],
               60, "both replicas of the previous version running")

    # the catalog as it is converges the service again, unchanged
    again = playbook("site.yml", "--tags", "services", "--limit", "mh-apps")
    assert again.returncode == 0, again.stdout[-3000:]


# A client of the service: asks it five times a second for argv[1] seconds or until
# stopped (SIGTERM), then prints its failures, [seconds since start, error], as JSON.
PROBE = """
import json, signal, sys, time, urllib.request
stopped = []
signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
failures, asked, started = [], 0, time.monotonic()
deadline = started + float(sys.argv[1])
while time.monotonic() < deadline and not stopped:
    moment = time.monotonic() - started
    asked += 1
    try:
        urllib.request.urlopen("http://api:8080/health", timeout=1).read()
    except Exception as exc:
        failures.append([round(moment, 2), type(exc).__name__])
    time.sleep(0.2)
print(json.dumps({"asked": asked, "failures": failures}))
"""


def probe_api(manager, seconds, result, name=None):
    """Run the probing client on the swarm's network from the manager; its report goes in result."""
    named = ["--name", name] if name else []
    result.update(json.loads(manager.run(
        "docker", "run", "--rm", "-i", *named, "--network", NETWORK, "--entrypoint", "python3",
        "tersane/standin:bookworm", "-", str(seconds), stdin=PROBE.encode(), timeout=seconds + 60)))


def swarm_nodes(nodes):
    return (nodes["apps"], nodes["monitoring"])


def deploy_history(manager):
    lines = manager.run("cat", "/var/lib/tersane/%s/deploy/history.jsonl" % PLATFORM).decode().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_a_deploy_moves_the_swarm_service_replica_by_replica_and_a_client_never_goes_unanswered(nodes, playbook):
    # version 2.0.0 is the same program under a new tag, on both nodes
    for node in swarm_nodes(nodes):
        node.run("docker", "tag", "tersane/standin:bookworm", "tersane/standin:2.0.0")
    apps = nodes["apps"]
    before = {task["ID"] for task in json.loads("[%s]" % ",".join(apps.run(
        "docker", "service", "ps", SERVICE, "--filter", "desired-state=running", "--format", "{{json .}}")
        .decode().splitlines()))}
    result = {}
    client = threading.Thread(target=probe_api, args=(apps, 300, result, "api-deploy-probe"))
    client.start()
    try:
        time.sleep(3)
        run = playbook("deploy.yml", "-e", json.dumps({"deploy_versions": {"api": "2.0.0"}}))
    finally:
        time.sleep(3)
        apps.run("docker", "stop", "api-deploy-probe", check=False)
        client.join(timeout=60)
    assert run.returncode == 0, run.stdout[-3000:]
    spec = service_spec(apps)
    assert spec["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == "tersane/standin:2.0.0"
    assert spec["UpdateStatus"]["State"] == "completed"
    after = {task["ID"] for task in json.loads("[%s]" % ",".join(apps.run(
        "docker", "service", "ps", SERVICE, "--filter", "desired-state=running", "--format", "{{json .}}")
        .decode().splitlines()))}
    assert len(after) == 2 and not after & before, "both replicas were replaced"
    assert [task[1] for task in running_tasks(apps)] == ["Running", "Running"]
    # the client asked throughout the deploy and was answered every time
    assert result.get("asked", 0) > 50, result
    assert result["failures"] == [], result
    last = deploy_history(apps)[-1]
    assert (last["service"], last["outcome"], last["image"], last["previous"]) == \
        ("api", "deployed", "tersane/standin:2.0.0", "tersane/standin:bookworm")


def test_a_deploy_of_a_swarm_version_that_never_runs_is_rolled_back_and_the_run_names_it(nodes, playbook):
    # version 6.6.6 ends as soon as it starts: its tasks never run, let alone healthy
    for node in swarm_nodes(nodes):
        node.run("docker", "rm", "-f", "api-broken", check=False)
        node.run("docker", "create", "--name", "api-broken", "tersane/standin:bookworm")
        node.run("docker", "commit", "--change", 'ENTRYPOINT ["false"]', "api-broken", "tersane/standin:6.6.6")
        node.run("docker", "rm", "api-broken")
    apps = nodes["apps"]

    run = playbook("deploy.yml", "-e", json.dumps({"deploy_versions": {"api": "6.6.6"}}))
    assert run.returncode != 0, run.stdout[-3000:]
    said = " ".join(run.stdout.split())
    assert "The deploy of api 6.6.6 on mh-apps failed and was rolled back: The update of api failed" in said, \
        run.stdout[-3000:]
    assert "api runs tersane/standin:2.0.0 again, healthy" in said, run.stdout[-3000:]
    spec = service_spec(apps)
    assert spec["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == "tersane/standin:2.0.0"
    assert spec["UpdateStatus"]["State"] == "rollback_completed"
    wait_until(lambda: [task[1] for task in running_tasks(apps)] == ["Running", "Running"], 60,
               "both replicas of 2.0.0 running")
    last = deploy_history(apps)[-1]
    assert (last["service"], last["outcome"], last["image"], last["previous"]) == \
        ("api", "rolled_back", "tersane/standin:6.6.6", "tersane/standin:2.0.0")


def task_ids(manager):
    return {line for line in manager.run("docker", "service", "ps", SERVICE, "--filter", "desired-state=running",
                                         "--format", "{{.ID}}").decode().split() if line}


RESOLVE = "import socket, sys; print(len(socket.gethostbyname_ex(sys.argv[1])[2]))"


def resolved(manager):
    """How many addresses the service's name resolves to on the swarm's network."""
    return int(manager.run("docker", "run", "--rm", "--network", NETWORK, "--entrypoint", "python3",
                           "tersane/standin:bookworm", "-c", RESOLVE, "api", check=False).decode().strip() or 0)


def running_containers(manager):
    """How many running task containers the service and its canary have, by service."""
    lines = manager.run("docker", "service", "ps", SERVICE, SERVICE + "-canary", "--filter",
                        "desired-state=running", "--format", "{{.Name}} {{.CurrentState}}",
                        check=False).decode().splitlines()
    counts = {}
    for line in lines:
        if line.split()[1:2] == ["Running"]:
            name = SERVICE + "-canary" if line.startswith(SERVICE + "-canary.") else SERVICE
            counts[name] = counts.get(name, 0) + 1
    return counts


def watch_canary(manager, monitoring, seen, stop):
    """Until stop is set: note the canary service as `docker service ls` shows it and,
    once its replica runs, how many addresses the service's name resolves to, beside
    the running task containers of the service and of its canary at that moment (Swarm
    may be replacing a task meanwhile: a count taken while they changed is not kept);
    and the tracks of the service's targets Prometheus scrapes (on `monitoring`)."""
    while not stop.is_set():
        try:
            scraped = json.loads(monitoring.python(TARGETS))
        except Exception as failed:  # Prometheus busy for a moment: asked again next round
            seen.setdefault("unanswered", []).append(repr(failed)[:200])
            scraped = []
        seen.setdefault("tracks", set()).update(
            (target[6], target[3]) for target in scraped if target[0] == "api")
        for line in manager.run("docker", "service", "ls", "--format", "{{.Name}} {{.Replicas}} {{.Image}}",
                                check=False).decode().splitlines():
            if line.startswith(SERVICE + "-canary "):
                seen.setdefault("canary", set()).add(tuple(line.split()[1:]))
                if line.split()[1] == "1/1" and "addresses" not in seen:
                    before = running_containers(manager)
                    addresses = resolved(manager)
                    if running_containers(manager) == before:
                        seen["addresses"], seen["running"] = addresses, before
        time.sleep(0.5)


def test_a_canary_deploy_runs_the_new_version_beside_the_service_then_updates_it(nodes, playbook):
    for node in swarm_nodes(nodes):
        node.run("docker", "tag", "tersane/standin:bookworm", "tersane/standin:3.0.0")
    apps = nodes["apps"]
    # Swarm's DNS drops a replaced task's address a moment after the task is gone (the
    # test before rolled an update back): start from the two replicas' addresses only.
    wait_until(lambda: resolved(apps) == 2, 60, "the service's name resolving to its two replicas only")
    seen, result, stop = {}, {}, threading.Event()
    watcher = threading.Thread(target=watch_canary, args=(apps, nodes["monitoring"], seen, stop))
    client = threading.Thread(target=probe_api, args=(apps, 300, result, "api-canary-probe"))
    watcher.start()
    client.start()
    try:
        time.sleep(3)
        run = playbook("deploy.yml", "-e", "deploy_strategy=canary",
                       "-e", json.dumps({"deploy_versions": {"api": "3.0.0"}}))
    finally:
        stop.set()
        time.sleep(2)
        apps.run("docker", "stop", "api-canary-probe", check=False)
        client.join(timeout=60)
        watcher.join(timeout=60)
    assert run.returncode == 0, run.stdout[-3000:]
    # two replicas: the 10 % and 50 % steps are both one replica of 3.0.0, beside the two
    assert ("1/1", "tersane/standin:3.0.0") in seen.get("canary", set()), seen
    # the name resolves to every running replica of the service and to the canary's
    assert seen.get("running", {}).get(SERVICE + "-canary") == 1, seen
    assert seen["running"].get(SERVICE, 0) >= 2, seen
    assert seen["addresses"] == sum(seen["running"].values()), \
        "the service's name resolves to its replicas and the canary's: %r" % seen
    # Prometheus scraped the canary's replica as the service's job, on the canary track
    assert ("canary", "up") in seen["tracks"] and ("stable", "up") in seen["tracks"], seen["tracks"]
    assert service_spec(apps)["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == "tersane/standin:3.0.0"
    # the canary, its secret and its configuration are gone
    assert SERVICE + "-canary" not in apps.run("docker", "service", "ls", "--format", "{{.Name}}").decode().split()
    assert "api-canary" not in apps.run("docker", "secret", "ls", "--format", "{{.Name}}").decode()
    assert not apps.succeeds("test", "-e", "/etc/tersane/%s/services/api-canary" % PLATFORM)
    assert result.get("asked", 0) > 50 and result["failures"] == [], result


def test_a_canary_of_a_version_that_never_runs_stops_at_its_first_step_and_leaves_the_service_alone(
        nodes, playbook):
    apps = nodes["apps"]
    before = task_ids(apps)
    run = playbook("deploy.yml", "-e", "deploy_strategy=canary", "-e", json.dumps({"deploy_versions": {"api": "6.6.6"}}))
    assert run.returncode != 0, run.stdout[-3000:]
    said = " ".join(run.stdout.split())
    assert "The deploy of api 6.6.6 on mh-apps failed and was rolled back: Canary step 1 of api 6.6.6 failed: its 1 " \
           "replica(s) of the new version did not all run healthy" in said, run.stdout[-3000:]
    # given up once its tasks failed services_swarm_task_failures (3) times, not at the end of its health_timeout
    assert re.search(r"its tasks ended [0-9]+ times since it last changed, and 0 of its 1 replicas run: "
                     r"task \w+ failed: task: non-zero exit \(1\)", said), run.stdout[-3000:]
    assert "The service's own replicas were not touched" in said
    spec = service_spec(apps)
    assert spec["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == "tersane/standin:3.0.0"
    assert task_ids(apps) == before, "the service's tasks are the same"
    assert SERVICE + "-canary" not in apps.run("docker", "service", "ls", "--format", "{{.Name}}").decode().split()
    last = deploy_history(apps)[-1]
    assert (last["outcome"], last["image"], last["previous"]) == \
        ("rolled_back", "tersane/standin:6.6.6", "tersane/standin:3.0.0")


def kill_the_canary_once_it_ran(nodes, killed, stop):
    """Until stop is set: once the canary's replica has run for 5 s (the step's health
    gate has passed then), kill its container on the node it runs on, once."""
    apps = nodes["apps"]
    first_seen = None
    while not stop.is_set() and "node" not in killed:
        lines = apps.run("docker", "service", "ps", SERVICE + "-canary", "--filter", "desired-state=running",
                         "--format", "{{.Node}} {{.CurrentState}}", check=False).decode().split("\n")
        running = [line.split()[0] for line in lines if line.split()[1:2] == ["Running"]]
        if running and first_seen is None:
            first_seen = time.monotonic()
        if running and time.monotonic() - first_seen >= 5:
            node = nodes[running[0].replace("mh-", "")]
            container = node.run("docker", "ps", "-q", "--filter",
                                 "label=com.docker.swarm.service.name=%s-canary" % SERVICE).decode().split()
            if container:
                node.run("docker", "kill", container[0])
                killed["node"] = running[0]
        time.sleep(0.5)


def test_a_canary_replica_that_dies_during_the_hold_stops_the_deploy_and_leaves_the_service_alone(nodes, playbook):
    for node in swarm_nodes(nodes):
        node.run("docker", "tag", "tersane/standin:bookworm", "tersane/standin:4.0.0")
    apps = nodes["apps"]
    before = task_ids(apps)
    killed, stop = {}, threading.Event()
    killer = threading.Thread(target=kill_the_canary_once_it_ran, args=(nodes, killed, stop))
    killer.start()
    try:
        run = playbook("deploy.yml", "-e", "deploy_strategy=canary", "-e", "deploy_canary_hold=30",
                       "-e", json.dumps({"deploy_versions": {"api": "4.0.0"}}))
    finally:
        stop.set()
        killer.join(timeout=60)
    assert "node" in killed, "the canary's replica was never seen running"
    assert run.returncode != 0, run.stdout[-3000:]
    said = " ".join(run.stdout.split())
    assert "Canary step 1 of api 4.0.0 failed: its 1 replica(s) of the new version ran healthy, but not for the " \
           "whole 30 s hold: task " in said and "failed: task: non-zero exit (137)" in said, run.stdout[-3000:]
    assert "The service's own replicas were not touched" in said
    assert service_spec(apps)["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == "tersane/standin:3.0.0"
    assert task_ids(apps) == before, "the service's tasks are the same"
    assert SERVICE + "-canary" not in apps.run("docker", "service", "ls", "--format", "{{.Name}}").decode().split()
    last = deploy_history(apps)[-1]
    assert (last["outcome"], last["image"], last["previous"]) == \
        ("rolled_back", "tersane/standin:4.0.0", "tersane/standin:3.0.0")


def test_killing_a_worker_moves_its_replica_and_a_client_sees_at_most_the_health_window(nodes, engine):
    apps = nodes["apps"]
    healthcheck = service_spec(apps)["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"]
    # the longest a dead task is offered: its checks' interval times retries, plus one timeout
    window = (healthcheck["Interval"] * healthcheck["Retries"] + healthcheck["Timeout"]) / 1e9
    result = {}

    client = threading.Thread(target=probe_api, args=(apps, 45, result, "probe-kill"))
    client.start()
    # the client must be on the swarm's network before the worker dies: a container
    # still being attached then can find its overlay network gone ("network not found")
    wait_until(lambda: not client.is_alive() or apps.succeeds(
        "sh", "-c", "docker inspect -f '{{.State.Running}}' probe-kill | grep -qx true"), 60, "the probing client running")
    assert client.is_alive(), "the probing client did not start: %s" % result
    time.sleep(3)
    # the worker goes away as a powered-off machine would: its engine and tasks with it
    engine.containers.get(nodes["monitoring"].container).kill()
    try:
        wait_until(lambda: sorted(running_tasks(apps)) == [("mh-apps", "Running"), ("mh-apps", "Running")],
                   60, "both replicas running on the manager")
        client.join(timeout=120)
        assert "failures" in result, "the probing client did not report"
        failures = result["failures"]
        spread = failures[-1][0] - failures[0][0] if failures else 0.0
        assert spread <= window + 1, failures
    finally:
        engine.containers.get(nodes["monitoring"].container).start()
        nodes["monitoring"].run("start-stop-daemon", "--start", "--background", "--make-pidfile", "--pidfile",
                                "/run/tersane-dockerd.pid", "--output", "/var/log/tersane-dockerd.log",
                                "--exec", "/usr/sbin/dockerd")

    # the worker comes back into the swarm on its own
    def worker_ready():
        return "mh-monitoring Ready" in apps.run("docker", "node", "ls", "--format", "{{.Hostname}} {{.Status}}").decode()

    wait_until(worker_ready, 90, "the worker ready again")


def manager_status(manager):
    """hostname: its manager status (Leader, Reachable, Unreachable; empty for a worker)."""
    lines = manager.run("docker", "node", "ls", "--format", "{{.Hostname}}|{{.ManagerStatus}}").decode().splitlines()
    return dict(line.split("|", 1) for line in lines if line.strip())


def changed_per_host(stdout):
    """host: changed count, from a run's recap."""
    recap = re.sub(r"\x1b\[[0-9;]*m", "", stdout.split("PLAY RECAP")[-1])
    return {line.split()[0]: int(line.split("changed=")[1].split()[0]) for line in recap.splitlines()
            if " : ok=" in line}


def test_a_host_moved_to_swarm_managers_is_promoted_and_moved_back_is_demoted(nodes, playbook):
    apps = nodes["apps"]
    assert manager_status(apps) == {"mh-apps": "Leader", "mh-monitoring": ""}
    with open(SCENARIO / "inventory" / "hosts.yml") as handle:
        inventory = yaml.safe_load(handle)
    swarm = inventory["all"]["children"]["swarm"]["children"]
    swarm["swarm_managers"]["hosts"]["mh-monitoring"] = None
    del swarm["swarm_workers"]["hosts"]["mh-monitoring"]
    # next to hosts.yml, so that the scenario's group_vars and host_vars apply
    promoted = SCENARIO / "inventory" / "promoted.yml"
    promoted.write_text(yaml.safe_dump(inventory))
    try:
        run = playbook("site.yml", "--tags", "swarm", inventory=promoted)
        assert run.returncode == 0, run.stdout[-3000:]
        # the run waited until the new manager was reachable
        assert manager_status(apps) == {"mh-apps": "Leader", "mh-monitoring": "Reachable"}
        again = playbook("site.yml", "--tags", "swarm", inventory=promoted)
        assert again.returncode == 0 and set(changed_per_host(again.stdout).values()) == {0}, again.stdout[-3000:]
    finally:
        promoted.unlink()
        back = playbook("site.yml", "--tags", "swarm")
    assert back.returncode == 0, back.stdout[-3000:]
    assert manager_status(apps) == {"mh-apps": "Leader", "mh-monitoring": ""}
    assert [task[1] for task in running_tasks(apps)] == ["Running", "Running"]


def node_names(manager):
    """The hostnames of the swarm's nodes, as its manager lists them."""
    return sorted(manager.run("docker", "node", "ls", "--format", "{{.Hostname}}").decode().split())


def test_the_node_of_a_host_that_left_the_inventory_is_named_then_drained_and_removed_when_asked(nodes, playbook):
    apps, monitoring = nodes["apps"], nodes["monitoring"]
    assert node_names(apps) == ["mh-apps", "mh-monitoring"]
    with open(SCENARIO / "inventory" / "hosts.yml") as handle:
        inventory = yaml.safe_load(handle)
    # the host leaves the inventory (decommissioned, say)
    del inventory["all"]["children"]["swarm"]["children"]["swarm_workers"]["hosts"]["mh-monitoring"]
    inventory["all"]["children"]["monitoring"] = None
    # next to hosts.yml, so that the scenario's group_vars and host_vars apply
    shrunk = SCENARIO / "inventory" / "shrunk.yml"
    shrunk.write_text(yaml.safe_dump(inventory))
    try:
        # not asked to: the node stays, and the run names it and says how to remove it
        kept = playbook("site.yml", "--tags", "swarm", inventory=shrunk)
        assert kept.returncode == 0, kept.stdout[-3000:]
        said = " ".join(kept.stdout.split())
        assert "The swarm node mh-monitoring" in said and "swarm_remove_absent_nodes: true" in said, \
            kept.stdout[-3000:]
        assert node_names(apps) == ["mh-apps", "mh-monitoring"]

        removed = playbook("site.yml", "--tags", "swarm", "-e", "swarm_remove_absent_nodes=true", inventory=shrunk)
        assert removed.returncode == 0, removed.stdout[-3000:]
        assert node_names(apps) == ["mh-apps"]
        # its replica was moved before the node went: both run on the node that is left
        wait_until(lambda: sorted(running_tasks(apps)) == [("mh-apps", "Running")] * 2, 90,
                   "both replicas running on mh-apps")
        again = playbook("site.yml", "--tags", "swarm", "-e", "swarm_remove_absent_nodes=true", inventory=shrunk)
        assert again.returncode == 0 and set(changed_per_host(again.stdout).values()) == {0}, again.stdout[-3000:]
    finally:
        shrunk.unlink()
        # the removed node's engine still believes it is in the swarm: it leaves, and the inventory as it is
        # joins it again
        monitoring.run("docker", "swarm", "leave", "--force", check=False)
        back = playbook("site.yml", "--tags", "swarm")
    assert back.returncode == 0, back.stdout[-3000:]
    assert node_names(apps) == ["mh-apps", "mh-monitoring"]
