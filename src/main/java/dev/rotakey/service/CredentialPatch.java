package dev.rotakey.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.core.AcknowledgementPolicy;
import dev.rotakey.core.CertificateProfile;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RevokeWhen;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.targets.TargetBinding;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The body of {@code PATCH /api/v1/credentials/{id}}: which fields it may carry, and the credential's creation fields
 * with the body's laid over them, so that a change is validated by exactly the creation's rules. Also the audit
 * event's before and after.
 */
final class CredentialPatch {
    /** What a change may set. */
    static final Set<String> CHANGEABLE = new TreeSet<>(Set.of("rotation", "gracePeriod", "maxGracePeriod", "revokeWhen",
            "consumers", "scopes", "targets", "length", "alphabet", "validity", "dnsNames", "uris"));
    /** Fixed at creation: a different one is a different credential. */
    static final Set<String> FIXED = new TreeSet<>(Set.of("id", "agent", "type", "backend", "ca", "keySpec", "keyCustody",
            "renewAt", "import"));

    private CredentialPatch() {
    }

    /** Refuses an empty body, an unknown field and a field fixed at creation, naming it. */
    static void checkFields(JsonNode patch) {
        if (patch == null || !patch.isObject() || patch.isEmpty()) {
            throw RejectedException.badRequest("a JSON object with one or more of " + String.join(", ", CHANGEABLE)
                    + " is required");
        }
        for (Iterator<String> it = patch.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (FIXED.contains(field)) {
                throw RejectedException.invalid(field, "cannot be changed: it is fixed when the credential is created "
                        + "(create a new credential and retire this one)"
                        + ("renewAt".equals(field) ? "; a certificate's schedule changes with \"rotation\"" : ""));
            }
            if (!CHANGEABLE.contains(field)) {
                throw RejectedException.invalid(field, "is not a field a credential's change may set ("
                        + String.join(", ", CHANGEABLE) + ")");
            }
            if (patch.get(field).isNull() && !Set.of("consumers", "maxGracePeriod", "scopes").contains(field)) {
                throw RejectedException.invalid(field, "must not be null");
            }
        }
    }

    /** The creation fields of {@code c}, with those of {@code patch} instead where it has them. */
    static NewCredential merge(Credential c, JsonNode patch) {
        CertificateProfile p = c.certificate();
        NewCredential.RotationSpec rotation;
        Double renewAt = null;
        if (patch.has("rotation")) {
            rotation = rotation(patch.get("rotation"));
        } else if (p != null && c.policy().equals(RotationPolicy.every(p.renewalInterval()))) {
            // Renewed at renewAt of its validity: a new validity moves the renewal with it.
            rotation = null;
            renewAt = p.renewAt();
        } else {
            rotation = spec(c.policy());
        }
        AcknowledgementPolicy acks = c.acknowledgements();
        String revokeWhen = patch.has("revokeWhen") ? text(patch, "revokeWhen") : c.revokeWhen().wireName();
        boolean acknowledged = RevokeWhen.ACKNOWLEDGED.wireName().equals(revokeWhen);
        List<String> consumers = patch.has("consumers") ? strings(patch, "consumers")
                : acknowledged && acks != null ? acks.consumers() : null;
        String maxGrace = patch.has("maxGracePeriod") ? text(patch, "maxGracePeriod")
                : acknowledged && acks != null ? acks.maxGracePeriod().toString() : null;
        boolean password = c.type() == CredentialType.PASSWORD;
        return new NewCredential(c.id(), c.agentId(), c.type().wireName(), c.backend(), rotation,
                patch.has("gracePeriod") ? text(patch, "gracePeriod") : c.gracePeriod().toString(),
                patch.has("targets") ? targets(patch.get("targets")) : bindings(c.bindings()),
                p == null ? null : p.ca(),
                p == null ? null : p.keySpec().name(),
                patch.has("validity") ? text(patch, "validity") : p == null ? null : p.validity().toString(),
                renewAt,
                patch.has("dnsNames") ? strings(patch, "dnsNames") : p == null ? null : p.dnsNames(),
                patch.has("uris") ? strings(patch, "uris") : p == null ? null : p.uris(),
                p == null ? null : p.keyCustody().wireName(),
                patch.has("length") ? integer(patch, "length") : password ? c.password().length() : null,
                patch.has("alphabet") ? text(patch, "alphabet") : password ? c.password().alphabet() : null,
                revokeWhen, consumers, maxGrace,
                patch.has("scopes") ? strings(patch, "scopes") : c.scopes());
    }

    /** The audit event's details: the changed fields, and each one's value before and after. */
    static String describe(Credential before, Credential after, CredentialDiff diff) {
        Map<String, Object> was = fields(before);
        Map<String, Object> now = fields(after);
        StringBuilder out = new StringBuilder("changes=").append(diff.changes());
        StringBuilder b = new StringBuilder();
        StringBuilder a = new StringBuilder();
        for (String field : diff.changes()) {
            b.append(b.length() == 0 ? "" : ", ").append(field).append('=').append(was.get(field));
            a.append(a.length() == 0 ? "" : ", ").append(field).append('=').append(now.get(field));
        }
        return out.append("; before: {").append(b).append("}; after: {").append(a).append('}').toString();
    }

    /** What a change may change, by field name; never material (a credential holds none). */
    private static Map<String, Object> fields(Credential c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rotation", c.policy().manual() ? "manual" : c.policy().every() != null ? "every " + c.policy().every()
                : "cron " + c.policy().cron());
        m.put("gracePeriod", c.gracePeriod());
        m.put("revokeWhen", c.revokeWhen().wireName());
        m.put("consumers", c.acknowledgements() == null ? null : c.acknowledgements().consumers());
        m.put("maxGracePeriod", c.acknowledgements() == null ? null : c.acknowledgements().maxGracePeriod());
        m.put("scopes", c.scopes());
        m.put("targets", bindings(c.bindings()));
        m.put("length", c.password() == null ? null : c.password().length());
        m.put("alphabet", c.password() == null ? null : c.password().alphabet());
        m.put("validity", c.certificate() == null ? null : c.certificate().validity());
        m.put("dnsNames", c.certificate() == null ? null : c.certificate().dnsNames());
        m.put("uris", c.certificate() == null ? null : c.certificate().uris());
        return m;
    }

    private static NewCredential.RotationSpec spec(RotationPolicy policy) {
        if (policy.manual()) {
            return new NewCredential.RotationSpec(null, null, true);
        }
        return policy.every() != null ? new NewCredential.RotationSpec(policy.every().toString(), null)
                : new NewCredential.RotationSpec(null, policy.cron());
    }

    private static NewCredential.RotationSpec rotation(JsonNode v) {
        if (!v.isObject()) {
            throw RejectedException.invalid("rotation", "must be an object: {\"every\": \"P30D\"}, {\"cron\": \"…\"} or "
                    + "{\"manual\": true}");
        }
        for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("every", "cron", "manual").contains(f)) {
                throw RejectedException.invalid("rotation." + f, "is not a rotation field (every, cron, manual)");
            }
        }
        JsonNode manual = v.get("manual");
        if (manual != null && !manual.isNull() && !manual.isBoolean()) {
            throw RejectedException.invalid("rotation.manual", "must be true");
        }
        return new NewCredential.RotationSpec(text(v, "every", "rotation.every"), text(v, "cron", "rotation.cron"),
                manual == null || manual.isNull() ? null : manual.booleanValue());
    }

    private static List<Map<String, String>> targets(JsonNode v) {
        if (!v.isArray()) {
            throw RejectedException.invalid("targets", "must be a list of bindings ({\"target\": name, …parameters})");
        }
        List<Map<String, String>> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode b = v.get(i);
            if (!b.isObject()) {
                throw RejectedException.invalid("targets[" + i + "]", "must be an object of string values");
            }
            Map<String, String> m = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = b.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw RejectedException.invalid("targets[" + i + "]." + e.getKey(), "must be a string");
                }
                m.put(e.getKey(), e.getValue().asText());
            }
            out.add(m);
        }
        return out;
    }

    private static List<Map<String, String>> bindings(List<TargetBinding> bindings) {
        List<Map<String, String>> out = new ArrayList<>();
        for (TargetBinding b : bindings) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("target", b.target());
            m.putAll(b.params());
            out.add(m);
        }
        return out;
    }

    private static String text(JsonNode patch, String field) {
        return text(patch, field, field);
    }

    private static String text(JsonNode node, String key, String field) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw RejectedException.invalid(field, "must be a string");
        }
        return v.asText();
    }

    private static Integer integer(JsonNode patch, String field) {
        JsonNode v = patch.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw RejectedException.invalid(field, "must be a whole number");
        }
        return v.intValue();
    }

    private static List<String> strings(JsonNode patch, String field) {
        JsonNode v = patch.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray()) {
            throw RejectedException.invalid(field, "must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw RejectedException.invalid(field + "[" + i + "]", "must be a string");
            }
            out.add(v.get(i).asText());
        }
        return out;
    }
}
