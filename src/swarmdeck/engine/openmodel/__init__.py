"""The open model on Locust's runners: iterations started on a schedule (an arrival rate)
by a pool of users, whatever the responses do, and their latency counted from when each
iteration was due (docs/open-model.md).

``schedule`` (pure, in plan/arrival.py) says when each iteration is due; ``pool`` hands due
iterations to free users and drops those no user takes within ``--max-lag``; ``users``
adapts the locustfile's User classes so that each task is one iteration; ``executor``
releases the iterations on time, grows the pool and ends the run; ``recorder`` records the
first request of each iteration from its due time too; ``counter`` counts the iterations
per second. ``session`` wires them into a run.
"""
