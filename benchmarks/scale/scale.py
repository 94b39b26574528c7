#!/usr/bin/env python3
"""Helpers of benchmarks/scale/run.sh: loopback backends, manifests, probes, /metrics readings and the edit loop.

Every address used is on loopback (127.0.0.0/8). Each subcommand is bounded in time by its arguments and prints
its result on stdout (key=value lines or one number); progress and problems go to stderr.

  serve PORTFILE                   two backends, 127.0.0.1:P and 127.0.0.2:P (same port P, picked free), each
                                   writing its name ("a" or "b") and a newline to every connection, then closing;
                                   writes P to PORTFILE once both listen, and serves until killed
  gen DIR N VIP_OCTET PORT BACKEND_PORT PER_FILE EDIT
                                   N Services (ClusterIP 127.VIP_OCTET+.x.y:PORT, one TCP port) with one EndpointSlice
                                   each (127.0.0.1:BACKEND_PORT), PER_FILE Services to a file; the slice of Service
                                   number EDIT (0-based) lives alone in edit-slice.yaml
  vip I VIP_OCTET                  the ClusterIP of Service number I
  wait-served IP PORT T0 DEADLINE PID
                                   polls IP:PORT until a connection returns a backend's name; prints seconds since
                                   the epoch time T0; exits 1 when the epoch time DEADLINE passes first, 2 when the
                                   process PID (the agent) is gone
  sweep N VIP_OCTET PORT           one connection to every Service (64 at a time, 3 s to connect, 1 s to answer):
                                   served/failed counts; stops early when none of the first 1,000 is served
  metrics URL                      the sync histogram's count, sum and buckets, and the bind-failure counter
  edits URL DIR BACKEND_PORT IP PORT COUNT GAP
                                   COUNT edits of edit-slice.yaml, each moving the endpoint to the other backend,
                                   GAP seconds after the previous edit's sync was seen; per edit the agent's sync
                                   duration (from /metrics) and the time from the write to the first connection
                                   answered by the new backend
"""
import asyncio
import os
import socket
import statistics
import sys
import time
import urllib.request

SYNC = "kubeproxy_sync_proxy_rules_duration_seconds"
BIND_FAILURES = "userspace_proxy_listener_bind_failures_total"
NAMESPACE = "scale"
BACKENDS = {"a": "127.0.0.1", "b": "127.0.0.2"}


def log(msg):
    print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ backends
def serve(portfile):
    async def main():
        async def answer(name, reader, writer):
            try:
                writer.write(name.encode() + b"\n")
                await writer.drain()
            except OSError:
                pass
            finally:
                writer.close()

        servers = None
        for _ in range(50):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
            probe.close()
            try:
                servers = [await asyncio.start_server(lambda r, w, n=name: answer(n, r, w), addr, port,
                                                      backlog=1024, reuse_address=True)
                           for name, addr in BACKENDS.items()]
                break
            except OSError:
                continue  # the port was free on one address only: try another
        if servers is None:
            raise SystemExit("serve: no port free on both backend addresses after 50 tries")
        with open(portfile + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.rename(portfile + ".tmp", portfile)
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


# ------------------------------------------------------------------------------------------------ manifests
def vip(i, octet):
    """Service i's ClusterIP: 250 per /24, 62,500 per /16, starting at 127.<octet>.0.1."""
    x, y = divmod(i, 250)
    return f"127.{octet + x // 250}.{x % 250}.{y + 1}"


def service_yaml(i, octet, port):
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i:05d}\n  namespace: {NAMESPACE}\n"
            f"spec:\n  type: ClusterIP\n  clusterIP: {vip(i, octet)}\n  ports:\n"
            f"  - name: tcp\n    protocol: TCP\n    port: {port}\n    targetPort: {port}\n")


def slice_yaml(i, backend_address, backend_port):
    return (f"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: svc-{i:05d}-1\n"
            f"  namespace: {NAMESPACE}\n  labels:\n    kubernetes.io/service-name: svc-{i:05d}\n"
            f"addressType: IPv4\nports:\n- name: tcp\n  protocol: TCP\n  port: {backend_port}\n"
            f"endpoints:\n- addresses: [{backend_address}]\n  conditions:\n    ready: true\n")


def gen(directory, n, octet, port, backend_port, per_file, edit):
    docs = []
    for i in range(n):
        docs.append(service_yaml(i, octet, port))
        if i != edit:
            docs.append(slice_yaml(i, BACKENDS["a"], backend_port))
        if (i + 1) % per_file == 0 or i == n - 1:
            with open(os.path.join(directory, f"services-{i // per_file:05d}.yaml"), "w") as f:
                f.write("---\n".join(docs))
            docs = []
    write_atomically(os.path.join(directory, "edit-slice.yaml"), slice_yaml(edit, BACKENDS["a"], backend_port))


def write_atomically(path, text):
    """Write-then-rename, as an editor or a ConfigMap update does: the agent never reads half a file."""
    tmp = os.path.join(os.path.dirname(path), ".edit.tmp")  # a leading dot: never read as a manifest
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


# ------------------------------------------------------------------------------------------------ probes
def ask(ip, port, timeout):
    """The name of the backend that answered a new connection through IP:PORT, or None."""
    try:
        with socket.create_connection((ip, port), timeout=timeout) as s:
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(16)
                if not chunk:
                    break
                data += chunk
            return data.decode().strip() or None
    except OSError:
        return None


def alive(pid):
    """Whether the process runs (an exited child of the shell stays a zombie until reaped: that counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_served(ip, port, t0, deadline, pid):
    while time.time() < deadline:
        if not alive(pid):
            return 2
        if ask(ip, port, 1.0) in BACKENDS:
            print(f"{time.time() - t0:.3f}")
            return 0
        time.sleep(0.05)
    return 1


def sweep(n, octet, port):
    async def one(i, limit, tally):
        async with limit:
            if i >= 1000 and tally["served"] == 0:
                tally["not_tried"] += 1  # the agent serves none: waiting out every timeout would take minutes
                return
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(vip(i, octet), port), 3)
            except asyncio.TimeoutError:
                tally["connect_timeout"] += 1
                return
            except ConnectionRefusedError:
                tally["refused"] += 1
                return
            except OSError:
                tally["connect_error"] += 1
                return
            try:
                line = await asyncio.wait_for(reader.readline(), 1)
                tally["served" if line.strip().decode() in BACKENDS else "closed_unanswered"] += 1
            except (asyncio.TimeoutError, OSError):
                tally["answer_timeout"] += 1
            finally:
                writer.close()

    async def main():
        tally = dict.fromkeys(["served", "refused", "connect_timeout", "connect_error", "closed_unanswered",
                               "answer_timeout", "not_tried"], 0)
        limit = asyncio.Semaphore(64)
        await asyncio.gather(*(one(i, limit, tally) for i in range(n)))
        return tally

    started = time.monotonic()
    tally = asyncio.run(main())
    for k, v in tally.items():
        print(f"{k}={v}")
    print(f"seconds={time.monotonic() - started:.1f}")


# ------------------------------------------------------------------------------------------------ /metrics
def scrape(url, timeout=30):
    """The sync histogram (count, sum, {le: cumulative}) and the bind failures, read from one scrape."""
    buckets, count, total, binds = {}, None, None, None
    with urllib.request.urlopen(url, timeout=timeout) as r:
        for raw in r:
            if not raw.startswith(b"kubeproxy_sync_proxy_rules_duration") and not raw.startswith(b"userspace_proxy_l"):
                continue
            line = raw.decode().strip()
            name, _, value = line.rpartition(" ")
            if name.startswith(SYNC + "_bucket"):
                buckets[name.split('le="')[1].split('"')[0]] = float(value)
            elif name == SYNC + "_count":
                count = float(value)
            elif name == SYNC + "_sum":
                total = float(value)
            elif name == BIND_FAILURES:
                binds = float(value)
    if count is None or total is None:
        raise RuntimeError(f"{SYNC} not found at {url}")
    return {"count": count, "sum": total, "buckets": buckets, "bind_failures": binds}


def metrics(url):
    m = scrape(url)
    print(f"sync_count={m['count']:.0f}\nsync_sum_seconds={m['sum']:.6f}")
    binds = "n/a" if m["bind_failures"] is None else f"{m['bind_failures']:.0f}"
    print(f"bind_failures={binds}")


def bucket_of(before, after):
    """The upper bound of the smallest bucket that gained the one new observation."""
    def bound(le):
        return float("inf") if le == "+Inf" else float(le)
    for le in sorted(after, key=bound):
        if after[le] - before.get(le, 0) >= 1:
            return le
    return "?"


def edits(url, directory, backend_port, ip, port, count, gap):
    """Each edit counts when exactly one sync ran in its window; a window with more (a periodic or retry sync
    beside the edit's) is measured again, at most `count` extra times, and the number of such windows reported.

    The gap keeps each edit clear of the agent's minimum sync interval (--min-sync-period, 1 s by default) after
    the previous edit's sync: back to back, every edit would wait out that interval and the edit-to-traffic time
    would measure this loop's pace, not the agent."""
    try:
        edit_loop(url, directory, backend_port, ip, port, count, gap)
    except (OSError, RuntimeError) as e:  # a scrape that failed or timed out: the agent is not answering
        print(f"edits aborted: {e}")


def edit_loop(url, directory, backend_port, ip, port, count, gap):
    path = os.path.join(directory, "edit-slice.yaml")
    index = int(open(path).read().split("name: svc-")[1][:5])
    current, syncs, traffic, crowded = "a", [], [], 0
    attempts = 0
    while len(syncs) < count and attempts < 2 * count:
        if attempts:
            time.sleep(gap)
        attempts += 1
        target = "b" if current == "a" else "a"
        before = scrape(url)
        write_atomically(path, slice_yaml(index, BACKENDS[target], backend_port))
        written = time.monotonic()
        reached = None
        while time.monotonic() - written < 10:
            if ask(ip, port, 1.0) == target:
                reached = time.monotonic() - written
                break
            time.sleep(0.002)
        current = target
        if reached is None:  # the agent does not apply edits: the next ones would measure nothing either
            print(f"edit {attempts} {target} sync_ms=n/a traffic_ms=timeout: no connection reached backend "
                  f"{target} within 10 s; edits stopped")
            break
        # The sync's observation is recorded just after it applies: wait (bounded) until the count moves.
        after = scrape(url)
        settle = time.monotonic()
        while after["count"] == before["count"] and time.monotonic() - settle < 10:
            time.sleep(0.1)
            after = scrape(url)
        n = after["count"] - before["count"]
        took = after["sum"] - before["sum"]
        if n != 1:
            crowded += 1
            print(f"edit {attempts} {target} syncs_in_window={n:.0f} sum_ms={took * 1e3:.1f} "
                  f"traffic_ms={reached * 1e3:.0f} (not counted)")
            continue
        syncs.append(took)
        traffic.append(reached)
        print(f"edit {attempts} {target} sync_ms={took * 1e3:.1f} bucket_le={bucket_of(before['buckets'], after['buckets'])}"
              f" traffic_ms={reached * 1e3:.0f}")
    print_edit_summary(syncs, traffic, crowded)


def print_edit_summary(syncs, traffic, crowded):
    if syncs:
        print(f"edits_counted={len(syncs)} windows_with_other_syncs={crowded}")
        print(f"sync_p50_ms={statistics.median(syncs) * 1e3:.1f} sync_max_ms={max(syncs) * 1e3:.1f}")
        print(f"traffic_p50_ms={statistics.median(traffic) * 1e3:.0f} traffic_max_ms={max(traffic) * 1e3:.0f}")
    else:
        print(f"edits_counted=0 windows_with_other_syncs={crowded}")


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "serve":
        serve(args[0])
    elif cmd == "gen":
        gen(args[0], *map(int, args[1:]))
    elif cmd == "vip":
        print(vip(int(args[0]), int(args[1])))
    elif cmd == "wait-served":
        return wait_served(args[0], int(args[1]), float(args[2]), float(args[3]), int(args[4]))
    elif cmd == "sweep":
        sweep(int(args[0]), int(args[1]), int(args[2]))
    elif cmd == "metrics":
        metrics(args[0])
    elif cmd == "edits":
        edits(args[0], args[1], int(args[2]), args[3], int(args[4]), int(args[5]), float(args[6]))
    else:
        raise SystemExit(f"unknown subcommand {cmd}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
