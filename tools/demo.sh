#!/bin/sh
# demo.sh L7SIM — the main job on the built-in default (see README).
set -e
"$1" --version
