"""Which connections a set of Kubernetes NetworkPolicies allows, decided as the API says.

No cluster can run here, so the tests evaluate the rendered policies themselves, after
https://kubernetes.io/docs/concepts/services-networking/network-policies/: a pod selected
by no policy of a direction is open in that direction; a selected pod allows what any
rule of any selecting policy allows; a connection needs the source's egress and the
destination's ingress. Peers are pods (by pod and namespace selectors) or addresses
outside the cluster (by ipBlock); a named port is the destination container's port.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

Doc = dict[str, Any]


@dataclass(frozen=True)
class Pod:
    """A pod: its namespace (and that namespace's labels), labels and named ports."""

    name: str
    namespace: str
    labels: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)
    namespace_labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.namespace_labels.setdefault("kubernetes.io/metadata.name", self.namespace)


@dataclass(frozen=True)
class Address:
    """An address outside the cluster (the internet, a managed database)."""

    ip: str


Peer = Pod | Address


def selects(selector: Doc | None, labels: dict[str, str]) -> bool:
    """Whether a label selector (``matchLabels`` and ``matchExpressions``) matches."""
    if selector is None:
        return True
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        present = key in labels
        matched = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]
        if not matched:
            return False
    return True


def _peer_matches(peer_rule: Doc, peer: Peer, policy_namespace: str) -> bool:
    if "ipBlock" in peer_rule:
        if not isinstance(peer, Address):
            return False
        block = peer_rule["ipBlock"]
        ip = ipaddress.ip_address(peer.ip)
        return ip in ipaddress.ip_network(block["cidr"]) and not any(
            ip in ipaddress.ip_network(excepted) for excepted in block.get("except", [])
        )
    if not isinstance(peer, Pod):
        return False
    if "namespaceSelector" in peer_rule:
        if not selects(peer_rule["namespaceSelector"], peer.namespace_labels):
            return False
    elif peer.namespace != policy_namespace:
        return False
    return selects(peer_rule.get("podSelector"), peer.labels)


def _port_matches(port_rule: Doc, destination: Peer, port: int, protocol: str) -> bool:
    if port_rule.get("protocol", "TCP") != protocol:
        return False
    wanted = port_rule.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str):
        return isinstance(destination, Pod) and destination.ports.get(wanted) == port
    first = int(wanted)
    last = int(port_rule["endPort"]) if "endPort" in port_rule else first
    return first <= port <= last


def _direction_allows(
    policies: list[Doc],
    direction: str,
    selected: Pod,
    peer: Peer,
    destination: Peer,
    port: int,
    protocol: str,
) -> bool:
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [
        policy
        for policy in policies
        if policy["metadata"].get("namespace", selected.namespace) == selected.namespace
        and selects(policy["spec"]["podSelector"], selected.labels)
        and direction in policy["spec"].get("policyTypes", ["Ingress"])
    ]
    if not selecting:
        return True
    for policy in selecting:
        namespace = policy["metadata"].get("namespace", selected.namespace)
        for rule in policy["spec"].get(key, []):
            peers = rule.get(peers_key)
            if peers and not any(_peer_matches(p, peer, namespace) for p in peers):
                continue
            ports = rule.get("ports")
            if ports and not any(_port_matches(p, destination, port, protocol) for p in ports):
                continue
            return True
    return False


def allowed(
    policies: list[Doc], source: Peer, destination: Peer, port: int, protocol: str = "TCP"
) -> bool:
    """Whether ``source`` may open a connection to ``destination:port``."""
    egress = not isinstance(source, Pod) or _direction_allows(
        policies, "Egress", source, destination, destination, port, protocol
    )
    ingress = not isinstance(destination, Pod) or _direction_allows(
        policies, "Ingress", destination, source, destination, port, protocol
    )
    return egress and ingress
