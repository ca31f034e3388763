"""Benchmarks at provincial scale.

``bench.generate`` fills a database with a large competition in bulk;
``bench.run`` runs the four benchmarks against it, each beside a reference
measured in the same run, and writes ``bench/RESULTS.md``. Not part of the
app and not run by ``make test``: ``make bench`` / ``make bench-quick``.
"""
