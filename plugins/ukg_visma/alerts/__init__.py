"""Alerts: failed tasks and late pay periods, told through Airflow's notifiers.

- ``message``: what an alert says (pure): DAG, run, pay period, task, error summary, links.
- ``notify``: the task failure callback and the deadline callback, sending through the channels
  ``settings.alerts`` configures (SMTP, Slack); nothing is wired when none is.
- ``deadline``: the pay-period DAG's deadline alert, "period not posted by day N".
"""
