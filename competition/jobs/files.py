"""Reading a job's finished file back from the database, a part at a time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from competition.jobs.models import JobFilePart


class PartReader:
    """A job's file as a binary stream for ``send_file``: each part (at most 1 MiB) is read
    when the response reaches it, on a connection of its own, so the download holds one
    part at a time and goes on after the request's context has ended."""

    def __init__(self, engine: Engine, job_id: int) -> None:
        self._engine, self._job_id = engine, job_id
        self._part = b""
        self._offset = 0
        self._next = 0
        self._ended = False

    def _load(self) -> None:
        with self._engine.connect() as connection:
            data = connection.scalar(select(JobFilePart.data).where(
                JobFilePart.job_id == self._job_id, JobFilePart.position == self._next))
        if data is None:
            self._ended = True
            self._part = b""
        else:
            self._part = bytes(data)
            self._next += 1
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        chunks = []
        while size < 0 or size > 0:
            if self._offset >= len(self._part):
                if self._ended:
                    break
                self._load()
                continue
            end = len(self._part) if size < 0 else min(len(self._part), self._offset + size)
            chunks.append(self._part[self._offset:end])
            if size > 0:
                size -= end - self._offset
            self._offset = end
        return b"".join(chunks)

    def readall(self) -> bytes:
        return self.read(-1)

    def close(self) -> None:
        self._part = b""
        self._ended = True
