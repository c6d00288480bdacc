"""Source files and spans: where every diagnostic and AST node points."""

from __future__ import annotations

import bisect
import os
import stat
from pathlib import Path

import attrs


@attrs.frozen
class Span:
    """A half-open character range [start, end) in one file, with 1-based line/col."""

    path: str
    start: int
    end: int
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@attrs.frozen(eq=False)
class SourceFile:
    path: str
    text: str
    # outside the project root (read only under --allow-outside): diagnostics point at it
    # but never quote its lines
    private: bool = False
    line_starts: tuple[int, ...] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        object.__setattr__(self, "line_starts", tuple(starts))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, col) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self.line_starts, offset) - 1
        return index + 1, offset - self.line_starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        line, col = self.position(start)
        end_line, end_col = self.position(end)
        return Span(self.path, start, end, line, col, end_line, end_col)

    def line_text(self, line: int) -> str:
        if line < 1 or line > len(self.line_starts):
            return ""
        start = self.line_starts[line - 1]
        end = self.line_starts[line] - 1 if line < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r")


MAX_SOURCE_BYTES = 8 * 1024 * 1024


class SourceError(Exception):
    """The file could not be read as a spec (missing, binary, not UTF-8, too large)."""

    def __init__(self, code: str, message: str, hint: str | None = None, offset: int = 0):
        super().__init__(message)
        self.code, self.message, self.hint, self.offset = code, message, hint, offset


def read_source(path: str | Path, display: str | None = None) -> SourceFile:
    """Read a spec file strictly: a regular file, UTF-8, no NUL bytes, bounded size.

    Opened without blocking and checked with fstat before reading, so a FIFO, a device or
    a socket named `x.bds` is refused at once instead of hanging the reader (or streaming
    /dev/zero into memory); at most MAX_SOURCE_BYTES + 1 bytes are ever read."""
    name = display or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise SourceError("E001", f"file not found: {name}") from None
    except IsADirectoryError:
        raise SourceError("E001", f"{name} is a directory, not a spec file") from None
    except OSError as exc:
        raise SourceError("E001", f"cannot read {name}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise SourceError("E001", f"{name} is a directory, not a spec file")
        if not stat.S_ISREG(mode):
            raise SourceError("E001", f"{name} is not a regular file (it is a {_kind(mode)}); "
                              "specs and tables must be ordinary files")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise SourceError("E001", f"cannot read {name}: {exc.strerror}") from None
    finally:
        os.close(fd)
    return decode_source(data, name)


def _kind(mode: int) -> str:
    for test, label in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"),
                        (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return label
    return "special file"


def decode_source(data: bytes, name: str) -> SourceFile:
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(
            "E004",
            f"{name} is larger than {MAX_SOURCE_BYTES // 2**20} MiB, the limit for a spec file",
            hint="move large tables into a YAML file and import it",
        )
    nul = data.find(b"\0")
    if nul != -1:
        raise SourceError("E002", f"{name} looks like a binary file (NUL byte)", offset=0)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", "replace")
        raise SourceError(
            "E003",
            f"{name} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            hint="save the file as UTF-8",
            offset=len(prefix),
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return SourceFile(name, text)
