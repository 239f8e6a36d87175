"""The floor's endpoints under ``/api/v1/floor/`` (the read and write floors), then every URL of the product
(``synthesq.urls``).

The floor comes first: the product ends its API with a catch-all for unknown ``/api/`` URLs.
"""

from django.urls import path

from synthesq import urls as product_urls

from .views import FloorReadView, FloorWriteView

urlpatterns = [
    path("api/v1/floor/read/<str:order_id>", FloorReadView.as_view(), name="floor-read"),
    path("api/v1/floor/write/<str:order_id>", FloorWriteView.as_view(), name="floor-write"),
    *product_urls.urlpatterns,
]

handler400 = product_urls.handler400
handler403 = product_urls.handler403
handler404 = product_urls.handler404
handler500 = product_urls.handler500
