"""prometheus-flask-exporter's quick start: ``PrometheusMetrics(app)`` counts and times every
request by method, status and path (or endpoint, url rule, a function: ``group_by``) from its
before_request/after_request/teardown_request hooks; the ``/metrics`` page in Prometheus' text
format; ``@metrics.counter``/``gauge``/``summary`` with labels from the request or the response;
``@metrics.do_not_track()``, ``exclude_all_metrics()``, ``excluded_paths``; ``metrics.info``;
the app factory with ``register_default``; a guarded metrics page (``metrics_decorator``); and
Prometheus' own ASGI app mounted where a WSGI app would use ``DispatcherMiddleware``. In def
and async def views; each app has its own registry (the ``registry=`` argument its docs give
for tests)."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, abort, request
from prometheus_client import CollectorRegistry, make_asgi_app
from prometheus_client.parser import text_string_to_metric_families
from prometheus_flask_exporter import PrometheusMetrics

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Any, url: str = "/metrics") -> Samples:
    """The samples of the metrics page, keyed by name and labels."""
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def views(app: Flask, metrics: PrometheusMetrics, kind: str, registry: CollectorRegistry) -> None:
    """The views of the exporter's README, in the kind asked for."""
    by_type = metrics.counter(
        "invocation_by_type",
        "Number of invocations by type",
        labels={"item_type": lambda: request.view_args["item_type"]},
    )
    by_status = metrics.summary(
        "requests_by_status", "Request latencies by status", labels={"status": lambda r: r.status_code}
    )
    in_progress = metrics.gauge("in_progress", "Long running requests in progress")
    seen_in_progress: list[float | None] = []

    def during() -> str:
        seen_in_progress.append(registry.get_sample_value("in_progress"))
        return "working"

    if kind == "def":

        @app.get("/")
        def main() -> str:
            return "main"

        @app.get("/skip")
        @metrics.do_not_track()
        def skip() -> str:
            return "skip"

        @app.get("/type/<item_type>")
        @by_type
        def typed(item_type: str) -> str:
            return item_type

        @app.get("/status/<int:status>")
        @by_status
        def echo_status(status: int) -> Any:
            if status == 404:
                abort(404)
            return f"Status: {status}", status

        @app.get("/long-running")
        @in_progress
        def long_running() -> str:
            return during()

        @app.get("/boom")
        def boom() -> str:
            raise RuntimeError("boom")

    else:

        @app.get("/")
        async def main() -> str:
            return "main"

        @app.get("/skip")
        @metrics.do_not_track()
        async def skip() -> str:
            return "skip"

        @app.get("/type/<item_type>")
        @by_type
        async def typed(item_type: str) -> str:
            return item_type

        @app.get("/status/<int:status>")
        @by_status
        async def echo_status(status: int) -> Any:
            if status == 404:
                abort(404)
            return f"Status: {status}", status

        @app.get("/long-running")
        @in_progress
        async def long_running() -> str:
            return during()

        @app.get("/boom")
        async def boom() -> str:
            raise RuntimeError("boom")

    app.extensions["seen_in_progress"] = seen_in_progress


def make_app(kind: str, **options: Any) -> tuple[Flask, CollectorRegistry]:
    app = Flask(__name__)
    registry = CollectorRegistry()
    metrics = PrometheusMetrics(app, registry=registry, **options)
    metrics.info("app_info", "Application info", version="1.0.3")
    views(app, metrics, kind, registry)
    return app, registry


KINDS = ["def", "async"]


@pytest.mark.parametrize("kind", KINDS)
def test_default_metrics_count_requests_by_method_status_and_path(kind: str) -> None:
    app, _ = make_app(kind)
    client = app.test_client()
    client.get("/")
    client.get("/")
    assert client.get("/nowhere").status_code == 404
    samples = scrape(client)
    assert value(samples, "flask_http_request_total", method="GET", status="200") == 2
    assert value(samples, "flask_http_request_total", method="GET", status="404") == 1
    duration = "flask_http_request_duration_seconds_count"
    assert value(samples, duration, method="GET", status="200", path="/") == 2
    assert value(samples, duration, method="GET", status="404", path="/nowhere") == 1
    assert value(samples, "flask_exporter_info", version=PrometheusMetrics(None).version) == 1
    assert value(samples, "app_info", version="1.0.3") == 1
    # The counts go up with each request; the metrics page itself is not counted.
    client.get("/")
    samples = scrape(client)
    assert value(samples, "flask_http_request_total", method="GET", status="200") == 3
    assert value(samples, duration, method="GET", status="200", path="/metrics") is None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("group_by", "label", "expected"),
    [
        ("endpoint", "endpoint", "echo_status"),
        ("url_rule", "url_rule", "/status/<int:status>"),  # str(request.url_rule): the rule's text
        (lambda r: r.method.lower(), "_lambda_", "get"),
    ],
    ids=["endpoint", "url_rule", "function"],
)
def test_group_by(kind: str, group_by: Any, label: str, expected: str) -> None:
    app, _ = make_app(kind, group_by=group_by)
    client = app.test_client()
    client.get("/status/201")
    client.get("/status/201")
    samples = scrape(client)
    assert (
        value(samples, "flask_http_request_duration_seconds_count", method="GET", status="201", **{label: expected})
        == 2
    )


@pytest.mark.parametrize("kind", KINDS)
def test_metrics_of_views_with_labels_from_the_request_and_the_response(kind: str) -> None:
    app, _ = make_app(kind)
    client = app.test_client()
    assert client.get("/type/book").text == "book"
    client.get("/type/book")
    client.get("/type/pen")
    assert client.get("/status/201").text == "Status: 201"
    assert client.get("/status/404").status_code == 404
    assert client.get("/long-running").text == "working"
    samples = scrape(client)
    assert value(samples, "invocation_by_type_total", item_type="book") == 2
    assert value(samples, "invocation_by_type_total", item_type="pen") == 1
    assert value(samples, "requests_by_status_count", status="201") == 1
    assert value(samples, "requests_by_status_count", status="404") == 1
    # The gauge went up while the view ran, and down after it.
    assert app.extensions["seen_in_progress"] == [1.0]
    assert value(samples, "in_progress") == 0


@pytest.mark.parametrize("kind", KINDS)
def test_do_not_track_and_excluded_paths(kind: str) -> None:
    app, _ = make_app(kind, excluded_paths=["/type/"])
    client = app.test_client()
    assert client.get("/skip").text == "skip"
    client.get("/type/book")
    samples = scrape(client)
    assert not [key for key in samples if key[0] == "flask_http_request_total"]
    # excluded_paths leaves out the view's own metrics too (exclude_user_defaults).
    assert value(samples, "invocation_by_type_total", item_type="book") is None


@pytest.mark.parametrize("kind", KINDS)
def test_an_unhandled_error_is_counted_as_an_exception(kind: str) -> None:
    app, _ = make_app(kind)
    client = app.test_client()
    assert client.get("/boom").status_code == 500
    samples = scrape(client)
    assert value(samples, "flask_http_request_exceptions_total", method="GET", status="500") == 1
    assert value(samples, "flask_http_request_total", method="GET", status="500") == 1
    assert value(samples, "flask_http_request_duration_seconds_count", method="GET", status="500", path="/boom") == 1


def test_the_metrics_page_filters_names_and_speaks_openmetrics() -> None:
    app, _ = make_app("async")
    client = app.test_client()
    client.get("/")
    only = client.get("/metrics?name[]=flask_http_request_total").text
    assert 'flask_http_request_total{method="GET",status="200"} 1.0' in only
    assert "app_info" not in only
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


def guard(view: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get("X-Token") != "secret":
            abort(401)
        return view(*args, **kwargs)

    return guarded


@pytest.mark.parametrize("kind", KINDS)
def test_app_factory_register_default_and_a_guarded_metrics_page(kind: str) -> None:
    metrics = PrometheusMetrics.for_app_factory(
        registry=CollectorRegistry(), metrics_decorator=guard, group_by="endpoint"
    )
    app = Flask(__name__)
    views(app, metrics, kind, metrics.registry)
    metrics.init_app(app)
    metrics.register_default(
        metrics.counter("by_path_counter", "Request count by request paths", labels={"path": lambda: request.path}),
        app=app,
    )
    client = app.test_client()
    client.get("/")
    client.get("/type/book")
    assert client.get("/metrics").status_code == 401
    response = client.get("/metrics", headers={"X-Token": "secret"})
    assert response.status_code == 200
    assert 'by_path_counter_total{path="/"} 1.0' in response.text
    assert 'by_path_counter_total{path="/type/book"} 1.0' in response.text
    assert 'flask_http_request_duration_seconds_count{endpoint="typed",method="GET",status="200"} 1.0' in response.text


@pytest.mark.parametrize("kind", KINDS)
def test_prometheus_asgi_app_mounted_instead_of_a_wsgi_dispatcher(kind: str) -> None:
    # The exporter's docs mount prometheus_client's WSGI app with DispatcherMiddleware(app.wsgi_app, ...);
    # on microflask the same registry is served by its ASGI app, mounted on the app.
    registry = CollectorRegistry()
    app = Flask(__name__)
    metrics = PrometheusMetrics(app, registry=registry, path=None)
    views(app, metrics, kind, registry)
    app.mount("/metrics", make_asgi_app(registry))
    client = app.test_client()
    client.get("/")
    samples = scrape(client, "/metrics/")
    assert value(samples, "flask_http_request_total", method="GET", status="200") == 1
