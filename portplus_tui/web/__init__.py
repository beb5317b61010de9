"""The app in a browser (``portplus serve``): textual-serve, wrapped (``server.py``).

Not imported on the terminal app's path: only ``portplus serve`` loads it (aiohttp,
textual-serve; the ``web`` extra)."""
