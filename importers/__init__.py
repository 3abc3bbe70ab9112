"""Reading files into the store: the reference YAML scheme and Excel workbooks."""
