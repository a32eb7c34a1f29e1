"""The demo, apart from the product: seeded data (seed.py, stories.py, vocabulary.py), its history as
events (history.py) and a simulator of the other systems (simulator.py).

It uses what the product offers (the unit of work and its repositories, the services, the event
publishing API, the Worker base); nothing in the product imports it. app.py wires it in demo mode.
"""
