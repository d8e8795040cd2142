# tersane.platform — the two commands a newcomer needs are `make up` and `make test`.
#
#   make up                bring the platform up on this machine (inventories/local)
#   make up OFFLINE=1      same, building images from Debian packages (no registry needed)
#   make down              remove the platform's containers, keep the data volumes
#   make down PURGE=1      remove the data volumes too
#   make logs              follow the logs of every platform container
#   make status            a table of every platform container (health, uptime, restarts)
#   make test              the whole suite: unit, lint, sanity, Molecule and integration
#                          tests on the real engine
#   make lint              ansible-lint (production profile), ansible-test sanity and
#                          the secret scan
#   make secrets           detect-secrets over the tracked files against the reviewed
#                          .secrets.baseline; fails on a new secret. To allow a new
#                          test-only fixture: `git add` it, then
#                          `detect-secrets scan --baseline .secrets.baseline`, review
#                          (see tests/secrets_scan.sh)
#   make role-docs         rewrite each role's README variables table from its
#                          meta/argument_specs.yml (a unit test checks they agree)
#   make bench             converge times against docker-compose, health-gate latency,
#                          kill-to-alert latency, backup and restore against pg_dump | gzip

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
INVENTORY ?= inventories/local/hosts.yml
IMAGE_SOURCE := $(if $(OFFLINE),build,registry)
COLLECTION_LINK := .collections/ansible_collections/tersane/platform

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
export PATH := $(BIN):$(PATH)

.PHONY: up down logs status deploy rotate role-docs test unit integration lint ansible-lint sanity secrets molecule bench deps docker-engine clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../.. $@

deps: $(VENV)/.installed $(COLLECTION_LINK)

up: deps
	ansible-playbook -i $(INVENTORY) playbooks/site.yml -e platform_image_source=$(IMAGE_SOURCE) $(ARGS)

down: deps
	ansible-playbook -i $(INVENTORY) playbooks/teardown.yml -e purge=$(if $(PURGE),true,false) $(ARGS)

status: deps
	ansible-playbook -i $(INVENTORY) playbooks/status.yml $(ARGS)

# make rotate SECRET=postgres (a name of platform_secrets)
rotate: deps
	@[ -n "$(SECRET)" ] || { echo 'make rotate: set SECRET=<a name of platform_secrets>' >&2; exit 2; }
	ansible-playbook -i $(INVENTORY) playbooks/rotate_secrets.yml -e rotate_secret=$(SECRET) $(ARGS)

# make deploy VERSIONS="orders=1.5.0 billing=2.1.0" [STRATEGY=canary]
deploy: deps
	@[ -n "$(VERSIONS)" ] || { echo 'make deploy: set VERSIONS="service=version ..."' >&2; exit 2; }
	ansible-playbook -i $(INVENTORY) playbooks/deploy.yml -e deploy_versions="$(VERSIONS)" \
	  -e deploy_strategy=$(or $(STRATEGY),rolling) $(ARGS)

logs:
	@names=$$(docker ps --filter label=org.tersane.platform --format '{{.Names}}'); \
	[ -n "$$names" ] || { echo "no platform containers are running"; exit 1; }; \
	for name in $$names; do \
	  docker logs --follow --tail 20 "$$name" 2>&1 | sed -u "s/^/[$$name] /" & \
	done; wait

# The whole suite: images first, then two lanes side by side (tests/suite.sh says
# which stages each runs), each stage's wall time printed as it ends.
test: deps
	tests/suite.sh

unit: deps
	pytest -p no:cacheprovider tests/unit

integration: deps
	pytest -p no:cacheprovider --durations=20 tests/integration

lint: ansible-lint sanity secrets

ansible-lint: deps
	ansible-lint --profile production

sanity: deps
	tests/sanity.sh

secrets: deps  # pragma: allowlist secret (a target's name, no secret)
	tests/secrets_scan.sh  # pragma: allowlist secret

# Each scenario's verify writes a JUnit report; when one fails, its failures are
# printed last, below the scenarios' destroy steps.
molecule: deps
	rm -rf tests/output/molecule
	molecule test --all || { python tests/junit_failures.py tests/output/molecule/*.xml; exit 1; }

role-docs: deps
	python tests/role_readmes.py --write

bench: deps
	bench/converge
	bench/health_gate_latency
	bench/catalog
	bench/alert_latency
	bench/backup
	bench/deploy
	bench/swarm_deploy
	bench/multihost

clean:
	rm -rf $(VENV) .collections tests/output
