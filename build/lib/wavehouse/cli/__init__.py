"""The `wavehouse` command line: thin click commands over the `wavehouse` library."""
