"""Spreadsheet import and export of members (CSV and XLSX) for the admin.

Rows are matched on `slug`, so a re-import updates members instead of
duplicating them. Tier and sectors are given by slug (sectors separated by
`;`). The whole import runs in one transaction: a file with any bad row
changes nothing, and the dry run lists the errors row by row.
"""

from import_export import fields, resources, widgets

from .models import Member, Sector, Tier


class MemberResource(resources.ModelResource):
    tier = fields.Field(
        attribute="tier",
        column_name="tier",
        widget=widgets.ForeignKeyWidget(Tier, field="slug"),
    )
    sectors = fields.Field(
        attribute="sectors",
        column_name="sectors",
        widget=widgets.ManyToManyWidget(Sector, field="slug", separator=";"),
    )

    class Meta:
        model = Member
        import_id_fields = ["slug"]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = True
        fields = [
            "slug",
            "status",
            "name_en",
            "name_zh_hans",
            "short_name_en",
            "short_name_zh_hans",
            "tier",
            "sectors",
            "country",
            "city_en",
            "city_zh_hans",
            "website",
            "joined_on",
            "joined_where_en",
            "joined_where_zh_hans",
            "summary_en",
            "summary_zh_hans",
            "capability_en",
            "capability_zh_hans",
            "last_verified_on",
            "contact_name",
            "contact_email",
            "contact_phone",
        ]
        export_order = fields

    def before_import_row(self, row, **kwargs):
        # Spreadsheets often hold "cn" or " CN ": store the ISO code as Django expects it.
        if row.get("country"):
            row["country"] = str(row["country"]).strip().upper()
