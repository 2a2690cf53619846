package dev.rotakey.ca;

import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link CertificateAuthorities#refreshCrls()} every minute on a thread of its own, so that
 * CRLs are re-signed before they lapse and RETIRING CA generations retire without an operator.
 */
public final class CrlRefresher implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(CrlRefresher.class);
    private final CertificateAuthorities authorities;
    private ScheduledExecutorService executor;

    public CrlRefresher(CertificateAuthorities authorities) {
        this.authorities = authorities;
    }

    @Override
    public synchronized void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "crl-refresher");
            t.setDaemon(true);
            return t;
        });
        // refreshCrls() logs its own failures; an exception escaping here would silently stop the schedule.
        executor.scheduleWithFixedDelay(() -> {
            try {
                authorities.refreshCrls();
            } catch (RuntimeException e) {
                LOG.warn("CRL refresh failed: {}", e.toString(), e);
            }
        }, 1, 1, TimeUnit.MINUTES);
    }

    @Override
    public synchronized void stop() throws InterruptedException {
        if (executor != null) {
            executor.shutdownNow();
            executor.awaitTermination(10, TimeUnit.SECONDS);
            executor = null;
        }
    }
}
