"""config/README.md, every config key with its values and description, generated from
config/schema.yaml (hessian_spectra.config_doc).

    python report/config_doc.py           # rewrite config/README.md
    python report/config_doc.py --check   # exit 1 if it differs from what the schema gives
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # this checkout's library, installed or not

from hessian_spectra import config_doc  # noqa: E402

SCHEMA = ROOT / "config" / "schema.yaml"
OUTPUT = ROOT / "config" / "README.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args()
    schema = config_doc.read_schema(SCHEMA)
    missing = config_doc.undocumented(schema)
    if missing:
        sys.exit(f"{SCHEMA}: no description for {', '.join(missing)}")
    text = config_doc.render(schema)
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            sys.exit(f"{OUTPUT} is stale: run python report/config_doc.py")
        return
    OUTPUT.write_text(text)


if __name__ == "__main__":
    main()
