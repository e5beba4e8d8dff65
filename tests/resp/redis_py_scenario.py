#!/usr/bin/python3
"""A real Redis client (Debian's python3-redis) against `statelab serve` on every engine:
transactional pipelines, WATCH retry loops, decr, setex, scan_iter, expire(nx=True),
set(get=True) (issue 21, docs/resp.md#clients).

Usage: redis_py_scenario.py STATELAB_BIN
Exit 0 when every check passed on every engine, 1 on a failure, 77 when redis-py is missing.
"""
import re
import subprocess
import sys
import threading

try:
    import redis
except ImportError:
    print("redis_py_scenario: SKIPPED: python3-redis is not installed (scripts/deps.sh)")
    sys.exit(77)


def engines(statelab):
    help_text = subprocess.run([statelab, "serve", "--help"], capture_output=True, text=True).stdout
    line = re.search(r"^\s+--engine E\s+(.*)", help_text, re.MULTILINE).group(1)
    return [e.strip() for e in line.split("|")]


def scenario(r):
    r.flushall()
    # A transactional pipeline (MULTI ... EXEC): every reply, every write applied once.
    with r.pipeline() as p:
        p.set("a", 1).incr("a").get("a").setex("s", 100, "v").decr("a")
        assert p.execute() == [True, 2, "2", True, 1]
    # An error while queuing: EXECABORT, nothing applied.
    with r.pipeline() as p:
        p.set("never", 1)
        p.execute_command("NOSUCHCOMMAND", "x")
        try:
            p.execute()
            raise AssertionError("a pipeline with an unknown command succeeded")
        except redis.exceptions.ResponseError as e:
            assert "unknown command" in str(e) or "EXECABORT" in str(e), e
    assert r.exists("never") == 0, "a discarded transaction wrote"

    # WATCH retry loops from several threads: no lost update.
    r.set("ctr", 0)
    retries = [0]

    def bump(pipe):
        value = int(pipe.get("ctr"))
        pipe.multi()
        pipe.set("ctr", value + 1)

    def worker():
        client = redis.Redis(port=r.connection_pool.connection_kwargs["port"], decode_responses=True)
        for _ in range(100):
            while True:
                try:
                    with client.pipeline() as p:
                        p.watch("ctr")
                        bump(p)
                        p.execute()
                    break
                except redis.WatchError:
                    retries[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert r.get("ctr") == "400", r.get("ctr")
    # r.transaction(): the same loop through redis-py's helper.
    r.transaction(bump, "ctr")
    assert r.get("ctr") == "401"

    # decr (DECRBY), setex, expire(nx=True), set(get=True).
    r.set("d", 10)
    assert r.decr("d") == 9 and r.decr("d", 5) == 4 and r.decrby("d", 4) == 0
    assert r.setex("x", 100, "v") is True and 99 <= r.ttl("x") <= 100
    assert r.expire("x", 50, nx=True) is False, "NX on a key with a TTL"
    r.set("y", "1")
    assert r.expire("y", 50, nx=True) is True and r.ttl("y") == 50
    assert r.expire("y", 10, gt=True) is False and r.expire("y", 10, lt=True) is True
    r.set("g", "old")
    assert r.set("g", "new", get=True) == "old" and r.get("g") == "new"

    # scan_iter over more keys than one COUNT.
    r.mset({f"scan:{i}": i for i in range(250)})
    assert set(r.scan_iter(match="scan:*", count=10)) == {f"scan:{i}" for i in range(250)}
    return retries[0]


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    statelab = sys.argv[1]
    failed = False
    for engine in engines(statelab):
        serve = subprocess.Popen([statelab, "serve", "--engine", engine, "--mode", "inmemory",
                                  "--port", "0", "--threads", "2"],
                                 stdout=subprocess.PIPE, text=True)
        try:
            port = int(re.search(r":(\d+) \(engine", serve.stdout.readline()).group(1))
            r = redis.Redis(port=port, decode_responses=True)
            retries = scenario(r)
            print(f"redis_py_scenario: {engine}: passed ({retries} WATCH retries)")
        except Exception as e:  # report and go on with the next engine
            print(f"redis_py_scenario: {engine}: FAILED: {type(e).__name__}: {e}")
            failed = True
        finally:
            serve.terminate()
            serve.wait(timeout=30)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
