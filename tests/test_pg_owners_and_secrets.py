"""Secrets of foreign servers' user mappings never leave the database; owners and default
privileges are read only when asked for (`--include-owners`, `--include-grants`).

Through the real command line (`dbci snapshot`, `dbci diff`) on real databases: what
PostgreSQL holds is set up with SQL, and the expectations are PostgreSQL's own catalog
(`pg_user_mappings`, `pg_class.relowner`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from support import postgres

from dbci.engines import open_database
from dbci.schema import introspect
from dbci.settings.config import Overrides, load_settings
from dbci.sqlsplit import split_statements


def run_sql(url: str, sql: str) -> None:
    with postgres.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def one_value(url: str, sql: str) -> object:
    with postgres.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


@contextmanager
def role(cluster: postgres.PgCluster) -> Iterator[str]:
    """A role of its own for this test (roles are cluster-wide), dropped afterwards."""
    name = f"dbci_owner_{secrets.token_hex(4)}"
    cluster.admin_connection().execute(f'CREATE ROLE "{name}" NOLOGIN')
    try:
        yield name
    finally:
        cluster.admin_connection().execute(f'DROP ROLE IF EXISTS "{name}"')


def everything_dbci_wrote(proc_outputs: list[str], *files: Path) -> str:
    return "\n".join(proc_outputs + [f.read_text() for f in files if f.exists()])


# ---- secrets -----------------------------------------------------------------------------------


def test_user_mapping_passwords_never_leave_the_database(
    pg_cluster: postgres.PgCluster, tmp_path: Path, dbci
) -> None:
    # Values that can only come from the database, one per side and mapping.
    pw = {name: f"pw-{name}-{secrets.token_hex(8)}" for name in ("a1", "b1", "a2", "b2", "b3")}
    token = f"tok-{secrets.token_hex(8)}"
    with pg_cluster.scratch_database() as url_a, pg_cluster.scratch_database() as url_b:
        common = (
            "CREATE FOREIGN DATA WRAPPER w;"
            "CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host 'h');"
            "CREATE SERVER s2 FOREIGN DATA WRAPPER w;"
        )
        run_sql(
            url_a,
            common
            + f"CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (user 'u', password '{pw['a1']}');"
            + f"CREATE USER MAPPING FOR PUBLIC SERVER s2 OPTIONS (password '{pw['a2']}');",
        )
        run_sql(
            url_b,
            common
            # another user: altered, the password kept (and another value: not compared)
            + f"CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (user 'v', password '{pw['b1']}');"
            # only the password's value differs: no difference dbci can see
            + f"CREATE USER MAPPING FOR PUBLIC SERVER s2 OPTIONS (password '{pw['b2']}');"
            # a new mapping with secrets: created without them, which it names
            + "CREATE USER MAPPING FOR CURRENT_USER SERVER s"
            + f" OPTIONS (user 'x', password '{pw['b3']}', api_token '{token}');",
        )
        # The database holds them (so a leak would have something to show).
        held = one_value(
            url_b, "SELECT string_agg(array_to_string(umoptions, ','), ',') FROM pg_user_mappings"
        )
        assert pw["b3"] in str(held) and token in str(held)

        snapshot = dbci("--url", url_b, "snapshot", "--include-grants", "--include-owners")
        script = tmp_path / "diff.sql"
        source, target = f"url:{url_a}", f"url:{url_b}"
        text = dbci("diff", "--source", source, "--target", target, "--sql", script)
        as_json = dbci("--output", "json", "diff", "--source", source, "--target", target)
        to_stdout = dbci("diff", "--source", source, "--target", target, "--sql", "-")
        for proc in (snapshot, text, as_json, to_stdout):
            assert proc.returncode == 0, proc.stderr
        written = everything_dbci_wrote(
            [p.stdout + p.stderr for p in (snapshot, text, as_json, to_stdout)], script
        )
        for secret in [*pw.values(), token]:
            assert secret not in written

        # Secret options are compared by presence: the snapshot names them.
        objects = json.loads(snapshot.stdout)["objects"]
        mappings = {o["identity"]: o for o in objects if o["type"] == "user mapping"}
        assert len(mappings) == 3
        new_mapping = next(o for o in mappings.values() if "api_token" in json.dumps(o))
        assert "password" in json.dumps(new_mapping)

        # What the script does: the user set in place (the password stays), the new
        # mapping created without its secrets, saying so; s2's mapping is no change.
        sql = script.read_text()
        assert "ALTER USER MAPPING FOR PUBLIC SERVER s OPTIONS (SET \"user\" 'v')" in sql
        assert "DROP USER MAPPING" not in sql and "SERVER s2" not in sql
        created = next(line for line in sql.splitlines() if "CREATE USER MAPPING" in line)
        assert "password" in created and "api_token" in created and "not read" in created
        changes = json.loads(
            dbci("--output", "json", "diff", "--source", source, "--target", target).stdout
        )["changes"]
        assert sorted((c["change"], c["type"]) for c in changes) == [
            ("Add", "user mapping"),
            ("Change", "user mapping"),
        ]

        # Run on A, the script keeps A's password where it altered the mapping.
        run_sql(url_a, sql)
        kept = one_value(
            url_a,
            "SELECT array_to_string(umoptions, ',') FROM pg_user_mappings "
            "WHERE srvname = 's' AND umuser = 0",
        )
        assert kept == f"user=v,password={pw['a1']}"


def test_recreated_server_marks_its_secret_user_mappings_destructive(
    pg_cluster: postgres.PgCluster, tmp_path: Path, dbci
) -> None:
    # A server's TYPE cannot be altered: it is created again, and its user mappings with
    # it; the one holding a password comes back without it.
    with pg_cluster.scratch_database() as url_a, pg_cluster.scratch_database() as url_b:
        mappings = (
            "CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (user 'u', password 'pw');"
            "CREATE USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (user 'plain');"
        )
        run_sql(url_a, "CREATE FOREIGN DATA WRAPPER w;")
        run_sql(url_b, "CREATE FOREIGN DATA WRAPPER w;")
        run_sql(url_a, "CREATE SERVER s TYPE 'one' FOREIGN DATA WRAPPER w;" + mappings)
        run_sql(url_b, "CREATE SERVER s TYPE 'two' FOREIGN DATA WRAPPER w;" + mappings)
        source, target = f"url:{url_a}", f"url:{url_b}"
        proc = dbci("--output", "json", "diff", "--source", source, "--target", target)
        assert proc.returncode == 0, proc.stderr
        changes = {
            (c["type"], c["name"]): c["destructive"] for c in json.loads(proc.stdout)["changes"]
        }
        # The mapping without secrets is created again too, but loses nothing.
        assert changes == {("server", "s"): True, ("user mapping", "PUBLIC on s"): True}

        # generate warns above the statements that lose the password.
        (tmp_path / "migrations").mkdir()
        made = dbci(
            "diff", "--source", source, "--target", target, "--project", tmp_path,
            "--artifact", tmp_path / "diff.json", "--description", "retype", "generate",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        lines = next((tmp_path / "migrations").glob("V*.sql")).read_text().splitlines()
        dropped = lines.index("DROP USER MAPPING FOR PUBLIC SERVER s;")
        assert lines[dropped - 1].startswith("-- WARNING")


def test_user_mapping_options_the_reader_may_not_see_are_never_dropped(
    pg_cluster: postgres.PgCluster, tmp_path: Path, dbci
) -> None:
    reader = f"dbci_reader_{secrets.token_hex(4)}"
    admin = pg_cluster.admin_connection()
    admin.execute(f'CREATE ROLE "{reader}" LOGIN')
    try:
        with pg_cluster.scratch_database() as url:
            run_sql(
                url,
                "CREATE FOREIGN DATA WRAPPER w; CREATE SERVER s FOREIGN DATA WRAPPER w;"
                f'GRANT USAGE ON FOREIGN SERVER s TO "{reader}";'
                "CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (user 'u', password 'pw');"
                "CREATE USER MAPPING FOR CURRENT_USER SERVER s;"
                f"CREATE USER MAPPING FOR \"{reader}\" SERVER s OPTIONS (user 'mine');",
            )
            as_reader = make_url(url).set(username=reader).render_as_string(hide_password=False)
            # What PostgreSQL shows the reader: the two mappings of others hidden (NULL,
            # as for a mapping with no options), its own visible.
            with postgres.connect(as_reader, autocommit=True) as conn:
                seen = dict(conn.execute("SELECT usename, umoptions FROM pg_user_mappings"))
            assert seen == {"public": None, "postgres": None, reader: ["user=mine"]}

            snap = dbci("--url", as_reader, "snapshot")
            assert snap.returncode == 0, snap.stderr
            creates = {
                o["identity"]: o["create"][0]
                for o in json.loads(snap.stdout)["objects"]
                if o["type"] == "user mapping"
            }
            assert "not read" in creates["PUBLIC on s"] and "OPTIONS" not in creates["PUBLIC on s"]
            assert "not read" in creates["postgres on s"]
            assert creates[f"{reader} on s"].endswith("OPTIONS (\"user\" 'mine')")

            # The same database read by the superuser and by the reader: no difference
            # either way, and above all no ALTER … OPTIONS (DROP …).
            full, partial = f"url:{url}", f"url:{as_reader}"
            for source, target in ((full, partial), (partial, full)):
                proc = dbci("--output", "json", "diff", "--source", source, "--target", target)
                assert proc.returncode == 0, proc.stderr
                assert json.loads(proc.stdout)["changes"] == []
            run_sql(url, f'DROP OWNED BY "{reader}"')
    finally:
        admin.execute(f'DROP ROLE IF EXISTS "{reader}"')


def test_secrets_in_option_values_never_leave_the_database(
    pg_cluster: postgres.PgCluster, tmp_path: Path, dbci
) -> None:
    hidden = {name: f"{name}-{secrets.token_hex(8)}" for name in ("pw", "url", "token", "col")}
    with pg_cluster.scratch_database() as url_a, pg_cluster.scratch_database() as url_b:
        run_sql(url_a, "CREATE SCHEMA app; CREATE FOREIGN DATA WRAPPER w;")
        run_sql(
            url_b,
            "CREATE SCHEMA app;"
            f"CREATE FOREIGN DATA WRAPPER w OPTIONS (conninfo 'host=h token = {hidden['token']}');"
            "CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host 'h',"
            f" datasource 'PG:dbname=x password={hidden['pw']}',"
            f" endpoint 'https://bob:{hidden['url']}@example.com/db');"
            "CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (user 'u');"
            f"CREATE FOREIGN TABLE app.ft (id integer OPTIONS (dsn 'pwd={hidden['col']}'))"
            " SERVER s OPTIONS (table_name 't');",
        )
        held = one_value(
            url_b,
            "SELECT concat_ws(',', (SELECT array_to_string(fdwoptions, ',')"
            " FROM pg_foreign_data_wrapper), (SELECT array_to_string(srvoptions, ',')"
            " FROM pg_foreign_server), (SELECT array_to_string(attfdwoptions, ',')"
            " FROM pg_attribute WHERE attrelid = 'app.ft'::regclass AND attnum = 1))",
        )
        assert all(value in str(held) for value in hidden.values())

        snapshot = dbci("--url", url_b, "snapshot")
        script, artifact = tmp_path / "diff.sql", tmp_path / "diff.json"
        source, target = f"url:{url_a}", f"url:{url_b}"
        text = dbci(
            "diff", "--source", source, "--target", target, "--sql", script, "--artifact", artifact
        )
        as_json = dbci("--output", "json", "diff", "--source", source, "--target", target)
        for proc in (snapshot, text, as_json):
            assert proc.returncode == 0, proc.stderr
        written = everything_dbci_wrote(
            [p.stdout + p.stderr for p in (snapshot, text, as_json)], script, artifact
        )
        assert artifact.exists() and script.exists()
        for value in hidden.values():
            assert value not in written
        # The options are there, named as secret; the others keep their values.
        objects = json.loads(snapshot.stdout)["objects"]
        statements = [s for o in objects for s in o.get("create", [])]
        server = next(s for s in statements if s.startswith("CREATE SERVER"))
        assert "OPTIONS (host 'h')" in server and "datasource, endpoint" in server
        assert any("secret options, not read: dsn" in s for s in statements)
        assert any("secret options, not read: conninfo" in s for s in statements)


def test_secret_option_only_in_b_says_to_set_it_by_hand(
    pg_cluster: postgres.PgCluster, tmp_path: Path, dbci
) -> None:
    with pg_cluster.scratch_database() as url_a, pg_cluster.scratch_database() as url_b:
        common = "CREATE FOREIGN DATA WRAPPER w; CREATE SERVER s FOREIGN DATA WRAPPER w;"
        run_sql(url_a, common + "CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (user 'u');")
        run_sql(
            url_b,
            common + "CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (user 'u', password 'p1');",
        )
        source, target = f"url:{url_a}", f"url:{url_b}"
        script = tmp_path / "diff.sql"
        proc = dbci("diff", "--source", source, "--target", target, "--sql", script)
        assert proc.returncode == 0, proc.stderr
        sql = script.read_text()
        assert "p1" not in sql
        statements = split_statements(sql, "postgresql")
        assert len(statements) == 1 and "password" in statements[0].sql
        # Run on A, it changes nothing but says what to do, where it runs.
        with postgres.connect(url_a, autocommit=True) as conn:
            notices: list[str] = []
            conn.add_notice_handler(lambda d: notices.append(str(d.message_primary)))
            conn.execute(statements[0].sql)
        assert len(notices) == 1 and "by hand" in notices[0] and "password" in notices[0]
        assert one_value(url_a, "SELECT array_to_string(umoptions, ',') FROM pg_user_mappings") == (
            "user=u"
        )
        # Until it is set by hand, the diff keeps finding it.
        again = dbci("--output", "json", "diff", "--source", source, "--target", target)
        assert [c["type"] for c in json.loads(again.stdout)["changes"]] == ["user mapping"]
        run_sql(url_a, "ALTER USER MAPPING FOR PUBLIC SERVER s OPTIONS (ADD password 'p2')")
        settled = dbci("--output", "json", "diff", "--source", source, "--target", target)
        assert json.loads(settled.stdout)["changes"] == []


# ---- owners ----------------------------------------------------------------------------------


def test_owners_are_compared_only_with_include_owners(
    pg_cluster: postgres.PgCluster, tmp_path: Path, dbci
) -> None:
    with (
        role(pg_cluster) as owner,
        pg_cluster.scratch_database() as url_a,
        pg_cluster.scratch_database() as url_b,
    ):
        schema = "CREATE SCHEMA app; CREATE TABLE app.t (id int);"
        run_sql(url_a, schema)
        run_sql(url_b, schema + f'ALTER TABLE app.t OWNER TO "{owner}";')
        source, target = f"url:{url_a}", f"url:{url_b}"

        plain = dbci("--output", "json", "diff", "--source", source, "--target", target)
        assert plain.returncode == 0, plain.stderr
        assert json.loads(plain.stdout)["changes"] == []

        script = tmp_path / "owners.sql"
        owned = dbci(
            "--output",
            "json",
            "diff",
            "--include-owners",
            "--source",
            source,
            "--target",
            target,
            "--sql",
            script,
        )
        assert owned.returncode == 0, owned.stderr
        changes = json.loads(owned.stdout)["changes"]
        assert [(c["change"], c["type"], c["name"]) for c in changes] == [
            ("Change", "owner", "table t")
        ]
        run_sql(url_a, script.read_text())
        assert (
            one_value(
                url_a, "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'app.t'::regclass"
            )
            == owner
        )

        snap = dbci("--url", url_b, "snapshot", "--include-owners")
        types = {o["type"] for o in json.loads(snap.stdout)["objects"]}
        assert "owner" in types
        snap = dbci("--url", url_b, "snapshot")
        assert "owner" not in {o["type"] for o in json.loads(snap.stdout)["objects"]}


def test_default_privileges_are_read_with_grants_only(
    pg_cluster: postgres.PgCluster, tmp_path: Path
) -> None:
    with role(pg_cluster) as grantee, pg_cluster.scratch_database() as url:
        run_sql(
            url,
            "CREATE SCHEMA app;"
            f'ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO "{grantee}";',
        )
        settings = load_settings(Overrides(url=url, project=tmp_path), environ={})
        db = open_database(settings)
        try:
            without = introspect.snapshot(db, ["app"])
            with_grants = introspect.snapshot(db, ["app"], include_grants=True)
        finally:
            db.close()
        assert not [k for k in without.objects if k[0] == "default privileges"]
        found = [o for k, o in with_grants.objects.items() if k[0] == "default privileges"]
        assert len(found) == 1
        statement = found[0].create[0]  # type: ignore[attr-defined]
        assert statement.endswith(f"IN SCHEMA app GRANT SELECT ON TABLES TO {grantee}")
        # Its drop statement takes the entry away again (PostgreSQL removes an empty one).
        run_sql(url, found[0].drop[0])  # type: ignore[attr-defined]
        assert one_value(url, "SELECT count(*) FROM pg_default_acl") == 0
