package dev.rotakey.posture;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.db.Store;
import dev.rotakey.schedule.FixedDelayWork;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Records each posture finding as a {@code posture.finding} audit event the first time it appears, so that findings
 * reach the SIEM export like every other event, and not again while it persists; a finding that went away and came back
 * is recorded again. Runs shortly after start and every {@code governance.posture.recordEvery}. On a cluster every node runs it,
 * and the claim of the finding's row in {@code posture_findings}, in the transaction of its event, lets one record it.
 */
public final class PostureRecorder implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(PostureRecorder.class);
    /** Findings recorded per transaction: a first run over a large fleet does not hold the audit chain for long. */
    private static final int CHUNK = 500;
    static final String ACTOR = "posture";
    private static final Duration FIRST_RUN = Duration.ofSeconds(10);

    private final Store store;
    private final AuditLog audit;
    private final PostureReports reports;
    private final FixedDelayWork schedule;

    public PostureRecorder(Store store, AuditLog audit, PostureReports reports, Duration every) {
        this.store = store;
        this.audit = audit;
        this.reports = reports;
        // The first run soon after start, in the background: judging a large fleet must not hold the start-up.
        this.schedule = new FixedDelayWork("posture-recorder", FIRST_RUN.compareTo(every) < 0 ? FIRST_RUN : every, every,
                this::recordNew);
    }

    @Override
    public void start() {
        schedule.start();
    }

    @Override
    public void stop() throws InterruptedException {
        schedule.stop();
    }

    /**
     * Judges the fleet and records the findings not recorded yet; marks the others seen and the ones gone resolved.
     *
     * @return how many findings this call recorded
     */
    public int recordNew() {
        PostureReports.Assessment a = reports.assess();
        Set<String> open = store.read(d -> d.postureFindings().open());
        List<Finding> fresh = new ArrayList<>();
        Set<String> current = new HashSet<>();
        for (Finding f : a.findings()) {
            if (current.add(f.fingerprint()) && !open.contains(f.fingerprint())) {
                fresh.add(f);
            }
        }
        int recorded = 0;
        for (int i = 0; i < fresh.size(); i += CHUNK) {
            recorded += recordChunk(fresh.subList(i, Math.min(fresh.size(), i + CHUNK)), a);
        }
        List<String> gone = open.stream().filter(f -> !current.contains(f)).toList();
        List<String> persisting = open.stream().filter(current::contains).toList();
        store.txRun(tx -> {
            tx.postureFindings().seen(persisting, a.at());
            tx.postureFindings().resolve(gone, a.at());
        });
        if (recorded > 0 || !gone.isEmpty()) {
            LOG.info("posture: {} new findings recorded, {} resolved, {} open", recorded, gone.size(), current.size());
        }
        return recorded;
    }

    /** One transaction; if another node claimed one of them first (a key violation), once more without those. */
    private int recordChunk(List<Finding> chunk, PostureReports.Assessment a) {
        try {
            return claimAndRecord(chunk, a);
        } catch (RuntimeException e) {
            LOG.debug("posture findings claimed concurrently, retrying: {}", e.toString());
            return claimAndRecord(chunk, a);
        }
    }

    private int claimAndRecord(List<Finding> chunk, PostureReports.Assessment a) {
        return store.tx(tx -> {
            List<AuditLog.Entry> entries = new ArrayList<>();
            for (Finding f : chunk) {
                if (tx.postureFindings().claim(f.fingerprint(), a.at())) {
                    entries.add(new AuditLog.Entry(ACTOR, AuditAction.POSTURE_FINDING, f.subject(), "finding", details(f)));
                }
            }
            if (!entries.isEmpty()) {
                audit.recordAll(tx, entries);
            }
            return entries.size();
        });
    }

    /** The event's detail: severity, kind, summary and remedy, within the audit column's 4000 characters. */
    static String details(Finding f) {
        String d = "severity=" + f.severity().wireName() + " kind=" + f.kind().wireName()
                + (f.owner() == null ? "" : " owner=" + f.owner()) + " summary=" + f.summary() + " remedy=" + f.remedy();
        return d.length() > 4000 ? d.substring(0, 3997) + "..." : d;
    }
}
