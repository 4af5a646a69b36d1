"""Render bench/results/latest.json (or the file given) as the Markdown tables of the README.

python bench/table.py [bench/results/latest.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def best_of(e: dict) -> str:
    """' (best of 5.4, 8.8, 6.1 s)' when the exact kernel was timed more than once."""
    runs = e.get("wavehouse_exact_runs_seconds") or []
    return f" (best of {', '.join(str(r) for r in runs)})" if len(runs) > 1 else ""


def neighbour_tables(n: dict) -> list[str]:
    # a run before faiss became the exact kernel holds one embedding's figures at the top level
    kinds = {"cluster space": n} if "n" in n else {kind: n[kind] for kind in n if isinstance(n[kind], dict)}
    out = []
    for kind, e in kinds.items():
        if "bounded_pairs_share" in e:
            exact = (
                f"wavehouse exact (BoundedExact: cone-bounded lists, {e['bounded_pairs_share']:.1%} of pairs compared)"
            )
        elif "faiss_flat_seconds" in e:  # runs before faiss, then before BoundedExact
            exact = "wavehouse exact (torch tiles)"
        else:
            exact = "wavehouse exact (faiss flat + song masking)"
        out += [
            f"Neighbours of the `{kind}` embedding, N = {e['n']:,}, d = {e['d']}, top-{n['k'] if 'k' in n else 10} "
            f"(sgemm {n['sgemm_gflops']} GFLOP/s, floor 2·N²·d = {e['gemm_floor_seconds']} s):",
            "",
            "| method | seconds | recall@10 | vs |",
            "|---|---|---|---|",
            f"| {exact} | {e['wavehouse_exact_seconds']}{best_of(e)} | 1 | {e['exact_vs_floor']}x the GEMM floor (goal <= 1.5x) |",
        ]
        for key in [k for k in e if k.startswith("wavehouse_ivf") and isinstance(e[k], dict)]:  # before faiss IVF
            i = e[key]
            out.append(
                f"| wavehouse IVF, {key[13:]} probes ({i['pairs_share']:.1%} of pairs) | {i['seconds_with_lists']} | "
                f"{i['recall_at_10']} | {i['seconds_with_lists'] / e['wavehouse_exact_seconds']:.2f}x exact |"
            )
        if "exact_distinct_seconds" in e:
            out.append(
                f"| wavehouse exact, one id per song (the build's lists) | {e['exact_distinct_seconds']} | 1 | "
                f"{e['exact_distinct_seconds'] / e['wavehouse_exact_seconds']:.2f}x exact |"
            )
        for key in [k for k in e if k.startswith(("faiss_ivf", "scan_ivf")) and isinstance(e[k], dict)]:
            i, engine = e[key], "faiss IVF" if key.startswith("faiss") else "wavehouse IVF (ListScan)"
            out.append(
                f"| {engine} ({i['lists']} lists, {key.split('ivf')[1]} probes), one id per song | {i['seconds_with_index']} | "
                f"{i['recall_at_10']} (vs one id per song) | {i['seconds_with_index'] / e['wavehouse_exact_seconds']:.2f}x exact |"
            )
        if "faiss_flat_vs_floor" in e:
            runs = ", ".join(str(r) for r in e["faiss_flat_runs_seconds"])
            out.append(
                f"| faiss IndexFlatIP (exact, every pair) + song masking | {e['faiss_flat_seconds']} (best of {runs}) | "
                f"{e['faiss_flat_recall_vs_wavehouse_exact']} (vs wavehouse exact) | {e['faiss_flat_vs_floor']}x the GEMM "
                f"floor; {e['faiss_flat_seconds'] / e['wavehouse_exact_seconds']:.2f}x wavehouse exact |"
            )
        elif "faiss_flat_seconds" in e:
            out.append(
                f"| faiss IndexFlatIP (exact) | {e['faiss_flat_seconds']} | {e['faiss_flat_recall_vs_wavehouse_exact']} | |"
            )
        out += [
            f"| faiss HNSW (M=32) | {e['faiss_hnsw_seconds']} | {e['faiss_hnsw_recall_at_10']} | "
            f"{e['faiss_hnsw_seconds'] / e['wavehouse_exact_seconds']:.2f}x exact |",
            "",
        ]
    return out


def main(path: Path) -> str:
    r = json.loads(path.read_text())
    m = r["machine"]
    out = [
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['mem_gb']} GB RAM, Python {m['python']}, torch threads "
        f"{m['torch_threads']}; run started {r['started']} (`{path.name}`).",
        "",
    ]
    if "vs_peer" in r:
        v = r["vs_peer"]
        out += ["| stage (full catalogue) | seed pipeline (peer) s | wavehouse s |", "|---|---|---|"]
        for stage, peer in v["stages_peer"].items():
            out.append(f"| {stage.replace('_', ' ')} | {peer:.2f} | {v['stages_wavehouse'][stage]:.2f} |")
        s, w = v["shared_stages_seconds"], v["whole_build_vs_peer_total"]
        out.append(
            f"| **stages both run** | {s['peer']:.1f} | {s['wavehouse']:.1f} (**{s['ratio']:.2f}x**, goal <= 0.5x) |"
        )
        out.append(
            f"| **whole run** (wavehouse: every stage of all five seeds + marts + publish) | {w['peer']:.1f} | "
            f"{w['wavehouse']:.1f} (**{w['ratio']:.2f}x**, goal <= 2x) |"
        )
        g = v["genre_hit_rate_at_10"]
        out += [
            "",
            f"Genre hit rate@10: peer {g['peer']:.3f}; wavehouse {g['wavehouse_seed_protocol']:.3f} (same protocol), "
            f"{g['wavehouse_heldout']:.3f} (held-out queries).",
            "",
        ]
    n = r.get("neighbours")
    alone = path.with_name("neighbours_latest.json")
    if alone.is_file():  # `bench/run.py --neighbours-only`, a run of its own
        separate = json.loads(alone.read_text())
        if separate["started"] > r["started"]:
            n = separate["neighbours"]
            out += [
                f"Neighbour kernels measured on their own (`neighbours_latest.json`, run started {separate['started']}):",
                "",
            ]
    if n:
        out += neighbour_tables(n)
    c = r.get("cold_lookup")
    if c:
        out += [
            f"Cold `wavehouse recommend` (median of {c['runs']}): {c['wavehouse_recommend_s']} s against "
            f'{c["import_duckdb_s"]} s for `python -c "import duckdb"`: **{c["ratio"]}x** (goal <= 2x).',
            "",
        ]
    if r.get("scale"):
        sizes = list(r["scale"])
        out += [
            "Scale (IVF neighbours, evaluation on at most 20k queries):",
            "",
            "| | " + " | ".join(f"{int(s):,} rows" for s in sizes) + " |",
            "|---" * (len(sizes) + 1) + "|",
        ]
        out.append("| tracks after dedupe | " + " | ".join(f"{r['scale'][s]['tracks']:,}" for s in sizes) + " |")
        out.append("| whole build s | " + " | ".join(str(r["scale"][s]["seconds"]) for s in sizes) + " |")
        out.append("| peak RSS MB | " + " | ".join(str(r["scale"][s]["peak_rss_mb"]) for s in sizes) + " |")
        out.append("| SQL layer s | " + " | ".join(str(r["scale"][s]["sql_seconds"]) for s in sizes) + " |")
        stages = list(r["scale"][sizes[0]]["ml_stages"])
        for st in stages:
            out.append(
                f"| {st} s | "
                + " | ".join(str(r["scale"][s]["ml_stages"].get(st, {}).get("seconds", "")) for s in sizes)
                + " |"
            )
        out.append("| IVF recall@10 | " + " | ".join(str(r["scale"][s]["ivf_recall_at_10"]) for s in sizes) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("results") / "latest.json"))
