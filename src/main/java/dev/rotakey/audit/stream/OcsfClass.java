package dev.rotakey.audit.stream;

import dev.rotakey.audit.AuditAction;

import java.util.EnumMap;
import java.util.Map;

/**
 * Which OCSF event class and activity each audit action is (OCSF 1.3): authentications and their refusals are
 * Authentication (3002); what changes an identity (an agent, an operator token) or its secret is Account Change
 * (3001); everything else done through Rotakey is API Activity (6003).
 */
enum OcsfClass {
    AUTHENTICATION(3002, "Authentication", 3, "Identity & Access Management"),
    ACCOUNT_CHANGE(3001, "Account Change", 3, "Identity & Access Management"),
    API_ACTIVITY(6003, "API Activity", 6, "Application Activity");

    /** An action's class and activity. */
    record Activity(OcsfClass eventClass, int id, String name) {
        int typeUid() {
            return eventClass.uid * 100 + id;
        }
    }

    private static final Map<AuditAction, Activity> ACTIVITIES = new EnumMap<>(AuditAction.class);

    static {
        Activity logon = AUTHENTICATION.activity(1, "Logon");
        ACTIVITIES.put(AuditAction.AUTH_FAILED, logon);
        ACTIVITIES.put(AuditAction.AUTH_LOCKED_OUT, logon);
        ACTIVITIES.put(AuditAction.API_KEY_REVOKED_PRESENTED, logon);
        ACTIVITIES.put(AuditAction.API_KEY_SUSPENDED_PRESENTED, logon);
        ACTIVITIES.put(AuditAction.API_KEY_SCOPE_DENIED, logon);
        ACTIVITIES.put(AuditAction.AGENT_SUSPENDED, ACCOUNT_CHANGE.activity(5, "Disable"));
        ACTIVITIES.put(AuditAction.AGENT_RESUMED, ACCOUNT_CHANGE.activity(2, "Enable"));
        ACTIVITIES.put(AuditAction.AGENT_CREATED, ACCOUNT_CHANGE.activity(1, "Create"));
        ACTIVITIES.put(AuditAction.TOKEN_CREATED, ACCOUNT_CHANGE.activity(1, "Create"));
        ACTIVITIES.put(AuditAction.VERSION_PROMOTED, ACCOUNT_CHANGE.activity(3, "Password Change"));
        ACTIVITIES.put(AuditAction.TOKEN_ROTATED, ACCOUNT_CHANGE.activity(3, "Password Change"));
        ACTIVITIES.put(AuditAction.AGENT_DECOMMISSIONED, ACCOUNT_CHANGE.activity(6, "Delete"));
        ACTIVITIES.put(AuditAction.TOKEN_REVOKED, ACCOUNT_CHANGE.activity(6, "Delete"));
        for (AuditAction a : AuditAction.values()) {
            ACTIVITIES.computeIfAbsent(a, OcsfClass::apiActivity);
        }
    }

    private final int uid;
    private final String name;
    private final int categoryUid;
    private final String categoryName;

    OcsfClass(int uid, String name, int categoryUid, String categoryName) {
        this.uid = uid;
        this.name = name;
        this.categoryUid = categoryUid;
        this.categoryName = categoryName;
    }

    /** The class and activity of {@code action}. */
    static Activity of(AuditAction action) {
        return ACTIVITIES.get(action);
    }

    int uid() {
        return uid;
    }

    String className() {
        return name;
    }

    int categoryUid() {
        return categoryUid;
    }

    String categoryName() {
        return categoryName;
    }

    private Activity activity(int id, String activityName) {
        return new Activity(this, id, activityName);
    }

    /** API Activity's Create, Update, Delete or Other, by what the action's name says it did. */
    private static Activity apiActivity(AuditAction a) {
        String w = a.wireName();
        if (w.endsWith(".created") || w.endsWith(".issued") || w.endsWith(".started")) {
            return API_ACTIVITY.activity(1, "Create");
        }
        if (w.endsWith(".revoked") || w.endsWith(".decommissioned") || w.endsWith(".retired")
                || a == AuditAction.OPERATOR_REVOKE || a == AuditAction.OPERATOR_DECOMMISSION
                || a == AuditAction.VERSION_REVOKED_UNACKNOWLEDGED) {
            return API_ACTIVITY.activity(4, "Delete");
        }
        if (w.startsWith("alert.") || w.startsWith("batch.") || a == AuditAction.AUTH_FORBIDDEN) {
            return API_ACTIVITY.activity(99, "Other");
        }
        return API_ACTIVITY.activity(3, "Update");
    }
}
