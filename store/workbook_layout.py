"""The exchange workbook's layout, shared by its export and its import: the names of its
sheets, its format, the header of its fingerprint column, and the keys of its hidden sheet.

Only constants here: the import's reading child process loads this module (it names the hidden
sheet to read first) and must start fast.
"""

from __future__ import annotations

#: The sheets the import reads back.
SHEET_ACTIONS = "Actions"
SHEET_INDICATORS = "Indicateurs"
SHEET_RESOURCES = "Ressources"
#: The CTS report workbook's own sheets: a document to read, which the import recognises (and
#: refuses with one sentence rather than reading its « Indicateurs » as the exchange's).
CTS_SYNTHESIS = "Synthèse"
CTS_CHART = "Graphique"
CTS_ACTIONS_BY_OBJECTIVE = "Actions par objectif"
#: The hidden sheet of export data.
META_SHEET = "_suivi_sts"
#: 2: fingerprints in a hidden last column of each data sheet (1: a copy of every exported cell
#: in the hidden sheet, still read).
FORMAT = 2
#: Header of the hidden fingerprint column of the data sheets (store/fingerprint.py).
FINGERPRINT_HEADER = "Empreinte Suivi STS (ne pas modifier)"

#: Keys of the hidden sheet's first rows: how many actions and resources the export wrote, and
#: whether it wrote every action or a part of them (the import tells the rows deleted since).
META_ACTIONS = "actions"
META_RESOURCES = "ressources"
META_SCOPE = "perimetre"
SCOPE_EVERY_ACTION = "toutes les actions"
SCOPE_SOME_ACTIONS = "une partie des actions"
