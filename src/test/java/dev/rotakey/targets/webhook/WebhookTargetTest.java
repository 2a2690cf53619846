package dev.rotakey.targets.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.config.SecretSource;
import dev.rotakey.core.Secret;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.files.TestCertificateAuthority;
import dev.rotakey.config.TlsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The {@code webhook} target against a real receiver on loopback that checks signatures as a consumer must. */
class WebhookTargetTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration TOLERANCE = Duration.ofMinutes(5);

    @TempDir
    Path tmp;

    private final String sharedSecret = randomHex(32);
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private WebhookReceiver receiver(String key) throws Exception {
        WebhookReceiver r = WebhookReceiver.http(key.getBytes(StandardCharsets.UTF_8), TOLERANCE);
        closing.add(r);
        return r;
    }

    private WebhookTargetFactory factory(String url, String verifyUrl, String secret) throws Exception {
        Path file = Files.createTempFile(tmp, "webhook", ".key");
        Files.writeString(file, secret + "\n");
        WebhookTargetFactory f = new WebhookTargetFactory();
        f.setUrl(url);
        f.setVerifyUrl(verifyUrl);
        f.setAllowHttp(url.startsWith("http:"));
        f.setSecret(SecretSource.fromFile(file.toString()));
        return f;
    }

    private Target build(WebhookTargetFactory f) {
        Target t = f.build("hooks");
        closing.add(t);
        return t;
    }

    private Target target(WebhookReceiver r) throws Exception {
        return build(factory(r.url(WebhookReceiver.HOOK), r.url(WebhookReceiver.VERIFY), sharedSecret));
    }

    private static TargetBinding binding() {
        return new TargetBinding("hooks", Map.of("consumer", "billing-agent"));
    }

    private static Delivery delivery(String credential, int version, Secret key) {
        return new Delivery("agent-7", credential, "api-key", version, binding(), key);
    }

    private static Revocation revocation(String credential, int version) {
        return new Revocation("agent-7", credential, "api-key", version, binding(), content -> false);
    }

    @Test
    void deliversACorrectlySignedEventWithTheKey() throws Exception {
        WebhookReceiver receiver = receiver(sharedSecret);
        Target target = target(receiver);

        target.deliver(delivery("cred-1", 3, Secret.of("rk_live_abc")));

        assertThat(receiver.accepted()).singleElement().satisfies(event -> {
            assertThat(event.path("event").asText()).isEqualTo("credential.delivered");
            assertThat(event.path("agent").asText()).isEqualTo("agent-7");
            assertThat(event.path("credential").asText()).isEqualTo("cred-1");
            assertThat(event.path("type").asText()).isEqualTo("api-key");
            assertThat(event.path("version").asInt()).isEqualTo(3);
            assertThat(event.path("consumer").asText()).isEqualTo("billing-agent");
            assertThat(event.path("material").path("key").asText()).isEqualTo("rk_live_abc");
        });
        WebhookReceiver.Raw raw = receiver.acceptedRaw().get(0);
        assertThat(raw.eventId()).isEqualTo("cred-1/v3/credential.delivered");
        assertThat(Long.parseLong(raw.timestamp())).isCloseTo(Instant.now().getEpochSecond(),
                org.assertj.core.data.Offset.offset(60L));
        // recomputed here independently of both the target and the receiver's check
        assertThat(raw.signature()).isEqualTo("v1=" + WebhookReceiver.hmac(
                sharedSecret.getBytes(StandardCharsets.UTF_8), raw.timestamp() + ".", raw.body()));
    }

    @Test
    void deliversACertificateWithChainAndPrivateKey() throws Exception {
        WebhookReceiver receiver = receiver(sharedSecret);
        Target target = target(receiver);
        TestCertificateAuthority.Leaf leaf = TestCertificateAuthority.create("Hooks", TestCertificateAuthority.KeyType.EC)
                .leaf("agent-7", TestCertificateAuthority.KeyType.EC);
        Delivery d = new Delivery("agent-7", "cert-1", "certificate", 1, binding(), Secret.of(leaf.certificatePem()),
                leaf.exported());

        target.deliver(d);
        target.verify(d);

        JsonNode material = receiver.accepted().get(0).path("material");
        assertThat(material.path("certificate").asText()).isEqualTo(leaf.certificatePem());
        assertThat(material.path("chain").asText()).isEqualTo(leaf.chainPem());
        assertThat(material.path("privateKey").asText()).isEqualTo(leaf.privateKeyPem());
        assertThat(material.has("privateKeyUri")).isFalse();
    }

    @Test
    void aReceiverWithAnotherSecretAcceptsNothingAndTheFailureIsFinal() throws Exception {
        WebhookReceiver receiver = receiver(randomHex(32));
        Target target = target(receiver);

        TargetException e = catchThrowableOfType(TargetException.class,
                () -> target.deliver(delivery("cred-1", 1, Secret.of("rk_live_abc"))));

        assertThat(e).isNotNull();
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("HTTP 401").doesNotContain("rk_live_abc").doesNotContain(sharedSecret);
        assertThat(receiver.accepted()).isEmpty();
        assertThat(receiver.rejected()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503, 408, 429})
    void serverErrorsAndBackPressureAreRetryable(int status) throws Exception {
        WebhookReceiver receiver = receiver(sharedSecret);
        Target target = target(receiver);
        receiver.answer(status);

        assertThatThrownBy(() -> target.deliver(delivery("cred-1", 1, Secret.of("rk_live_abc"))))
                .isInstanceOfSatisfying(TargetException.class, e -> {
                    assertThat(e.retryable()).isTrue();
                    assertThat(e.getMessage()).contains("HTTP " + status);
                });
        // the workflow's next attempt goes through
        target.deliver(delivery("cred-1", 1, Secret.of("rk_live_abc")));
        assertThat(receiver.accepted()).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 403, 404, 410, 422})
    void otherClientErrorsAreFinal(int status) throws Exception {
        WebhookReceiver receiver = receiver(sharedSecret);
        Target target = target(receiver);
        receiver.answer(status);

        assertThatThrownBy(() -> target.deliver(delivery("cred-1", 1, Secret.of("rk_live_abc"))))
                .isInstanceOfSatisfying(TargetException.class, e -> {
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.getMessage()).contains("HTTP " + status).doesNotContain("rk_live_abc");
                });
    }

    @Test
    void aReceiverThatHangsTimesOutRetryably() throws Exception {
        WebhookReceiver receiver = receiver(sharedSecret);
        WebhookTargetFactory f = factory(receiver.url(WebhookReceiver.HOOK), null, sharedSecret);
        f.setTimeout(io.dropwizard.util.Duration.milliseconds(300));
        Target target = build(f);
        CountDownLatch hanging = receiver.hang();
        try {
            assertThatThrownBy(() -> target.deliver(delivery("cred-1", 1, Secret.of("rk_live_abc"))))
                    .isInstanceOfSatisfying(TargetException.class, e -> {
                        assertThat(e.retryable()).isTrue();
                        assertThat(e.getMessage()).contains("timed out");
                    });
        } finally {
            hanging.countDown();
        }
    }

    @Test
    void aRefusedConnectionIsRetryable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Target target = build(factory("http://127.0.0.1:" + port + "/hook", null, sharedSecret));

        assertThatThrownBy(() -> target.deliver(delivery("cred-1", 1, Secret.of("rk_live_abc"))))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue());
    }

    @Test
    void verifySendsADigestNotTheKeyAndNeedsValidTrue() throws Exception {
        WebhookReceiver receiver = receiver(sharedSecret);
        Target target = target(receiver);
        Secret key = Secret.of("rk_live_abc");
        target.deliver(delivery("cred-1", 1, key));

        target.verify(delivery("cred-1", 1, key));

        assertThat(receiver.verifications()).singleElement().satisfies(v -> {
            assertThat(v.path("event").asText()).isEqualTo("credential.verify");
            assertThat(v.path("version").asInt()).isEqualTo(1);
            assertThat(v.path("digest").asText()).isEqualTo(WebhookReceiver.sha256("rk_live_abc"));
            assertThat(v.toString()).doesNotContain("rk_live_abc");
        });
        assertThatThrownBy(() -> target.verify(delivery("cred-1", 1, Secret.of("rk_live_other"))))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isFalse());
    }

    @Test
    void withoutAVerifyUrlVerifyIsANoOp() throws Exception {
        WebhookReceiver receiver = receiver(sharedSecret);
        Target target = build(factory(receiver.url(WebhookReceiver.HOOK), null, sharedSecret));

        assertThatCode(() -> target.verify(delivery("cred-1", 1, Secret.of("never-delivered"))))
                .doesNotThrowAnyException();
        assertThat(receiver.verifications()).isEmpty();
        assertThat(receiver.accepted()).isEmpty();
    }

    @Test
    void revokeAndDiscardSendEventsWithoutMaterial() throws Exception {
        WebhookReceiver receiver = receiver(sharedSecret);
        Target target = target(receiver);

        target.revoke(revocation("cred-1", 1));
        target.discard(revocation("cred-1", 2));
        target.revoke(revocation("cred-1", 1));

        List<JsonNode> events = receiver.accepted();
        assertThat(events).extracting(e -> e.path("event").asText())
                .containsExactly("credential.revoked", "credential.discarded", "credential.revoked");
        assertThat(events).extracting(e -> e.path("version").asInt()).containsExactly(1, 2, 1);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.has("material")).isFalse();
            assertThat(e.path("agent").asText()).isEqualTo("agent-7");
        });
        assertThat(receiver.acceptedRaw()).extracting(WebhookReceiver.Raw::eventId)
                .containsExactly("cred-1/v1/credential.revoked", "cred-1/v2/credential.discarded",
                        "cred-1/v1/credential.revoked");
    }

    @Test
    void aCapturedRequestReplayedLaterIsRejected() throws Exception {
        WebhookReceiver receiver = receiver(sharedSecret);
        Target target = target(receiver);
        target.deliver(delivery("cred-1", 1, Secret.of("rk_live_abc")));
        WebhookReceiver.Raw captured = receiver.acceptedRaw().get(0);

        // an attacker who recorded the request sends it again, byte for byte, once the tolerance has passed
        receiver.clock(Instant.now().plus(TOLERANCE).plusSeconds(60));
        HttpResponse<Void> replay = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(receiver.url(WebhookReceiver.HOOK)))
                        .header(WebhookTarget.TIMESTAMP_HEADER, captured.timestamp())
                        .header(WebhookTarget.SIGNATURE_HEADER, captured.signature())
                        .header(WebhookTarget.EVENT_ID_HEADER, captured.eventId())
                        .POST(HttpRequest.BodyPublishers.ofByteArray(captured.body())).build(),
                HttpResponse.BodyHandlers.discarding());

        assertThat(replay.statusCode()).isEqualTo(401);
        assertThat(receiver.accepted()).hasSize(1);
    }

    @Test
    void aSenderClockOutsideTheToleranceIsRejected() throws Exception {
        WebhookReceiver receiver = receiver(sharedSecret);
        Clock late = Clock.fixed(Instant.now().minus(TOLERANCE).minusSeconds(60), ZoneOffset.UTC);
        WebhookTarget target = new WebhookTarget("hooks", URI.create(receiver.url(WebhookReceiver.HOOK)), null,
                sharedSecret.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5), null, late);
        closing.add(target);

        assertThatThrownBy(() -> target.deliver(delivery("cred-1", 1, Secret.of("rk_live_abc"))))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.getMessage()).contains("HTTP 401"));
        assertThat(receiver.accepted()).isEmpty();
    }

    @Test
    void mutualTlsDeliversWithTheClientCertificateAndIsRefusedWithout() throws Exception {
        LoopbackPki pki = new LoopbackPki();
        pki.writeFiles(tmp);
        WebhookReceiver receiver = WebhookReceiver.https(sharedSecret.getBytes(StandardCharsets.UTF_8), TOLERANCE,
                pki.serverContext(), true);
        closing.add(receiver);

        WebhookTargetFactory withCertificate = factory(receiver.url(WebhookReceiver.HOOK), null, sharedSecret);
        TlsFactory tls = new TlsFactory();
        tls.setCaFile(tmp.resolve("ca.pem").toString());
        tls.setClientCertificateFile(tmp.resolve("client.pem").toString());
        tls.setClientKeyFile(tmp.resolve("client-key.pem").toString());
        withCertificate.setTls(tls);
        WebhookTargetFactory withoutCertificate = factory(receiver.url(WebhookReceiver.HOOK), null, sharedSecret);
        TlsFactory caOnly = new TlsFactory();
        caOnly.setCaFile(tmp.resolve("ca.pem").toString());
        withoutCertificate.setTls(caOnly);

        assertThatThrownBy(() -> build(withoutCertificate).deliver(delivery("cred-1", 1, Secret.of("rk_live_abc"))))
                .isInstanceOf(TargetException.class);
        assertThat(receiver.accepted()).isEmpty();

        build(withCertificate).deliver(delivery("cred-1", 1, Secret.of("rk_live_abc")));
        assertThat(receiver.accepted()).hasSize(1);
    }

    @Test
    void theConsumerParameterIsValidated() throws Exception {
        Target target = build(factory("https://hooks.example.org/rotakey", null, sharedSecret));

        assertThatCode(() -> target.validateBinding(new TargetBinding("hooks", Map.of()))).doesNotThrowAnyException();
        assertThatCode(() -> target.validateBinding(binding())).doesNotThrowAnyException();
        for (String bad : List.of("", "-x", "has space", "a/b", "x".repeat(129), "quote\"d")) {
            assertThatThrownBy(() -> target.validateBinding(new TargetBinding("hooks", Map.of("consumer", bad))))
                    .isInstanceOfSatisfying(InvalidBindingException.class,
                            e -> assertThat(e.parameter()).isEqualTo("consumer"));
        }
    }

    @Test
    void neitherTheTargetNorItsFactoryShowTheSecret() throws Exception {
        WebhookTargetFactory f = factory("https://hooks.example.org/rotakey", null, sharedSecret);
        Target target = build(f);

        assertThat(f.toString()).doesNotContain(sharedSecret);
        assertThat(target.toString()).doesNotContain(sharedSecret).contains("hooks.example.org");
    }
}
