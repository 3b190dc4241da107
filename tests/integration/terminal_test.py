#!/usr/bin/env python3
"""The interactive client at a terminal, as a person sees it: the real
bin/client on a pseudo-terminal, its output read by a terminal emulator
(pyte), and every assertion on the screen. Line editing, history (also
across a restart), Ctrl-R, Tab completion, replies for people, a typo's
suggestion, help <command>, completion notices that do not break the line
being typed, the live view, pause and resume, Ctrl-C, Ctrl-D, and the
terminal given back as it was."""
import os
import sys
import termios
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from mtlib import BIN, Suite, free_port, tracker_pair  # noqa: E402
from term import Terminal  # noqa: E402

MIB = 1 << 20
TRACKER_FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]
LEFT, RIGHT, UP, DOWN, HOME, END, DEL = "\x1b[D", "\x1b[C", "\x1b[A", "\x1b[B", "\x1b[H", "\x1b[F", "\x1b[3~"
PROMPT = r"^mtorrent>"


def write_random(path, size):
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


class Person:
    """One client at a terminal, in its own folder."""

    def __init__(self, suite, name, t1, t2, cols=120):
        self.dir = os.path.join(suite.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.args = [os.path.join(BIN, "client"), "127.0.0.1:%d" % free_port(), "127.0.0.1:%d" % t1.port,
                     "127.0.0.1:%d" % t2.port, os.path.join(self.dir, "client.log"),
                     "--state-dir", os.path.join(self.dir, "state")]
        self.cols = cols
        self.term = None
        self.stderr_path = os.path.join(self.dir, "terminal.out")  # scanned for sanitizer reports
        suite.procs.append(self)
        self.start()

    def start(self):
        self.term = Terminal(self.args, cwd=self.dir, cols=self.cols, log_path=self.stderr_path)
        self.term.wait(r"type help\s*\n" + PROMPT)
        return self.term

    def run(self, line, expect, timeout=15):
        """Types a line and Enter; waits for `expect` on the screen."""
        self.term.type(line + "\r")
        return self.term.wait(expect, timeout)

    def alive(self):
        return self.term is not None and self.term.proc.poll() is None

    def stop(self, *_):
        if self.term:
            self.term.close()

    def kill9(self):
        self.stop()


def replies_for_people(suite):
    """At a terminal, replies read as sentences (no SUCCESS:/FAILURE:, no
    quoting); a progress bar; a typo suggests the command; help <command>;
    commands in any case."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    p = Person(suite, "people", t1, t2)
    t = p.term
    write_random(os.path.join(p.dir, "my file.bin"), 2 * MIB)
    p.run('share "my file.bin" mine.mtorrent', r"^mine\.mtorrent: seeding my file\.bin \(2\.00 MiB, 4 pieces")
    p.run("show downloads", r"^1 transfer\n  \[S\] mine\.mtorrent  \[#{20}\] 100\.0%")
    p.run("shwo downloads", r"^error: 'shwo' is not a command; did you mean 'show'\? \(help lists them\) "
                            r"\(UNKNOWN_COMMAND\)")
    p.run("SHOW DOWNLOADS", r"SHOW DOWNLOADS\n1 transfer\n  \[S\] mine")
    p.run("help pause", r"^\d+ lines about pause\n  usage: pause <name>")
    p.run("remove nothing.mtorrent", r"^error: no transfer named nothing\.mtorrent; see show downloads \(NOT_FOUND\)")
    if "SUCCESS:" in t.text() or "FAILURE:" in t.text():
        raise AssertionError("pipe tokens at a terminal:\n" + t.text())
    t.type("\x03")  # Ctrl-C: quits, as on a pipe
    t.wait(r"^quit: stopping 1 transfer; state in .* \(signal Interrupt\)")
    if t.wait_exit() != 0:
        raise AssertionError("exit status after Ctrl-C")


def line_editing(suite):
    """Left/Right, Home/End, Delete, Backspace, ^A ^E ^K ^U ^W at the prompt."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    p = Person(suite, "editing", t1, t2)
    t = p.term
    t.type("show dwnloads")
    t.type(LEFT * 7 + "o")  # show d|wnloads -> show do|wnloads
    t.wait(r"^mtorrent> show downloads$", where="line")
    t.type("\r")
    t.wait(r"show downloads\n0 transfers\n" + PROMPT)
    t.type("xxstatus" + HOME + DEL + DEL + END + "\r")  # Home, Delete twice, End, Enter
    t.wait(r"mtorrent> status\n3 status lines: 2 trackers")
    t.type("garbage words here\x17\x17")  # ^W twice
    t.wait(r"^mtorrent> garbage $", where="line")
    t.type("\x15")  # ^U
    t.wait(r"^mtorrent> $", where="line")
    t.type("peers abc" + "\x01" + RIGHT * 5 + "\x0b")  # ^A, five right, ^K
    t.wait(r"^mtorrent> peers$", where="line")
    t.type("\x7f\x7f\x7f\x7f\x7fhelp")  # Backspace x5
    t.wait(r"^mtorrent> help$", where="line")
    t.type("\x15" + "\x1b[1;5Dq\x07\x1b[99~\x1b]junk")  # odd keys and sequences: ignored
    t.type("\x15")
    t.wait(r"^mtorrent> $", where="line")
    # A line longer than the terminal scrolls; what is typed is what runs.
    long = "search " + "x" * 200
    t.type(long)
    if len(t.cursor_line()) > p.cols:
        raise AssertionError("the line wrapped: %r" % t.cursor_line())
    t.type("\r")
    t.wait(r"files? match 'x{200}'", where="raw")
    t.type("\x04")  # ^D on an empty line: quits
    t.wait(r"^quit: stopping 0 transfers; state in .* \(end of input\)")
    if t.wait_exit() != 0:
        raise AssertionError("exit status after Ctrl-D")
    lflag = t.termios_flags()
    if not (lflag & termios.ICANON and lflag & termios.ECHO):
        raise AssertionError("the terminal was not given back in canonical mode with echo (lflag %#x)" % lflag)


def history(suite):
    """Up/Down walk the history, keeping the line being typed; ^R finds an
    older line; the history survives a restart."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    p = Person(suite, "history", t1, t2)
    t = p.term
    p.run("status", r"3 status lines: 2 trackers")
    p.run("help share", r"usage: share")
    p.run("show downloads", r"0 transfers\n" + PROMPT)
    t.type("half typed")
    t.type(UP)
    t.wait(r"^mtorrent> show downloads$", where="line")
    t.type(UP + UP)
    t.wait(r"^mtorrent> status$", where="line")
    t.type(DOWN + DOWN + DOWN)
    t.wait(r"^mtorrent> half typed$", where="line")
    t.type("\x15\x12sha")  # ^U, ^R, "sha"
    t.wait(r"^\(reverse-i-search\)'sha': help share", where="line")
    t.type("\r")
    t.wait(r"help share\n.*\n  usage: share.*(\n.*)*\n" + PROMPT + "$")
    t.type("\x04")
    t.wait_exit()
    t.close()
    t = p.start()
    t.type(UP)
    t.wait(r"^mtorrent> help share$", where="line")
    t.type("\x15\x04")
    t.wait_exit()


def tab_completion(suite):
    """Tab completes commands, fixed words, transfer names and paths; a
    second Tab lists the choices."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    p = Person(suite, "tab", t1, t2)
    t = p.term
    write_random(os.path.join(p.dir, "holiday video.mp4"), 1 * MIB)
    os.makedirs(os.path.join(p.dir, "photos"))
    t.type("sta\t")
    t.wait(r"^mtorrent> status $", where="line")
    t.type("\x15sh\t\t")  # share, show: listed
    t.wait(r"share\s+show")
    t.wait(r"^mtorrent> sh$", where="line")
    t.type("o\td\t")
    t.wait(r"^mtorrent> show downloads $", where="line")
    t.type("\x15share hol\t")
    t.wait(r"^mtorrent> share holiday\\ video\.mp4 $", where="line")
    t.type("hv.mtorrent\r")
    t.wait(r"^hv\.mtorrent: seeding holiday video\.mp4")
    t.type("pause h\t")
    t.wait(r"^mtorrent> pause hv\.mtorrent $", where="line")
    t.type("\x15watch ph\t")
    t.wait(r"^mtorrent> watch photos/$", where="line")
    t.type("\x15limit d\t")
    t.wait(r"^mtorrent> limit down $", where="line")
    t.type("\x15xyz\t")  # nothing matches: the line stays
    t.wait(r"^mtorrent> xyz$", where="line")
    t.type("\x15\x04")
    t.wait_exit()


def notices_and_live_view(suite):
    """A download finishing says so at the prompt by itself, and the line
    being typed stays as it was; show downloads --watch redraws until a key
    is pressed; pause and resume at the terminal."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    seeder = Person(suite, "seeder", t1, t2)
    write_random(os.path.join(seeder.dir, "film.bin"), 4 * MIB)
    seeder.run("share film.bin film.mtorrent", r"^film\.mtorrent: seeding")
    p = Person(suite, "watcher", t1, t2)
    t = p.term
    # A get that fails in the background says so.
    p.run("get no-such-file.bin .", r"finding the metainfo of no-such-file\.bin")
    t.wait(r"^\* get no-such-file\.bin failed: .*\(METAINFO_NOT_FOUND\)", 20)
    p.run("remove no-such-file.bin", r"^no-such-file\.bin: ")
    # Slow enough (8 s) to be unfinished until the limit is lifted below.
    p.run("limit down 512", r"^limits: up none, down 512 KiB/s")
    p.run("get %s ." % os.path.join(seeder.dir, "film.mtorrent"), r"^.*film\.bin: downloading")
    t.type("show downloads --watch\r")
    t.wait(r"\(any key: back to the prompt\)\s*\n\s*\n  \[D\] film\.mtorrent")
    first = t.raw.count(b"\x1b[2J")
    time.sleep(2.5)
    t.pump(0.2)
    if t.raw.count(b"\x1b[2J") < first + 2:
        raise AssertionError("the live view did not redraw (%d screens)" % t.raw.count(b"\x1b[2J"))
    if b"\x1b[?1049h" not in t.raw:
        raise AssertionError("the live view does not use the alternate screen")
    t.type("q")
    t.wait(r"^1 transfer\n  \[D\] film\.mtorrent")
    t.wait(r"^mtorrent> $", where="line")
    if b"\x1b[?1049l" not in t.raw:
        raise AssertionError("the live view did not leave the alternate screen")
    p.run("limit down off", r"^limits: up none, down none")
    t.type("stat")  # typing, not finished, when the notice comes
    t.wait(r"^\* film\.mtorrent downloaded \(4\.00 MiB\) to .*film\.bin; now seeding\n" + PROMPT + " stat$", 30)
    t.type("us\r")
    t.wait(r"mtorrent> status\n3 status lines: 2 trackers")
    p.run("pause film.mtorrent", r"^film\.mtorrent: paused")
    p.run("show downloads", r"\[P\] film\.mtorrent .*100\.0%  paused")
    p.run("resume film.mtorrent", r"^film\.mtorrent: resuming")
    deadline = time.time() + 10
    while time.time() < deadline:
        p.run("show downloads", r"transfers?\n(  .*\n)*  \[[SP]\] film")
        if "[S] film.mtorrent" in t.text().split("mtorrent> show downloads")[-1]:
            break
        time.sleep(0.3)
    else:
        raise AssertionError("resume did not start seeding again:\n" + t.text())
    t.type("\x04")
    t.wait_exit()
    seeder.term.type("\x04")
    seeder.term.wait_exit()


def hostile_names(suite):
    """A file name with terminal escapes is shown escaped, in replies, the
    live view and completion lists: nothing reaches the terminal raw."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    p = Person(suite, "hostile", t1, t2)
    t = p.term
    evil = "evil\x1b[2J\x1b]0;owned\x07.bin"
    write_random(os.path.join(p.dir, evil), 64 * 1024)
    t.type("share ev\t")  # the name with control bytes is not offered
    t.type("\x15")
    os.makedirs(os.path.join(p.dir, "w"))
    os.rename(os.path.join(p.dir, evil), os.path.join(p.dir, "w", evil))
    p.run("watch w", r"^w.*: watching|watch")
    time.sleep(2)
    p.run("show downloads", r"transfer")
    raw = t.raw.split(b"watch w", 1)[-1]
    if b"\x1b]0;owned" in raw or b"\x1b[2J" in raw:
        raise AssertionError("a file name's escape reached the terminal raw: %r" % raw[-400:])
    t.wait(r"evil\\x1b\[2J")
    t.type("\x04")
    t.wait_exit()


def main():
    suite = Suite()
    return suite.run([replies_for_people, line_editing, history, tab_completion, notices_and_live_view,
                      hostile_names])


if __name__ == "__main__":
    sys.exit(main())
