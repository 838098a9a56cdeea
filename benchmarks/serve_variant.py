"""The app `pitchlab serve` runs, under another server set-up, for benchmarks only: uvicorn with
another WebSocket implementation, event loop or HTTP parser, or granian. `pitchlab serve` itself
is unchanged; this lets relay.py measure the options side by side.

    python benchmarks/serve_variant.py --port P [--ws websockets-sansio|websockets|wsproto]
        [--loop uvloop|asyncio] [--http httptools|h11] [--granian]

Settings come from the environment, as for `pitchlab serve` (relay.py passes serve_env()).
Packages the project does not depend on (granian, wsproto) are looked for in the folder named by
PITCHLAB_BENCH_EXTRAS too, appended to sys.path so that nothing the project pins is shadowed.
"""

from __future__ import annotations

import argparse
import os
import sys

if extras := os.environ.get("PITCHLAB_BENCH_EXTRAS"):
    sys.path.append(extras)


def app_factory():
    """The app as `pitchlab serve` makes it: database migrated, settings resolved."""
    from pitchlab.app import create_app
    from pitchlab.cli import _prepared, _settings

    settings, _ = _prepared(_settings())
    return create_app(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ws", default="websockets-sansio")
    parser.add_argument("--loop", default="uvloop")
    parser.add_argument("--http", default="httptools")
    parser.add_argument("--granian", action="store_true")
    args = parser.parse_args()
    if args.granian:
        from granian import Granian

        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        Granian("serve_variant:app_factory", factory=True, interface="asgi", port=args.port,
                loop="uvloop", websockets=True, log_level="warning").serve()
        return
    import uvicorn

    uvicorn.run(app_factory(), host="127.0.0.1", port=args.port, log_config=None,
                proxy_headers=False, ws=args.ws, loop=args.loop, http=args.http)


if __name__ == "__main__":
    main()
