# dbci's image: the GitHub container action (action.yml) and an image for any CI.
# Lint: hadolint Dockerfile (.hadolint.yaml). `make image-test` builds this file on a private
# Docker daemon and runs the image as GitHub runs a Docker action (tests/image/).
#
# The base is Debian's bookworm-slim with Debian's own python3 (3.11), not python:3.11-slim:
# everything in the image then comes from Debian's packages and PyPI, so the image can be
# built faithfully where no container registry is reachable (the image test makes this base
# with `debootstrap --variant=minbase bookworm` and imports it as debian:bookworm-slim), and
# Debian's security updates reach Python too. The release workflow passes BASE_IMAGE pinned by
# digest (debian:bookworm-slim@sha256:…) and records it in the image's labels.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE} AS system

# python3 is pinned to 3.11 (the wheels of requirements/image.txt are cp311's); nothing else
# is pinned to a version: Debian keeps only a package's current version, so an exact pin
# would break every build the day it is superseded (.hadolint.yaml says the same for DL3008).
# git: dbci asks it for changed files (--changed-from) and report paths. unixODBC and FreeTDS's
# ODBC driver (Debian's tdsodbc) for SQL Server through pyodbc: tdsodbc registers itself as
# the driver "FreeTDS" in /etc/odbcinst.ini (debconf's default answer), registered here
# otherwise. libnss-wrapper: the embedded build database runs as a user with no passwd entry
# (docker run --user 1234). GitHub mounts the workspace owned by another user than the
# container's root, so git is told that every directory is safe.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates \
        git \
        libnss-wrapper \
        python3=3.11.* \
        python3-venv=3.11.* \
        tdsodbc \
        unixodbc \
    && rm -rf /var/lib/apt/lists/* \
    && (odbcinst -q -d -n FreeTDS || odbcinst -i -d -f /usr/share/tdsodbc/odbcinst.ini) \
    && odbcinst -q -d -n FreeTDS \
    && git config --system --add safe.directory '*'

ENV LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH

# The virtual environment is made in a stage of its own, so that neither the wheelhouse nor
# dbci's sources reach the image (a file a layer adds stays in the image, removed or not).
FROM system AS venv

# The pinned runtime requirements (dbci's dependencies, psycopg, PyMySQL, pyodbc, SQLFluff)
# and the pinned build backend, from wheelhouse/ when it holds wheels (no index is asked:
# air-gapped builds, and the image test), else from PyPI.
COPY requirements/image.txt requirements/image-build.txt /tmp/requirements/
COPY wheelhouse/ /tmp/wheelhouse/
RUN python3 -m venv /opt/venv \
    && if ls /tmp/wheelhouse/*.whl >/dev/null 2>&1; then \
        set -- --no-index --find-links /tmp/wheelhouse; fi \
    && pip install "$@" -r /tmp/requirements/image.txt -r /tmp/requirements/image-build.txt

# dbci itself, built with the pinned backend above (no build isolation: nothing downloaded)
# and installed without dependencies, so the environment is exactly the requirements.
COPY pyproject.toml README.md /tmp/dbci/
COPY src /tmp/dbci/src
COPY templates /tmp/dbci/templates
RUN pip install --no-build-isolation --no-deps /tmp/dbci \
    && pip check

FROM system
COPY --from=venv /opt/venv /opt/venv
RUN python -c "import psycopg, pymysql, pyodbc, sqlfluff; assert 'FreeTDS' in pyodbc.drivers()" \
    && dbci --version

COPY entrypoint.py /app/entrypoint.py

# No USER: GitHub runs container actions as root (the workspace and GITHUB_OUTPUT are root's).
# Another user works too, with or without a passwd entry (docker run --user 1234:1234).
ENTRYPOINT ["python", "/app/entrypoint.py"]
