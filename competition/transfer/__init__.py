"""transfer: a whole competition's set-up as one document, exported, imported and cloned."""
