"""Draw ``docs/img/performance.png`` from a results file written by ``run.py``.

Four panels: requests/s over the wire, in-process cost per request, routing cost against the
number of routes, and each target (issues 6, 15, 16, 18; the JSON byte-identity checks are not
drawn) as the share of its budget used (<= 1 is met).

    python benchmarks/chart.py [benchmarks/results/latest.json] [--out docs/img/performance.png] [--markdown]

``--markdown`` prints the tables of docs/performance.md from the same file instead.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COLORS = {
    "microflask": "#d62728",
    "bare-asgi": "#7f7f7f",
    "starlette": "#1f77b4",
    "fastapi": "#2ca02c",
    "quart": "#9467bd",
    "flask": "#ff7f0e",
    "blacksheep": "#17becf",
    "litestar": "#bcbd22",
}
ORDER = ["bare-asgi", "microflask", "blacksheep", "starlette", "litestar", "fastapi", "quart", "flask"]
LABELS = {"flask": "flask (gunicorn)", "bare-asgi": "bare ASGI"}


def grouped_bars(ax: Any, data: dict[str, dict[str, float]], endpoints: list[str], fmt: str) -> None:
    names = [n for n in ORDER if n in data]
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs = [e + (i - (len(names) - 1) / 2) * width for e in range(len(endpoints))]
        values = [data[name].get(label, 0) for label in endpoints]
        bars = ax.bar(xs, values, width, label=LABELS.get(name, name), color=COLORS.get(name, "#333"))
        if name == "microflask":
            for bar in bars:
                bar.set_edgecolor("black")
                bar.set_linewidth(1.2)
        for bar, v in zip(bars, values, strict=True):
            ax.annotate(
                fmt.format(v),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=6.5,
                rotation=90,
                xytext=(0, 2),
                textcoords="offset points",
            )
    ax.set_xticks(range(len(endpoints)), endpoints)


def budget_used(t: dict[str, Any]) -> float:
    """measured/limit for a maximum, limit/measured for a minimum: <= 1.0 means met."""
    m, lim = t["measured"], t["limit"]
    if t["kind"] == "max":
        if lim == 0:  # a count that must be zero (timeouts): met at 0, otherwise off the scale
            return 0.0 if m <= 0 else 10.0
        return max(m, 0.0) / lim
    return lim / m if m > 0 else 10.0


def draw(results: dict[str, Any], out: Path) -> None:
    sections = results["sections"]
    fig, axes = plt.subplots(2, 2, figsize=(15, 10.5))
    m = results["machine"]
    fig.suptitle(
        f"microflask benchmarks — {results['date']} — {m['nproc']} x {m['cpu_model']}, Python {m['python']}",
        fontsize=13,
        fontweight="bold",
    )

    ax = axes[0][0]
    wire = sections.get("wire")
    if wire:
        endpoints = list(wire["results"]["microflask"])
        rps = {name: {k: v["rps"] for k, v in r.items()} for name, r in wire["results"].items()}
        grouped_bars(ax, rps, endpoints, "{:.0f}")
        ax.set_title(
            f"Over the wire: requests/s, higher is better\n1 uvicorn worker (httptools+uvloop) on CPU 0, "
            f"wrk -c{wire['connections']} on CPU 1, best of {wire['rounds']} x {wire['duration_s']} s per case"
        )
        ax.set_ylabel("requests / s")
        ax.margins(y=0.15)
        ax.legend(fontsize=8, ncols=3, loc="upper right")

    ax = axes[0][1]
    inproc = sections.get("inprocess")
    if inproc:
        us = inproc["us_per_request"]
        grouped_bars(ax, us, list(us["microflask"]), "{:.1f}")
        ax.set_yscale("log")
        ax.set_ylim(top=max(v for by in us.values() for v in by.values()) * 4)
        ax.set_title("In-process: µs per request (log scale), lower is better\nASGI app called directly, no server")
        ax.set_ylabel("µs / request")
        ax.margins(y=0.25)
        ax.legend(fontsize=8, ncols=3, loc="upper left")

    ax = axes[1][0]
    routing = sections.get("routing")
    if routing:
        for name, by_n in routing["us_per_request"].items():
            ns = [int(n) for n in by_n]
            ax.plot(ns, list(by_n.values()), "o-", color=COLORS.get(name), label=name, linewidth=2)
            ax.annotate(
                f"{routing['ratio_last_over_first'][name]:.1f}x",
                (ns[-1], list(by_n.values())[-1]),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=10,
                color=COLORS.get(name),
                fontweight="bold",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(right=max(int(n) for n in routing["us_per_request"]["microflask"]) * 2.5)
        ax.set_title(
            "Routing: µs per request to the LAST of N routes /r{i}/<int:id>\n(label: last of 1000 / last of 10)"
        )
        ax.set_xlabel("number of routes")
        ax.set_ylabel("µs / request")
        ax.legend()
        ax.grid(True, which="both", alpha=0.3)

    ax = axes[1][1]
    rows = [t for t in results.get("targets", []) if t["measured"] is not None and not t["name"].startswith("5 ")]
    if rows:
        used = [budget_used(t) for t in rows]
        colors = ["#2ca02c" if t["met"] else "#d62728" for t in rows]
        ys = range(len(rows))[::-1]
        ax.barh(list(ys), [min(u, 2.0) for u in used], color=colors)
        ax.axvline(1.0, color="black", linewidth=1)
        ax.set_yticks(list(ys), [t["name"] for t in rows], fontsize=8)
        for y, t, u in zip(ys, rows, used, strict=True):
            limit = ("<=" if t["kind"] == "max" else ">=") + f"{t['limit']:g}"
            ax.text(max(min(u, 2.0), 1.0) + 0.03, y, f"{t['shown']} (target {limit})", va="center", fontsize=8)
        ax.set_xlim(0, max(1.0, min(max(used), 2.0)) + 0.75)
        ax.set_xlabel("share of the budget used (green, <= 1.0: target met; red: missed)")
        met = sum(1 for t in rows if t["met"])
        ax.set_title(f"Targets (the number is the issue's): {met} of {len(rows)} met")

    fig.tight_layout(rect=(0, 0, 1, 0.96))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"chart written to {out}")


def markdown(results: dict[str, Any]) -> str:
    """The tables of docs/performance.md, from the same results."""
    lines = ["| target | measured | limit | verdict |", "| --- | --- | --- | --- |"]
    for t in results.get("targets", []):
        limit = t.get("limit_text") or ("<= " if t["kind"] == "max" else ">= ") + f"{t['limit']:g}"
        verdict = {True: "met", False: "**missed**", None: "-"}[t["met"]]
        note = f" ({t['note']})" if t["note"] else ""
        lines.append(f"| {t['name']} | {t['shown']}{note} | {limit} | {verdict} |")
    sections = results["sections"]
    wire = sections.get("wire")
    if wire:
        lines += ["", "| over the wire | " + " | ".join(LABELS.get(n, n) for n in wire["results"]) + " |"]
        lines.append("| --- " * (len(wire["results"]) + 1) + "|")
        for label in wire["results"]["microflask"]:
            cells = []
            for r in wire["results"].values():
                f = r[label]
                cells.append(f"{f['rps']:,.0f} req/s<br>p50 {f['p50_ms']:.1f} / p99 {f['p99_ms']:.1f} ms")
            lines.append(f"| `{label}` | " + " | ".join(cells) + " |")
    inproc = sections.get("inprocess")
    if inproc:
        us = inproc["us_per_request"]
        lines += ["", "| in-process µs/request | " + " | ".join(LABELS.get(n, n) for n in us) + " |"]
        lines.append("| --- " * (len(us) + 1) + "|")
        for label in us["microflask"]:
            lines.append(f"| `{label}` | " + " | ".join(f"{by[label]:.1f}" for by in us.values()) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="?", default=str(HERE / "results" / "latest.json"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "img" / "performance.png"))
    parser.add_argument("--markdown", action="store_true", help="print the tables for docs/performance.md instead")
    args = parser.parse_args()
    results = json.loads(Path(args.results).read_text())
    if args.markdown:
        print(markdown(results))
        return
    draw(results, Path(args.out))


if __name__ == "__main__":
    main()
