"""What the soak run and the load benchmark share: a production-like gunicorn and wrk.

Standard library only, so that it can be imported before Django is set up.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
# /proc/<pid>/stat counts CPU time in clock ticks.
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def production_env(**extra):
    """Return the environment of a production deployment on loopback, plus `extra`."""
    return {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "load-run-" + "s" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        **extra,
    }


def require_wrk():
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    env, *, workers=2, module="alliance.project.wsgi", port=None, wait=20
):
    """Start gunicorn (sync workers, no access log) on `port` (a free one by default); return (process, base URL).

    Raise RuntimeError when it does not answer /healthz within `wait` seconds.
    """
    port = port or free_port()
    server = subprocess.Popen(
        [str(GUNICORN), module, "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--worker-class", "sync", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
            return server, base
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"gunicorn did not start on {base}")


def stop(server):
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def workers(master_pid):
    children = (
        Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    )
    return [int(pid) for pid in children]


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_ms(pids):
    """Return the CPU time (user + system) the processes have used so far, in ms, by pid.

    A process that has gone away is left out.
    """
    used = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # The command name, in parentheses, may hold spaces: count from after it.
        fields = stat[stat.rindex(")") + 2 :].split()
        used[pid] = (int(fields[11]) + int(fields[12])) * TICK_MS
    return used


def cpu_delta_ms(before, after):
    """Return the CPU ms used between two cpu_ms() readings, by the processes in both or new."""
    return sum(ms - before.get(pid, 0) for pid, ms in after.items())


def flush_redis(url):
    """Empty the Redis database of `url` (redis://host:port/db) with FLUSHDB."""
    parts = urllib.parse.urlsplit(url)
    db = parts.path.strip("/") or "0"
    commands = [["SELECT", db], ["FLUSHDB"]]
    payload = "".join(
        f"*{len(c)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in c) for c in commands
    )
    with socket.create_connection(
        (parts.hostname, parts.port or 6379), timeout=2
    ) as sock:
        sock.sendall(payload.encode())
        answer = b""
        while answer.count(b"\r\n") < len(commands):
            chunk = sock.recv(1024)
            if not chunk:
                break
            answer += chunk
    if not answer.startswith(b"+OK\r\n+OK"):
        raise RuntimeError(f"Redis did not flush {url}: {answer!r}")


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
UNITS_BYTES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(number) * UNITS_MS[unit]


def _bytes(text):
    number, unit = re.fullmatch(r"([\d.]+)([KMGT]?B)", text).groups()
    return float(number) * UNITS_BYTES[unit]


def parse_wrk(output):
    """Read wrk's report (run with --latency) into numbers: latencies in ms, sizes in bytes.

    wrk exits 0 even when every answer is an error: `non_2xx` (which wrk counts
    as status 400 and above) and `socket_errors` say what went wrong.
    """
    total = re.search(r"(\d+) requests in ([\d.]+\w+), ([\d.]+[KMGT]?B) read", output)
    percentiles = {
        int(p): _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.M)
    }
    mean = re.search(r"Latency\s+(\S+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    requests = int(total.group(1))
    return {
        "requests": requests,
        "seconds": _ms(total.group(2)) / 1000,
        "bytes_per_request": _bytes(total.group(3)) / max(requests, 1),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "mean_ms": _ms(mean.group(1)) if mean else None,
        "p50_ms": percentiles.get(50),
        "p99_ms": percentiles.get(99),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in sockets.groups()) if sockets else 0,
    }
