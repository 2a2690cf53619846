package dev.rotakey.cluster;

import dev.rotakey.config.SchedulerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Who this node is: the {@code scheduler.instanceId} it checks in to the Quartz cluster with (the host name when
 * the config gives none), and whether it is one node of a cluster. It names the node in logs, audit events,
 * metrics and {@code GET /api/v1/status}.
 */
public record NodeIdentity(String instanceId, boolean clustered) {
    /** Letters, digits, '.', '_' and '-': it goes into log lines, metric labels and Quartz's tables as it is. */
    public static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public NodeIdentity {
        Objects.requireNonNull(instanceId, "instanceId");
        if (!INSTANCE_ID.matcher(instanceId).matches()) {
            throw new IllegalArgumentException("instance id must be 1-64 letters, digits, '.', '_' or '-'");
        }
    }

    /** The configured node, or this host's name when {@code scheduler.instanceId} is not set. */
    public static NodeIdentity of(SchedulerFactory scheduler) {
        String id = scheduler.getInstanceId();
        return new NodeIdentity(id != null ? id : hostName(), scheduler.isClustered());
    }

    /** A single node named {@code instanceId}, for tests. */
    public static NodeIdentity single(String instanceId) {
        return new NodeIdentity(instanceId, false);
    }

    private static String hostName() {
        try {
            String host = InetAddress.getLocalHost().getHostName();
            // A fully qualified name is cut at its first dot; anything outside the pattern becomes '-'.
            String shortName = host.contains(".") ? host.substring(0, host.indexOf('.')) : host;
            String clean = shortName.replaceAll("[^A-Za-z0-9._-]", "-");
            return clean.isEmpty() || !INSTANCE_ID.matcher(clean).matches() ? "rotakey" : clean;
        } catch (UnknownHostException e) {
            return "rotakey";
        }
    }
}
