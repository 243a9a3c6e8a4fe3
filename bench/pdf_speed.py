"""How long one certificate PDF takes to generate, against the budget of 0.1 s.

    .venv/bin/python bench/pdf_speed.py [count]

Builds a certificate with the longest statement in content/ and a Unicode name, generates it
`count` times (default 200) after one warm-up (which parses the fonts, once per process), and
prints the median and 95th-percentile time, the throughput, and the ratio of the median to the
budget. The warm-up time is printed too: it is what the first certificate after a worker
starts costs.
"""
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course.content.loader import load_catalogue  # noqa: E402
from credits.certificates import new_code  # noqa: E402
from credits.models import Certificate  # noqa: E402
from credits.pdf import certificate_pdf, transcript_pdf  # noqa: E402

BUDGET_SECONDS = 0.1
CONTENT = Path(__file__).resolve().parent.parent / "content"


def sample_certificate() -> Certificate:
    catalogue = load_catalogue(CONTENT)
    course = next(iter(catalogue.courses.values()))
    designation = max(course.designations, key=lambda d: len(catalogue.provider.approvals[d.approval_id].statement))
    approval = catalogue.provider.approvals[designation.approval_id]
    return Certificate(
        id=1, code=new_code(), status="valid", issued_at=datetime.now(UTC), learner_name="Zoë Łukasiewicz-Nguyễn",
        course_title=course.title, course_format=course.format, provider_name=catalogue.provider.name,
        provider_address="\n".join(catalogue.provider.address), completion_date=date.today(),
        amount=designation.amount, unit=designation.unit, pharmacology_hours=designation.pharmacology_hours,
        approval_body=approval.body, approval_number=approval.number, statement=approval.statement,
    )


def timed(make, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        make()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    certificate = sample_certificate()
    url = f"https://ce.example.org/verify/{certificate.code}"
    started = time.perf_counter()
    size = len(certificate_pdf(certificate, url))
    warm_up = time.perf_counter() - started
    times = timed(lambda: certificate_pdf(certificate, url), count)
    median, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
    transcript = timed(lambda: transcript_pdf(
        certificate.learner_name, [certificate] * 20, [(certificate.unit, certificate.amount * 20)], date.today(),
        lambda code: url), 20)
    print(f"certificate PDF ({size:,} bytes), {count} runs")
    print(f"  first (parses the fonts): {warm_up * 1000:.1f} ms")
    print(f"  median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, {1 / median:.0f} PDFs/s per core")
    print(f"  ratio median/budget ({BUDGET_SECONDS * 1000:.0f} ms): {median / BUDGET_SECONDS:.2f}")
    print(f"transcript PDF with 20 certificates: median {statistics.median(transcript) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
