package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

/** The DAOs of one handle (one transaction). */
public final class Daos {
    private final Handle h;

    Daos(Handle h) {
        this.h = h;
    }

    /** The handle itself, for this package's tests. */
    Handle handle() {
        return h;
    }

    public AgentDao agents() {
        return new AgentDao(h);
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
        return new AuditDao(h);
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

    public BatchDao batches() {
        return new BatchDao(h);
    }
}
