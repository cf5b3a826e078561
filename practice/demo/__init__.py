"""The demo practice that ``manage.py demo`` builds, one module per topic.

- ``builder``: ``DemoBuilder`` (one random stream, the steps in a fixed order, so a seed
  always gives the same practice) and ``demo_build``, the one transaction around it;
- ``practice_setup``: the catalog read, the practice, its staff and clinicians, payers;
- ``clients``: each client, their diagnoses, coverages and prior authorizations;
- ``sessions``: a client's course of care and each session's lines;
- ``writing``: the three big tables written per batch (COPY on PostgreSQL);
- ``claims`` and ``remittances``: the past billed, sent and answered by 835 files;
- ``appointments``: this week's and next week's appointments;
- ``reset`` and ``output``: what the database holds, deleting it, what is printed.

``DemoBuilder`` is one class assembled from the topic modules' parts (``PracticeSetup``,
``ClientPlanner``, ``SessionPlanner``, ``SessionWriter``): they share its random stream
and its lookups, and the order of the random draws is what keeps a seed's practice the
same. The data it draws from is ``practice/demo/data.py``; the payers' 835 files are
written by ``practice/demo/eras.py``.
"""
