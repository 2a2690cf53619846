package dev.rotakey.alert.sink;

import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.alert.AlertSeverity;
import dev.rotakey.alert.AlertStatus;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code slack} alert sink: posts each notification to a Slack incoming webhook as a one-line
 * {@code text} (what notifications and old clients show) and blocks with the labels as fields.
 * The webhook URL carries Slack's token, so it is in no message and no {@code toString}.
 */
public final class SlackSink extends JsonAlertSink {
    /** Slack shows at most ten fields in one section. */
    private static final int MAX_FIELDS = 10;

    private final String channel;

    SlackSink(String name, URI url, String channel, JsonPoster poster) {
        super(name, url, poster);
        this.channel = channel;
    }

    @Override
    public String type() {
        return "slack";
    }

    @Override
    public void send(Alert alert) throws AlertDeliveryException {
        post(encode(document(alert)), Map.of());
    }

    Object document(Alert alert) {
        String headline = emoji(alert) + " [" + (alert.status() == AlertStatus.FIRING ? "FIRING" : "RESOLVED") + "] "
                + alert.alertName();
        Map<String, Object> body = new LinkedHashMap<>();
        if (channel != null) {
            body.put("channel", channel);
        }
        body.put("text", escape(headline + " — " + alert.summary() + " (owner " + alert.owner() + ")"));
        List<Object> blocks = new ArrayList<>();
        blocks.add(section("*" + escape(headline) + "*\n" + escape(alert.summary())));
        List<Object> fields = new ArrayList<>();
        alert.labels().entrySet().stream().limit(MAX_FIELDS)
                .forEach(e -> fields.add(mrkdwn("*" + escape(e.getKey()) + "*\n" + escape(e.getValue()))));
        blocks.add(Map.of("type", "section", "fields", fields));
        if (alert.description() != null && !alert.description().isEmpty()) {
            blocks.add(section(escape(alert.description())));
        }
        body.put("blocks", blocks);
        return body;
    }

    private static String emoji(Alert alert) {
        if (alert.status() == AlertStatus.RESOLVED) {
            return ":white_check_mark:";
        }
        return alert.severity() == AlertSeverity.CRITICAL ? ":rotating_light:" : ":warning:";
    }

    private static Map<String, Object> section(String text) {
        return Map.of("type", "section", "text", mrkdwn(text));
    }

    private static Map<String, Object> mrkdwn(String text) {
        return Map.of("type", "mrkdwn", "text", text);
    }

    /** Slack's mrkdwn treats these three as markup (links, mentions); the rest of a value stays as it is. */
    static String escape(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    @Override
    public String toString() {
        return "SlackSink{name=" + name() + ", url=(redacted), channel=" + channel + "}";
    }
}
