"""Which images the images role (re)builds."""

from ansible_collections.tersane.platform.plugins.module_utils.image_recipes import (
    present_hashes, stale_images)

IMAGES = [
    {"RepoTags": ["tersane/postgres:15-bookworm"],
     "Config": {"Labels": {"org.tersane.recipe-hash": "aaa"}}},
    {"RepoTags": ["tersane/redis:7.0-bookworm", "tersane/redis:latest"],
     "Config": {"Labels": None}},
]


def test_present_hashes_maps_every_tag():
    assert present_hashes(IMAGES) == {"tersane/postgres:15-bookworm": "aaa",
                                      "tersane/redis:7.0-bookworm": "",
                                      "tersane/redis:latest": ""}


def test_up_to_date_image_is_not_rebuilt():
    assert stale_images(IMAGES, {"tersane/postgres:15-bookworm": "aaa"}) == []


def test_changed_recipe_missing_image_and_unlabelled_image_are_rebuilt_in_order():
    wanted = {"tersane/rabbitmq:3.10": "ccc", "tersane/postgres:15-bookworm": "bbb",
              "tersane/redis:7.0-bookworm": "ddd"}
    assert stale_images(IMAGES, wanted) == list(wanted)
