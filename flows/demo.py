"""`make demo`: the main job against the embedded sandbox (being assembled; see issue 5)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("lexflow demo: backend = embedded sandbox (no LEXWARE_API_KEY set)")
    print("The end-to-end demo is being built; run `make test` for the suite.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
