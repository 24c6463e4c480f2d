"""A statement of a script, as the splitter cuts it: a place in the script, not a copy."""

from __future__ import annotations


class Statement:
    """One statement of a script.

    `sql` is the text exactly as in the script, from its first significant character
    (comments and whitespace before it skipped) to just before its terminating `;`, with
    trailing whitespace stripped; comments inside it are kept. `line` is the 1-based line
    of the script on which `sql` starts. `repeat` is how many times it runs in a row:
    a T-SQL batch ended by `GO 5` runs 5 times; every other statement runs once.

    A statement the splitter makes points into its script (`at`): the script is held once,
    however many statements it has, and `sql` is cut from it when asked for. A migration of
    a million INSERTs costs its text and a few ints per statement, not its text twice. The
    script may be UTF-8 bytes (`split_windows`): the offsets are then bytes, and `sql` is
    decoded when asked for.

    A PostgreSQL `COPY … FROM STDIN` carries its inline data (`copy_data`): the lines
    after it up to the `\\.` line, kept as a place in the script too. `sql` is then the
    COPY command alone; `written` is the command, its data and the `\\.` line as written.
    """

    __slots__ = ("_text", "_start", "_end", "_data", "_data_end", "line", "repeat")

    _text: str | bytes
    _start: int
    _end: int
    _data: int  # where a COPY's inline data starts in `_text`; -1: no COPY … FROM STDIN
    _data_end: int  # where its `\\.` line starts
    line: int
    repeat: int

    def __init__(
        self, sql: str, line: int, repeat: int = 1, *, copy_data: str | None = None
    ) -> None:
        if copy_data is None:
            _set(self, "_text", sql)
            _set(self, "_data", -1)
            _set(self, "_data_end", -1)
        else:  # as a script writes it: the command, its data, the end-of-data line
            _set(self, "_text", f"{sql};\n{copy_data}\\.")
            _set(self, "_data", len(sql) + 2)
            _set(self, "_data_end", len(sql) + 2 + len(copy_data))
        _set(self, "_start", 0)
        _set(self, "_end", len(sql))
        _set(self, "line", line)
        _set(self, "repeat", repeat)

    @classmethod
    def at(
        cls,
        script: str | bytes,
        start: int,
        end: int,
        line: int,
        repeat: int = 1,
        data: int = -1,
        data_end: int = -1,
    ) -> Statement:
        """The statement `script[start:end]`, kept as a place in `script`; for a COPY …
        FROM STDIN, its data is `script[data:data_end]`."""
        statement = cls.__new__(cls)
        _set(statement, "_text", script)
        _set(statement, "_start", start)
        _set(statement, "_end", end)
        _set(statement, "_data", data)
        _set(statement, "_data_end", data_end)
        _set(statement, "line", line)
        _set(statement, "repeat", repeat)
        return statement

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Statement does not change: cannot set {name}")

    @property
    def sql(self) -> str:
        text = self._text
        if isinstance(text, bytes):
            return text[self._start : self._end].decode("utf-8")
        if self._start == 0 and self._end == len(text):
            return text
        return text[self._start : self._end]

    def head(self, length: int) -> str:
        """The statement's first `length` characters (no copy of the rest)."""
        text = self._text
        if isinstance(text, bytes):  # at most 4 bytes a character; a cut one is dropped
            piece = text[self._start : min(self._end, self._start + 4 * length)]
            return piece.decode("utf-8", errors="ignore")[:length]
        return text[self._start : min(self._end, self._start + length)]

    @property
    def is_copy(self) -> bool:
        """Whether this is a PostgreSQL `COPY … FROM STDIN` with inline data."""
        return self._data >= 0

    @property
    def copy_data(self) -> str | None:
        """A `COPY … FROM STDIN`'s inline data as written (each line with its line break,
        the `\\.` line not included); None for any other statement."""
        if self._data < 0:
            return None
        text = self._text
        if isinstance(text, bytes):
            return text[self._data : self._data_end].decode("utf-8")
        return text[self._data : self._data_end]

    @property
    def data_line(self) -> int | None:
        """The script line of a `COPY … FROM STDIN`'s first data line; None for others."""
        if self._data < 0:
            return None
        text = self._text
        if isinstance(text, bytes):
            return self.line + text.count(b"\n", self._start, self._data)
        return self.line + text.count("\n", self._start, self._data)

    @property
    def written(self) -> str:
        """The statement as the script writes it, for a client (psql) to run: `sql`, or a
        COPY … FROM STDIN with its `;`, its data and its `\\.` line, exactly as written."""
        if self._data < 0:
            return self.sql
        text = self._text
        if isinstance(text, bytes):
            stop = text.find(b"\n", self._data_end)
            return text[self._start : len(text) if stop < 0 else stop].decode("utf-8")
        stop = text.find("\n", self._data_end)
        return text[self._start : len(text) if stop < 0 else stop]

    def __len__(self) -> int:
        return self._end - self._start

    def _key(self) -> tuple[str, int, int, str | None]:
        return (self.sql, self.line, self.repeat, self.copy_data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Statement):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        data = "" if self._data < 0 else f", copy_data={self.copy_data!r}"
        return f"Statement(sql={self.sql!r}, line={self.line!r}, repeat={self.repeat!r}{data})"


_set = object.__setattr__
