"""Writing the store out: the reference YAML scheme and Excel workbooks."""
