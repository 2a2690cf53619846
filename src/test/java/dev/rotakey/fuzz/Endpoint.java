package dev.rotakey.fuzz;

import java.util.List;

/**
 * One endpoint of the daemon as the fuzzer knows it: the port, its method, a path template whose
 * {@code {…}} parts are ids, its query parameters with the kind of value each takes, and the kind of JSON
 * body it reads (or none).
 */
record Endpoint(Port port, String method, String template, List<Param> params, Body body) {
    enum Port { APP, ADMIN }

    /** What a value means to the endpoint, so that the generator can make both plausible and hostile ones. */
    enum Kind { ID, NAME, NUMBER, DURATION, TIMESTAMP, ROLE, LEVEL, LOGGER, FREE }

    /** The JSON bodies the fuzzer knows how to shape. */
    enum Body { NONE, AGENT, CREDENTIAL, CREDENTIAL_BATCH, ACK, VERIFY }

    record Param(String name, Kind kind) {
    }

    static Param p(String name, Kind kind) {
        return new Param(name, kind);
    }

    /**
     * Every endpoint of both ports: the resources (dev.rotakey.resources), the tasks (dev.rotakey.tasks and
     * Dropwizard's gc and log-level) and Dropwizard's admin servlets. {@code /pprof} samples the CPU for seconds and
     * is only ever sent without a valid admin token.
     */
    static final List<Endpoint> ALL = List.of(
            new Endpoint(Port.APP, "POST", "/api/v1/agents", List.of(), Body.AGENT),
            new Endpoint(Port.APP, "GET", "/api/v1/agents", List.of(p("after", Kind.ID), p("limit", Kind.NUMBER)), Body.NONE),
            new Endpoint(Port.APP, "GET", "/api/v1/agents/{id}", List.of(), Body.NONE),
            new Endpoint(Port.APP, "POST", "/api/v1/credentials", List.of(), Body.CREDENTIAL),
            new Endpoint(Port.APP, "POST", "/api/v1/credentials:batch", List.of(), Body.CREDENTIAL_BATCH),
            new Endpoint(Port.APP, "GET", "/api/v1/credentials",
                    List.of(p("agent", Kind.ID), p("after", Kind.ID), p("limit", Kind.NUMBER)), Body.NONE),
            new Endpoint(Port.APP, "GET", "/api/v1/credentials/{id}", List.of(), Body.NONE),
            new Endpoint(Port.APP, "GET", "/api/v1/credentials/{id}/rotations", List.of(p("limit", Kind.NUMBER)), Body.NONE),
            new Endpoint(Port.APP, "POST", "/api/v1/credentials/{id}/versions/{n}/ack", List.of(), Body.ACK),
            new Endpoint(Port.APP, "GET", "/api/v1/rotations/{id}", List.of(), Body.NONE),
            new Endpoint(Port.APP, "POST", "/api/v1/api-keys/verify", List.of(), Body.VERIFY),
            new Endpoint(Port.APP, "GET", "/api/v1/audit", List.of(p("subject", Kind.FREE), p("correlationId", Kind.FREE),
                    p("before", Kind.NUMBER), p("limit", Kind.NUMBER)), Body.NONE),
            new Endpoint(Port.APP, "GET", "/api/v1/alerts", List.of(), Body.NONE),
            new Endpoint(Port.APP, "GET", "/api/v1/status", List.of(), Body.NONE),
            new Endpoint(Port.APP, "GET", "/api/v1/plan", List.of(p("within", Kind.DURATION), p("limit", Kind.NUMBER)), Body.NONE),
            new Endpoint(Port.APP, "GET", "/api/v1/batches", List.of(p("before", Kind.NUMBER), p("limit", Kind.NUMBER)), Body.NONE),
            new Endpoint(Port.APP, "GET", "/api/v1/batches/{id}", List.of(p("after", Kind.NUMBER), p("limit", Kind.NUMBER)),
                    Body.NONE),
            new Endpoint(Port.APP, "GET", "/api/v1/cas/{name}", List.of(), Body.NONE),
            new Endpoint(Port.APP, "GET", "/api/v1/cas/{name}/chain", List.of(), Body.NONE),
            new Endpoint(Port.APP, "GET", "/api/v1/cas/{name}/crl", List.of(p("generation", Kind.NUMBER)), Body.NONE),
            new Endpoint(Port.APP, "GET", "/health/live", List.of(), Body.NONE),
            new Endpoint(Port.APP, "GET", "/health/ready", List.of(), Body.NONE),
            new Endpoint(Port.ADMIN, "POST", "/tasks/rotate", List.of(p("credential", Kind.ID), p("agent", Kind.ID)), Body.NONE),
            new Endpoint(Port.ADMIN, "POST", "/tasks/revoke", List.of(p("credential", Kind.ID)), Body.NONE),
            new Endpoint(Port.ADMIN, "POST", "/tasks/decommission", List.of(p("agent", Kind.ID)), Body.NONE),
            new Endpoint(Port.ADMIN, "POST", "/tasks/rotate-ca", List.of(p("ca", Kind.NAME)), Body.NONE),
            new Endpoint(Port.ADMIN, "POST", "/tasks/pause-rotations", List.of(), Body.NONE),
            new Endpoint(Port.ADMIN, "POST", "/tasks/resume-rotations", List.of(), Body.NONE),
            new Endpoint(Port.ADMIN, "POST", "/tasks/issue-token", List.of(p("name", Kind.NAME), p("role", Kind.ROLE)), Body.NONE),
            new Endpoint(Port.ADMIN, "POST", "/tasks/revoke-token", List.of(p("name", Kind.NAME)), Body.NONE),
            new Endpoint(Port.ADMIN, "POST", "/tasks/log-level", List.of(p("logger", Kind.LOGGER), p("level", Kind.LEVEL),
                    p("duration", Kind.DURATION)), Body.NONE),
            new Endpoint(Port.ADMIN, "POST", "/tasks/gc", List.of(), Body.NONE),
            new Endpoint(Port.ADMIN, "GET", "/ping", List.of(), Body.NONE),
            new Endpoint(Port.ADMIN, "GET", "/health/live", List.of(), Body.NONE),
            new Endpoint(Port.ADMIN, "GET", "/health/ready", List.of(), Body.NONE),
            new Endpoint(Port.ADMIN, "GET", "/healthcheck", List.of(p("pretty", Kind.FREE)), Body.NONE),
            new Endpoint(Port.ADMIN, "GET", "/metrics", List.of(p("pretty", Kind.FREE)), Body.NONE),
            new Endpoint(Port.ADMIN, "GET", "/metrics/prometheus", List.of(p("name[]", Kind.FREE)), Body.NONE),
            new Endpoint(Port.ADMIN, "GET", "/threads", List.of(), Body.NONE),
            new Endpoint(Port.ADMIN, "GET", "/pprof", List.of(p("duration", Kind.NUMBER)), Body.NONE));
}
