"""The reliability campaign of issue #14: ``python -m reliability --seed N --runs M``.

Seeded runs of the pay-period, correction and employee-sync pipelines against the sandbox
servers with faults drawn at random, each judged from the sandboxes' own state. Figures and the
command are recorded in ``docs/reliability.md``.
"""
