# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Subject alternative names for the platform's service certificates."""

from __future__ import annotations

import ipaddress
import re
from typing import Iterable, List

PREFIXED = re.compile(r"^(DNS|IP|URI|email|RID|dirName|otherName):", re.IGNORECASE)
HOSTNAME = re.compile(r"^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$")


def subject_alt_names(names: Iterable[str]) -> List[str]:
    """Each name as a SAN entry (``IP:`` for addresses, ``DNS:`` for host names;
    entries that already carry a type stay as they are), in order, without repeats.

    Raises ValueError naming the first entry that is neither."""
    entries: List[str] = []
    for raw in names:
        name = str(raw).strip()
        if not name:
            continue
        if PREFIXED.match(name):
            entry = name
        else:
            try:
                entry = "IP:%s" % ipaddress.ip_address(name.strip("[]"))
            except ValueError:
                if not HOSTNAME.match(name) or len(name) > 253:
                    raise ValueError("%r is neither a host name nor an IP address" % name) from None
                entry = "DNS:%s" % name.rstrip(".").lower()
        if entry not in entries:
            entries.append(entry)
    return entries
