"""Example mapping files for foreign workbooks (`suivi-sts import --mapping FICHIER.yaml`)."""
