package dev.rotakey.batch;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.ClusterNodes;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.config.BatchesFactory;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Store;
import dev.rotakey.service.BatchedRotations;
import dev.rotakey.service.EmergencyRevocation;
import dev.rotakey.service.RevocationService;
import dev.rotakey.service.RotationService;

import java.time.Clock;
import java.util.Map;

/**
 * A node's batch machinery, built together from the services it drives: the tasks' side ({@link #operator()}),
 * the threads ({@link #runner()}, Managed), the sweep that resumes and takes over batches ({@link #sweep()}) and
 * the read side ({@link #queries()}).
 */
public final class Batches {
    private final OperatorBatches operator;
    private final BatchRunner runner;
    private final BatchSweep sweep;
    private final BatchQueries queries;

    public Batches(BatchesFactory config, Store store, AuditLog audit, NodeIdentity node, ClusterNodes nodes,
                   RotationService rotations, BatchedRotations together, RevocationService revocations,
                   WorkScheduler scheduler, Clock clock) {
        BatchRecords records = new BatchRecords(store, audit, node, clock);
        EmergencyRevocation emergencies = new EmergencyRevocation(rotations, revocations, scheduler, clock);
        runner = new BatchRunner(new BatchProcessor(store, records, Map.of(
                Batch.Kind.ROTATE, new RotationWork(store, rotations, together),
                Batch.Kind.DECOMMISSION, new DecommissionWork(rotations.decommissioning()),
                Batch.Kind.REVOKE, new EmergencyWork(emergencies))),
                config.getThreads(), config.getQueueCapacity());
        operator = new OperatorBatches(store, records, runner, rotations, emergencies);
        sweep = new BatchSweep(store, runner, node, nodes, audit, clock);
        queries = new BatchQueries(store);
    }

    /** What the rotate, revoke and decommission tasks call. */
    public OperatorBatches operator() {
        return operator;
    }

    /** The threads that work batches: started after the scheduler, stopped before it. */
    public BatchRunner runner() {
        return runner;
    }

    /** Hands batches that no thread works to the runner: run at start-up and every check-in interval. */
    public BatchSweep sweep() {
        return sweep;
    }

    public BatchQueries queries() {
        return queries;
    }
}
