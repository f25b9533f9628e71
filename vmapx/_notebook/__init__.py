"""vmapx in IPython and Jupyter: the `%vmapx` line magic (`%load_ext vmapx`).

The layer above the CLI: the magic parses a line with the CLI's own commands and calls the
same report functions, with names looked up in the notebook's namespace first.
"""
