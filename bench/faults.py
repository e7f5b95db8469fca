#!/usr/bin/env python3
"""Saves at a steady rate while each fault comes and goes; one Markdown row per fault.

Run by bench/faults.sh, which builds the server and starts PostgreSQL. For each fault: a
server of its own on a log of its own, saves at RATE a second from many connections, the
fault injected after BEFORE seconds, cleared DURING seconds later, AFTER seconds more; then
SIGTERM, `leadistry export`, and every acknowledged save looked up by consent id.

acknowledged: 200 with a consent cookie. kept: of those, in the log after the restart.
lost: acknowledged but not kept (must be 0). refused: any other answer, or none.
recover: from the fault cleared to the first acknowledged save sent after it.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time

RATE = 200
BEFORE, DURING, AFTER = 2.0, 3.0, 3.0
KEY = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"


def save(port):
    """One save over a fresh connection: (status, consent id or None, set a cookie)."""
    body = "choice=accept&source=banner"
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(
            "POST",
            "/api/consent",
            body,
            {
                "Origin": f"http://127.0.0.1:{port}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        response = connection.getresponse()
        text = response.read().decode()
        cookies = response.headers.get_all("Set-Cookie") or []
        connection.close()
    except OSError:
        return 0, None, False
    cookie = any(c.startswith("lf_cookie_consent=") for c in cookies)
    consent_id = None
    if response.status == 200 and cookie:
        consent_id = json.loads(text).get("id")
    return response.status, consent_id, cookie


class Load:
    """Saves sent at RATE a second until stopped, each answer kept with its send time."""

    def __init__(self, port):
        self.port = port
        self.answers = []  # (sent, status, id, cookie)
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.pool = concurrent.futures.ThreadPoolExecutor(64)
        self.pacer = threading.Thread(target=self._pace)
        self.pacer.start()

    def _one(self, sent):
        status, consent_id, cookie = save(self.port)
        with self.lock:
            self.answers.append((sent, status, consent_id, cookie))

    def _pace(self):
        start = time.monotonic()
        n = 0
        while not self.stopped.is_set():
            due = start + n / RATE
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            self.pool.submit(self._one, time.monotonic())
            n += 1

    def stop(self):
        self.stopped.set()
        self.pacer.join()
        self.pool.shutdown(wait=True)
        return self.answers


class Server:
    def __init__(self, binary, database, port):
        self.binary, self.database, self.port = binary, database, port
        self.start()

    def env(self):
        return dict(
            os.environ,
            LEPTOS_SITE_ADDR=f"127.0.0.1:{self.port}",
            DATABASE_URL=self.database,
            LEADISTRY_CONSENT_KEY=KEY,
            LEADISTRY_SAVES_PER_MINUTE="60000",
            LEADISTRY_SAVES_BURST="10000",
            LEADISTRY_RECEIPT_QUEUE="4096",
            RUST_LOG="off",
        )

    def start(self):
        self.process = subprocess.Popen([self.binary], env=self.env())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", self.port, timeout=1).connect()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"the server did not listen on {self.port}")

    def kill(self):
        self.process.kill()
        self.process.wait()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def exported(self):
        out = subprocess.run(
            [self.binary, "export", "--format", "jsonl"],
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return {json.loads(line)["consent_id"] for line in out.splitlines()}


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(binary, backend, name, database, fault, clear):
    """One row: the load, the fault and its clearing, then what the log kept."""
    server = Server(binary, database, free_port())
    load = Load(server.port)
    time.sleep(BEFORE)
    fault(server)
    time.sleep(DURING)
    cleared = time.monotonic()
    clear(server)
    time.sleep(AFTER)
    answers = load.stop()
    server.stop()
    kept = server.exported()
    acknowledged = [a for a in answers if a[2]]
    refused = [a for a in answers if not a[2]]
    assert not any(a[3] for a in refused), "a refused save set a consent cookie"
    lost = [a for a in acknowledged if a[2] not in kept]
    after = [a[0] for a in acknowledged if a[0] >= cleared]
    recover = f"{(min(after) - cleared) * 1000:.0f} ms" if after else "never"
    print(
        f"| {backend} | {name} | {len(acknowledged)} | {len(acknowledged) - len(lost)} "
        f"| **{len(lost)}** | {len(refused)} | {recover} |",
        flush=True,
    )
    return len(lost)


def nothing(_server):
    pass


def sqlite_rows(binary):
    lost = 0
    work = tempfile.mkdtemp(prefix="leadistry-faults-")

    def log(name):
        return f"sqlite://{work}/{name}.sqlite?mode=rwc"

    # A full disk: a tmpfs of its own, filled, then emptied.
    disk = os.path.join(work, "disk")
    os.makedirs(disk)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", disk], check=True)
    filler = os.path.join(disk, "filler")

    def fill(_server):
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 16))
                    f.flush()
            except OSError:
                pass

    try:
        url = f"sqlite://{disk}/log.sqlite?mode=rwc"
        lost += run(binary, "SQLite", "disk full, then space back", url, fill,
                    lambda _s: os.remove(filler))
    finally:
        subprocess.run(["umount", disk])

    def limit(size):
        return lambda server: subprocess.run(
            ["prlimit", "--pid", str(server.process.pid), f"--fsize={size}:unlimited"],
            check=True,
        )

    lost += run(binary, "SQLite", "file-size limit (I/O error), then lifted",
                log("fsize"), limit(4096), limit("unlimited"))

    holder = {}

    def hold(_server):
        connection = sqlite3.connect(f"{work}/busy.sqlite", isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        holder["connection"] = connection

    def let_go(_server):
        holder.pop("connection").execute("ROLLBACK")

    lost += run(binary, "SQLite", "write lock held by another process", log("busy"), hold, let_go)
    lost += run(binary, "SQLite", "SIGKILL, then restart", log("kill"),
                Server.kill, Server.start)
    return lost


def psql(url, sql):
    subprocess.run(["psql", "-qtA", url, "-c", sql], check=True, capture_output=True)


def postgres_rows(binary, admin):
    lost = 0
    base = admin.rsplit("/", 1)[0]

    def database(name):
        psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        psql(admin, f"CREATE DATABASE {name}")
        return f"{base}/{name}"

    def terminate(name):
        return (f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")

    def kill_six(_server):
        for _ in range(6):
            psql(admin, terminate("leadistry_faults_killed"))
            time.sleep(0.5)

    lost += run(binary, "PostgreSQL", "connections killed six times",
                database("leadistry_faults_killed"), kill_six, nothing)

    cluster = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.split()

    def restart(_server):
        subprocess.run(["pg_ctlcluster", cluster[0], cluster[1], "restart", "-m", "fast"],
                       check=True)

    lost += run(binary, "PostgreSQL", "server restarted", database("leadistry_faults_restart"),
                restart, nothing)

    url = database("leadistry_faults_commit")
    migrate = Server(binary, url, free_port())
    migrate.stop()
    psql(url, "CREATE TABLE fault (refuse BOOLEAN NOT NULL); INSERT INTO fault VALUES (false); "
              "CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ "
              "BEGIN IF (SELECT refuse FROM fault) THEN RAISE EXCEPTION 'refused'; END IF; "
              "RETURN NULL; END $$; "
              "CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON consent_receipts "
              "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()")
    lost += run(binary, "PostgreSQL", "COMMIT refused by a deferred trigger", url,
                lambda _s: psql(url, "UPDATE fault SET refuse = true"),
                lambda _s: psql(url, "UPDATE fault SET refuse = false"))

    name = "leadistry_faults_read_only"

    def read_only(_server):
        psql(admin, f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        psql(admin, terminate(name))

    lost += run(binary, "PostgreSQL", "read-only, then writable", database(name), read_only,
                lambda _s: psql(admin, f"ALTER DATABASE {name} RESET default_transaction_read_only"))
    lost += run(binary, "PostgreSQL", "SIGKILL, then restart", database("leadistry_faults_kill"),
                Server.kill, Server.start)
    return lost


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the leadistry binary")
    parser.add_argument("--postgres", help="a PostgreSQL URL whose role may create databases")
    args = parser.parse_args()
    print(f"Saves at {RATE}/s; each fault after {BEFORE:.0f} s, cleared {DURING:.0f} s later, "
          f"{AFTER:.0f} s more.\n")
    print("| log | fault | acknowledged | kept | lost | refused | recover |")
    print("|---|---|---:|---:|---:|---:|---:|")
    lost = sqlite_rows(args.server)
    if args.postgres:
        lost += postgres_rows(args.server, args.postgres)
    raise SystemExit(1 if lost else 0)


if __name__ == "__main__":
    main()
