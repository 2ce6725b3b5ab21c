#!/usr/bin/env python3
"""Summarise kosoku (Autobahn TestSuite) reports for tests/autobahn.sh.

Usage: autobahn_report.py NAME=REPORT_DIR [NAME=REPORT_DIR ...]

Each REPORT_DIR holds what `kosoku -o REPORT_DIR` wrote: index.json
({agent: {case id: {behavior, behaviorClose, reportfile, ...}}}) and one
<agent>_case_<id>.json per case with the case's description, expectation and
what the peer under test did.

For each side this prints a table per section (1-13) counting OK / NON-STRICT /
INFORMATIONAL / UNIMPLEMENTED / FAILED, every INFORMATIONAL case with what nodews
did, and every FAILED / NON-STRICT case. Exit status 1 when any case FAILED,
any case of sections 1-10 is NON-STRICT (or UNIMPLEMENTED), a case is missing
from the report, or a report cannot be read; 0 otherwise.

Run it with the venv's python (tests/autobahn.sh does) so it can compare the
report with kosoku's own case list; it still works without kosoku installed.

AUTOBAHN_ALLOW_NON_STRICT="6.4.3 6.4.4" (ids separated by spaces or commas)
lists NON-STRICT cases that do not turn the run red. Empty by default.
"""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
from collections import Counter

VERDICTS = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]

SECTIONS = {
    1: "Framing",
    2: "Pings/Pongs",
    3: "Reserved Bits",
    4: "Opcodes",
    5: "Fragmentation",
    6: "UTF-8 Handling",
    7: "Close Handling",
    8: "(no cases in the suite)",
    9: "Limits/Performance",
    10: "Misc (auto-fragmentation)",
    11: "(no cases in the suite)",
    12: "Compression: payloads",
    13: "Compression: parameters",
}

# At most this many FAILED / NON-STRICT cases are described in full.
DETAIL_LIMIT = 20

# behaviorClose verdicts kosoku counts as passing (CaseResult.passed).
CLOSE_PASSING = {"OK", "NON-STRICT", "INFORMATIONAL"}


def case_key(case_id: str) -> list[int]:
    return [int(p) for p in case_id.split(".")]


def verdict(entry: dict) -> str:
    """One verdict per case, from the message-exchange and closing verdicts.

    As Autobahn's master report: UNIMPLEMENTED wins; otherwise the worse of the
    two. A closing verdict kosoku does not count as passing (WRONG CODE, UNCLEAN,
    FAILED BY CLIENT, FAILED) makes the case FAILED, as kosoku's own exit status.
    """
    behavior = entry.get("behavior")
    close = entry.get("behaviorClose")
    if behavior == "UNIMPLEMENTED":
        return "UNIMPLEMENTED"
    if behavior not in ("OK", "NON-STRICT", "INFORMATIONAL"):
        return "FAILED"  # FAILED, ERROR, NO_CLOSE, anything unknown
    if close not in CLOSE_PASSING:
        return "FAILED"
    rank = ["OK", "INFORMATIONAL", "NON-STRICT"]
    return max(behavior, close, key=rank.index)


def clean(text: str) -> str:
    text = re.sub(r"<br\s*/?>", " ", text or "")
    return re.sub(r"\s+", " ", text).strip()


def short(value, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 4] + " ..."


def describe_received(detail: dict) -> str:
    received = detail.get("received") or []
    kinds = Counter()
    for event in received:
        if event and event[0] == "message":
            kinds["binary message" if len(event) > 2 and event[2] else "text message"] += 1
        elif event:
            kinds[str(event[0])] += 1
    parts = [f"{n} {k}{'s' if n > 1 else ''}" for k, n in kinds.items()] or ["nothing"]
    close = detail.get("remoteCloseCode")
    clean_close = "clean" if detail.get("wasClean") else "not clean"
    return (
        f"nodews sent back {', '.join(parts)}; its close code {close} ({clean_close})"
    )


def wrap(label: str, text: str) -> str:
    return textwrap.fill(
        clean(text),
        width=100,
        initial_indent=f"      {label}: ",
        subsequent_indent=" " * (8 + len(label)),
    )


def expected_case_ids() -> list[str] | None:
    if os.environ.get("AUTOBAHN_NO_CASE_LIST"):
        return None  # a case selection was run: absent cases are not missing
    try:
        from kosoku.cases import CASES  # type: ignore[import-not-found]
    except Exception:
        return None
    return sorted(CASES, key=case_key)


def report_side(name: str, outdir: str, allowed: set[str]) -> bool:
    """Prints one side's summary; returns True when it is green."""
    print(f"\n===== {name}: {outdir} =====")
    index_path = os.path.join(outdir, "index.json")
    try:
        with open(index_path) as f:
            index = json.load(f)
    except (OSError, ValueError) as error:
        print(f"  RED: no readable report ({error})")
        return False
    if len(index) != 1:
        print(f"  note: {len(index)} agents in the report: {', '.join(index)}")
    agent, cases = next(iter(index.items())) if index else ("?", {})
    print(f"  agent: {agent}, {len(cases)} cases")

    green = True
    expected = expected_case_ids()
    if expected is not None:
        missing = [c for c in expected if c not in cases]
        if missing:
            green = False
            print(f"  RED: {len(missing)} cases missing from the report: {' '.join(missing[:30])}")

    details: dict[str, dict] = {}
    for case_id, entry in cases.items():
        try:
            with open(os.path.join(outdir, entry["reportfile"])) as f:
                details[case_id] = json.load(f)
        except (OSError, ValueError, KeyError):
            details[case_id] = {}

    verdicts = {c: verdict(e) for c, e in cases.items()}
    counts: dict[int, Counter] = {s: Counter() for s in SECTIONS}
    for case_id, v in verdicts.items():
        counts.setdefault(case_key(case_id)[0], Counter())[v] += 1

    header = f"  {'section':<32}" + "".join(f"{v:>15}" for v in VERDICTS) + f"{'total':>8}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    total = Counter()
    for section in sorted(counts):
        c = counts[section]
        total.update(c)
        label = f"{section:>2} {SECTIONS.get(section, '?')}"
        print(f"  {label:<32}" + "".join(f"{c[v]:>15}" for v in VERDICTS) + f"{sum(c.values()):>8}")
    print("  " + "-" * (len(header) - 2))
    print(f"  {'all':<32}" + "".join(f"{total[v]:>15}" for v in VERDICTS) + f"{sum(total.values()):>8}")

    ids = sorted(verdicts, key=case_key)

    info = [c for c in ids if verdicts[c] == "INFORMATIONAL"]
    print(f"\n  INFORMATIONAL ({len(info)}): behavior the spec leaves open")
    for c in info:
        d = details[c]
        print(f"    {c}  {clean(d.get('description', ''))}")
        print(f"      {describe_received(d)}; {clean(d.get('result', ''))} / {clean(d.get('resultClose', ''))}")

    compression = [c for c in ids if case_key(c)[0] in (12, 13)]
    unimplemented = [c for c in compression if verdicts[c] == "UNIMPLEMENTED"]
    print()
    if compression and len(unimplemented) == len(compression):
        print(
            f"  Sections 12 and 13 (permessage-deflate, {len(compression)} cases) are all "
            "UNIMPLEMENTED: nodews does not negotiate the extension yet, so the fuzzer's "
            "compression offer is declined and these cases cannot run."
        )
    else:
        print(
            f"  Sections 12 and 13 (permessage-deflate): {len(unimplemented)} of "
            f"{len(compression)} cases UNIMPLEMENTED."
        )

    bad_unimpl = [c for c in ids if verdicts[c] == "UNIMPLEMENTED" and case_key(c)[0] <= 10]
    failed = [c for c in ids if verdicts[c] == "FAILED"]
    non_strict = [c for c in ids if verdicts[c] == "NON-STRICT"]
    red_ns = [c for c in non_strict if case_key(c)[0] <= 10 and c not in allowed]
    print(f"\n  FAILED ({len(failed)}): {' '.join(failed) or 'none'}")
    print(f"  NON-STRICT ({len(non_strict)}): {' '.join(non_strict) or 'none'}")
    if bad_unimpl:
        print(f"  UNIMPLEMENTED in sections 1-10 ({len(bad_unimpl)}): {' '.join(bad_unimpl)}")
    listed = failed + non_strict + bad_unimpl
    if len(listed) > DETAIL_LIMIT:
        print(f"  (details of the first {DETAIL_LIMIT} of {len(listed)}; the rest are in the report files)")
    for c in listed[:DETAIL_LIMIT]:
        d, e = details[c], cases[c]
        print(f"    {c}  [{verdicts[c]}] behavior={e.get('behavior')} behaviorClose={e.get('behaviorClose')}")
        print(wrap("case", d.get("description", "")))
        print(wrap("expected", d.get("expectation", "")))
        print(wrap("result", f"{d.get('result', '')} / {d.get('resultClose', '')}"))
        print(wrap("events expected", short(d.get("expected"))))
        print(wrap("events received", short(d.get("received"))))
        print(
            wrap(
                "close",
                f"nodews sent {d.get('remoteCloseCode')} {d.get('remoteCloseReason') or ''}, "
                f"kosoku sent {d.get('localCloseCode')}, clean={d.get('wasClean')} "
                f"{d.get('wasNotCleanReason') or ''}, expected {short(d.get('expectedClose'))}, "
                f"{d.get('duration')} ms",
            )
        )
    if allowed & set(non_strict):
        print(f"  NON-STRICT allowed by AUTOBAHN_ALLOW_NON_STRICT: {' '.join(sorted(allowed & set(non_strict), key=case_key))}")

    if failed or red_ns or bad_unimpl:
        green = False
    reasons = []
    if failed:
        reasons.append(f"{len(failed)} FAILED")
    if red_ns:
        reasons.append(f"{len(red_ns)} NON-STRICT in sections 1-10")
    if bad_unimpl:
        reasons.append(f"{len(bad_unimpl)} UNIMPLEMENTED in sections 1-10")
    print(f"\n  {name}: {'GREEN' if green else 'RED'}{': ' + ', '.join(reasons) if reasons else ''}")
    return green


def main(argv: list[str]) -> int:
    if not argv or any("=" not in a for a in argv):
        print(__doc__, file=sys.stderr)
        return 2
    allowed = set(re.split(r"[\s,]+", os.environ.get("AUTOBAHN_ALLOW_NON_STRICT", "").strip())) - {""}
    results = []
    for arg in argv:
        name, outdir = arg.split("=", 1)
        results.append((name, report_side(name, outdir, allowed)))
    print()
    for name, green in results:
        print(f"autobahn {name}: {'GREEN' if green else 'RED'}")
    return 0 if all(g for _, g in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
