from django.urls import path

from . import org_views as v

app_name = "org"
urlpatterns = [
    path("users/", v.UserListView.as_view(), name="user_list"),
    path("users/lookup/", v.UserLookupView.as_view(), name="user_lookup"),
    path("users/export/", v.UserExportView.as_view(), name="user_export"),
    path("users/new/", v.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/", v.UserDetailView.as_view(), name="user_detail"),
    path("users/<int:pk>/edit/", v.UserEditView.as_view(), name="user_edit"),
    path("users/<int:pk>/deactivate/", v.UserDeactivateView.as_view(), name="user_deactivate"),
    path("users/<int:pk>/reactivate/", v.UserReactivateView.as_view(), name="user_reactivate"),
    path("users/<int:pk>/positions/", v.PositionAddView.as_view(), name="position_add"),
    path("users/<int:pk>/positions/<int:position_pk>/", v.PositionChangeView.as_view(), name="position_change"),
    path("units/", v.UnitListView.as_view(), name="unit_list"),
    path("units/new/", v.UnitCreateView.as_view(), name="unit_create"),
    path("units/<int:pk>/", v.UnitDetailView.as_view(), name="unit_detail"),
    path("units/<int:pk>/edit/", v.UnitEditView.as_view(), name="unit_edit"),
    path("regions/", v.RegionListView.as_view(), name="region_list"),
    path("regions/new/", v.RegionCreateView.as_view(), name="region_create"),
    path("regions/<int:pk>/", v.RegionDetailView.as_view(), name="region_detail"),
    path("regions/<int:pk>/edit/", v.RegionEditView.as_view(), name="region_edit"),
    path("roles/", v.RoleListView.as_view(), name="role_list"),
    path("roles/new/", v.RoleCreateView.as_view(), name="role_create"),
    path("roles/<int:pk>/", v.RoleDetailView.as_view(), name="role_detail"),
    path("roles/<int:pk>/edit/", v.RoleEditView.as_view(), name="role_edit"),
]
