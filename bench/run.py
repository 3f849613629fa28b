"""`python -m bench.run [--scale small|spec] [--runs N]`: the benchmark (see bench/__init__.py)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

from bench import django_env
from bench.generate import SCALES

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description="Guanxi benchmark: generate data at a scale and time the scenarios."
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="spec", help="data scale (default: spec)")
    parser.add_argument("--runs", type=int, default=30, help="measured requests per scenario (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests first (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", nargs="*", help="only these scenarios")
    parser.add_argument("--database-url", help="use this PostgreSQL database instead of starting one")
    parser.add_argument("--redis-url", help="use this Redis (cache and sessions) instead of starting one")
    parser.add_argument(
        "--output", default=str(ROOT / "docs" / "PERFORMANCE.md"), help="report file (default docs/PERFORMANCE.md); '-' prints it"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup not negative")

    started = time.perf_counter()
    server = redis = None
    url = args.database_url
    sys.path.insert(0, str(ROOT))
    from tests.support.services import PostgresServer, RedisServer

    if not url:
        print("Starting PostgreSQL …", flush=True)
        server = PostgresServer().start()
        url = server.url
    # As deployed (docs/DEPLOY.md): sessions, cached principals and counts live in Redis.
    redis_url = args.redis_url
    if not redis_url:
        print("Starting Redis …", flush=True)
        redis = RedisServer().start()
        redis_url = redis.url
    os.environ["REDIS_URL"] = redis_url
    try:
        django_env.setup(url)
        django_env.prepare(seed=args.seed)
        from bench import generate, report, scenarios

        print(f"Generating data (scale {args.scale}) …", flush=True)
        generated = generate.run(args.scale, seed=args.seed)
        results = []
        for sc in scenarios.ordered(args.scenario):
            print(f"Measuring {sc.name} ({args.warmup} warm-up + {args.runs} runs) …", flush=True)
            try:
                r = scenarios.measure(sc, runs=args.runs, warmup=args.warmup)
            except scenarios.NotMeasured as exc:
                print(f"  not measured: {exc}", flush=True)
                results.append(scenarios.Result(sc, skipped=str(exc)))
                continue
            p = scenarios.percentile
            print(f"  server p50 {p(r.app_ms, 50):.1f} ms, p95 {p(r.app_ms, 95):.1f} ms, max {max(r.app_ms):.1f} ms", flush=True)
            if r.bare_ms:
                print(f"  bare SQL p50 {p(r.bare_ms, 50):.1f} ms, p95 {p(r.bare_ms, 95):.1f} ms", flush=True)
            results.append(r)
        batch_results = []
        for b in scenarios.batches(args.scenario):
            print(f"Measuring {b.name} …", flush=True)
            br = scenarios.run_batch(b, scale=args.scale)
            for f in br.figures:
                print(f"  {f.label}: {f.value}", flush=True)
            if br.skipped:
                print(f"  not measured: {br.skipped}", flush=True)
            batch_results.append(br)
        command = "python -m bench.run " + " ".join(shlex.quote(a) for a in _reproducible_args(args))
        text = report.render(
            results,
            batches=batch_results,
            scale=args.scale,
            runs=args.runs,
            warmup=args.warmup,
            command=command.strip(),
            generated=generated,
            elapsed=time.perf_counter() - started,
        )
        if args.output == "-":
            print(text)
        else:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"Wrote {args.output} in {time.perf_counter() - started:.0f} s.")
    finally:
        from django.db import connections

        connections.close_all()
        if server is not None:
            server.stop()
        if redis is not None:
            redis.stop()
    return 0


def _reproducible_args(args) -> list[str]:
    out = ["--scale", args.scale, "--runs", str(args.runs), "--warmup", str(args.warmup)]
    if args.seed != 1:
        out += ["--seed", str(args.seed)]
    if args.scenario:
        out += ["--scenario", *args.scenario]
    return out


if __name__ == "__main__":
    sys.exit(main())
