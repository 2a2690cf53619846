package dev.rotakey.schedule;

/** What Rotakey does when a trigger fires; implemented by the services, called by the jobs. */
public interface JobHandler {
    void rotationDue(String credentialId);

    void continueRotation(String rotationId);

    void revocationDue(String credentialId, int version);

    void agentExpired(String agentId);
}
