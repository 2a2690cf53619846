package dev.rotakey.audit.stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.db.AuditDao.Chained;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Shapes an audit event as an OCSF 1.3 event ({@link OcsfClass}): the base event's attributes, the actor, the
 * identity an authentication or an account change is about ({@code user}), the API call and the resource for API
 * Activity, and Rotakey's own fields (seq, hash, node) under {@code unmapped}. {@code metadata.uid} is the event's
 * seq, the same on every delivery, for a receiver to drop duplicates.
 */
final class OcsfEvents {
    static final String VERSION = "1.3.0";
    private static final Map<String, AuditAction> BY_WIRE_NAME = Arrays.stream(AuditAction.values())
            .collect(Collectors.toMap(AuditAction::wireName, Function.identity()));
    /** How authentication failures name the address they came from: "... from 192.0.2.7". */
    private static final Pattern FROM_ADDRESS = Pattern.compile(" from \\[?([0-9a-fA-F.:]+)]?(?::\\d+)?(?:\\b|$)");

    private final ObjectMapper json;

    OcsfEvents(ObjectMapper json) {
        this.json = json;
    }

    /** {@code c} as one line of JSON, without its newline. */
    String line(Chained c) {
        try {
            return json.writeValueAsString(event(c));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("an audit event could not be written as JSON", e);
        }
    }

    /** {@code events} as JSON lines, each ended by a newline: the body of a file append or of a collector's POST. */
    String lines(List<Chained> events) {
        StringBuilder lines = new StringBuilder(events.size() * 800);
        for (Chained c : events) {
            lines.append(line(c)).append('\n');
        }
        return lines.toString();
    }

    ObjectNode event(Chained c) {
        AuditEvent e = c.event();
        AuditAction action = BY_WIRE_NAME.get(e.action());
        OcsfClass.Activity activity = action == null ? new OcsfClass.Activity(OcsfClass.API_ACTIVITY, 99, "Other")
                : OcsfClass.of(action);
        OcsfClass cls = activity.eventClass();
        ObjectNode o = json.createObjectNode();
        o.put("class_uid", cls.uid()).put("class_name", cls.className())
                .put("category_uid", cls.categoryUid()).put("category_name", cls.categoryName())
                .put("activity_id", activity.id()).put("activity_name", activity.name())
                .put("type_uid", activity.typeUid()).put("type_name", cls.className() + ": " + activity.name())
                .put("time", e.at().toEpochMilli());
        severity(o, action, e.failed());
        status(o, e.outcome(), e.failed());
        if (e.details() != null) {
            o.put("message", e.details());
        }
        ObjectNode metadata = o.putObject("metadata");
        metadata.put("version", VERSION).put("uid", Long.toString(c.seq())).put("sequence", c.seq())
                .put("event_code", e.action()).put("log_name", "audit").put("log_provider", "rotakey");
        if (e.correlationId() != null) {
            metadata.put("correlation_uid", e.correlationId());
        }
        metadata.putObject("product").put("name", "Rotakey").put("vendor_name", "Rotakey");
        o.putObject("actor").set("user", user(e.actor()));
        switch (cls) {
            case AUTHENTICATION -> {
                // A refused authentication names no one it could prove; the API key presented names its credential.
                o.set("user", user(PRESENTED_KEY.contains(action) ? e.subject() : e.actor()));
                o.putObject("service").put("name", "rotakey");
                if (!PRESENTED_KEY.contains(action) && e.subject() != null) {
                    request(o, e.subject());
                }
            }
            case ACCOUNT_CHANGE -> o.set("user", user(e.subject()));
            case API_ACTIVITY -> {
                o.putObject("api").put("operation", e.action()).putObject("service").put("name", "rotakey");
                if (e.subject() != null) {
                    o.putArray("resources").addObject().put("uid", e.subject()).put("type", resourceType(e.subject()));
                }
            }
        }
        ObjectNode src = o.putObject("src_endpoint");
        String address = e.details() == null ? null : sourceAddress(e.details());
        if (address != null) {
            src.put("ip", address);
        }
        ObjectNode unmapped = o.putObject("unmapped");
        unmapped.put("event_id", c.id()).put("seq", c.seq()).put("prev_hash", c.prev()).put("hash", c.hash())
                .put("outcome", e.outcome());
        if (e.subject() != null) {
            unmapped.put("subject", e.subject());
        }
        if (e.node() != null) {
            unmapped.put("node", e.node());
        }
        return o;
    }

    /** The refusals of a presented API key: their subject is the key's version, not a request. */
    private static final java.util.Set<AuditAction> PRESENTED_KEY = java.util.EnumSet.of(
            AuditAction.API_KEY_REVOKED_PRESENTED, AuditAction.API_KEY_SUSPENDED_PRESENTED,
            AuditAction.API_KEY_SCOPE_DENIED);

    private ObjectNode user(String name) {
        ObjectNode u = json.createObjectNode();
        if (name == null) {
            return u.put("name", "unknown");
        }
        u.put("name", name).put("uid", name);
        if (name.startsWith("token:")) {
            u.put("type_id", 2).put("type", "Admin");
        } else if (name.startsWith("agent:") || name.startsWith("credential:") || name.startsWith("spiffe:")) {
            u.put("type_id", 3).put("type", "System");
        }
        return u;
    }

    /** A refused request's subject, "POST /api/v1/…", as the HTTP request it names. */
    private static void request(ObjectNode o, String subject) {
        int space = subject.indexOf(' ');
        ObjectNode request = o.putObject("http_request");
        if (space > 0) {
            request.put("http_method", subject.substring(0, space));
        }
        request.putObject("url").put("path", subject.substring(space + 1));
    }

    private static String resourceType(String subject) {
        int colon = subject.indexOf(':');
        return colon > 0 && colon < 32 && !subject.contains(" ") ? subject.substring(0, colon) : "request";
    }

    private static void severity(ObjectNode o, AuditAction action, boolean failed) {
        if (action == AuditAction.AUTH_LOCKED_OUT || action == AuditAction.API_KEY_REVOKED_PRESENTED) {
            o.put("severity_id", 4).put("severity", "High");
        } else if (failed) {
            o.put("severity_id", 3).put("severity", "Medium");
        } else {
            o.put("severity_id", 1).put("severity", "Informational");
        }
    }

    private static void status(ObjectNode o, String outcome, boolean failed) {
        if (failed) {
            o.put("status_id", 2).put("status", "Failure");
        } else if ("ok".equals(outcome) || "firing".equals(outcome) || "resolved".equals(outcome)) {
            o.put("status_id", 1).put("status", "Success");
        } else {
            o.put("status_id", 99).put("status", "Other");
        }
        if (outcome != null) {
            o.put("status_detail", outcome);
        }
    }

    /** The address an authentication failure came from, as its details name it; null when they name none. */
    static String sourceAddress(String details) {
        Matcher m = FROM_ADDRESS.matcher(details);
        String found = null;
        while (m.find()) {
            found = m.group(1);
        }
        return found != null && (found.indexOf('.') > 0 || found.indexOf(':') >= 0) ? found : null;
    }
}
