"""`manage.py grade_proposals [--year YYYY]`: proposes a grade for every customer now."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Propose a grade for every customer (the nightly run, now)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="reference year of the business figures (default: last year)")

    def handle(self, *args, year=None, **options):
        from guanxi.grading import services

        result = services.run_proposals(year=year)
        self.stdout.write(
            f"Proposals for {result.year} (policy version {result.policy_version}): "
            f"{result.written} rows written in {result.seconds:.1f} s {result.per_scheme}"
        )
