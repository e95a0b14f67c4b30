"""The isolated child of `kkmp.isolated` (the QR photo decoder's and the XLSX reader's, kkmp/isolated_child.py): it
runs a job without the environment or the project, answers with plain values only, and is
ended when it gives no answer."""

import textwrap

import pytest

from kkmp.isolated import Child, ChildStopped, MessageTooLong


def job(tmp_path, body):
    path = tmp_path / "job.py"
    path.write_text(textwrap.dedent(body))
    return path


def run(path, data=b"", **limits):
    child = Child(path, data, **{"memory_mb": 128, "cpu_seconds": 2, "seconds": 5, **limits})
    try:
        return child, child.recv()
    finally:
        child.close()


def test_a_job_gets_the_bytes_and_answers_with_plain_values(tmp_path):
    path = job(tmp_path, """
        def run(channel, word):
            channel.send(("read", channel.stdin.read().decode(), word, {"n": [1, 2.5, None]}))
            return 0
    """)
    _child, message = run(path, b"isi berkas", args=["kata"])
    assert message == ("read", "isi berkas", "kata", {"n": [1, 2.5, None]})


def test_a_job_runs_without_the_environment_or_the_project(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://rahasia@db/kkmp")
    path = job(tmp_path, """
        import importlib.util, os, sys
        def run(channel):
            found = [importlib.util.find_spec(name) is not None for name in ("PIL", "kkmp", "koperasi")]
            channel.send((sorted(os.environ), found, os.getcwd() in sys.path))
            return 0
    """)
    _child, message = run(path)
    assert message == (["LC_ALL"], [True, False, False], False)  # the virtualenv's packages, not the project


def test_a_message_that_is_not_plain_values_stops_the_child(tmp_path):
    path = job(tmp_path, """
        import pickle
        class Sneaky:
            def __reduce__(self):
                return (print, ("never run in the parent",))
        def run(channel):
            channel.send(("found", Sneaky()))
            return 0
    """)
    with pytest.raises(ChildStopped, match="unreadable"):
        run(path)


def test_a_message_over_the_limit_stops_the_child(tmp_path):
    path = job(tmp_path, """
        def run(channel):
            channel.send(("rows", "x" * 100_000))
            return 0
    """)
    child = Child(path, b"", memory_mb=128, cpu_seconds=2, seconds=5)
    with pytest.raises(MessageTooLong):
        child.recv(limit=1000)
    assert child.proc.returncode is not None


def test_a_job_that_ends_without_a_word_is_reported_with_its_exit_status(tmp_path):
    path = job(tmp_path, """
        import os, signal
        def run(channel):
            os.kill(os.getpid(), signal.SIGSEGV)
    """)
    with pytest.raises(ChildStopped) as stopped:
        run(path)
    assert stopped.value.what == "ended" and stopped.value.returncode < 0
