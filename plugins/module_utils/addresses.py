# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where other hosts reach a port a host publishes: one rule for every role.

A port is published on a bind address. Other hosts reach it on that address,
unless it is a wildcard (``0.0.0.0``, ``::`` or empty: every address of the
host), where they use the host's own address instead. A loopback bind is
reached by the host alone. Data services (placement), Prometheus targets
(monitoring_targets), the exporters' probes and the log shipper all ask here.
"""

from __future__ import annotations

import ipaddress
from typing import Optional

# Bind addresses that stand for every address of the host (Docker reads an empty one so).
WILDCARDS = ("0.0.0.0", "::", "")


def is_loopback(address: str) -> bool:
    """True for an address (or ``localhost``) that only the host itself reaches."""
    text = str(address).strip().strip("[]")
    if text == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False  # a host name: resolved by whoever connects


def published_address(bind: str, host_address: str = "") -> Optional[str]:
    """The address other hosts reach a port bound on ``bind`` at, or None.

    ``host_address`` is the host's own address (``platform_address``), used for a
    wildcard bind. None when the port is on loopback only, or on a wildcard of a
    host whose own address is unknown or loopback.
    """
    bind = str(bind if bind is not None else "").strip()
    address = str(host_address or "").strip() if bind in WILDCARDS else bind
    if not address or is_loopback(address):
        return None
    return address


def published_endpoint(bind: str, port: int, host_address: str = "") -> Optional[str]:
    """``address:port`` as other hosts reach it (IPv6 in brackets), or None."""
    address = published_address(bind, host_address)
    if address is None:
        return None
    if ":" in address and not address.startswith("["):
        address = "[%s]" % address
    return "%s:%d" % (address, int(port))
