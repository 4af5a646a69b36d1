"""wavehouse: a music catalogue turned into a DuckDB warehouse of clusters, neighbours and playlists.

This package (the `warehouse/` folder) opens, builds and publishes the warehouse and holds the named
SQL queries the CLI runs. `wavehouse.cli` is the click app, `wavehouse.models_py` the ML functions.
"""

__version__ = "0.1.0"
