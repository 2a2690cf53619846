package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

/** The DAOs of one handle (one transaction). */
public final class Daos {
    private final Handle h;
    /** The transaction's audit events, chained at its commit; null on a read-only handle, where none may be recorded. */
    private final PendingAudit pendingAudit;

    /** The DAOs of a transaction whose audit events are {@linkplain #sealAudit() sealed} by whoever commits it. */
    Daos(Handle h, PendingAudit pendingAudit) {
        this.h = h;
        this.pendingAudit = pendingAudit;
    }

    /** The DAOs of a transaction of its own audit events (for this package's tests). */
    Daos(Handle h) {
        this(h, new PendingAudit());
    }

    /** The DAOs of a read: recording an audit event there fails. */
    static Daos readOnly(Handle h) {
        return new Daos(h, null);
    }

    /** Chains and inserts the audit events recorded so far: last thing before the commit. */
    void sealAudit() {
        if (pendingAudit != null) {
            pendingAudit.seal(h);
        }
    }

    /** The handle itself, for this package's tests. */
    Handle handle() {
        return h;
    }

    public AgentDao agents() {
        return new AgentDao(h);
    }

    public AttestationDao attestations() {
        return new AttestationDao(h);
    }

    public AlertDao alerts() {
        return new AlertDao(h);
    }

    public CredentialDao credentials() {
        return new CredentialDao(h);
    }

    public VersionDao versions() {
        return new VersionDao(h);
    }

    public PresentedKeyDao presentedKeys() {
        return new PresentedKeyDao(h);
    }

    public RotationDao rotations() {
        return new RotationDao(h);
    }

    public DeliveryDao deliveries() {
        return new DeliveryDao(h);
    }

    public AuditDao audit() {
        return new AuditDao(h, pendingAudit);
    }

    public AuditCheckpointDao auditCheckpoints() {
        return new AuditCheckpointDao(h);
    }

    public AuditStreamDao auditStreams() {
        return new AuditStreamDao(h);
    }

    public ScheduleDao schedules() {
        return new ScheduleDao(h);
    }

    public SchedulerStateDao schedulerState() {
        return new SchedulerStateDao(h);
    }

    public TokenDao tokens() {
        return new TokenDao(h);
    }

    public CertificateAuthorityDao certificateAuthorities() {
        return new CertificateAuthorityDao(h);
    }

    public IssuedCertificateDao issuedCertificates() {
        return new IssuedCertificateDao(h);
    }

    public AcknowledgementDao acknowledgements() {
        return new AcknowledgementDao(h);
    }

    public CrlDao crls() {
        return new CrlDao(h);
    }

    public PlanDao plan() {
        return new PlanDao(h);
    }

    public BindingClaimDao bindingClaims() {
        return new BindingClaimDao(h);
    }

    public FleetDao fleet() {
        return new FleetDao(h);
    }

    public TargetRateSlotDao targetRateSlots() {
        return new TargetRateSlotDao(h);
    }

    public UsageDao usage() {
        return new UsageDao(h);
    }

    public BatchDao batches() {
        return new BatchDao(h);
    }

    public PostureDao posture() {
        return new PostureDao(h);
    }

    public PostureFindingDao postureFindings() {
        return new PostureFindingDao(h);
    }
}
