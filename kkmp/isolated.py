"""Untrusted bytes worked on in a child process capped in memory, CPU time and wall-clock time,
so that a file crafted to make a parser allocate without bound or spin ends the child, never the
web or task worker: the XLSX reader (`imports/xlsx_reader.py`) and the QR photo decoder
(`koperasi/qr_decoder.py`).

`Child(job, data, ...)` starts `kkmp/isolated_child.py` (the child's side: the limits, then the
job's `run`) with `python -I -B`, an empty environment and no open files but its pipes, writes
`data` (bytes, or an iterable of byte chunks: a file streamed from disk) to its stdin from a
thread, and reads its messages from its stdout within `seconds` of
waiting in all. Messages are unpickled as plain values only (lists, tuples, dicts, numbers,
text, plus the classes the caller allows). The child is killed when the parent is done with it,
when it is too slow, and when the `Child` goes away.
"""

import io
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RUNNER = Path(__file__).with_name("isolated_child.py")
MESSAGE_LIMIT = 16 * 1024 * 1024


class ChildStopped(Exception):  # noqa: N818  (not an error of ours: the child's end)
    """The child gave no (readable) message: it ended, was killed by one of its limits (a signal:
    `returncode` < 0), sent something unreadable, or took longer than the time allowed."""

    def __init__(self, what, returncode, detail):
        super().__init__(f"{what} (exit status {returncode}): {detail}")
        self.what, self.returncode, self.detail = what, returncode, detail


class MessageTooLong(Exception):  # noqa: N818
    """The child announced a message longer than the caller's limit (the child is killed)."""


class _Values(pickle.Unpickler):
    """Plain values only, and the classes named in `allowed` ({(module, name): class})."""

    def __init__(self, file, allowed):
        super().__init__(file)
        self.allowed = allowed

    def find_class(self, module, name):
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name}") from None


class Child:
    """`job` (a file of the project with a `run(channel, *args)` function, see
    `kkmp/isolated_child.py`) run on `data` in a child process of at most `memory_mb` of address
    space and `cpu_seconds` of CPU, killed by its own alarm after `lifetime` seconds (default:
    `seconds`, rounded up). `recv` waits at most `seconds` in all for the child's messages."""

    def __init__(self, job, data, *, memory_mb, cpu_seconds, seconds, lifetime=None, args=(), allowed=None):
        self.wait_left = seconds
        self.allowed = allowed or {}
        lifetime = lifetime or max(1, int(seconds + 0.999))
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115  (closed with the child)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(RUNNER), str(job), str(int(memory_mb)), str(max(1, int(cpu_seconds))),
             str(int(lifetime)), *map(str, args)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, bufsize=0,
            env={"LC_ALL": "C.UTF-8"}, close_fds=True,
        )
        self.poll = select.poll()
        self.poll.register(self.proc.stdout.fileno(), select.POLLIN)
        self.feeder = threading.Thread(target=self._feed, args=(data,), daemon=True)
        self.feeder.start()

    def _feed(self, data):
        try:
            for chunk in (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data:
                self.proc.stdin.write(chunk)
        except OSError:  # the child ended early: its exit says why
            pass
        finally:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def _read(self, size):
        fd = self.proc.stdout.fileno()
        buf = bytearray()
        while len(buf) < size:
            started = time.monotonic()
            ready = self.poll.poll(max(self.wait_left, 0) * 1000)
            self.wait_left -= time.monotonic() - started
            if not ready:
                self._stopped("timed out")
            chunk = os.read(fd, min(size - len(buf), 1024 * 1024))
            if not chunk:
                return None
            buf += chunk
        return buf

    def recv(self, limit=MESSAGE_LIMIT):
        """The child's next message (a tuple). Raises `ChildStopped` (the child is then ended)
        when it ended without one, sent an unreadable one or the time ran out, and
        `MessageTooLong` when the next one is longer than `limit` bytes."""
        header = self._read(8)
        if header is None or len(header) < 8:
            self._stopped("ended")
        (size,) = struct.unpack("<Q", header)
        if size > limit:
            self.close()
            raise MessageTooLong(size)
        payload = self._read(size)
        if payload is None:
            self._stopped("ended")
        try:
            message = _Values(io.BytesIO(payload), self.allowed).load()
        except Exception:  # noqa: BLE001  (a child that writes nonsense is broken)
            self._stopped("sent an unreadable message")
        if not isinstance(message, tuple) or not message:
            self._stopped("sent an unreadable message")
        return message

    def _stopped(self, what):
        self.close()
        self.stderr.seek(0)
        detail = self.stderr.read(600).decode("utf-8", "replace").strip().replace("\n", " | ")
        raise ChildStopped(what, self.proc.returncode, detail)

    def close(self):
        """End the child (killed if still running) and wait for it."""
        proc = getattr(self, "proc", None)
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        self.feeder.join(5)
        proc.stdout.close()

    def __del__(self):
        try:
            self.close()
            self.stderr.close()
        except Exception:  # noqa: BLE001, S110  (interpreter shutdown)
            pass
