"""Offline stand-in for the get-pip.py bootstrap script ansible-test downloads.

ansible-test creates each sanity virtualenv without pip, then runs
get-pip.py with pip install arguments to put its pinned pip in. That script
comes from a server these machines cannot reach; this one does the same job
with the pip bundled in CPython (ensurepip), then installs the requested
packages from the package index as get-pip.py would.
"""

import ensurepip
import os
import subprocess
import sys

# get-pip.py's own options, which pip install does not know
OWN_OPTIONS = {"--no-setuptools", "--no-wheel"}

ensurepip.bootstrap(upgrade=False, default_pip=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null for itself; the install below
# must see the machine's pip configuration (index, certificates) again.
os.environ.pop("PIP_CONFIG_FILE", None)
arguments = [arg for arg in sys.argv[1:] if arg not in OWN_OPTIONS]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + arguments))
