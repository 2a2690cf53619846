package dev.rotakey.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * An in-process stand-in for a HashiCorp Vault server, speaking the documented HTTP API (token and AppRole
 * auth, transit, KV v2) with real cryptography, plus switches that put it in the failure modes a client must
 * survive: sealed, permission denied, injected 5xx/429.
 */
public final class VaultTestServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    static {
        // The JDK server writes headers and body separately; with Nagle on, every answer waits ~40 ms for a
        // delayed ACK. The switch is JVM-wide and read once, so it must be set before the first server exists.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final String scheme;
    private final VaultTokens tokens = new VaultTokens();
    /** Mount path (no trailing slash) to engine; copy-on-write so lookups need no lock. */
    private volatile Map<String, Object> mounts = Map.of();
    private final List<String> denied = new CopyOnWriteArrayList<>();
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean sealed;
    private final Object failureLock = new Object();
    private int failStatus;
    private int failTimes;

    private VaultTestServer(HttpServer server, String scheme) {
        this.server = server;
        this.scheme = scheme;
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "vault-test-server-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::exchange);
        mountTransit("transit");
        mountKv("secret");
        server.start();
    }

    /** A plain-HTTP server on 127.0.0.1 and an ephemeral port. */
    public static VaultTestServer start() {
        try {
            return new VaultTestServer(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0),
                    "http");
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind the Vault test server", e);
        }
    }

    /**
     * An HTTPS server presenting the key entry of {@code serverKeyStore}; when {@code trustedClients} is not null
     * every client must present a certificate that chains to it.
     */
    public static VaultTestServer startTls(KeyStore serverKeyStore, char[] password, KeyStore trustedClients) {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(serverKeyStore, password);
            TrustManagerFactory tmf = null;
            if (trustedClients != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trustedClients);
            }
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            boolean needClientAuth = trustedClients != null;
            https.setHttpsConfigurator(new HttpsConfigurator(ssl) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters p = ssl.getDefaultSSLParameters();
                    p.setNeedClientAuth(needClientAuth);
                    params.setSSLParameters(p);
                }
            });
            return new VaultTestServer(https, "https");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot start the TLS Vault test server", e);
        }
    }

    /** Base address without a trailing slash, e.g. {@code http://127.0.0.1:41234}. */
    public String address() {
        return scheme + "://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The root token: every policy, never expires. */
    public String rootToken() {
        return tokens.rootToken.id;
    }

    /** Lets {@code auth/approle/login} accept this role and secret id, issuing tokens with these settings. */
    public void enableAppRole(String roleId, String secretId, Duration tokenTtl, boolean renewable, Duration maxTtl) {
        tokens.enableAppRole(roleId, secretId, tokenTtl, renewable, maxTtl);
    }

    /** A fresh service token with the {@code default} policy; a zero max TTL means Vault's system max (32 days). */
    public String createToken(Duration ttl, boolean renewable, Duration maxTtl) {
        return tokens.issue(ttl, renewable, maxTtl, List.of("default"), "auth/token/create", null).id;
    }

    /** The clock token expiry is judged by; key creation times follow it too. */
    public void setClock(Clock clock) {
        tokens.setClock(clock);
    }

    /** From now on every endpoint except {@code sys/health} and {@code sys/seal-status} answers 503. */
    public void seal() {
        sealed = true;
    }

    public void unseal() {
        sealed = false;
    }

    /** Requests whose path below {@code /v1/} starts with this prefix are answered 403 permission denied. */
    public void deny(String pathPrefix) {
        denied.add(prefix(pathPrefix));
    }

    public void allowAll() {
        denied.clear();
    }

    /** The next {@code times} requests, whatever they are, answer {@code status} with a Vault error body. */
    public void failNext(int status, int times) {
        synchronized (failureLock) {
            failStatus = status;
            failTimes = times;
        }
    }

    /** How many requests arrived whose path below {@code /v1/} starts with this prefix. */
    public int requests(String pathPrefix) {
        String prefix = prefix(pathPrefix);
        synchronized (log) {
            int n = 0;
            for (String entry : log) {
                if (entry.substring(entry.indexOf(' ') + 1).startsWith(prefix)) {
                    n++;
                }
            }
            return n;
        }
    }

    /** Every request so far as {@code METHOD path} (path below {@code /v1/}, no query, never a body). */
    public List<String> requestLog() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** Mounts another transit engine at {@code path}. */
    public void mountTransit(String path) {
        mount(path, new VaultTransit(tokens));
    }

    /** Mounts another KV version 2 engine at {@code path}. */
    public void mountKv(String path) {
        mount(path, new VaultKv(tokens));
    }

    private synchronized void mount(String path, Object engine) {
        Map<String, Object> copy = new LinkedHashMap<>(mounts);
        copy.put(stripSlashes(path), engine);
        mounts = Map.copyOf(copy);
    }

    public void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    @Override
    public void close() {
        stop();
    }

    private static String stripSlashes(String p) {
        String s = p;
        while (s.startsWith("/")) {
            s = s.substring(1);
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    /** A path prefix as given, minus leading slashes: a trailing slash is kept so "a/b/" does not match "a/bc". */
    private static String prefix(String p) {
        String s = p;
        while (s.startsWith("/")) {
            s = s.substring(1);
        }
        return s;
    }

    // ---- request handling ------------------------------------------------------------------

    private void exchange(HttpExchange ex) throws IOException {
        try (ex) {
            int status;
            Object body;
            try {
                VaultReply reply = dispatch(ex);
                status = reply.status;
                body = reply.body;
            } catch (VaultError e) {
                status = e.status;
                body = Map.of("errors", e.errors);
            } catch (RuntimeException e) {
                // A bug in the double must look like a Vault 500, not a dropped connection.
                status = 500;
                body = Map.of("errors", List.of("1 error occurred:\n\t* internal error: " + e + "\n\n"));
            }
            if (body == null) {
                ex.sendResponseHeaders(status, -1);
                return;
            }
            byte[] bytes = JSON.writeValueAsBytes(body);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private VaultReply dispatch(HttpExchange ex) throws IOException {
        String rawPath = ex.getRequestURI().getRawPath();
        Map<String, String> query = query(ex.getRequestURI().getRawQuery());
        String method = ex.getRequestMethod().toUpperCase(java.util.Locale.ROOT);
        byte[] raw;
        try (InputStream in = ex.getRequestBody()) {
            raw = in.readAllBytes();
        }
        String decodedPath = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
        String path = decodedPath.startsWith("/v1/") ? decodedPath.substring(4) : null;
        log.add(method + " " + (path == null ? decodedPath : path));
        synchronized (failureLock) {
            if (failTimes > 0) {
                failTimes--;
                throw new VaultError(failStatus, List.of(injectedMessage(failStatus)));
            }
        }
        if (path == null) {
            throw VaultError.notFound();
        }
        if (method.equals("GET") && "true".equals(query.get("list"))) {
            method = "LIST";
        }
        if (path.equals("sys/health") && (method.equals("GET") || method.equals("HEAD"))) {
            return health();
        }
        if (path.equals("sys/seal-status") && method.equals("GET")) {
            return sealStatus();
        }
        if (sealed) {
            throw new VaultError(503, List.of("Vault is sealed"));
        }
        if (method.equals("PATCH")) {
            String type = ex.getRequestHeaders().getFirst("Content-Type");
            if (type == null || !type.startsWith("application/merge-patch+json")) {
                throw new VaultError(415, List.of(
                        "PATCH requires Content-Type of application/merge-patch+json, provided "
                        + (type == null ? "" : type)));
            }
        }
        ObjectNode body = parseBody(raw);
        VaultTokens.Token token = null;
        if (!tokens.isLogin(path)) {
            String header = ex.getRequestHeaders().getFirst("X-Vault-Token");
            String bearer = ex.getRequestHeaders().getFirst("Authorization");
            if ((header == null || header.isEmpty()) && bearer != null && bearer.startsWith("Bearer ")) {
                // Vault also takes the token as a bearer credential.
                header = bearer.substring(7).trim();
            }
            token = tokens.authenticate(header);
        }
        for (String prefix : denied) {
            if (path.startsWith(prefix)) {
                throw VaultError.denied();
            }
        }
        if (path.startsWith("auth/")) {
            VaultCall call = new VaultCall(method, path.substring(5), query, body, token);
            return tokens.handle(call).mountType(path.startsWith("auth/approle/") ? "approle" : "token");
        }
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        // Like Vault's router, the longest mount path that prefixes the request wins.
        String mount = null;
        for (String candidate : mounts.keySet()) {
            if (trimmed.startsWith(candidate + "/") && (mount == null || candidate.length() > mount.length())) {
                mount = candidate;
            }
        }
        if (mount == null) {
            throw VaultError.noHandler(path);
        }
        VaultCall call = new VaultCall(method, trimmed.substring(mount.length() + 1), query, body, token);
        if (mounts.get(mount) instanceof VaultTransit transit) {
            return transit.handle(call).mountType("transit");
        }
        return ((VaultKv) mounts.get(mount)).handle(call).mountType("kv");
    }

    private static String injectedMessage(int status) {
        return switch (status) {
            case 429 -> "rate limit quota exceeded";
            case 503 -> "Vault is sealed";
            default -> "1 error occurred:\n\t* internal error\n\n";
        };
    }

    private VaultReply health() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("initialized", true);
        h.put("sealed", sealed);
        h.put("standby", false);
        h.put("performance_standby", false);
        h.put("replication_performance_mode", "disabled");
        h.put("replication_dr_mode", "disabled");
        h.put("server_time_utc", tokens.now().getEpochSecond());
        h.put("version", "1.15.6");
        h.put("cluster_name", "vault-test-server");
        h.put("cluster_id", "00000000-0000-0000-0000-000000000000");
        // sys/health reports state in its status code and answers without the usual envelope.
        return VaultReply.bare(sealed ? 503 : 200, h);
    }

    private VaultReply sealStatus() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "shamir");
        s.put("initialized", true);
        s.put("sealed", sealed);
        s.put("t", 1);
        s.put("n", 1);
        s.put("progress", 0);
        s.put("nonce", "");
        s.put("version", "1.15.6");
        s.put("migration", false);
        s.put("recovery_seal", false);
        s.put("storage_type", "inmem");
        return VaultReply.bare(200, s);
    }

    private static ObjectNode parseBody(byte[] raw) {
        String text = new String(raw, StandardCharsets.UTF_8).trim();
        if (text.isEmpty()) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || node.isNull()) {
                return JSON.createObjectNode();
            }
            if (!node.isObject()) {
                throw VaultError.badRequest("failed to parse JSON input: request body must be a JSON object");
            }
            return (ObjectNode) node;
        } catch (JsonProcessingException e) {
            // Name the place, never the content: the body may carry secrets.
            var at = e.getLocation();
            throw VaultError.badRequest("failed to parse JSON input: malformed JSON"
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return q;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            q.put(k, v);
        }
        return q;
    }
}
