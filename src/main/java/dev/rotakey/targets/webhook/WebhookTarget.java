package dev.rotakey.targets.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.core.Secret;
import dev.rotakey.targets.CertificateMaterial;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A {@code webhook} target: POSTs signed JSON events (delivered, verify, revoked, discarded) to the
 * consuming system, which holds the credential itself; see docs/targets.md for the signature scheme.
 */
public final class WebhookTarget implements Target {
    public static final String TIMESTAMP_HEADER = WebhookSignature.TIMESTAMP_HEADER;
    public static final String SIGNATURE_HEADER = WebhookSignature.SIGNATURE_HEADER;
    public static final String EVENT_ID_HEADER = WebhookSignature.EVENT_ID_HEADER;

    /** Letters, digits and {@code . _ : -}: safe in any receiver's logs and lookups. */
    private static final Pattern CONSUMER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final URI url;
    private final URI verifyUrl;
    private final byte[] key;
    private final Duration timeout;
    private final HttpClient client;
    private final Clock clock;

    /** Takes ownership of {@code key} and clears it on {@link #close()}. */
    public WebhookTarget(String name, URI url, URI verifyUrl, byte[] key, Duration timeout, SSLContext ssl, Clock clock) {
        this.name = name;
        this.url = url;
        this.verifyUrl = verifyUrl;
        this.key = key;
        this.timeout = timeout;
        this.clock = clock;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout)
                // a redirect would carry the signed body somewhere the operator never configured
                .followRedirects(HttpClient.Redirect.NEVER);
        if (ssl != null) {
            builder.sslContext(ssl);
        }
        this.client = builder.build();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "webhook";
    }

    @Override
    public void validateBinding(TargetBinding binding) {
        String consumer = binding.param("consumer");
        if (consumer != null && !CONSUMER.matcher(consumer).matches()) {
            throw new InvalidBindingException("consumer",
                    "must be 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
        }
    }

    @Override
    public void deliver(Delivery delivery) {
        Map<String, Object> body = envelope("credential.delivered", delivery.agentId(), delivery.credentialId(),
                delivery.version(), delivery.binding());
        body.put("type", delivery.credentialType());
        Map<String, Object> material = new LinkedHashMap<>();
        if (delivery.isCertificate()) {
            CertificateMaterial c = delivery.certificate();
            material.put("certificate", c.certificatePem());
            material.put("chain", c.chainPem());
            if (c.privateKeyPem() != null) {
                material.put("privateKey", c.privateKeyPem().reveal());
            } else {
                material.put("privateKeyUri", c.privateKeyUri());
            }
        } else {
            material.put("key", delivery.material().reveal());
        }
        body.put("material", material);
        if (!delivery.logins().isEmpty()) {
            // Added only when a binding of the credential decides the user name (a PostgreSQL login role), so that
            // receivers of other credentials see the body they always did.
            body.put("logins", delivery.logins().stream()
                    .map(l -> Map.of("target", l.target(), "login", l.login())).toList());
        }
        post(url, "credential.delivered", delivery.credentialId(), delivery.version(), body);
    }

    /**
     * With a {@code verifyUrl}, asks the receiver whether it holds this version, naming it by the
     * SHA-256 of its material (never the material); without one, delivery's 2xx is all the proof there is.
     */
    @Override
    public void verify(Delivery delivery) {
        if (verifyUrl == null) {
            return;
        }
        Map<String, Object> body = envelope("credential.verify", delivery.agentId(), delivery.credentialId(),
                delivery.version(), delivery.binding());
        body.put("digest", digest(delivery));
        byte[] answer = post(verifyUrl, "credential.verify", delivery.credentialId(), delivery.version(), body);
        JsonNode valid;
        try {
            valid = JSON.readTree(answer).path("valid");
        } catch (IOException e) {
            throw new TargetException(where("verify") + " answered with something other than JSON", false);
        }
        if (!valid.isBoolean()) {
            throw new TargetException(where("verify") + " answered without a boolean 'valid'", false);
        }
        if (!valid.booleanValue()) {
            throw new TargetException(where("verify") + ": the receiver does not hold version " + delivery.version()
                    + " of " + delivery.credentialId(), false);
        }
    }

    @Override
    public void revoke(Revocation revocation) {
        event("credential.revoked", revocation);
    }

    @Override
    public void discard(Revocation revocation) {
        event("credential.discarded", revocation);
    }

    private void event(String event, Revocation revocation) {
        Map<String, Object> body = envelope(event, revocation.agentId(), revocation.credentialId(),
                revocation.version(), revocation.binding());
        post(url, event, revocation.credentialId(), revocation.version(), body);
    }

    private static Map<String, Object> envelope(String event, String agent, String credential, int version,
                                                TargetBinding binding) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("event", event);
        body.put("agent", agent);
        body.put("credential", credential);
        body.put("version", version);
        if (binding.param("consumer") != null) {
            body.put("consumer", binding.param("consumer"));
        }
        return body;
    }

    /** The digest the receiver compares with: of the key, or of the certificate PEM for certificates. */
    static String digest(Delivery delivery) {
        byte[] content = delivery.isCertificate()
                ? delivery.certificate().certificatePem().getBytes(StandardCharsets.UTF_8)
                : delivery.material().utf8();
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /** Sends one signed event; returns the 2xx response's body. */
    private byte[] post(URI to, String event, String credential, int version, Map<String, Object> body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a " + event + " event", e);
        }
        try {
            long timestamp = clock.instant().getEpochSecond();
            HttpRequest request = HttpRequest.newBuilder(to)
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .header(TIMESTAMP_HEADER, Long.toString(timestamp))
                    .header(SIGNATURE_HEADER, WebhookSignature.sign(key, timestamp, bytes))
                    .header(EVENT_ID_HEADER, credential + "/v" + version + "/" + event)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                    .build();
            HttpResponse<byte[]> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (HttpTimeoutException e) {
                throw new TargetException(where(event) + " timed out after " + timeout, true);
            } catch (IOException e) {
                // connection refused or reset, TLS handshake failure, …: the type is enough and quotes nothing we sent
                throw new TargetException(where(event) + " failed (" + e.getClass().getSimpleName() + ")", true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TargetException(where(event) + " was interrupted", true);
            }
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                return response.body() == null ? new byte[0] : response.body();
            }
            // 408 and 429 say "later"; any other 4xx (a wrong signature, a refused body) will not change by itself
            boolean retryable = status >= 500 || status == 408 || status == 429;
            throw new TargetException(where(event) + " answered HTTP " + status, retryable);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    private String where(String event) {
        return "webhook target '" + name + "': " + event;
    }

    /** Clears the shared key; the target must not be used afterwards. */
    @Override
    public void close() {
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return "WebhookTarget{name=" + name + ", url=" + url + ", verifyUrl=" + verifyUrl + ", timeout=" + timeout + "}";
    }
}
