#!/usr/bin/env python3
"""dbci's GitHub Action (and image) entrypoint: the action's inputs → dbci's stages.

A shim: the action's logic is `dbci.ci.action` (installed with dbci; the Dockerfile copies
this file to /app/entrypoint.py and runs it).
"""

import os
import sys

from dbci.ci.action import run

if __name__ == "__main__":
    sys.exit(run(dict(os.environ)))
