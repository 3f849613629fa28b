"""Customer archive URLs, one module per feature (records, duplicates, filing, privacy,
imports/exports, handbook) so each stays small."""

from . import urls_duplicates, urls_filing, urls_handbook, urls_imports, urls_privacy, urls_records

app_name = "customers"
urlpatterns = [
    *urls_records.urlpatterns,
    *urls_duplicates.urlpatterns,
    *urls_filing.urlpatterns,
    *urls_privacy.urlpatterns,
    *urls_imports.urlpatterns,
    *urls_handbook.urlpatterns,
]
