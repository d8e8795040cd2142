# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which built images are missing or out of date with their recipe."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

RECIPE_LABEL = "org.tersane.recipe-hash"


def present_hashes(images: Sequence[Mapping[str, Any]], label: str = RECIPE_LABEL) -> Dict[str, str]:
    """Map every tag of the inspected ``images`` to its recipe-hash label ('' when unlabelled)."""
    found: Dict[str, str] = {}
    for image in images:
        labels = (image.get("Config") or {}).get("Labels") or {}
        for tag in image.get("RepoTags") or []:
            found[tag] = labels.get(label, "")
    return found


def stale_images(images: Sequence[Mapping[str, Any]], wanted: Mapping[str, str],
                 label: str = RECIPE_LABEL) -> List[str]:
    """Return the references in ``wanted`` (reference -> recipe hash) that are
    absent from ``images`` or carry another hash, in ``wanted``'s order."""
    present = present_hashes(images, label)
    return [ref for ref, digest in wanted.items() if present.get(ref) != digest]
