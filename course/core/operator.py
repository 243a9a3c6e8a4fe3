"""Who runs a command-line action: the operating-system user and the host, for the records it leaves."""
import getpass
import os
import socket


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (some containers) and no USER variable
        return os.environ.get("USER") or f"uid {os.getuid()}"


def host() -> str:
    return socket.gethostname() or "unknown host"


def command_line_operator() -> str:
    """"user@host (command line)": how a command-line actor is named where a person's name would be."""
    return f"{os_user()}@{host()} (command line)"
