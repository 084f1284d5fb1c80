#!/usr/bin/env python3
"""The peers verified and timed into a spikefuse results file: peers/run.py --help."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spikefuse_peers.main import main  # noqa: E402

sys.exit(main())
