package dev.rotakey.alert.sink;

import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.TlsFactory;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The {@code email} sink against a real SMTP server on loopback that requires STARTTLS. */
class EmailSinkTest {
    private static final Instant NOW = Instant.parse("2026-12-02T17:00:00Z");
    private static final String PASSWORD = "smtp-pa55word-0123456789";

    @TempDir
    static Path certs;
    private static LoopbackCertificate loopback;
    private static LoopbackCertificate otherHost;

    @TempDir
    Path tmp;

    private final List<SmtpTestServer> servers = new ArrayList<>();

    @BeforeAll
    static void certificates() throws Exception {
        loopback = LoopbackCertificate.create(certs.resolve("loopback"), "IP:127.0.0.1");
        otherHost = LoopbackCertificate.create(certs.resolve("other"), "DNS:mail.example.org");
    }

    @AfterEach
    void stop() {
        servers.forEach(SmtpTestServer::close);
    }

    private SmtpTestServer server(SmtpTestServer.Mode mode, LoopbackCertificate cert) {
        SmtpTestServer s = new SmtpTestServer(mode, cert.serverContext(), "rotakey", PASSWORD);
        servers.add(s);
        return s;
    }

    private EmailSinkFactory factory(SmtpTestServer server, Path trusted) throws Exception {
        EmailSinkFactory f = new EmailSinkFactory();
        f.setHost("127.0.0.1");
        f.setPort(server.port());
        f.setUsername("rotakey");
        f.setPassword(SecretSource.fromFile(Files.writeString(tmp.resolve("smtp.password"), PASSWORD + "\n").toString()));
        f.setFrom("rotakey@example.org");
        f.setTo(List.of("team-billing@example.com", "oncall@example.com"));
        TlsFactory tls = new TlsFactory();
        tls.setCaFile(trusted.toString());
        f.setTls(tls);
        f.setTimeout(Duration.ofSeconds(5));
        return f;
    }

    private static MimeMessage parse(String data) throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(data.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void sendsTheAlertOverStartTlsWithTheSubjectBodyAndFingerprint() throws Exception {
        SmtpTestServer smtp = server(SmtpTestServer.Mode.STARTTLS_REQUIRED, loopback);
        EmailSink sink = factory(smtp, loopback.certFile()).build("mail", Clock.fixed(NOW, ZoneOffset.UTC));
        Alert alert = SampleAlerts.rotationFailed("billing-agent-api", NOW.minusSeconds(60));

        sink.send(alert);
        sink.send(alert.resolvedAt(NOW));

        List<SmtpTestServer.Received> received = smtp.received();
        assertThat(received).hasSize(2); // one message per notification, to both recipients
        assertThat(received).allSatisfy(r -> {
            assertThat(r.tls()).as("the session was upgraded with STARTTLS").isTrue();
            assertThat(r.loggedInAs()).isEqualTo("rotakey");
            assertThat(r.from()).isEqualTo("rotakey@example.org");
        });
        assertThat(smtp.loginsUnderTls()).as("the password only ever went over TLS").containsOnly(true);

        MimeMessage firing = parse(received.get(0).data());
        assertThat(firing.getSubject()).isEqualTo("[rotakey] FIRING RotakeyRotationFailed: Rotation of billing-agent-api failed");
        assertThat(firing.getHeader(EmailSink.FINGERPRINT_HEADER, null)).isEqualTo("rotation-failed:billing-agent-api");
        assertThat(firing.getSentDate().toInstant()).isEqualTo(NOW);
        assertThat(firing.getHeader("To", ",")).isEqualTo("team-billing@example.com, oncall@example.com");
        String text = ((String) firing.getContent()).replace("\r\n", "\n");
        assertThat(text).startsWith("FIRING: RotakeyRotationFailed (critical)\n\nRotation of billing-agent-api failed\n\n"
                        + "Rotation 42 failed after 5 attempts")
                .contains("  agent: billing-agent\n", "  credential: billing-agent-api\n", "  owner: team-billing@example.com\n",
                        "Started: 2026-12-02T16:59:00Z")
                .doesNotContain(PASSWORD);

        MimeMessage resolved = parse(received.get(1).data());
        assertThat(resolved.getSubject()).startsWith("[rotakey] RESOLVED RotakeyRotationFailed: ");
        assertThat(((String) resolved.getContent()).replace("\r\n", "\n")).contains("Ended:   2026-12-02T17:00:00Z");
    }

    @Test
    void aServerThatDoesNotOfferStartTlsGetsNothing() throws Exception {
        SmtpTestServer plain = server(SmtpTestServer.Mode.PLAIN, loopback);
        EmailSink sink = factory(plain, loopback.certFile()).build("mail", Clock.fixed(NOW, ZoneOffset.UTC));

        AlertDeliveryException e = catchThrowableOfType(AlertDeliveryException.class,
                () -> sink.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));

        assertThat(e.getMessage()).isEqualTo("email sink 'mail': the SMTP server does not offer STARTTLS");
        assertThat(e.retryable()).isFalse();
        assertThat(plain.received()).isEmpty();
        assertThat(plain.loginsUnderTls()).as("the password was not sent in clear").isEmpty();
    }

    @Test
    void aCertificateForAnotherHostIsRefused() throws Exception {
        SmtpTestServer smtp = server(SmtpTestServer.Mode.STARTTLS_REQUIRED, otherHost);
        EmailSink sink = factory(smtp, otherHost.certFile()).build("mail", Clock.fixed(NOW, ZoneOffset.UTC));

        AlertDeliveryException e = catchThrowableOfType(AlertDeliveryException.class,
                () -> sink.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));

        assertThat(e).as("a trusted certificate, but not for 127.0.0.1").isNotNull();
        assertThat(e.getMessage()).startsWith("email sink 'mail' failed (");
        assertThat(smtp.received()).isEmpty();
        assertThat(smtp.loginsUnderTls()).isEmpty();
    }

    @Test
    void anUntrustedCertificateIsRefused() throws Exception {
        SmtpTestServer smtp = server(SmtpTestServer.Mode.STARTTLS_REQUIRED, loopback);
        EmailSink sink = factory(smtp, otherHost.certFile()).build("mail", Clock.fixed(NOW, ZoneOffset.UTC));

        assertThat(catchThrowableOfType(AlertDeliveryException.class,
                () -> sink.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)))).isNotNull();
        assertThat(smtp.received()).isEmpty();
    }

    @Test
    void smtpsWorksToo() throws Exception {
        SmtpTestServer smtps = server(SmtpTestServer.Mode.SMTPS, loopback);
        EmailSinkFactory f = factory(smtps, loopback.certFile());
        f.setSecurity(EmailSinkFactory.Security.TLS);
        f.setTo(List.of("oncall@example.com"));

        f.build("mail", Clock.fixed(NOW, ZoneOffset.UTC)).send(SampleAlerts.backendUnhealthy(NOW));

        assertThat(smtps.received()).singleElement().satisfies(r -> {
            assertThat(r.tls()).isTrue();
            assertThat(parse(r.data()).getSubject()).isEqualTo("[rotakey] FIRING RotakeyKeyBackendUnhealthy: Key backend vault is unhealthy");
        });
    }

    @Test
    void aWrongPasswordIsNotRetriedAndNeverShown() throws Exception {
        SmtpTestServer smtp = server(SmtpTestServer.Mode.STARTTLS_REQUIRED, loopback);
        EmailSinkFactory f = factory(smtp, loopback.certFile());
        String wrong = "wrong-pa55word-9876543210";
        f.setPassword(SecretSource.fromFile(Files.writeString(tmp.resolve("wrong.password"), wrong).toString()));
        EmailSink sink = f.build("mail", Clock.fixed(NOW, ZoneOffset.UTC));

        AlertDeliveryException e = catchThrowableOfType(AlertDeliveryException.class,
                () -> sink.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));

        assertThat(e.getMessage()).isEqualTo("email sink 'mail': the SMTP server refused the login");
        assertThat(e.retryable()).isFalse();
        assertThat(smtp.received()).isEmpty();
        for (String s : new String[]{e.getMessage(), sink.toString(), f.toString()}) {
            assertThat(s).doesNotContain(wrong).doesNotContain(PASSWORD);
        }
    }

    @Test
    void anUnreachableServerIsRetryable() throws Exception {
        SmtpTestServer smtp = server(SmtpTestServer.Mode.STARTTLS_REQUIRED, loopback);
        EmailSinkFactory f = factory(smtp, loopback.certFile());
        smtp.close();

        AlertDeliveryException e = catchThrowableOfType(AlertDeliveryException.class,
                () -> f.build("mail").send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));

        assertThat(e.retryable()).isTrue();
        assertThat(e.getMessage()).startsWith("email sink 'mail' failed (");
    }
}
