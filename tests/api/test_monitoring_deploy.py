"""The Grafana dashboard and the compose monitoring profile stay true to /metrics."""

import ipaddress
import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "studygraph.json"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
COMPOSE = ROOT / "docker-compose.yml"
DATASOURCES = ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
SUFFIXES = ("", "_total", "_bucket", "_count", "_sum")


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


async def test_the_dashboard_charts_every_metric_and_only_real_ones(client):
    families = {
        family.name
        for family in text_string_to_metric_families((await client.get("/metrics")).text)
        if family.name.startswith("studygraph_")
    }
    exported = {family + suffix for family in families for suffix in SUFFIXES}
    charted = {
        name for expr in dashboard_expressions() for name in re.findall(r"studygraph_\w+", expr)
    }
    assert charted <= exported, charted - exported
    uncharted = {
        family for family in families if not any(name.startswith(family) for name in charted)
    }
    assert not uncharted


def test_the_compose_profile_lets_only_its_prometheus_scrape():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"]
    address = services["prometheus"]["networks"]["default"]["ipv4_address"]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet)
    allowed = services["api-1"]["environment"]["STUDYGRAPH_METRICS_ALLOWED_CLIENTS"]
    assert allowed == f"${{STUDYGRAPH_METRICS_ALLOWED_CLIENTS:-{address}}}"

    scrape = yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"][0]
    targets = scrape["static_configs"][0]["targets"]
    assert {target.split(":")[0] for target in targets} == {"api-1", "api-2"}
    assert scrape["metrics_path"] == "/metrics"
    mounted = " ".join(services["prometheus"]["volumes"] + services["grafana"]["volumes"])
    for path in (PROMETHEUS, DASHBOARD, DATASOURCES.parent.parent):
        assert "./" + str(path.relative_to(ROOT)) in mounted, path
    datasource = yaml.safe_load(DATASOURCES.read_text())["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090"
