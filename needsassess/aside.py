"""Work done aside: a function run by a forked copy of this process while this one goes on.

The summary command scores the LEAs while it draws the sheets that need no
scores (the answers, ratings and needs of every LEA): on two cores the two
overlap, and the summary waits only for what scoring takes beyond the
drawing.  A forked child shares the parent's tables without copying or
pickling them; only its result comes back, pickled, through a pipe.

Forking is used only where it is safe and cheap: on Linux (macOS frameworks
do not survive a fork; Windows has none) and when this process runs no
other thread (a fork copies one thread and whatever locks the others hold).
Everywhere else, and whenever the child cannot be started, fails or dies,
the function runs here when its result is asked for, so the result (or the
exception) is the same either way.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import weakref
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    """True when this process may fork a child to work aside (Linux, no other thread running)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


class Aside(Generic[T]):
    """The result of ``fn()``, worked out by a forked child; :meth:`result` waits for it.

    Parameters
    ----------
    fn : callable
        Called with no arguments, in the child (or here, see the module);
        its result must pickle.
    fork : bool, optional
        False runs ``fn`` here, when the result is first asked for.

    Examples
    --------
    >>> later = Aside(lambda: sum(range(10)))
    >>> later.result()
    45
    """

    def __init__(self, fn: Callable[[], T], *, fork: bool | None = None) -> None:
        self._fn: Callable[[], T] | None = fn  # None once the result is taken
        self._value: T | None = None
        self._pid = 0
        self._fd = -1
        if fork if fork is not None else can_fork():
            self._start()

    def __copy__(self) -> Aside[T]:
        return self  # one child, one pipe: a copy would read and close them a second time

    def __deepcopy__(self, memo: dict[int, object]) -> Aside[T]:
        return self

    @property
    def forked(self) -> bool:
        """True while a child is working out the result (or has, and it is not yet collected)."""
        return self._pid > 0

    def result(self) -> T:
        """The result of ``fn()``, waiting for the child if it is still at work (the same result each call)."""
        if self._fn is not None:
            value = self._collect() if self._pid else _MISSING
            self._value = self._fn() if value is _MISSING else value  # type: ignore[assignment]
            self._fn = None  # nor the tables it holds
        return self._value  # type: ignore[return-value]

    def _start(self) -> None:
        try:
            read_end, write_end = os.pipe()
        except OSError:
            return
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:  # no more processes: work here instead
            os.close(read_end)
            os.close(write_end)
            return
        if pid == 0:
            os.close(read_end)
            _die_with(parent)
            _child(self._fn, write_end)
        os.close(write_end)
        self._pid, self._fd = pid, read_end
        # a result never asked for: stop the child and collect it, so that no process is left behind
        self._finalizer = weakref.finalize(self, _stop, pid, read_end)

    def _collect(self) -> object:
        """The child's result, or _MISSING when it failed or died (it is collected either way).

        Interrupted while waiting (Ctrl-C), the child is stopped and
        collected before the interruption goes on.
        """
        pid, fd = self._pid, self._fd
        chunks = []
        try:
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        except OSError:
            chunks = []
        except BaseException:
            self._pid, self._fd = 0, -1
            self._finalizer()  # kills, closes and collects
            raise
        self._finalizer.detach()
        self._pid, self._fd = 0, -1
        os.close(fd)
        status = _wait(pid)
        if status != 0 or not chunks:
            return _MISSING
        try:
            return pickle.loads(b"".join(chunks))
        except Exception:  # a result that does not come back whole: work it out here
            return _MISSING


_MISSING = object()


def _child(fn: Callable[[], object], fd: int) -> None:
    """In the forked child: send ``fn()``'s pickle through ``fd`` and exit, never returning.

    Any failure exits with status 1 and the parent works the result out
    itself (and meets the same exception there).  ``os._exit`` skips the
    parent's exit handlers and buffered output, which belong to the parent.
    """
    code = 1
    try:
        data = pickle.dumps(fn(), pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        code = 0
    except BaseException:  # noqa: BLE001 - whatever it was, the parent meets it again
        pass
    finally:
        os._exit(code)


def _die_with(parent: int) -> None:
    """In the forked child: be killed when the parent ends, however it ends (``kill -9`` included).

    Without this, a parent stopped by a signal leaves the child to work on
    for a result no one will read.  Linux only, like the fork; the parent
    may have ended already, before the request was made.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl here: the parent's finalizer still stops the child
        return
    if os.getppid() != parent:
        os._exit(1)


#: prctl(2) option: the signal the calling process gets when its parent ends.
_PR_SET_PDEATHSIG = 1


def _wait(pid: int) -> int:
    """Collect child ``pid``; its exit status (-1 when it could not be collected)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return -1
    return os.waitstatus_to_exitcode(status)


def _stop(pid: int, fd: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.close(fd)
    _wait(pid)
