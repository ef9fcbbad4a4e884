from ninja import ModelSchema, Schema
from pydantic import Field

from yiyun.tenancy.choices import Role
from yiyun.tenancy.models import Organisation, Person, Site


class OrganisationOut(ModelSchema):
    class Meta:
        model = Organisation
        fields = ["id", "name", "short_name", "kind", "address"]


class SiteOut(ModelSchema):
    class Meta:
        model = Site
        fields = ["id", "organisation", "name", "kind", "township", "address"]


class PersonOut(ModelSchema):
    class Meta:
        model = Person
        fields = ["id", "organisation", "site", "name", "title", "phone", "email", "role"]


class PersonIn(Schema):
    organisation: int
    site: int | None = None
    name: str = Field(min_length=1, max_length=100)
    title: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    role: Role = Role.CUSTOMER_MEMBER


class PersonPatch(Schema):
    site: int | None = None
    name: str | None = Field(default=None, min_length=1, max_length=100)
    title: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    role: Role | None = None


class MeOut(Schema):
    username: str
    person: PersonOut | None
    read_only: bool


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: str
    revoked: bool


class TokenCreated(TokenOut):
    token: str


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
