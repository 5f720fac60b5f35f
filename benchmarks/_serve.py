"""Child process for the loopback scenarios: ``FakeServer().serve()`` until stdin closes.

Prints the base URL on one line once it is listening; the parent closes our stdin to stop us.
"""

from __future__ import annotations

import sys

from durable_stores_client.fake import FakeServer


def main() -> None:
    """Serve a fresh fake on 127.0.0.1 (any free port) until standard input is closed."""
    with FakeServer().serve(host="127.0.0.1", port=0) as url:
        print(url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
