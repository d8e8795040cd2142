#!/bin/sh
# Services are never started while an image is built: packages install only.
exit 101
