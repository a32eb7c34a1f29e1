"""How the app's background work runs: one worker thread shape and one backoff, standard library only.

Its users are the relay, the projection, the sink and mail dispatchers, the NOTIFY listener and the demo
simulator, in `pipelines` and `mailer`; so it sits below `mailer`. Not in `data`: a thread loop has
nothing to do with storage, and `data` would drag SQLAlchemy into every test of it. Not in `domain`:
the domain holds rules without threads or clocks. A root package of its own, beside `domain` at the
bottom of the layers (.importlinter), that imports neither ours nor any third-party package.
"""
