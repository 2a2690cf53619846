package dev.rotakey.alert.sink;

import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.alert.AlertSink;
import dev.rotakey.alert.AlertStatus;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Date;
import java.util.List;

/**
 * An {@code email} alert sink: one plain-text message per notification, over SMTP with STARTTLS
 * (or SMTPS), subject {@code [rotakey] FIRING RotakeyRotationFailed: <summary>}, the labels and the
 * description in the body, and the fingerprint in {@code X-Rotakey-Fingerprint} for mail filters.
 */
public final class EmailSink implements AlertSink {
    static final String FINGERPRINT_HEADER = "X-Rotakey-Fingerprint";

    private final String name;
    private final Session session;
    private final String protocol;
    private final String host;
    private final int port;
    private final String username;
    private final String password;
    private final InternetAddress from;
    private final InternetAddress[] to;
    private final String subjectPrefix;
    private final Clock clock;

    EmailSink(String name, Session session, String protocol, String host, int port, String username, String password,
              InternetAddress from, List<InternetAddress> to, String subjectPrefix, Clock clock) {
        this.name = name;
        this.session = session;
        this.protocol = protocol;
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.from = from;
        this.to = to.toArray(new InternetAddress[0]);
        this.subjectPrefix = subjectPrefix;
        this.clock = clock;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "email";
    }

    @Override
    public void send(Alert alert) throws AlertDeliveryException {
        MimeMessage message;
        try {
            message = message(alert);
        } catch (MessagingException e) {
            throw new AlertDeliveryException(where() + " cannot compose the message (" + e.getClass().getSimpleName() + ")",
                    false, e);
        }
        try (Transport transport = session.getTransport(protocol)) {
            transport.connect(host, port, password == null ? null : username, password);
            transport.sendMessage(message, message.getAllRecipients());
        } catch (MessagingException e) {
            throw classify(e);
        }
    }

    MimeMessage message(Alert alert) throws MessagingException {
        MimeMessage message = new MimeMessage(session);
        message.setFrom(from);
        message.setRecipients(Message.RecipientType.TO, to);
        message.setSentDate(Date.from(clock.instant()));
        message.setSubject(subject(alert), StandardCharsets.UTF_8.name());
        message.setHeader(FINGERPRINT_HEADER, alert.fingerprint());
        message.setText(text(alert), StandardCharsets.UTF_8.name());
        return message;
    }

    String subject(Alert alert) {
        String status = alert.status() == AlertStatus.FIRING ? "FIRING" : "RESOLVED";
        String subject = (subjectPrefix.isEmpty() ? "" : subjectPrefix + " ") + status + " " + alert.alertName()
                + (alert.summary() == null ? "" : ": " + alert.summary());
        return subject.replaceAll("[\\r\\n]+", " "); // a summary must not add header lines
    }

    static String text(Alert alert) {
        StringBuilder b = new StringBuilder();
        b.append(alert.status() == AlertStatus.FIRING ? "FIRING" : "RESOLVED").append(": ")
                .append(alert.alertName()).append(" (").append(alert.severity().wireName()).append(")\n\n");
        if (alert.summary() != null) {
            b.append(alert.summary()).append("\n\n");
        }
        if (alert.description() != null && !alert.description().isEmpty()) {
            b.append(alert.description()).append("\n\n");
        }
        b.append("Labels:\n");
        alert.labels().forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
        b.append("\nStarted: ").append(alert.startsAt()).append('\n');
        if (alert.endsAt() != null) {
            b.append("Ended:   ").append(alert.endsAt()).append('\n');
        }
        b.append("Fingerprint: ").append(alert.fingerprint()).append('\n');
        return b.toString();
    }

    /**
     * SMTP says itself whether to try again: a 4xx reply is temporary, a 5xx one permanent. A refused
     * login or a server without STARTTLS will not change by itself; a lost or refused connection may.
     * Server replies are not quoted: they can echo what was sent.
     */
    private AlertDeliveryException classify(MessagingException e) {
        int code = -1;
        if (e instanceof SMTPSendFailedException f) {
            code = f.getReturnCode();
        } else if (e instanceof SMTPAddressFailedException f) {
            code = f.getReturnCode();
        } else if (e instanceof SMTPSenderFailedException f) {
            code = f.getReturnCode();
        }
        if (e instanceof AuthenticationFailedException) {
            return new AlertDeliveryException(where() + ": the SMTP server refused the login", false);
        }
        String text = e.getMessage() == null ? "" : e.getMessage();
        if (text.startsWith("STARTTLS is required")) {
            return new AlertDeliveryException(where() + ": the SMTP server does not offer STARTTLS", false);
        }
        if (code >= 400) {
            return new AlertDeliveryException(where() + " answered SMTP " + code, code < 500);
        }
        Throwable cause = e;
        while (cause != null && !(cause instanceof IOException)) {
            cause = cause.getCause();
        }
        if (cause != null) {
            return new AlertDeliveryException(where() + " failed (" + cause.getClass().getSimpleName() + ")", true);
        }
        return new AlertDeliveryException(where() + " failed (" + e.getClass().getSimpleName() + ")", true);
    }

    private String where() {
        return "email sink '" + name + "'";
    }

    @Override
    public String toString() {
        return "EmailSink{name=" + name + ", " + protocol + "://" + host + ":" + port + ", username=" + username
                + ", password=" + (password == null ? "none" : "(redacted)") + ", to=" + List.of(to) + "}";
    }
}
