"""DB704 non-innodb-engine: a MySQL/MariaDB table on another storage engine than InnoDB.
MyISAM, Aria (MariaDB), MEMORY, ARCHIVE, CSV and the like have no transactions: a
migration or a crash that stops half-way leaves the table half-changed, every write locks
the whole table, and MEMORY loses its rows on restart.

Bad:

    CREATE TABLE audit_log (id bigint PRIMARY KEY, entry text) ENGINE = MyISAM;
    ALTER TABLE sessions ENGINE = MEMORY;

Good:

    CREATE TABLE audit_log (id bigint PRIMARY KEY, entry text) ENGINE = InnoDB;

Flags `ENGINE [=] name` in CREATE TABLE and ALTER TABLE, a table created in the same file
included, for any engine but InnoDB (and XtraDB, MariaDB's old name for it). Transactional
engines other than InnoDB (MyRocks, NDB, TokuDB, …) are flagged too, with their own
message: they are rarely what a migration means, and every server must have them.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement
from dbci.analysis.words import chunks, unquote

MYSQL = frozenset({"mysql", "mariadb"})
_INNODB = {"INNODB", "XTRADB"}
_NON_TRANSACTIONAL = {
    "MYISAM",
    "ARIA",
    "MEMORY",
    "HEAP",
    "ARCHIVE",
    "CSV",
    "BLACKHOLE",
    "FEDERATED",
    "FEDERATEDX",
    "MERGE",
    "MRG_MYISAM",
    "CONNECT",
    "SEQUENCE",
    "S3",
    "SPHINX",
    "OQGRAPH",
    "MROONGA",
}
_OTHER = {"ROCKSDB", "NDB", "NDBCLUSTER", "TOKUDB", "COLUMNSTORE", "SPIDER"}


class NonInnodbEngine(Rule):
    id = "DB704"
    name = "non-innodb-engine"
    severity = "warning"
    dialects = MYSQL

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for chunk in chunks(statement, facts):
            if chunk.kind() not in ("CREATE TABLE", "ALTER TABLE"):
                continue
            for i, word in enumerate(chunk.words):
                if word.depth or word.text != "ENGINE":
                    continue
                value = chunk.value_after(i)
                if value is None:
                    continue
                engine = unquote(value.segment.raw)
                upper = engine.upper()
                written_as_option = chunk.words[i + 1].text == "="
                if upper in _INNODB or not (
                    written_as_option or upper in _NON_TRANSACTIONAL or upper in _OTHER
                ):
                    continue  # InnoDB, or a column named engine
                table = chunk.table()
                if upper in _NON_TRANSACTIONAL:
                    lost = ", and loses its rows on restart" if upper in ("MEMORY", "HEAP") else ""
                    message = (
                        f"ENGINE={engine} makes {table} non-transactional, so a migration or "
                        "crash that stops half-way leaves it half-changed and every write "
                        f"locks the whole table{lost}: use ENGINE=InnoDB"
                    )
                else:
                    message = (
                        f"ENGINE={engine} puts {table} outside InnoDB, whose locking, "
                        "recovery and online DDL the migrations assume, and every server "
                        "must have the engine: use ENGINE=InnoDB unless this is deliberate"
                    )
                yield Hit(value.segment, message)
                break
