package dev.rotakey.api;

/**
 * Body of {@code POST /api/v1/credentials/{id}/versions/{n}/ack}: the consumer's name and, when no
 * operator token is presented, that version's own API key or password as proof of possession.
 */
public record AcknowledgeRequest(String consumer, String key) {
    /** Never the key: this record may end up in a log line. */
    @Override
    public String toString() {
        return "AcknowledgeRequest[consumer=" + consumer + ", key=" + (key == null ? "absent" : "***") + "]";
    }
}
