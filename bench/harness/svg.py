"""A plot of the scaling benchmarks as a standalone SVG, written by hand so
that the benchmarks need nothing beyond Python (matplotlib is not on every
machine).  One panel per scaling series (rows with x and series set), log-log
axes, one line per tool through the medians with a bar for min-max; a
dashed grey line of slope 1 through each tool's largest point shows what
linear growth looks like (a segment parallel to it grows linearly).
"""
import math
from xml.sax.saxutils import escape

COLORS = {"stapjit": "#1f77b4", "bpftrace": "#d62728", "stap --bpf": "#2ca02c"}
OTHER_COLORS = ["#9467bd", "#8c564b", "#e377c2"]
PW, PH = 440, 300  # panel size
ML, MR, MT, MB = 62, 12, 34, 44  # panel margins


def _log_range(lo, hi):
    """Axis limits around [lo, hi] (padded by a quarter decade) and the 1-2-5
    ticks inside them; every decade tick when the range is wide."""
    a, b = math.log10(lo) - 0.25, math.log10(hi) + 0.25
    steps = (1,) if b - a > 4 else (1, 2, 5)
    ticks = [m * 10 ** e for e in range(math.floor(a), math.ceil(b) + 1) for m in steps
             if a <= math.log10(m * 10 ** e) <= b]
    return a, b, ticks


def _tick_label(v):
    if v >= 1000:
        return f"{v / 1000:g}k" if v < 1e6 else f"{v / 1e6:g}M"
    return f"{v:g}"


def _panel(ox, oy, title, lines, labels):
    """SVG for one panel at (ox, oy).  lines: tool label -> [(x, median, lo, hi)]."""
    xs = [p[0] for pts in lines.values() for p in pts]
    ys = [v for pts in lines.values() for p in pts for v in p[1:] if v > 0]
    lx0, lx1, xt = _log_range(min(xs), max(xs))
    ly0, ly1, yt = _log_range(min(ys), max(ys))
    w, h = PW - ML - MR, PH - MT - MB
    clip = f"clip{ox}_{oy}"

    def X(v):
        return ox + ML + (math.log10(v) - lx0) / (lx1 - lx0) * w

    def Y(v):
        return oy + MT + h - (math.log10(max(v, 10 ** ly0)) - ly0) / (ly1 - ly0) * h

    s = [f'<text x="{ox + PW / 2}" y="{oy + 20}" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
         f'<rect x="{ox + ML}" y="{oy + MT}" width="{w}" height="{h}" fill="none" stroke="#444"/>',
         f'<clipPath id="{clip}"><rect x="{ox + ML}" y="{oy + MT}" width="{w}" height="{h}"/></clipPath>']
    for v in xt:
        s.append(f'<line x1="{X(v):.1f}" y1="{oy + MT}" x2="{X(v):.1f}" y2="{oy + MT + h}" stroke="#ddd"/>')
        s.append(f'<text x="{X(v):.1f}" y="{oy + MT + h + 16}" text-anchor="middle">{_tick_label(v)}</text>')
    for v in yt:
        s.append(f'<line x1="{ox + ML}" y1="{Y(v):.1f}" x2="{ox + ML + w}" y2="{Y(v):.1f}" stroke="#ddd"/>')
        s.append(f'<text x="{ox + ML - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{_tick_label(v)}</text>')
    s.append(f'<text x="{ox + ML + w / 2}" y="{oy + PH - 8}" text-anchor="middle">{escape(labels[0])}</text>')
    s.append(f'<text transform="translate({ox + 14},{oy + MT + h / 2}) rotate(-90)" '
             f'text-anchor="middle">{escape(labels[1])}</text>')
    spare = iter(OTHER_COLORS)
    for i, (tool, pts) in enumerate(sorted(lines.items())):
        color = COLORS.get(tool) or next(spare, "#333")
        pts = sorted(pts)
        x1, m1 = pts[-1][0], pts[-1][1]
        if len(pts) > 1:  # slope 1 through the largest point: parallel to it = linear growth
            lin = [(x, m1 * x / x1) for x, *_ in pts]
            s.append(f'<polyline clip-path="url(#{clip})" fill="none" stroke="#aaa" stroke-dasharray="4 3" points="' +
                     " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in lin) + '"/>')
        s.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="' +
                 " ".join(f"{X(x):.1f},{Y(m):.1f}" for x, m, _, _ in pts) + '"/>')
        for x, m, lo, hi in pts:
            s.append(f'<line x1="{X(x):.1f}" y1="{Y(lo):.1f}" x2="{X(x):.1f}" y2="{Y(hi):.1f}" stroke="{color}"/>')
            s.append(f'<circle cx="{X(x):.1f}" cy="{Y(m):.1f}" r="3.5" fill="{color}"/>')
        ly = oy + MT + 14 + 16 * i
        s.append(f'<line x1="{ox + ML + 10}" y1="{ly - 4}" x2="{ox + ML + 30}" y2="{ly - 4}" '
                 f'stroke="{color}" stroke-width="2"/>')
        s.append(f'<text x="{ox + ML + 36}" y="{ly}">{escape(tool)}</text>')
    ly = oy + MT + 14 + 16 * len(lines)
    s.append(f'<line x1="{ox + ML + 10}" y1="{ly - 4}" x2="{ox + ML + 30}" y2="{ly - 4}" '
             f'stroke="#aaa" stroke-dasharray="4 3"/>')
    s.append(f'<text x="{ox + ML + 36}" y="{ly}">linear (slope 1)</text>')
    return s


def plot(panels, title):
    """panels: [(title, (xlabel, ylabel), {tool: [(x, median, min, max)]})].
    Returns the SVG text, or None when there is nothing to plot."""
    panels = [p for p in panels if any(p[2].values())]
    if not panels:
        return None
    cols = min(2, len(panels))
    rows = (len(panels) + cols - 1) // cols
    W, H = cols * PW, rows * PH + 30
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         f'font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>']
    for i, (ptitle, labels, lines) in enumerate(panels):
        s += _panel((i % cols) * PW, 30 + (i // cols) * PH, ptitle, lines, labels)
    s.append("</svg>")
    return "\n".join(s) + "\n"
