package dev.rotakey.health;

import com.codahale.metrics.health.HealthCheck;
import dev.rotakey.ca.CertificateAuthorities;

import java.util.List;

/**
 * Unhealthy, naming the CA, while a configured CA is not initialised, its ACTIVE certificate expires
 * within 30 days, or a CRL still in use is past its nextUpdate: relying parties would start refusing.
 */
public final class CertificateAuthoritiesHealthCheck extends HealthCheck {
    private final CertificateAuthorities authorities;

    public CertificateAuthoritiesHealthCheck(CertificateAuthorities authorities) {
        this.authorities = authorities;
    }

    @Override
    protected Result check() {
        List<String> problems = authorities.problems();
        return problems.isEmpty()
                ? Result.healthy(authorities.names().size() + " certificate authorities ready")
                : Result.unhealthy(String.join("; ", problems));
    }
}
