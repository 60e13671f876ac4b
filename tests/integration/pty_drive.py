#!/usr/bin/env python3
"""Drive a command through a pseudo-terminal, as a person at a keyboard would (test_step.sh).

pty_drive.py TRANSCRIPT [wait REGEX | send TEXT | sleep SECONDS | run SHELL-CMD]... -- COMMAND ARGS...

`wait` blocks until REGEX matches the output that came after the previous wait's match (30 s at
most, then exit 124); `send` types TEXT (Python escapes: '\\r' is Enter, '\\x03' Ctrl-C); `run`
runs an observer with sh, its output on this script's stdout. The whole output of COMMAND goes
to TRANSCRIPT; the exit status is the command's (128+N when signal N ended it).
"""
import os
import pty
import re
import select
import subprocess
import sys
import time

def give_up(pid, transcript, out, why):
    open(transcript, 'wb').write(out)
    sys.stderr.write('pty_drive: %s\n' % why)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    sys.exit(124)


def main():
    args = sys.argv[1:]
    split = args.index('--')
    transcript, actions, command = args[0], args[1:split], args[split + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    out = b''
    seen = 0  # where the next wait starts looking

    def pump(timeout):  # False once the terminal is closed
        nonlocal out
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(fd, 4096)
        except OSError:
            return False
        out += data
        return bool(data)

    def drain():
        ready = True
        while ready:
            ready, _, _ = select.select([fd], [], [], 0)
            if ready and not pump(0):
                return

    status = None
    for i in range(0, len(actions), 2):
        verb, arg = actions[i], actions[i + 1]
        if verb == 'send':
            os.write(fd, arg.encode().decode('unicode_escape').encode())
        elif verb == 'run':  # the observer may read the transcript so far
            open(transcript, 'wb').write(out)
            sys.stdout.flush()
            subprocess.run(arg, shell=True, check=False)
        elif verb == 'sleep':
            time.sleep(float(arg))
        elif verb == 'wait':
            deadline = time.monotonic() + 30
            rx = re.compile(arg.encode())
            while True:
                m = rx.search(out, seen)
                if m:
                    seen = m.end()
                    break
                if time.monotonic() > deadline or not pump(0.2):
                    give_up(pid, transcript, out, 'no /%s/ in the output' % arg)
    deadline = time.monotonic() + 60
    done, st = 0, 0
    while not done:
        if time.monotonic() > deadline:
            give_up(pid, transcript, out, 'the command did not end')
        if not pump(0.2):
            time.sleep(0.05)  # the terminal is closed; the process is still ending
        done, st = os.waitpid(pid, os.WNOHANG)
    drain()
    open(transcript, 'wb').write(out)
    sys.exit(os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))

main()
