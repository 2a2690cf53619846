package dev.rotakey.http;

import dev.rotakey.e2e.RunningDaemon;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real daemon against requests that walk around the token check or break the servlets: dot-segment
 * and encoded paths on both ports (defect 4), bad query encodings, wrong methods, short, stalled and
 * oversized bodies (defects 6 and 7), and what Jetty refuses by itself. Every answer is a JSON 4xx.
 */
class HostileRequestsEndToEndIT {
    private static final int LIMIT = 64 * 1024;

    @TempDir
    static Path dir;
    static RunningDaemon daemon;
    static int app;
    static int admin;

    @BeforeAll
    static void start() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey"), SoftHsmTokens.APP,
                RunningDaemon.uniqueName("hostile"),
                ConfigOverride.config("http.maxRequestBody", "64KiB"),
                ConfigOverride.config("server.applicationConnectors[0].idleTimeout", "2s"),
                ConfigOverride.config("server.adminConnectors[0].idleTimeout", "2s"));
        app = daemon.app("/").getPort();
        admin = daemon.admin("/").getPort();
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    private static RawHttp.Reply raw(int port, String method, String target, String bearer) {
        return RawHttp.send(port, RawHttp.request(method, target, bearer, null, null));
    }

    private static void assertJsonRefusal(RawHttp.Reply r, String what) {
        assertThat(r.status()).as(what + ": " + r.body()).isBetween(400, 499);
        assertThat(r.header("content-type")).as(what).startsWith("application/json");
        assertThat(r.body()).as(what).startsWith("{\"code\":" + r.status())
                .doesNotContain("Exception", "java.", "org.eclipse", "dev.rotakey", "<html");
    }

    @Test
    void dotSegmentsAndEncodedPathsNeverReachTheAdminServletsWithoutAToken() {
        List<String> gets = List.of("/ping/../healthcheck", "/ping/../metrics", "/ping/../metrics/prometheus",
                "/ping/../threads", "/ping/%2e%2e/healthcheck", "/ping/%2E%2E/healthcheck", "/ping/.%2e/healthcheck",
                "/ping/..;/healthcheck", "/ping;a=b/../healthcheck", "/ping/./../healthcheck", "/ping//../healthcheck",
                "/ping/..%2fhealthcheck", "/ping%2f..%2fhealthcheck", "/ping/..\\healthcheck", "/./healthcheck",
                "//healthcheck", "/healthcheck/.", "/ping/..", "/PING/../healthcheck", "/ping/../HEALTHCHECK",
                "/ping/%252e%252e/healthcheck", "/healthcheck.", "/HEALTHCHECK", "/healthcheck/");
        for (String target : gets) {
            RawHttp.Reply r = raw(admin, "GET", target, null);
            assertJsonRefusal(r, "GET " + target);
            assertThat(r.status()).as(target).isIn(400, 401);
        }
        for (String target : List.of("/ping/../tasks/gc", "/ping/../tasks/log-level?logger=ROOT&level=TRACE",
                "/ping/../tasks/rotate?credential=x", "/ping/%2e%2e/tasks/pause-rotations", "/ping/..;/tasks/gc",
                "/tasks/../tasks/gc", "/ping/../tasks/issue-token?name=evil&role=admin")) {
            RawHttp.Reply r = raw(admin, "POST", target, null);
            assertJsonRefusal(r, "POST " + target);
            assertThat(r.status()).as(target).isIn(400, 401);
        }
        // The public path itself still answers, and only it.
        assertThat(raw(admin, "GET", "/ping", null).status()).isEqualTo(200);
        assertThat(daemon.adminGet("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void dotSegmentsNeverWidenThePublicPrefixesOrTheKeyAuthenticatedAck() {
        for (String target : List.of("/api/v1/cas/../agents", "/api/v1/cas/agents-ca/../../agents",
                "/api/v1/cas/%2e%2e/agents", "/api/v1/cas/..;/agents", "/api/v1/cas/x/..%2f..%2fagents",
                "/api/v1/cas/agents-ca/chain/../../../status", "/api/v1/cas//../audit", "/api/v1/cas/./../status",
                "/API/v1/agents", "/api/v1/agents/", "/api/v1/cas/..\\status")) {
            RawHttp.Reply r = raw(app, "GET", target, null);
            assertJsonRefusal(r, "GET " + target);
            assertThat(r.status()).as(target).isIn(400, 401, 404);
        }
        String ack = "{\"consumer\":\"x\",\"key\":\"nope\"}";
        for (String target : List.of("/api/v1/credentials/c/versions/1/ack/../../../../agents",
                "/api/v1/credentials/../agents/versions/1/ack", "/api/v1/credentials/c/versions/1/ack/..",
                "/api/v1/credentials/c/versions/1/ack;x", "/api/v1/credentials/c%2f..%2f..%2fagents/versions/1/ack",
                "/api/v1/credentials/c/versions/1/./ack")) {
            RawHttp.Reply r = RawHttp.send(app, RawHttp.request("POST", target, null, "application/json", ack));
            assertJsonRefusal(r, "POST " + target);
            assertThat(r.status()).as(target).isIn(400, 401, 404);
        }
        // The documented public endpoints stay public.
        assertThat(raw(app, "GET", "/api/v1/cas/agents-ca/chain", null).status()).isEqualTo(200);
        assertThat(raw(app, "GET", "/api/v1/cas/agents-ca/crl", null).status()).isEqualTo(200);
    }

    @Test
    void aVerifierTokenReachesOnlyVerificationWhateverThePath() {
        String verifier = daemon.task("/tasks/issue-token?name=" + RunningDaemon.uniqueName("v") + "&role=verifier")
                .json().get("token").asText();
        for (String target : List.of("/api/v1/api-keys/verify/../../agents", "/api/v1/api-keys/verify/%2e%2e/%2e%2e/agents",
                "/api/v1/api-keys/verify;/../../agents", "/api/v1/api-keys//verify")) {
            RawHttp.Reply r = RawHttp.send(app, RawHttp.request("POST", target, verifier, "application/json", "{}"));
            assertJsonRefusal(r, "POST " + target);
        }
        assertThat(raw(app, "GET", "/api/v1/agents", verifier).status()).isEqualTo(403);
        assertThat(raw(admin, "GET", "/healthcheck", verifier).status()).isEqualTo(403);
        RawHttp.Reply ok = RawHttp.send(app, RawHttp.request("POST", "/api/v1/api-keys/verify", verifier,
                "application/json", "{\"key\":\"rk_nope\"}"));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    }

    @Test
    void badQueriesAndMethodsAreClear4xx() {
        String token = daemon.token();
        RawHttp.Reply r = raw(admin, "POST", "/tasks/rotate?credential=%ff", token);
        assertJsonRefusal(r, "%ff");
        assertThat(r.status()).isEqualTo(400);
        r = raw(admin, "GET", "/metrics/prometheus?name[]=%s", token);
        assertJsonRefusal(r, "name[]=%s");
        assertThat(r.status()).isEqualTo(400);
        r = raw(app, "GET", "/api/v1/agents?after=%C3%28", token);
        assertThat(r.status()).isEqualTo(400);
        for (String method : List.of("PATCH", "PUT", "DELETE", "TRACE", "OPTIONS", "FOO")) {
            r = raw(admin, method, "/healthcheck", token);
            assertJsonRefusal(r, method + " /healthcheck");
            assertThat(r.status()).as(method).isEqualTo(405);
            assertThat(r.header("allow")).isEqualTo("GET, HEAD");
        }
        r = raw(admin, "GET", "/tasks/rotate?credential=x", token);
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.header("allow")).isEqualTo("POST");
        for (String method : List.of("PATCH", "TRACE", "FOO", "DELETE")) {
            r = raw(app, method, "/api/v1/agents", token);
            assertJsonRefusal(r, method + " /api/v1/agents");
            assertThat(r.status()).as(method).isEqualTo(405);
            assertThat(r.header("allow")).isNotBlank();
        }
    }

    @Test
    void aTaskStillTakesItsParametersFromAFormBody() {
        RawHttp.Reply r = RawHttp.send(admin, RawHttp.request("POST", "/tasks/rotate", daemon.token(),
                "application/x-www-form-urlencoded", "credential=no-such-credential"));
        assertThat(r.status()).as(r.body()).isEqualTo(404);
        assertThat(r.body()).contains("no-such-credential");
        r = RawHttp.send(admin, RawHttp.request("POST", "/tasks/rotate", daemon.token(),
                "application/x-www-form-urlencoded", "credential=%ff"));
        assertJsonRefusal(r, "bad form body");
        assertThat(r.status()).isEqualTo(400);
    }

    @Test
    void bodiesOverTheLimitAre413OnBothPorts() {
        String token = daemon.token();
        // Announced: refused at once, before the body is sent.
        String head = "POST /api/v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/json\r\nContent-Length: " + (LIMIT + 1) + "\r\n\r\n";
        RawHttp.Reply r = RawHttp.send(app, head.getBytes(StandardCharsets.US_ASCII), false, 10_000);
        assertJsonRefusal(r, "announced");
        assertThat(r.status()).isEqualTo(413);
        r = RawHttp.send(admin, head.replace("/api/v1/agents", "/tasks/pause-rotations").getBytes(StandardCharsets.US_ASCII),
                false, 10_000);
        assertThat(r.status()).isEqualTo(413);
        // Chunked: refused when the read passes the limit.
        StringBuilder chunked = new StringBuilder("POST /api/v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
                .append(token).append("\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        String chunk = "a".repeat(8192);
        for (int i = 0; i < LIMIT / 8192 + 2; i++) {
            chunked.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        chunked.append("0\r\n\r\n");
        r = RawHttp.send(app, chunked.toString().getBytes(StandardCharsets.US_ASCII), true, 10_000);
        assertJsonRefusal(r, "chunked");
        assertThat(r.status()).isEqualTo(413);
        // Just under the limit is read, and judged by the resource.
        r = RawHttp.send(app, RawHttp.request("POST", "/api/v1/agents", token, "application/json",
                "{\"id\":\"" + "a".repeat(LIMIT - 20) + "\"}"));
        assertJsonRefusal(r, "under the limit");
        assertThat(r.status()).isIn(400, 422);
    }

    @Test
    void shortAndStalledBodiesAre400And408() {
        String token = daemon.token();
        String head = "POST /api/v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":\"short\"";
        RawHttp.Reply r = RawHttp.send(app, head.getBytes(StandardCharsets.US_ASCII), true, 10_000);
        assertJsonRefusal(r, "short");
        assertThat(r.status()).isEqualTo(400);
        r = RawHttp.send(admin, head.replace("/api/v1/agents", "/tasks/pause-rotations")
                .replace("application/json", "application/x-www-form-urlencoded").getBytes(StandardCharsets.US_ASCII), true, 10_000);
        assertThat(r.status()).isEqualTo(400);
        // The client keeps the connection open and sends nothing more: the idle timeout (2 s here) ends it.
        r = RawHttp.send(app, head.getBytes(StandardCharsets.US_ASCII), false, 15_000);
        assertJsonRefusal(r, "stalled");
        assertThat(r.status()).isEqualTo(408);
        assertThat(r.millis()).isLessThan(10_000);
        assertThat(daemon.get("/api/v1/credentials").status()).isEqualTo(200);
    }

    @Test
    void whatJettyRefusesByItselfIsJsonToo() {
        RawHttp.Reply r = RawHttp.send(admin, "GET /healthcheck HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000)
                + "\r\nConnection: close\r\n\r\n");
        assertJsonRefusal(r, "header too large");
        assertThat(r.status()).isEqualTo(431);
        r = RawHttp.send(app, "GET /api/v1/agents?x=" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertJsonRefusal(r, "URI too long");
        assertThat(r.status()).isEqualTo(414);
        r = RawHttp.send(app, "POST /api/v1/agents HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
                + "Connection: close\r\n\r\nab");
        assertJsonRefusal(r, "two lengths");
        for (String framing : List.of("Content-Length: 12", "Transfer-Encoding: chunked")) {
            String body = framing.startsWith("Content") ? "{\"id\":\"ab\"}" : "c\r\n{\"id\":\"ab\"}\r\n0\r\n\r\n";
            r = RawHttp.send(app, "POST /api/v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + daemon.token()
                    + "\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n" + framing
                    + "\r\nConnection: close\r\n\r\n" + body);
            assertJsonRefusal(r, "not gzip, " + framing);
        }
        r = RawHttp.send(app, "GET /api/v1/agents%zz HTTP/1.1\r\nHost: x\r\nAccept: image/png\r\nConnection: close\r\n\r\n");
        assertJsonRefusal(r, "bad escape");
    }
}
