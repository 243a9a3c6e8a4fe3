"""Run a command; write its wall time, CPU time and peak resident memory (kB) as JSON to the file named first.

    python bench/peak.py RESULT_FILE COMMAND [ARGS...]

Peak memory is the child's ru_maxrss from wait4(). This small process forks the command itself,
so the figure is the command's own (a child forked from a big process would report the big
process's memory: Linux keeps the high-water mark across exec).
"""
import json
import os
import sys
import time


def main() -> None:
    result_file, command = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    with open(result_file, "w") as out:
        json.dump({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "max_rss_kb": usage.ru_maxrss,
                   "exit": os.waitstatus_to_exitcode(status)}, out)
    sys.exit(0 if os.waitstatus_to_exitcode(status) == 0 else 1)


if __name__ == "__main__":
    main()
