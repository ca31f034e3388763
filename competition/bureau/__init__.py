"""bureau: the statistics across competitions and years that the bureau (人社局) reads."""
