"""A one-page PDF summary of the results, for `POST …/orders/{orderId}/results/attachment`.

SmartRecruiters showed results without an attached file poorly (legacy API, ats-formats.md §5.3), and
our report lives behind a URL; so we attach a small generated PDF that names the score and links the
full report. Hand-written PDF 1.4 (Helvetica, WinAnsi text), no dependency.
"""

from __future__ import annotations

from hub_contracts.assessment import AssessmentSnapshot


def _escape(text: str) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def summary_lines(snapshot: AssessmentSnapshot) -> list[str]:
    results = snapshot.results
    lines = [
        "LexTalent.ai - Agentic Readiness report",
        "",
        f"Candidate: {snapshot.candidate.name}",
        f"Scenario: {snapshot.scenario_id}",
    ]
    if results is not None:
        lines += [
            f"Overall score: {results.overall_score}/100 ({results.band.value})",
            f"Percentile: {results.percentile:g}",
            "",
        ]
        lines += [f"{d.name}: {d.score}" for d in results.dimensions]
        lines += ["", f"Full report: {results.report_url}"]
    return [line[:110] for line in lines]


def pdf_bytes(lines: list[str]) -> bytes:
    text_ops = ["BT", "/F1 11 Tf", "14 TL", "56 790 Td"]
    for line in lines:
        text_ops.append(f"({_escape(line)}) Tj T*")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def report_pdf(snapshot: AssessmentSnapshot) -> bytes:
    return pdf_bytes(summary_lines(snapshot))
