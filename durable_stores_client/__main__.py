"""``python -m durable_stores_client``: the ``durable-stores`` command line."""

import sys

from ._cli import main

sys.exit(main())
