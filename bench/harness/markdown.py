"""Markdown rendering for BENCHMARKS.md: tables and number formats."""


def table(headers, rows, align=None):
    """A markdown table; align is a string of 'l'/'r' per column (default: first left, rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def count(value):
    """An integer with thousands separators: 12,345."""
    return f"{value:,.0f}"


def ms(value):
    """Milliseconds with a precision that suits their size."""
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def ratio(value):
    """A ratio: two decimals below 10, none above (4,712x)."""
    return f"{value:.2f}x" if value < 10 else f"{value:,.0f}x"


def percent(fraction):
    return f"{fraction * 100:.0f}%"


def verdict(met):
    return "**met**" if met else "**not met**"
