# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whether an object Vault holds (an AppRole, a PKI role) has the settings the vault
role gives it. Vault reads an object back with every setting it knows, most of them
defaults the role never gives, so only the settings the role gives are compared; the
role writes the object only when one of them differs. Nothing here reads Ansible's
objects."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional


def differing_settings(stored: Optional[Mapping[str, Any]], wanted: Mapping[str, Any]) -> List[str]:
    """The names of the wanted settings that Vault holds otherwise or not at all, sorted;
    every wanted setting when Vault holds no such object (stored is None)."""
    if stored is None:
        return sorted(wanted)
    return sorted(key for key, value in wanted.items() if key not in stored or stored[key] != value)
