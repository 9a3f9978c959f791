"""The UKG webhook receiver (FastAPI), served by Airflow's API server through the plugin in
``plugins/ukg_visma_plugin.py``. It writes to the audit inbox only and calls neither UKG nor Visma.
"""
