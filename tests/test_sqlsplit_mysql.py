"""Tests for dbci.sqlsplit.scanner's MySQL/MariaDB dialect: quotes, comments, DELIMITER, stored
programs without DELIMITER, line numbers, errors; the real MariaDB server as the oracle."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from support.splitting import whole_and_windowed

from dbci.errors import InputError
from dbci.sqlsplit import Statement, leading_words, split_statements

try:  # tests/ is on sys.path (it has no __init__.py)
    from support.mysql import MySQLServer
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.support.mysql import MySQLServer

MY = "mysql"


def split(script: str, dialect: str = MY) -> list[tuple[str, int]]:
    return [(s.sql, s.line) for s in split_statements(script, dialect)]


# A procedure that uses every compound statement; without DELIMITER it is one statement.
PROCEDURE = """CREATE PROCEDURE fill(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE CONTINUE HANDLER FOR SQLSTATE '23000' BEGIN END;
  DROP TEMPORARY TABLE IF EXISTS tmp_fill;
  CREATE TEMPORARY TABLE IF NOT EXISTS tmp_fill (a INT);
  outer_loop: LOOP
    SET i = i + 1;
    IF i > n THEN LEAVE outer_loop; END IF;
    IF (i % 2 = 0) THEN
      INSERT INTO nums VALUES (i, IF(i > 2, 'big;', 'small\\'s'));
    ELSEIF i = 1 THEN
      INSERT INTO nums VALUES (i, REPEAT('a', 2));
    ELSE
      CASE i WHEN 3 THEN INSERT INTO nums VALUES (i, CASE WHEN i > 0 THEN 'end' END);
      ELSE BEGIN INSERT INTO nums VALUES (i, 'else'); END;
      END CASE;
    END IF;
  END LOOP outer_loop;
  WHILE i > 100 DO SET i = i - 1; END WHILE;
  REPEAT SET i = i - 1; UNTIL i <= 0 END REPEAT;
  IF NOT EXISTS (SELECT 1 FROM nums WHERE a = 0) THEN INSERT INTO nums VALUES (0, '#'); END IF;
END"""

# (script, expected [(sql, line), ...])
SPLIT_CASES = [
    # --- terminators, blanks, final statement without `;`
    ("SELECT 1;\nSELECT 2", [("SELECT 1", 1), ("SELECT 2", 2)]),
    ("SELECT 1;;\n;\n\n  SELECT\n  2  ;", [("SELECT 1", 1), ("SELECT\n  2", 4)]),
    ("", []),
    ("-- only\n# comments\n/* here */\n", []),
    ("\ufeffSELECT 1;", [("SELECT 1", 1)]),
    # --- strings: backslash escapes and doubled quotes, in '...' and "..."
    (
        "SELECT 'it\\'s; here', 'a''b;';\nSELECT 2;",
        [("SELECT 'it\\'s; here', 'a''b;'", 1), ("SELECT 2", 2)],
    ),
    ('SELECT "a\\"b;", "c""d;";\nSELECT 2;', [('SELECT "a\\"b;", "c""d;"', 1), ("SELECT 2", 2)]),
    ("SELECT '\\\\';\nSELECT ';';", [("SELECT '\\\\'", 1), ("SELECT ';'", 2)]),
    ("SELECT '\\\\'';'; SELECT 2;", [("SELECT '\\\\'';'", 1), ("SELECT 2", 1)]),
    (
        'SELECT "it\'s;";\nSELECT \'say "x;"\';',
        [('SELECT "it\'s;"', 1), ("SELECT 'say \"x;\"'", 2)],
    ),
    ("SELECT 'a\\\nb;c';\nSELECT 2;", [("SELECT 'a\\\nb;c'", 1), ("SELECT 2", 3)]),
    ("SELECT `a;``b` FROM `t;`;\nSELECT 2;", [("SELECT `a;``b` FROM `t;`", 1), ("SELECT 2", 2)]),
    ("SELECT `a\\`;", [("SELECT `a\\`", 1)]),  # no backslash escape in identifiers
    # --- comments: `-- ` needs a blank after it, # runs to the end of the line
    ("SELECT 1--1;\nSELECT 2;", [("SELECT 1--1", 1), ("SELECT 2", 2)]),
    ("SELECT 1 -- x;\n;SELECT 2;", [("SELECT 1 -- x;", 1), ("SELECT 2", 2)]),
    ("SELECT 1 --\t;\n;SELECT 2;", [("SELECT 1 --\t;", 1), ("SELECT 2", 2)]),
    ("SELECT 1 --\n;", [("SELECT 1 --", 1)]),
    ("SELECT 1 # c; d\n, 2;", [("SELECT 1 # c; d\n, 2", 1)]),
    ("# header; x\n-- more; x\nSELECT 1;", [("SELECT 1", 3)]),
    ("SELECT 5 #c\n;SELECT '#';", [("SELECT 5 #c", 1), ("SELECT '#'", 2)]),
    ("SELECT 1 /* a; /* b; */ ;SELECT 2 */;", [("SELECT 1 /* a; /* b; */", 1), ("SELECT 2 */", 1)]),
    # --- executable comments are code, even alone
    ("/*!40101 SET NAMES utf8 */;", [("/*!40101 SET NAMES utf8 */", 1)]),
    (
        "/* plain */;\n/*!50001 CREATE VIEW v AS SELECT ';' */;\n/*M!100100 SET @x = 1 */;",
        [("/*!50001 CREATE VIEW v AS SELECT ';' */", 2), ("/*M!100100 SET @x = 1 */", 3)],
    ),
    ("/*! SET @a = 1; */;", [("/*! SET @a = 1; */", 1)]),
    (
        "/*!40000 ALTER TABLE `t` DISABLE KEYS */;\nINSERT INTO `t` VALUES (1);",
        [("/*!40000 ALTER TABLE `t` DISABLE KEYS */", 1), ("INSERT INTO `t` VALUES (1)", 2)],
    ),
    # --- parentheses
    ("SELECT (1;\n2);\nSELECT ')';", [("SELECT (1;\n2)", 1), ("SELECT ')'", 3)]),
    # --- DELIMITER
    (
        "DELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND$$\nDELIMITER ;\nCALL p();",
        [("CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND", 2), ("CALL p()", 7)],
    ),
    (
        "delimiter //\nSELECT 1 // SELECT ';' //\n\n  DeLiMiTeR   ;  \nSELECT 3;",
        [("SELECT 1", 2), ("SELECT ';'", 2), ("SELECT 3", 5)],
    ),
    (
        "DELIMITER ;;\nSELECT 1;;\nSELECT 2; SELECT 3;;\nDELIMITER ;\nSELECT 4;SELECT 5;",
        [("SELECT 1", 2), ("SELECT 2; SELECT 3", 3), ("SELECT 4", 5), ("SELECT 5", 5)],
    ),
    # the delimiter is not looked for in quotes or comments, and not after `;`
    (
        "DELIMITER $$\nSELECT '$$', `$$`, \"$$\" -- $$\n# $$\n/* $$ */ $$\nDELIMITER ;",
        [("SELECT '$$', `$$`, \"$$\" -- $$\n# $$\n/* $$ */", 2)],
    ),
    # it is case-sensitive and may touch the text, like the mysql client's
    ("DELIMITER END\nSELECT 1 end; SELECT 2END", [("SELECT 1 end; SELECT 2", 2)]),
    # a DELIMITER line ends what came before it (the mysql client sends it first)
    (
        "SELECT 1\nDELIMITER $$\nSELECT 2 $$\n$$\nSELECT 3\nDELIMITER ;\nSELECT 4",
        [("SELECT 1", 1), ("SELECT 2", 3), ("SELECT 3", 5), ("SELECT 4", 7)],
    ),
    # a comment after the delimiter, a quoted delimiter, CRLF
    (
        "DELIMITER ; # reset\nDELIMITER '//'\r\nSELECT 1//\r\nDELIMITER ; -- back\r\nSELECT 2;",
        [("SELECT 1", 3), ("SELECT 2", 5)],
    ),
    # only on a line of its own, outside quotes and comments
    ("SELECT 'x\nDELIMITER $$\n';", [("SELECT 'x\nDELIMITER $$\n'", 1)]),
    ("/*\nDELIMITER $$\n*/ SELECT 1;", [("SELECT 1", 3)]),
    ("SELECT 1; DELIMITER $$\n", [("SELECT 1", 1), ("DELIMITER $$", 1)]),
    ("SELECT delimiter FROM t;", [("SELECT delimiter FROM t", 1)]),
    ("  DELIMITER $$\nSELECT 1$$", [("SELECT 1", 2)]),
    # --- stored programs without DELIMITER (Flyway's rule, extended to compound statements)
    (PROCEDURE + ";\nCALL fill(5);", [(PROCEDURE, 1), ("CALL fill(5)", 24)]),
    (
        "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC\nBEGIN\n  DECLARE y INT;\n"
        "  SET y = IF(x > 0, x, -x);\n  RETURN CASE WHEN y > 10 THEN 10 ELSE y END;\nEND;\n"
        "SELECT f(-3);",
        [
            (
                "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC\nBEGIN\n  DECLARE y INT;\n"
                "  SET y = IF(x > 0, x, -x);\n  RETURN CASE WHEN y > 10 THEN 10 ELSE y END;\nEND",
                1,
            ),
            ("SELECT f(-3)", 7),
        ],
    ),
    # a body that is one statement: no BEGIN, the `;` ends it
    (
        "CREATE FUNCTION g(x INT) RETURNS INT RETURN IF(x > 0, 1, REPEAT('x', 2));\nSELECT 1;",
        [("CREATE FUNCTION g(x INT) RETURNS INT RETURN IF(x > 0, 1, REPEAT('x', 2))", 1)]
        + [("SELECT 1", 2)],
    ),
    (
        "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\n"
        "IF NEW.a < 0 THEN SET NEW.a = 0; ELSEIF NEW.a > 9 THEN SET NEW.a = 9; END IF;\n"
        "INSERT INTO t VALUES (-1);",
        [
            (
                "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\n"
                "IF NEW.a < 0 THEN SET NEW.a = 0; ELSEIF NEW.a > 9 THEN SET NEW.a = 9; END IF",
                1,
            ),
            ("INSERT INTO t VALUES (-1)", 3),
        ],
    ),
    (
        "CREATE TRIGGER trg2 AFTER UPDATE ON t FOR EACH ROW SET @n = IF(NEW.a, 1, 0);\nSELECT 1;",
        [("CREATE TRIGGER trg2 AFTER UPDATE ON t FOR EACH ROW SET @n = IF(NEW.a, 1, 0)", 1)]
        + [("SELECT 1", 2)],
    ),
    (
        "CREATE EVENT IF NOT EXISTS ev ON SCHEDULE EVERY 1 DAY DO BEGIN\n"
        "  DELETE FROM log WHERE at < NOW(); INSERT INTO log VALUES (NOW());\nEND;\nSELECT 1;",
        [
            (
                "CREATE EVENT IF NOT EXISTS ev ON SCHEDULE EVERY 1 DAY DO BEGIN\n"
                "  DELETE FROM log WHERE at < NOW(); INSERT INTO log VALUES (NOW());\nEND",
                1,
            ),
            ("SELECT 1", 4),
        ],
    ),
    # DEFINER in every spelling, OR REPLACE, AGGREGATE, comments between the words
    *[
        (
            f"CREATE {head} PROCEDURE p() BEGIN SELECT 1; SELECT 2; END;\nSELECT 3;",
            [
                (f"CREATE {head} PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", 1),
                ("SELECT 3", 2 + head.count("\n")),
            ],
        )
        for head in (
            "DEFINER = 'root'@'localhost'",
            "DEFINER=`root`@`%`",
            "DEFINER=root@localhost",
            "DEFINER = CURRENT_USER",
            "DEFINER=CURRENT_USER()",
            'OR REPLACE DEFINER = "a\\"b"@\'h\'',
            "/* c; */ OR -- c;\n REPLACE # c;\n",
        )
    ],
    (
        "CREATE AGGREGATE FUNCTION s(x INT) RETURNS INT BEGIN DECLARE t INT DEFAULT 0; "
        "DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN t; LOOP FETCH GROUP NEXT ROW; "
        "SET t = t + x; END LOOP; END;SELECT 1;",
        [
            (
                "CREATE AGGREGATE FUNCTION s(x INT) RETURNS INT BEGIN DECLARE t INT DEFAULT 0; "
                "DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN t; LOOP FETCH GROUP NEXT ROW; "
                "SET t = t + x; END LOOP; END",
                1,
            ),
            ("SELECT 1", 1),
        ],
    ),
    # nested blocks, labels, END <kw> split by comments, keywords in strings and names
    (
        "CREATE PROCEDURE p() a: BEGIN b: BEGIN IF 1 THEN c: WHILE 0 DO SELECT 1; END WHILE c; "
        "END /* ; */ IF; END b; SELECT 'end;', `if`, t.end, @if, end_x; END a;SELECT 2;",
        [
            (
                "CREATE PROCEDURE p() a: BEGIN b: BEGIN IF 1 THEN c: WHILE 0 DO SELECT 1; "
                "END WHILE c; END /* ; */ IF; END b; SELECT 'end;', `if`, t.end, @if, end_x; END a",
                1,
            ),
            ("SELECT 2", 1),
        ],
    ),
    # IF (...) with commas deeper down is a statement; IF(a, b, c) is the function
    (
        "CREATE PROCEDURE p() IF (a IN (1, 2)) THEN SELECT IF((1), 2, 3); END IF;SELECT 2;",
        [
            ("CREATE PROCEDURE p() IF (a IN (1, 2)) THEN SELECT IF((1), 2, 3); END IF", 1),
            ("SELECT 2", 1),
        ],
    ),
    (
        "CREATE PROCEDURE p() IF /* c */ (SELECT COUNT(*) FROM t) > 0 THEN DO 1; END IF;\nDO 2;",
        [
            ("CREATE PROCEDURE p() IF /* c */ (SELECT COUNT(*) FROM t) > 0 THEN DO 1; END IF", 1),
            ("DO 2", 2),
        ],
    ),
    # MariaDB: FOR loops and anonymous BEGIN NOT ATOMIC blocks
    (
        "CREATE PROCEDURE p() BEGIN FOR i IN 1..3 DO SELECT i; END FOR; "
        "DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET @e = 1; END;\n"
        "BEGIN NOT ATOMIC SELECT 1; SELECT 2; END;\nSELECT 3;",
        [
            (
                "CREATE PROCEDURE p() BEGIN FOR i IN 1..3 DO SELECT i; END FOR; "
                "DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET @e = 1; END",
                1,
            ),
            ("BEGIN NOT ATOMIC SELECT 1; SELECT 2; END", 2),
            ("SELECT 3", 3),
        ],
    ),
    # outside stored programs, BEGIN and END are plain words
    (
        "BEGIN; INSERT INTO t VALUES (1); COMMIT;\nBEGIN WORK;\nSELECT CASE WHEN 1 THEN 2 END;",
        [
            ("BEGIN", 1),
            ("INSERT INTO t VALUES (1)", 1),
            ("COMMIT", 1),
            ("BEGIN WORK", 2),
            ("SELECT CASE WHEN 1 THEN 2 END", 3),
        ],
    ),
    (
        "CREATE TABLE IF NOT EXISTS t (a INT);\nDROP PROCEDURE IF EXISTS p;\nSELECT 1;",
        [("CREATE TABLE IF NOT EXISTS t (a INT)", 1), ("DROP PROCEDURE IF EXISTS p", 2)]
        + [("SELECT 1", 3)],
    ),
    # with a DELIMITER in force, blocks do not matter: the delimiter ends the statement
    (
        "DELIMITER //\nCREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; //\nDELIMITER ;",
        [("CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1;", 2)],
    ),
    # --- line numbers after multi-line strings, comments, DELIMITER lines, CRLF
    (
        "SELECT 'a\nb\nc';\n/* x\ny */ SELECT 2;\n\nDELIMITER $$\n\n"
        "CREATE TRIGGER t AFTER INSERT ON x\nFOR EACH ROW BEGIN\n  SET @a = 'q\n';\nEND\n$$\n"
        "DELIMITER ;\n# c\nSELECT 3;",
        [
            ("SELECT 'a\nb\nc'", 1),
            ("SELECT 2", 5),
            ("CREATE TRIGGER t AFTER INSERT ON x\nFOR EACH ROW BEGIN\n  SET @a = 'q\n';\nEND", 9),
            ("SELECT 3", 17),
        ],
    ),
    (
        "SELECT 1;\r\n\r\nDELIMITER $$\r\nSELECT\r\n 2$$\r\nDELIMITER ;\r\nSELECT 3;\r\n",
        [("SELECT 1", 1), ("SELECT\r\n 2", 4), ("SELECT 3", 7)],
    ),
]


@pytest.mark.parametrize(("script", "expected"), SPLIT_CASES)
def test_split(script: str, expected: list[tuple[str, int]]) -> None:
    assert split(script) == expected


def test_aliases_and_repeat() -> None:
    script = "DELIMITER $$\nSELECT 1; SELECT 2$$"
    assert split_statements(script, "MariaDB") == split_statements(script, MY)
    assert split_statements(script, MY) == [Statement("SELECT 1; SELECT 2", 2)]
    assert split_statements(script, MY)[0].repeat == 1


# (script, message, line where the problem starts)
ERROR_CASES = [
    ("SELECT 1;\nSELECT 'it\\';", "unterminated quoted string", 2),
    ('SELECT 1;\n\nSELECT "a\\"', "unterminated quoted string", 3),
    ("SELECT `a``", "unterminated quoted identifier", 1),
    ("SELECT 1;\n/* never;\n closed", "unterminated block comment", 2),
    ("SELECT 1;\n/*!40101 SET NAMES utf8 ;", "unterminated block comment", 2),
    ("DELIMITER $$\nSELECT 1$$\nSELECT '$$", "unterminated quoted string", 3),
    ("SELECT 1;\r\n\r\nSELECT 'x", "unterminated quoted string", 3),
    ("SELECT 1;\nDELIMITER\nSELECT 2;", "DELIMITER must be followed by the new delimiter", 2),
    ("DELIMITER   \n", "DELIMITER must be followed by the new delimiter", 1),
    ("\n\nDELIMITER \\\\", "DELIMITER cannot contain a backslash", 3),
    ("DELIMITER $$ junk\nSELECT 1$$", "DELIMITER takes one delimiter", 1),
]


@pytest.mark.parametrize(("script", "message", "line"), ERROR_CASES)
def test_errors(script: str, message: str, line: int) -> None:
    with pytest.raises(InputError) as caught:
        split_statements(script, MY)
    assert caught.value.message.startswith(message)
    assert caught.value.line == line
    assert caught.value.exit_code == 2


def _cut_out(script: str, statements: list[Statement]) -> str:
    """What is left of `script` once every statement's sql is cut out (lines checked)."""
    rest, offset = [], 0
    for statement in statements:
        found = script.index(statement.sql, offset)
        assert script.count("\n", 0, found) + 1 == statement.line
        rest.append(script[offset:found])
        offset = found + len(statement.sql)
    rest.append(script[offset:])
    return "".join(rest)


def test_text_is_never_lost() -> None:
    script = MYSQLDUMP + NO_DELIMITER + WITH_DELIMITERS
    statements = split_statements(script, MY)
    rest = _cut_out(script, statements)
    # Only terminators, blanks, comments and DELIMITER lines are left over.
    assert split_statements(rest, MY) == []
    assert rest.count("DELIMITER") == 5


def test_unclosed_block_stays_linear() -> None:
    # A body whose BEGIN never closes runs to the end as one statement (the server then
    # rejects it); each `;` and keyword is looked at once, so this stays fast.
    tail = "IF x THEN SELECT IF(a, b, c); END IF;\nSELECT 2;\n" * 5000
    [statement] = split_statements(f"CREATE PROCEDURE p() BEGIN\n{tail}", MY)
    assert statement.line == 1 and statement.sql.endswith("SELECT 2;")


def test_leading_words_skip_hash_comments() -> None:
    assert leading_words("CREATE # unique;\n  INDEX i ON t (a)", 2) == ["CREATE", "INDEX"]
    assert leading_words("CREATE TABLE #tmp (a int)", 3) == ["CREATE", "TABLE", "TMP"]


# --- The real server as the oracle --------------------------------------------------------

MYSQLDUMP = """-- MySQL dump 10.13  Distrib 8.0.36
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;

--
-- Table structure for table `nums`
--

DROP TABLE IF EXISTS `nums`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `nums` (
  `a` int(11) NOT NULL,
  `b` varchar(20) DEFAULT NULL COMMENT 'the; \\'b\\' column',
  PRIMARY KEY (`a`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES `nums` WRITE;
/*!40000 ALTER TABLE `nums` DISABLE KEYS */;
INSERT INTO `nums` VALUES (100,'x;y'),(101,'it\\'s'),(102,'back\\\\'),(103,"q\\";");
/*!40000 ALTER TABLE `nums` ENABLE KEYS */;
UNLOCK TABLES;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=CURRENT_USER*/ /*!50003 TRIGGER `nums_bi`
BEFORE INSERT ON `nums` FOR EACH ROW BEGIN
  IF NEW.b IS NULL THEN SET NEW.b = 'null;'; END IF;
END */;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;
/*!50001 DROP VIEW IF EXISTS `big`*/;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=CURRENT_USER SQL SECURITY DEFINER */
/*!50001 VIEW `big` AS select `nums`.`a` AS `a` from `nums` where `nums`.`a` >= 100 */;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
-- Dump completed
"""

NO_DELIMITER = (
    PROCEDURE
    + """;
CREATE OR REPLACE DEFINER = CURRENT_USER FUNCTION clamp(x INT) RETURNS INT DETERMINISTIC
BEGIN
  DECLARE y INT DEFAULT IF(x < 0, 0, x); -- a comment; with a semicolon
  RETURN CASE WHEN y > 50 THEN 50 ELSE y END; # another; one
END;
CREATE FUNCTION twice(s VARCHAR(10)) RETURNS VARCHAR(20) DETERMINISTIC RETURN REPEAT(s, 2);
CREATE AGGREGATE FUNCTION total(x INT) RETURNS INT
BEGIN
  DECLARE t INT DEFAULT 0;
  DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN t;
  LOOP
    FETCH GROUP NEXT ROW;
    SET t = t + x;
  END LOOP;
END;
CREATE TABLE log (at INT, what VARCHAR(40));
CREATE TRIGGER nums_ai AFTER INSERT ON nums FOR EACH ROW
  IF NEW.a BETWEEN 1 AND 9 THEN
    INSERT INTO log VALUES (NEW.a, CONCAT('inserted; ', NEW.b));
  END IF;
CREATE EVENT IF NOT EXISTS tidy ON SCHEDULE EVERY 1 DAY DISABLE DO
BEGIN
  DELETE FROM log WHERE at < 0;
  FOR i IN 1..2 DO INSERT INTO log VALUES (-i, 'tidy'); END FOR;
END;
BEGIN NOT ATOMIC
  DECLARE n INT DEFAULT 0;
  WHILE n < 2 DO SET n = n + 1; END WHILE;
  SET @loops = n;
END;
CALL fill(5);
SELECT 1--1;
"""
)

WITH_DELIMITERS = """DELIMITER $$
CREATE PROCEDURE p_dollar(OUT r VARCHAR(20))
BEGIN
  SET r = 'a$$b;';  -- $$ in a string and a comment
  SET r = CONCAT(r, "!");
END$$
DELIMITER //
CREATE FUNCTION f_slash() RETURNS INT DETERMINISTIC
BEGIN
  RETURN 7; # //
END //
DELIMITER ;
CALL p_dollar(@r);
"""


@pytest.fixture
def scratch(mysql_server: MySQLServer) -> Iterator[object]:
    """A PyMySQL connection to a fresh `dbci_split_<hex>` database, dropped afterwards."""
    name = "dbci_split_" + secrets.token_hex(4)
    mysql_server.execute(f"CREATE DATABASE `{name}`")
    connection = mysql_server.connect(name)
    try:
        yield connection
    finally:
        connection.close()
        mysql_server.execute(f"DROP DATABASE IF EXISTS `{name}`")


def _run(connection: object, script: str) -> list[Statement]:
    statements = split_statements(script, MY)
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        for statement in statements:
            try:
                cursor.execute(statement.sql)
                while cursor.nextset():
                    pass
            except Exception as exc:  # the message names the statement that failed
                raise AssertionError(f"line {statement.line}: {statement.sql!r}: {exc}") from exc
    return statements


def _rows(connection: object, sql: str) -> list[tuple]:
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute(sql)
        return list(cursor.fetchall())


def test_mysqldump_script_runs(scratch: object) -> None:
    statements = _run(scratch, MYSQLDUMP)
    assert len(statements) == 25
    assert statements[0] == Statement(
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */", 2
    )
    trigger = next(s for s in statements if "TRIGGER" in s.sql)
    assert trigger.line == 30 and trigger.sql.endswith("END */")
    assert _rows(scratch, "SELECT a, b FROM nums ORDER BY a") == [
        (100, "x;y"),
        (101, "it's"),
        (102, "back\\"),
        (103, 'q";'),
    ]
    _run(scratch, "INSERT INTO nums (a) VALUES (104)")
    assert _rows(scratch, "SELECT b FROM nums WHERE a = 104") == [("null;",)]
    assert _rows(scratch, "SELECT COUNT(*) FROM big") == [(5,)]


def test_stored_programs_without_delimiter_run(scratch: object) -> None:
    statements = _run(scratch, "CREATE TABLE nums (a INT PRIMARY KEY, b VARCHAR(20));\n")
    statements = _run(scratch, NO_DELIMITER)
    assert [s.line for s in statements] == [1, 24, 29, 30, 39, 40, 44, 49, 54, 55]
    assert _rows(scratch, "SELECT a, b FROM nums ORDER BY a") == [
        (0, "#"),
        (1, "aa"),
        (2, "small's"),
        (3, "end"),
        (4, "big;"),
        (5, "else"),
    ]
    assert _rows(scratch, "SELECT clamp(-4), clamp(70), twice('ab;'), @loops") == [
        (0, 50, "ab;ab;", 2)
    ]
    assert _rows(scratch, "SELECT total(a) FROM nums") == [(15,)]
    assert _rows(scratch, "SELECT at, what FROM log ORDER BY at") == [
        (1, "inserted; aa"),
        (2, "inserted; small's"),
        (3, "inserted; end"),
        (4, "inserted; big;"),
        (5, "inserted; else"),
    ]
    # The event was created whole: its body is the FOR loop, and DISABLE was read too.
    assert _rows(
        scratch,
        "SELECT EVENT_NAME, STATUS, EVENT_DEFINITION LIKE '%END FOR%'"
        " FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()",
    ) == [("tidy", "DISABLED", 1)]
    assert _rows(scratch, "SELECT 1--1") == [(2,)]


def test_delimiter_script_runs(scratch: object) -> None:
    statements = _run(scratch, WITH_DELIMITERS)
    assert [s.line for s in statements] == [2, 8, 13]
    assert _rows(scratch, "SELECT @r, f_slash()") == [("a$$b;!", 7)]


def test_the_server_tells_a_wrong_split(scratch: object) -> None:
    # The oracle is sharp: the procedure cut at its first `;` is refused.
    with scratch.cursor() as cursor:  # type: ignore[attr-defined]
        with pytest.raises(Exception, match="1064"):
            cursor.execute(PROCEDURE.split(";")[0])


@pytest.mark.parametrize("window", [1, 9, 64])
@pytest.mark.parametrize(
    ("script", "expected"),
    # DELIMITER is state that split_windows does not carry: prepare.prepare decodes whole.
    [case for case in SPLIT_CASES if "DELIMITER" not in case[0].upper()],
)
def test_split_in_windows_is_the_whole_split(
    script: str, expected: list[tuple[str, int]], window: int
) -> None:
    """A large MySQL script decoded and split a window at a time (split_windows): the
    same statements, lines and repeats as split whole."""
    whole, windowed = whole_and_windowed(script, MY, window)
    assert windowed == whole
