import sys
from pathlib import Path

# tests/ helpers (pulumi_cli.py) importable as plain modules
sys.path.insert(0, str(Path(__file__).parent))
