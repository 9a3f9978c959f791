"""Task bodies: the glue between Airflow tasks, hooks, the audit store and the pure logic.

DAG files call these functions; each one does the I/O of one step and hands plain data to the
pure modules (``gl``, ``employees``, ``alignment``). XCom only ever carries small references.
"""
