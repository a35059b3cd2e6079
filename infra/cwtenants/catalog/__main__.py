"""``python -m cwtenants.catalog schema [DIR]`` writes the JSON Schemas (default DIR: schema/).
``python -m cwtenants.catalog check [DIR]`` validates a catalog (default DIR: providers/)."""

import sys

from . import CatalogError, load_catalog
from .schema import write_schemas


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "schema":
        for path in write_schemas(rest[0] if rest else "schema"):
            print(f"wrote {path}")
        return 0
    if command == "check":
        try:
            cat = load_catalog(rest[0] if rest else "providers")
        except CatalogError as exc:
            print(exc, file=sys.stderr)
            return 1
        n = len(cat.providers)
        print(f"ok: {n} provider{'' if n == 1 else 's'} ({', '.join(cat.slugs)})")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
