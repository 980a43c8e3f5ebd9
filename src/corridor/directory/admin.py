from django.contrib import admin

from corridor.directory import models as m


class ProductInline(admin.TabularInline):
    model = m.Product
    extra = 0
    fields = ["name", "hs_code", "capacity_amount", "capacity_unit", "capacity_period"]
    autocomplete_fields = ["hs_code"]


@admin.register(m.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "province", "is_published", "verified_at"]
    list_filter = ["kind", "country", "is_published"]
    search_fields = ["name", "local_name"]
    autocomplete_fields = ["province", "cluster", "coordinator"]
    inlines = [ProductInline]


@admin.register(m.HSCode)
class HSCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "description", "level"]
    search_fields = ["code", "description"]


@admin.register(m.Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "local_name", "country", "is_current", "successor"]
    list_filter = ["country", "is_current"]
    search_fields = ["name", "local_name", "code"]


admin.site.register([m.Country, m.EconomicCorridor, m.BorderCrossing, m.SourcingRequest])
admin.site.register([m.Product, m.Certification, m.ContactPerson, m.ProvinceAlias])
