package dev.rotakey.cluster;

import dev.rotakey.db.Daos;
import dev.rotakey.db.SchedulerStateDao.Checkin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The nodes of this node's cluster as {@code GET /api/v1/status} lists them: every node checked in to Quartz under
 * this scheduler name, each healthy while it checks in as Quartz expects, or this node alone when it is not
 * clustered (healthy while its scheduler runs).
 */
public final class ClusterNodes {
    /**
     * Quartz's margin beyond a node's check-in interval before the other nodes take its work over
     * ({@code JobStoreSupport.calcFailedIfAfter}): a node later than this is being, or has been, replaced.
     */
    static final Duration MARGIN = Duration.ofMillis(7_500);

    /** One node: its latest check-in (null when it has none), and whether it is this node and alive. */
    public record Node(String instanceId, Instant lastCheckin, Duration checkinInterval, boolean self, boolean healthy) {
    }

    private final NodeIdentity self;
    private final String schedulerName;
    private final BooleanSupplier schedulerRunning;
    private final Clock wallClock;

    /**
     * @param schedulerName    {@code scheduler.instanceName}, the cluster's name in Quartz's tables
     * @param schedulerRunning whether this node's scheduler runs
     * @param wallClock        the clock Quartz checks in by (the system's): an injected test clock would make every
     *                         node look dead or alive at will
     */
    public ClusterNodes(NodeIdentity self, String schedulerName, BooleanSupplier schedulerRunning, Clock wallClock) {
        this.self = self;
        this.schedulerName = schedulerName;
        this.schedulerRunning = schedulerRunning;
        this.wallClock = wallClock;
    }

    /** This node. */
    public NodeIdentity self() {
        return self;
    }

    /** The nodes by instance id, this node always among them, read in the session of {@code d}. */
    public List<Node> list(Daos d) {
        boolean running = schedulerRunning.getAsBoolean();
        if (!self.clustered()) {
            return List.of(new Node(self.instanceId(), null, null, true, running));
        }
        Instant now = wallClock.instant();
        List<Node> nodes = new ArrayList<>();
        boolean selfSeen = false;
        for (Checkin c : d.schedulerState().checkins(schedulerName)) {
            boolean isSelf = c.instanceId().equals(self.instanceId());
            selfSeen |= isSelf;
            boolean checkingIn = !now.isAfter(c.lastCheckin().plus(c.checkinInterval()).plus(MARGIN));
            nodes.add(new Node(c.instanceId(), c.lastCheckin(), c.checkinInterval(), isSelf,
                    checkingIn && (!isSelf || running)));
        }
        if (!selfSeen) {
            // Not checked in yet (starting), or stopped: listed all the same, so that the answering node is never missing.
            nodes.add(new Node(self.instanceId(), null, null, true, false));
            nodes.sort(Comparator.comparing(Node::instanceId));
        }
        return List.copyOf(nodes);
    }
}
