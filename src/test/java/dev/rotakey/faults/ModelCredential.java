package dev.rotakey.faults;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What the fault model knows about one credential it created: its kind, names, and versions as last read. */
final class ModelCredential {
    final int c;
    final CredentialKind kind;
    final boolean acknowledged;
    final TargetProbe.Names names;
    final String agent;
    boolean decommissioned;
    /** version → state, as the API showed it last. */
    Map<Integer, String> states = new TreeMap<>();
    /** version → its revokeAfter, for versions that have one. */
    Map<Integer, java.time.Instant> revokeAfter = new TreeMap<>();
    final String grace;

    ModelCredential(int c, CredentialKind kind, boolean acknowledged, boolean longGrace, String prefix) {
        this.c = c;
        // A short grace period lets scheduled revocations happen within a sequence; a long one lets the model see
        // whether the PREVIOUS version keeps working during it.
        this.grace = longGrace ? "PT30S" : "PT0.3S";
        this.kind = kind;
        this.acknowledged = acknowledged;
        this.names = TargetProbe.Names.of(prefix, c);
        this.agent = prefix + "-a" + c;
    }

    String id() {
        return names.credential();
    }

    /** The request body that creates it, bound to the consumer webhook (to learn its secrets) and its targets. */
    String createBody() {
        List<String> targets = new ArrayList<>();
        targets.add("{\"target\":\"hook\",\"consumer\":\"c" + c + "\"}");
        for (CredentialKind.Binding b : kind.bindings) {
            targets.add(switch (b) {
                case FILES -> "{\"target\":\"local-files\",\"path\":\"" + names.path() + "\"}";
                case KV -> "{\"target\":\"kv\",\"path\":\"" + names.path() + "\"}";
                case PG_SINGLE -> "{\"target\":\"pg\",\"role\":\"" + names.role() + "\",\"strategy\":\"single\"}";
                case PG_ALTERNATING -> "{\"target\":\"pg\",\"role\":\"" + names.role() + "\",\"strategy\":\"alternating\"}";
                case REDIS -> "{\"target\":\"redis\",\"user\":\"" + names.redisUser() + "\"}";
                case MARIA_SINGLE -> "{\"target\":\"maria\",\"user\":\"" + names.mariaUser() + "\",\"strategy\":\"single\"}";
                case MARIA_ALTERNATING -> "{\"target\":\"maria\",\"user\":\"" + names.mariaUser()
                        + "\",\"strategy\":\"alternating\"}";
            });
        }
        StringBuilder b = new StringBuilder("{\"id\":\"" + id() + "\",\"agent\":\"" + agent + "\",\"type\":\"" + kind.type
                + "\",\"backend\":\"" + kind.backend + "\",\"gracePeriod\":\"" + grace + "\"");
        if (acknowledged) {
            b.append(",\"revokeWhen\":\"acknowledged\",\"consumers\":[\"app\"]");
        }
        if (kind.certificate()) {
            b.append(",\"ca\":\"agents-ca\",\"validity\":\"PT1H\"");
            if (kind.hsmKey()) {
                b.append(",\"keyCustody\":\"hsm\"");
            }
        }
        return b.append(",\"targets\":[").append(String.join(",", targets)).append("]}").toString();
    }

    /** Reads the versions from a credential view. */
    void read(JsonNode view) {
        Map<Integer, String> m = new TreeMap<>();
        Map<Integer, java.time.Instant> r = new TreeMap<>();
        for (JsonNode v : view.path("versions")) {
            m.put(v.get("version").asInt(), v.get("state").asText());
            if (v.hasNonNull("revokeAfter")) {
                r.put(v.get("version").asInt(), java.time.Instant.parse(v.get("revokeAfter").asText()));
            }
        }
        states = m;
        revokeAfter = r;
    }

    List<Integer> inState(String state) {
        return states.entrySet().stream().filter(e -> e.getValue().equals(state)).map(Map.Entry::getKey).toList();
    }

    int latest() {
        return states.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    /** The peers a binding of this credential goes through. */
    static Peer peerOf(CredentialKind.Binding b) {
        return switch (b) {
            case FILES -> Peer.FILES;
            case KV -> Peer.VAULT_KV;
            case PG_SINGLE, PG_ALTERNATING -> Peer.POSTGRES;
            case REDIS -> Peer.REDIS;
            case MARIA_SINGLE, MARIA_ALTERNATING -> Peer.MARIADB;
        };
    }

    Peer backendPeer() {
        return kind.backend.equals("hsm") ? Peer.HSM : Peer.VAULT_TRANSIT;
    }
}
