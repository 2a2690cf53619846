package dev.rotakey.health;

import com.codahale.metrics.health.HealthCheck;
import dev.rotakey.backend.BackendStatus;
import dev.rotakey.backend.KeyBackend;

/** Healthy while the key backend is logged in and usable. */
public final class KeyBackendHealthCheck extends HealthCheck {
    private final KeyBackend backend;

    public KeyBackendHealthCheck(KeyBackend backend) {
        this.backend = backend;
    }

    @Override
    protected Result check() {
        BackendStatus s = backend.status();
        return s.healthy() ? Result.healthy(s.message()) : Result.unhealthy(s.message());
    }
}
