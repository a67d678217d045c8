#!/usr/bin/env python3
"""The long fuzz run of the bounce/complaint parser (issue 13): mutations of every corpus
message (tests/feedback/mutations.py: byte flips, truncation, duplicated headers, charset
lies, deep nesting, huge header lines, long runs of pattern tokens, many recipients, one or
two chained), each parsed and timed in CPU time (other processes on a shared machine do not
count), from cold (the parser's caches cleared). Reports inputs/s, the slowest inputs, every
input over 100 ms and every exception — both from `parse_message` (which must never raise)
and from the detection underneath it, whose exceptions `parse_message` swallows (an empty
result for a message it could have read). Offending inputs are saved to --save-dir.

    .venv/bin/python bench/fuzz_bounces.py --inputs 100000 [--seed 1] [--save-dir DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from mailwright.feedback.parsing import clear_caches, parse  # noqa: E402, I001
from tests.feedback.mutations import LIMIT_SECONDS, SEEDS, mutate  # noqa: E402

DOMAINS = {"bounces.example.org"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slowest", type=int, default=10)
    ap.add_argument("--save-dir", type=Path, default=Path(tempfile.gettempdir()) / "fuzz-bounces")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    seeds = [(p.relative_to(ROOT), p.read_bytes()) for p in SEEDS]
    slowest: list[tuple[float, str, int]] = []
    slow, errors = [], []
    busy = 0.0
    started = time.perf_counter()
    for i in range(args.inputs):
        path, seed = rng.choice(seeds)
        how, raw = mutate(seed, rng)
        label = f"#{i} {how} of {path}"
        clear_caches()  # every input timed from cold
        t0 = time.process_time()
        try:
            parse._parse(raw, None, DOMAINS)  # what parse_message would have swallowed
        except Exception as exc:
            errors.append((label, "swallowed", f"{type(exc).__name__}: {exc}"[:200], raw))
        t1 = time.process_time()
        try:
            result = parse.parse_message(raw, bounce_domains=DOMAINS)
            assert all(r.kind in ("hard", "soft") for r in result.recipients)
        except Exception:
            errors.append((label, "RAISED", traceback.format_exc(limit=3)[-300:], raw))
        seconds = t1 - t0
        busy += seconds
        if seconds > LIMIT_SECONDS:
            # Once more: a busy moment of a shared machine is not a slow input.
            clear_caches()
            t0 = time.process_time()
            parse.parse_message(raw, bounce_domains=DOMAINS)
            seconds = min(seconds, time.process_time() - t0)
            if seconds > LIMIT_SECONDS:
                slow.append((label, seconds, raw))
        slowest.append((seconds, label, len(raw)))
        if len(slowest) > 4 * args.slowest:
            slowest = sorted(slowest, reverse=True)[: args.slowest]
        if (i + 1) % 10_000 == 0:
            print(f"  {i + 1} inputs, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    wall = time.perf_counter() - started

    args.save_dir.mkdir(parents=True, exist_ok=True)
    for n, (_, _, _, raw) in enumerate(errors):
        (args.save_dir / f"error-{n}.eml").write_bytes(raw)
    for n, (_, _, raw) in enumerate(slow):
        (args.save_dir / f"slow-{n}.eml").write_bytes(raw)

    rate = args.inputs / wall
    print(f"{args.inputs} inputs (seed {args.seed}) in {wall:.0f} s: {rate:.0f} inputs/s")
    print(f"parse time: {busy / args.inputs * 1000:.2f} ms mean")
    print(f"over {LIMIT_SECONDS * 1000:.0f} ms (twice): {len(slow)}; exceptions: {len(errors)}")
    print("\n| slowest inputs | bytes | ms |\n|---|---:|---:|")
    for seconds, label, size in sorted(slowest, reverse=True)[: args.slowest]:
        print(f"| {label} | {size} | {seconds * 1000:.1f} |")
    for label, kind, text, _ in errors[:20]:
        print(f"\n{kind} {label}:\n{text}")
    if errors or slow:
        print(f"\ninputs saved in {args.save_dir}")
    return 1 if errors or slow else 0


if __name__ == "__main__":
    sys.exit(main())
