"""The Textual interface and the command line of Suivi STS."""
