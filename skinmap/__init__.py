"""The `skinmap` command (cli.py), the settings table, exports and the demo web: the one package that
may import crawler, index and search_web alike."""
