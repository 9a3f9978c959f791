# The production image: the official Airflow image extended with this package and its locked
# dependencies, so that every container (api-server, scheduler, dag-processor, triggerer, workers)
# runs exactly the versions `make test` ran. Built by `docker compose build`.
FROM apache/airflow:3.3.2-python3.11

# Directories that docker-compose mounts as named volumes are created here (group 0,
# group-writable) so that a fresh volume inherits ownership any AIRFLOW_UID in group 0 can write.
# The project lives in /opt/ukg-visma, not in AIRFLOW_HOME: the data directory
# $AIRFLOW_HOME/ukg_visma would otherwise shadow the package as a namespace package.
USER root
RUN mkdir -p /opt/ukg-visma /opt/airflow/ukg_visma /opt/airflow/sandbox-data \
    && chown -R airflow:0 /opt/ukg-visma /opt/airflow/ukg_visma /opt/airflow/sandbox-data \
    && chmod -R g+rwX /opt/ukg-visma /opt/airflow/ukg_visma /opt/airflow/sandbox-data
USER airflow
WORKDIR /opt/ukg-visma

# The lock first: this layer is rebuilt only when a pin changes. It pins apache-airflow==3.3.2,
# the base image's version, so pip does not move Airflow itself. The full image ships many
# providers the lock does not know; `pip check` fails the build if a pin broke any of them.
COPY --chown=airflow:0 requirements.lock /opt/ukg-visma/requirements.lock
RUN pip install --no-cache-dir -r /opt/ukg-visma/requirements.lock && pip check

# Same layout as the repository. docker-compose mounts ./dags, ./plugins and ./include over these
# copies and points DAGS_FOLDER/PLUGINS_FOLDER at them; the editable install resolves to the same
# paths, so the mounted code is the code that runs (CLI and provider entry point included).
COPY --chown=airflow:0 pyproject.toml README.md /opt/ukg-visma/
COPY --chown=airflow:0 plugins/ /opt/ukg-visma/plugins/
COPY --chown=airflow:0 sandbox/ /opt/ukg-visma/sandbox/
COPY --chown=airflow:0 dags/ /opt/ukg-visma/dags/
COPY --chown=airflow:0 include/ /opt/ukg-visma/include/
RUN pip install --no-cache-dir --no-deps -e /opt/ukg-visma && pip check
