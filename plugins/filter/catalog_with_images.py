# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: catalog_with_images
short_description: The service catalog with some services' images replaced
version_added: "0.2.0"
description:
  - Takes the catalog and a mapping of service names to images (the C(images) of
    P(tersane.platform.deploy_plan#filter)) and returns a copy of the catalog with those images.
  - Use it where the catalog is handed on (a task's vars), not in a fact, since the entries carry secrets.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The catalog, a list of service definitions.
    type: list
    elements: dict
    required: true
  images:
    description: Service name to image.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Deploy the new images
  ansible.builtin.include_role:
    name: tersane.platform.services
  vars:
    services_catalog: "{{ platform_services | tersane.platform.catalog_with_images(deploy_request.images) }}"
"""

RETURN = r"""
_value:
  description: The catalog with the images replaced.
  type: list
  elements: dict
"""

from ansible_collections.tersane.platform.plugins.module_utils.deploy import with_images


def catalog_with_images(catalog, images):
    return with_images(catalog, images)


class FilterModule:
    def filters(self):
        return {"catalog_with_images": catalog_with_images}
