"""Creating a store and loading a reference scheme into it (`suivi-sts init`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from importers.reference_yaml import (
    embedded_reference_text,
    load_reference,
    parse_reference,
    read_reference_file,
)
from store.database import Store, open_store
from store.engine import normalise_url, sqlite_path
from store.identity import current_user
from store.reference import LoadReport


@dataclass
class InitResult:
    store: Store
    report: LoadReport | None


def initialise(
    url_or_path: str | os.PathLike[str], *, reference: Path | None = None, empty: bool = False
) -> InitResult:
    """Create or upgrade the store, then load `reference` (default: the embedded Ariège scheme).

    The reference file is validated before the store is touched: a bad file writes nothing.
    """
    if empty:
        doc = None
        source = ""
    elif reference is not None:
        doc = read_reference_file(reference)
        source = reference.name
    else:
        source = "référence intégrée (Ariège 2023-2028)"
        doc = parse_reference(embedded_reference_text(), source)
    path = sqlite_path(normalise_url(url_or_path))
    had_data = path is not None and path.exists() and path.stat().st_size > 0
    store = open_store(url_or_path)
    if doc is None:
        return InitResult(store, None)
    # An existing store is backed up first: loading a reference updates records by code.
    transaction = store.import_transaction("avant-reference") if had_data else store.writer.begin()
    with transaction as conn:
        report = load_reference(conn, doc, author=current_user(), source=source)
    return InitResult(store, report)
