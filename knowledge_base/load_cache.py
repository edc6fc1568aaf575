"""When KnowledgeBase.load() must load again: it runs on every action call, so it checks the document folders'
change times each time (a staff answer, written whole and renamed into place, is used from the next message on) and
every document's change time and size at most every FULL_SCAN_SECONDS (an edit in place)."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FULL_SCAN_SECONDS = 2.0


def fingerprint(*folders: Path) -> tuple:
    """Path, change time and size of every document: one scan and one stat per file."""
    stamps = []
    for folder in folders:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(folder) as entries:
            stamps += [(e.path, (st := e.stat()).st_mtime_ns, st.st_size) for e in entries if e.name.endswith(".md")]
    return tuple(sorted(stamps))


def folder_stamps(*folders: Path) -> tuple:
    """Change time of each folder: a document added, removed or renamed into place changes it at once."""
    stamps = []
    for folder in folders:
        try:
            stamps.append(folder.stat().st_mtime_ns)
        except OSError:
            stamps.append(None)
    return tuple(stamps)


@dataclass
class Stamp:
    """The documents' stamps at one moment: every file's, the folders', and when the files were scanned."""

    files: tuple
    folders: tuple
    scanned: float  # time.monotonic()

    @classmethod
    def of(cls, folders: tuple[Path, ...]) -> Stamp:
        """The stamps now (taken before loading, so a change during the load is seen next time)."""
        return cls(fingerprint(*folders), folder_stamps(*folders), time.monotonic())


class LoadCache:
    """Loaded objects by key, each valid while its documents are unchanged."""

    def __init__(self) -> None:
        self._loaded: dict[tuple, tuple[Stamp, Any]] = {}

    def current(self, key: tuple, folders: tuple[Path, ...]) -> Any | None:
        """The object loaded for `key`, if no document in `folders` changed since; else None."""
        if key not in self._loaded:
            return None
        stamp, value = self._loaded[key]
        folders_now, now = folder_stamps(*folders), time.monotonic()
        if stamp.folders == folders_now and now - stamp.scanned < FULL_SCAN_SECONDS:
            return value
        if stamp.files != fingerprint(*folders):
            return None
        stamp.folders, stamp.scanned = folders_now, now
        return value

    def store(self, key: tuple, stamp: Stamp, value: Any) -> None:
        """Remember `value`, loaded from the documents as they were at `stamp`."""
        self._loaded[key] = (stamp, value)
