from django.urls import path

from vitrine.connectors.taobao import views

urlpatterns = [
    path("authorize", views.authorize, name="taobao-authorize"),
    path("callback", views.callback, name="taobao-callback"),
]
