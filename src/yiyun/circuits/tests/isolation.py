from yiyun.circuits.tests.factories import a_circuit
from yiyun.testing.isolation import Operation, Page

CASES = [
    Page("circuits:list"),
    Page("circuits:detail", lambda w: {"pk": a_circuit(w).pk}),
    # The provider configures probes; a customer's admin is told so on the page.
    Page(
        "circuits:configure",
        lambda w: {"pk": a_circuit(w).pk},
        write=True,
        data=lambda w: {
            "circuit_id": a_circuit(w).circuit_id,
            "far_address": "192.0.2.10",
            "probe_method": "tcp",
            "probe_port": "22",
            "probe_enabled": "on",
        },
    ),
    Operation("circuits_circuit_list", marker=lambda w: a_circuit(w).circuit_id),
    Operation("circuits_circuit_get", lambda w: {"circuit_id": a_circuit(w).pk}),
    Operation("circuits_availability_list", lambda w: {"circuit_id": a_circuit(w).pk}),
    Operation("circuits_outage_list", lambda w: {"circuit_id": a_circuit(w).pk}),
]
