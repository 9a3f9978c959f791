"""What the Airflow UI shows of a pay-period run: the run report page, its links, the run note.

``report_page`` is pure (report files → HTML); ``report_app`` serves it from the api-server behind
Airflow's own authentication; ``links`` and ``notes`` hook it into the UI (extra link, external
view, DAG-run note).
"""
