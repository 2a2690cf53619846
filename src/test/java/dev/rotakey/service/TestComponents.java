package dev.rotakey.service;

import dev.rotakey.RotakeyComponents;
import dev.rotakey.RotakeyConfiguration;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.ca.CertificateAuthorityFactory;
import dev.rotakey.config.RetryFactory;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Store;
import dev.rotakey.targets.Target;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The daemon's components for the service tests and benchmarks, built by {@link RotakeyComponents} as the daemon
 * builds them: from a test configuration (three attempts, backoff 1 s doubling to 4 s), over one started key
 * backend named {@code hsm} and the given targets, with deferred work handed to the test's scheduler rather than
 * to Quartz. A test adds its own hooks (a rotation listener) to the builder before building.
 */
final class TestComponents {
    private TestComponents() {
    }

    static RotakeyComponents.Builder builder(Clock clock, Store store, KeyBackend hsm, Map<String, Target> targets,
                                             WorkScheduler scheduler, Map<String, CertificateAuthorityFactory> cas) {
        return RotakeyComponents.builder(configuration(cas), clock, store)
                .keyBackends(Map.of("hsm", hsm))
                .targets(targets)
                .workScheduler(scheduler);
    }

    static RotakeyComponents build(Clock clock, Store store, KeyBackend hsm, Map<String, Target> targets,
                                   WorkScheduler scheduler) {
        return builder(clock, store, hsm, targets, scheduler, Map.of()).build();
    }

    private static RotakeyConfiguration configuration(Map<String, CertificateAuthorityFactory> cas) {
        RetryFactory retry = new RetryFactory();
        retry.setMaxAttempts(3);
        retry.setInitialBackoff(Duration.ofSeconds(1));
        retry.setMaxBackoff(Duration.ofSeconds(4));
        retry.setMultiplier(2.0);
        retry.setJitter(0.5);
        RotakeyConfiguration config = new RotakeyConfiguration();
        config.getRotation().setRetry(retry);
        config.setCertificateAuthorities(new LinkedHashMap<>(cas));
        return config;
    }
}
