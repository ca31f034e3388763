"""corrections: changes after the lock, across the stages they touch."""
