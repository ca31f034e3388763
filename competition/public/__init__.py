"""public stage."""
