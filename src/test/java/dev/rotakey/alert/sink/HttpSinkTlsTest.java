package dev.rotakey.alert.sink;

import dev.rotakey.testing.RecordingHttpServer;

import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.alert.AlertSink;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.TlsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The HTTP sinks' {@code tls} block (shared with the webhook target and Vault) against an HTTPS receiver on loopback. */
class HttpSinkTlsTest {
    private static final Instant NOW = Instant.parse("2026-12-02T17:00:00Z");

    @TempDir
    static Path certs;
    private static LoopbackCertificate loopback;
    private static LoopbackCertificate otherHost;

    @TempDir
    Path tmp;

    private RecordingHttpServer receiver;

    @BeforeAll
    static void certificates() throws Exception {
        loopback = LoopbackCertificate.create(certs.resolve("loopback"), "IP:127.0.0.1");
        otherHost = LoopbackCertificate.create(certs.resolve("other"), "DNS:alerts.example.org");
    }

    @AfterEach
    void stop() {
        receiver.close();
    }

    private AlertSink webhook(LoopbackCertificate served, Path trusted) throws Exception {
        receiver = new RecordingHttpServer(204, served.serverContext());
        WebhookSinkFactory f = new WebhookSinkFactory();
        f.setUrl(receiver.url("/alerts"));
        f.setSecret(SecretSource.fromFile(Files.writeString(tmp.resolve("k"), "0123456789abcdef0123456789abcdef").toString()));
        if (trusted != null) {
            TlsFactory tls = new TlsFactory();
            tls.setCaFile(trusted.toString());
            f.setTls(tls);
        }
        return f.build("ops-hook");
    }

    @Test
    void aPrivateCaInTlsIsTrusted() throws Exception {
        AlertSink sink = webhook(loopback, loopback.certFile());

        sink.send(SampleAlerts.rotationFailed("billing-agent-api", NOW));

        assertThat(receiver.requests()).hasSize(1);
    }

    @Test
    void withoutItTheServerIsNotTrusted() throws Exception {
        AlertSink sink = webhook(loopback, null);

        AlertDeliveryException e = catchThrowableOfType(AlertDeliveryException.class,
                () -> sink.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));

        assertThat(e.getMessage()).startsWith("webhook sink 'ops-hook' failed (");
        assertThat(receiver.requests()).isEmpty();
    }

    @Test
    void aTrustedCertificateForAnotherHostIsRefused() throws Exception {
        AlertSink sink = webhook(otherHost, otherHost.certFile());

        assertThat(catchThrowableOfType(AlertDeliveryException.class,
                () -> sink.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)))).isNotNull();
        assertThat(receiver.requests()).isEmpty();
    }
}
