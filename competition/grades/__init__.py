"""grades stage."""
