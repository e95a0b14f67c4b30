"""The child's side of `kkmp.isolated`: a job on untrusted bytes, in its own process, behind limits.

`kkmp.isolated.Child` starts this file (`python -I -B kkmp/isolated_child.py JOB MEMORY_MB
CPU_SECONDS LIFETIME_SECONDS ARG...`) with an empty environment. Before anything else this
process caps its own address space (RLIMIT_AS) and CPU time (RLIMIT_CPU), turns off core dumps
and sets an alarm at LIFETIME_SECONDS; then it loads JOB (a file of the project, given by its
path) and calls its `run(channel, *ARG)`, whose return value is the exit status. A job that
makes a parser allocate without bound or spin thus ends this process only: out of memory, a
MemoryError or a failed allocation (some libraries then abort); past its CPU time, SIGXCPU;
past its lifetime, SIGALRM.

It imports neither Django nor the project (`-I`: no environment, no current directory or user
site on the path): only the standard library and what the job itself imports.

`channel.send(message)` writes one message to stdout: an 8-byte little-endian length and a
pickle of the message (a tuple of plain values), which the parent reads with `Child.recv`;
`channel.stdin` holds the bytes the parent wrote; `channel.peak_kib()` is this process's peak
resident memory.
"""

import importlib.util
import pickle
import resource
import signal
import struct
import sys


def _limit(memory_mb, cpu_seconds, lifetime_seconds):
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.alarm(lifetime_seconds)


class Channel:
    """What a job gets: the parent's bytes (`stdin`), `send` and `peak_kib`."""

    def __init__(self, stdin, stdout):
        self.stdin = stdin
        self.out = stdout

    def send(self, message, payload=None):
        """Send `message`, or `payload` when given (a message the job pickled itself)."""
        if payload is None:
            payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.out.write(struct.pack("<Q", len(payload)))
        self.out.write(payload)
        self.out.flush()

    @staticmethod
    def peak_kib():
        """This process's peak resident memory (VmHWM: getrusage's ru_maxrss would include the
        parent's, inherited through fork and exec)."""
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return None


def main(argv):
    job, memory_mb, cpu_seconds, lifetime_seconds, *args = argv[1:]
    _limit(int(memory_mb), int(cpu_seconds), int(lifetime_seconds))
    spec = importlib.util.spec_from_file_location("isolated_job", job)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run(Channel(sys.stdin.buffer, sys.stdout.buffer), *args)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:  # the parent stopped reading: nothing more to do
        sys.exit(0)
