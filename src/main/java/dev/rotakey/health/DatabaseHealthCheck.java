package dev.rotakey.health;

import com.codahale.metrics.health.HealthCheck;
import dev.rotakey.db.Store;

/** Healthy while the database answers. */
public final class DatabaseHealthCheck extends HealthCheck {
    private final Store store;

    public DatabaseHealthCheck(Store store) {
        this.store = store;
    }

    @Override
    protected Result check() {
        store.ping();
        return Result.healthy();
    }
}
