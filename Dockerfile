# dbci's image: the GitHub container action (action.yml) and an image for any CI.
# Lint: hadolint Dockerfile. tests/test_image.py lints it, and installs requirements/image.txt
# and dbci into a virtualenv the same way as below, then runs the entrypoint from it.
FROM python:3.11.14-slim-bookworm

# git: dbci asks it for changed files (--changed-from) and report paths. unixODBC and FreeTDS's ODBC
# driver (Debian's tdsodbc) for SQL Server through pyodbc: tdsodbc registers itself as the
# driver "FreeTDS" in /etc/odbcinst.ini (debconf's default answer), registered here otherwise.
# GitHub mounts the workspace owned by another user than the container's root, so git is told
# that every directory is safe.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        git=1:2.39.5-0+deb12u3 \
        tdsodbc=1.3.17+ds-2 \
        unixodbc=2.3.11-2+deb12u1 \
    && rm -rf /var/lib/apt/lists/* \
    && (odbcinst -q -d -n FreeTDS || odbcinst -i -d -f /usr/share/tdsodbc/odbcinst.ini) \
    && odbcinst -q -d -n FreeTDS \
    && git config --system --add safe.directory '*'

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# The pinned runtime requirements (dbci's dependencies, psycopg, PyMySQL, pyodbc, SQLFluff),
# then dbci itself without dependencies, so the environment is exactly requirements/image.txt.
COPY requirements/image.txt /tmp/requirements.txt
RUN python -m venv /opt/venv \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY pyproject.toml README.md /tmp/dbci/
COPY src /tmp/dbci/src
COPY templates /tmp/dbci/templates
RUN pip install --no-cache-dir --no-deps /tmp/dbci \
    && rm -rf /tmp/dbci \
    && pip check \
    && python -c "import psycopg, pymysql, pyodbc, sqlfluff; assert 'FreeTDS' in pyodbc.drivers()" \
    && dbci --version

COPY entrypoint.py /app/entrypoint.py

# No USER: GitHub runs container actions as root (the workspace and GITHUB_OUTPUT are root's).
ENTRYPOINT ["python", "/app/entrypoint.py"]
