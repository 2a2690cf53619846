package dev.rotakey.audit;

/**
 * How audit events name what they are about ({@code credential:<id>}, {@code credential:<id>/v<n>}): one format,
 * so that the audit trail can be searched by subject and the alerting queries can find a credential's events.
 */
public final class AuditSubject {
    private AuditSubject() {
    }

    public static String agent(String agentId) {
        return "agent:" + agentId;
    }

    public static String credential(String credentialId) {
        return "credential:" + credentialId;
    }

    public static String version(String credentialId, int version) {
        return credential(credentialId) + "/v" + version;
    }
}
