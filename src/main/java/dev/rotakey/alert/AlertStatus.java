package dev.rotakey.alert;

/** Whether a notification says that an alert's condition holds ({@code firing}) or has cleared ({@code resolved}). */
public enum AlertStatus {
    FIRING, RESOLVED;

    public String wireName() {
        return this == FIRING ? "firing" : "resolved";
    }
}
