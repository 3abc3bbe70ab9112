"""Storage layer of Suivi STS: models, engine, migrations, queries and domain rules.

This package knows nothing of the importers, the exports or the user interface.
"""
