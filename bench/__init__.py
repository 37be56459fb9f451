"""Load benchmarks for LongGov (``make bench``): ceiling, authenticated JSON and the login flow.

``bench.run`` prepares a throw-away PostgreSQL database and server; ``bench.loadgen`` is the
load generator it starts as a separate process; ``bench.client`` is the small keep-alive
HTTP/1.1 client the generator uses.
"""
