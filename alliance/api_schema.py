"""How the partner key appears in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "alliance.api_backends.PartnerKeyAuthentication"
    name = "PartnerKey"
    optional = True  # anonymous reads are allowed, at a lower rate

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "A partner's key, issued in the admin. Raises the request allowance.",
        }
