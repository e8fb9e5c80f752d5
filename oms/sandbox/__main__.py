"""python -m oms.sandbox [--port 8765] [--db instance/sandbox.db]"""

import argparse
from pathlib import Path

from oms.sandbox.server import DEFAULT_PORT, serve

parser = argparse.ArgumentParser(description="Run the sandbox marketplace on loopback.")
parser.add_argument("--port", type=int, default=DEFAULT_PORT)
parser.add_argument("--db", type=Path, default=Path("instance/sandbox.db"))
args = parser.parse_args()
serve(args.db, port=args.port)
